package acctest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/provider"
)

// Peer provider addresses the stand-in (package peerprovider) answers for.
const (
	PeerBPG     = "registry.terraform.io/bpg/proxmox"
	PeerTelmate = "registry.terraform.io/telmate/proxmox"
)

// MirrorProviderVersion is the version of every provider in a LocalMirror.
const MirrorProviderVersion = "0.0.1"

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
	binary := "terraform-provider-" + address[strings.LastIndex(address, "/")+1:] + "_v" + MirrorProviderVersion
	out := filepath.Join(dir, filepath.FromSlash(address), MirrorProviderVersion, runtime.GOOS+"_"+runtime.GOARCH, binary)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("building %s for the local mirror: %s", address, err)
	}
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s for the local mirror: %s\n%s", address, err, msg)
	}
}

// CLIConfig writes a Terraform CLI configuration that installs providers
// only from the given filesystem mirrors, and returns its path.
func CLIConfig(t *testing.T, mirrors ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	for _, m := range mirrors {
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path = %q\n  }\n", m)
	}
	b.WriteString("}\n")
	path := filepath.Join(t.TempDir(), "terraform.rc")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Terraform runs the terraform CLI of the acceptance tests in dir with the
// CLI configuration cliConfig, and returns its combined output.
func Terraform(t *testing.T, dir, cliConfig string, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("no terraform CLI: set TF_ACC_TERRAFORM_PATH or put terraform on PATH")
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// cleanEnv is the environment without settings that would make terraform
// install or find providers elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") || strings.HasPrefix(kv, "TF_PLUGIN_CACHE_DIR=") ||
			strings.HasPrefix(kv, "TF_REATTACH_PROVIDERS=") || strings.HasPrefix(kv, "TF_LOG") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
