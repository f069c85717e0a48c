package acctest

// Provider binaries for the tests that run the Terraform CLI themselves
// (terraform.go): built from this module, either into a directory that
// dev_overrides points at, or into a filesystem mirror laid out as a user
// installs a provider for an offline `terraform init`.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/provider"
)

// Peer provider addresses the stand-in (package peerprovider) answers for.
const (
	PeerBPG     = "registry.terraform.io/bpg/proxmox"
	PeerTelmate = "registry.terraform.io/telmate/proxmox"
)

// MirrorProviderVersion is the version of every provider in a LocalMirror.
const MirrorProviderVersion = "0.0.1"

// buildTimeout bounds one go build on a loaded machine.
const buildTimeout = 10 * time.Minute

var (
	buildOnce sync.Once
	builtDir  string
	buildErr  error
)

// ProviderBinaryDir builds the provider once per test binary and returns the
// directory holding it, for dev_overrides.
func ProviderBinaryDir(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		// Shared by every test of the binary, so not one test's TempDir.
		if builtDir, buildErr = os.MkdirTemp("", "proxmoxsafe-provider-"); buildErr != nil { //nolint:usetesting // outlives the first test
			return
		}
		buildErr = goBuild(filepath.Join(builtDir, "terraform-provider-proxmoxsafe"+exeSuffix()), ".", "")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtDir
}

// LocalMirror builds this provider into a filesystem mirror in a temporary
// directory, the way a user installs it for an offline `terraform init`, and
// returns the mirror's directory.
func LocalMirror(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	buildIntoMirror(t, dir, provider.RegistryAddress, ".")
	return dir
}

// PeerMirror builds the peer stand-in into a filesystem mirror under each
// peer address and returns the mirror's directory.
func PeerMirror(t *testing.T, peers ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, peer := range peers {
		buildIntoMirror(t, dir, peer, "./internal/acctest/peerprovider")
	}
	return dir
}

// buildIntoMirror builds pkg as the provider at address, laid out as
// Terraform's filesystem mirrors are: HOST/NAMESPACE/TYPE/VERSION/OS_ARCH.
func buildIntoMirror(t *testing.T, dir, address, pkg string) {
	t.Helper()
	binary := "terraform-provider-" + address[strings.LastIndex(address, "/")+1:] + "_v" + MirrorProviderVersion + exeSuffix()
	out := filepath.Join(dir, filepath.FromSlash(address), MirrorProviderVersion, runtime.GOOS+"_"+runtime.GOARCH, binary)
	if err := goBuild(out, pkg, MirrorProviderVersion); err != nil {
		t.Fatalf("building %s for the local mirror: %s", address, err)
	}
}

// goBuild compiles pkg of this module into out, with main.version set when
// version is not empty.
func goBuild(out, pkg, version string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := []string{"build", "-o", out}
	if os.Getenv("PROXMOXSAFE_ACC_RACE") != "" {
		args = append(args, "-race") // a provider built with the race detector
	}
	if version != "" {
		args = append(args, "-ldflags", "-X main.version="+version)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// ModuleRoot is the directory holding this module's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module")
	}
	return filepath.Dir(mod), nil
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
