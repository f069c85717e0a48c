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

// buildRoot holds every binary the test binary builds, shared by all its
// tests (so not one test's TempDir) and removed when the run ends
// (removeBuilds, from SweepAfterRun's Run).
var buildRoot = sync.OnceValues(func() (string, error) {
	return os.MkdirTemp("", "proxmoxsafe-builds-") //nolint:usetesting // outlives the first test
})

// removeBuilds deletes what the run built, if it built anything.
func removeBuilds() {
	if dir, err := buildRoot(); err == nil {
		_ = os.RemoveAll(dir)
	}
}

// devOverridesBuild builds the provider once per test binary, into a
// directory of its own for dev_overrides.
var devOverridesBuild = sync.OnceValues(func() (string, error) {
	root, err := buildRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "dev-overrides")
	return dir, goBuild(filepath.Join(dir, "terraform-provider-proxmoxsafe"+exeSuffix()), ".", "")
})

// ProviderBinaryDir builds the provider once per test binary and returns the
// directory holding it, for dev_overrides.
func ProviderBinaryDir(t *testing.T) string {
	t.Helper()
	dir, err := devOverridesBuild()
	if err != nil {
		t.Fatal(err)
	}
	return dir
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

// buildIntoMirror puts pkg's binary at address into dir, laid out as
// Terraform's filesystem mirrors are: HOST/NAMESPACE/TYPE/VERSION/OS_ARCH.
func buildIntoMirror(t *testing.T, dir, address, pkg string) {
	t.Helper()
	built, err := mirrorBuild(pkg)
	if err != nil {
		t.Fatalf("building %s for the local mirror: %s", address, err)
	}
	binary := "terraform-provider-" + address[strings.LastIndex(address, "/")+1:] + "_v" + MirrorProviderVersion + exeSuffix()
	out := filepath.Join(dir, filepath.FromSlash(address), MirrorProviderVersion, runtime.GOOS+"_"+runtime.GOARCH, binary)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := linkOrCopy(built, out); err != nil {
		t.Fatalf("putting %s into the local mirror: %s", address, err)
	}
}

// mirrorBuilds holds one build per package for every mirror of the test
// binary: a go build links a binary of tens of megabytes each time, and
// several tests (and peer addresses) install the same one.
var (
	mirrorBuildsMu sync.Mutex
	mirrorBuilds   = map[string]func() (string, error){}
)

// mirrorBuild builds pkg at MirrorProviderVersion once per test binary and
// returns the binary's path.
func mirrorBuild(pkg string) (string, error) {
	mirrorBuildsMu.Lock()
	build, ok := mirrorBuilds[pkg]
	if !ok {
		build = sync.OnceValues(func() (string, error) {
			root, err := buildRoot()
			if err != nil {
				return "", err
			}
			name := filepath.Base(pkg)
			if name == "." {
				name = "proxmoxsafe"
			}
			out := filepath.Join(root, "mirror", name, "terraform-provider"+exeSuffix())
			return out, goBuild(out, pkg, MirrorProviderVersion)
		})
		mirrorBuilds[pkg] = build
	}
	mirrorBuildsMu.Unlock()
	return build()
}

// linkOrCopy makes dst the file src, hard-linked where the file system
// allows it.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755) //nolint:gosec // an executable provider binary
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
