package provider_test

import (
	"encoding/json"
	"regexp"

	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	version "github.com/hashicorp/go-version"
)

// exampleProviderVersion is the version the test mirror offers; any version
// satisfies the examples, which pin none.
const exampleProviderVersion = "0.0.1"

// TestAccExamples_initValidate treats every directory under examples/ the
// way a user who copies it would: terraform fmt -check, terraform init and
// terraform validate, with the provider built from this tree and installed
// from a local filesystem mirror. Nothing is fetched from the network: the
// CLI configuration has no direct installation method and every proxy points
// at a closed loopback port.
func TestAccExamples_initValidate(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run terraform init and validate on every example")
	}
	tf := terraformBinary(t)
	root := moduleRoot(t)
	dirs := exampleDirs(t, filepath.Join(root, "examples"))
	if len(dirs) < 5 {
		t.Fatalf("found only %d example directories under examples/: %v", len(dirs), dirs)
	}

	work := t.TempDir()
	mirror := filepath.Join(work, "mirror")
	buildProviderIntoMirror(t, root, mirror)
	cliConfig := filepath.Join(work, "terraform.tfrc")
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/proxmoxsafe/proxmoxsafe"]
  }
}
`, filepath.ToSlash(mirror)))
	env := offlineTerraformEnv(cliConfig)
	tfVersion := terraformVersion(t, tf, env)

	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			t.Parallel()
			// fmt reads the example where it lives; init and validate run on
			// a copy so the tree gets no .terraform or lock file.
			runTerraform(t, tf, dir, env, "fmt", "-check", "-diff")
			if need := requiredVersion(t, dir); need != nil && !need.Check(tfVersion) {
				t.Skipf("%s needs Terraform %s; this is %s (fmt -check passed)", rel, need, tfVersion)
			}
			copyDir := filepath.Join(t.TempDir(), "module")
			copyTFFiles(t, dir, copyDir)
			runTerraform(t, tf, copyDir, env, "init", "-backend=false", "-input=false", "-no-color")
			out := runTerraform(t, tf, copyDir, env, "validate", "-no-color")
			if !strings.Contains(out, "The configuration is valid.") {
				t.Fatalf("terraform validate in %s did not report a valid configuration:\n%s", rel, out)
			}
		})
	}
}

func terraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH (and TF_ACC_TERRAFORM_PATH is not set): cannot init and validate the examples")
	}
	return p
}

// moduleRoot is the directory holding go.mod, found from the test's working
// directory (the package directory).
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// exampleDirs lists every directory under root that holds a .tf file.
func exampleDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".tf") {
			seen[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing examples: %s", err)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// buildProviderIntoMirror compiles the provider into the unpacked layout of
// a filesystem mirror: HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/binary.
func buildProviderIntoMirror(t *testing.T, root, mirror string) {
	t.Helper()
	target := filepath.Join(mirror, "registry.terraform.io", "proxmoxsafe", "proxmoxsafe",
		exampleProviderVersion, runtime.GOOS+"_"+runtime.GOARCH)
	binary := filepath.Join(target, "terraform-provider-proxmoxsafe_v"+exampleProviderVersion)
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binary,
		"-ldflags", "-X main.version="+exampleProviderVersion, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the provider for the mirror: %s\n%s", err, out)
	}
}

// offlineTerraformEnv is the environment of every terraform run: the
// test's CLI configuration, no checkpoint calls, and proxies that refuse
// every connection, so a network access fails loudly instead of happening.
func offlineTerraformEnv(cliConfig string) []string {
	const closedPort = "http://127.0.0.1:9"
	drop := map[string]bool{
		"TF_CLI_CONFIG_FILE": true, "TF_PLUGIN_CACHE_DIR": true, "TF_DATA_DIR": true,
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
		"http_proxy": true, "https_proxy": true, "no_proxy": true, "TF_LOG": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] && !strings.HasPrefix(k, "TF_VAR_") && !strings.HasPrefix(k, "PROXMOX_VE_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"HTTP_PROXY="+closedPort, "HTTPS_PROXY="+closedPort,
		"http_proxy="+closedPort, "https_proxy="+closedPort,
	)
}

func runTerraform(t *testing.T, tf, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("terraform %s in %s: %s\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return out.String()
}

// copyTFFiles copies the Terraform files of src (not its subdirectories,
// which are examples of their own) into dst.
func copyTFFiles(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || (!strings.HasSuffix(e.Name(), ".tf") && !strings.HasSuffix(e.Name(), ".tfvars")) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var reRequiredVersion = regexp.MustCompile(`(?m)^\s*required_version\s*=\s*"([^"]+)"`)

// requiredVersion is the required_version constraint of an example
// directory, nil when it sets none.
func requiredVersion(t *testing.T, dir string) version.Constraints {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := reRequiredVersion.FindSubmatch(b); m != nil {
			c, err := version.NewConstraint(string(m[1]))
			if err != nil {
				t.Fatalf("%s: required_version %q: %s", f, m[1], err)
			}
			return c
		}
	}
	return nil
}

// terraformVersion asks the terraform CLI for its version.
func terraformVersion(t *testing.T, tf string, env []string) *version.Version {
	t.Helper()
	out := runTerraform(t, tf, t.TempDir(), env, "version", "-json")
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("terraform version -json: %s\n%s", err, out)
	}
	parsed, err := version.NewVersion(v.Version)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}
