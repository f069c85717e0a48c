package acctest

// Provider binaries for the tests that run the Terraform CLI themselves
// (terraform.go): built from this module, either into a directory that
// dev_overrides points at, or into a filesystem mirror laid out as a user
// installs a provider for an offline `terraform init`.

import (
	"cmp"
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

// builds holds the binaries the test binary built, one per package and
// version: a go build links a binary of tens of megabytes each time, and
// several tests (and peer addresses) use the same one. They live in one
// directory shared by every test (so not one test's TempDir), removed when
// the run ends (removeBuilds, from SweepAfterRun's Run).
var builds struct {
	sync.Mutex
	root string // "" until the first build
	once map[buildKey]func() (string, error)
}

type buildKey struct{ pkg, version string }

// build compiles pkg of this module (goBuild; a variable for tests)
// into out.
var build = goBuild

// builtOnce builds pkg at version ("": main's own) once per test binary
// and returns the binary's path: terraform-provider-<name>, where name is
// the package's, or proxmoxsafe for the module root.
func builtOnce(pkg, version string) (string, error) {
	once, err := buildOf(pkg, version)
	if err != nil {
		return "", err
	}
	return once() // unlocked: a second caller of the same build waits in it
}

// buildOf is the one build of pkg at version, made on first use.
func buildOf(pkg, version string) (func() (string, error), error) {
	builds.Lock()
	defer builds.Unlock()
	if builds.root == "" {
		root, err := os.MkdirTemp("", "proxmoxsafe-builds-") //nolint:usetesting // outlives the first test
		if err != nil {
			return nil, err
		}
		builds.root, builds.once = root, map[buildKey]func() (string, error){}
	}
	key := buildKey{pkg, version}
	if once, ok := builds.once[key]; ok {
		return once, nil
	}
	name := filepath.Base(pkg)
	if name == "." {
		name = "proxmoxsafe"
	}
	out := filepath.Join(builds.root, cmp.Or(version, "dev"), name, "terraform-provider-"+name+exeSuffix())
	once := sync.OnceValues(func() (string, error) { return out, build(out, pkg, version) })
	builds.once[key] = once
	return once, nil
}

// removeBuilds deletes what the run built, if it built anything.
func removeBuilds() {
	builds.Lock()
	defer builds.Unlock()
	if builds.root != "" {
		_ = os.RemoveAll(builds.root)
		builds.root, builds.once = "", nil
	}
}

// ProviderBinaryDir builds the provider once per test binary and returns the
// directory holding it, for dev_overrides.
func ProviderBinaryDir(t *testing.T) string {
	t.Helper()
	binary, err := builtOnce(".", "")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(binary)
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
	built, err := builtOnce(pkg, MirrorProviderVersion)
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
