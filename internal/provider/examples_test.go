package provider_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// TestAccExamples_initValidate treats every directory under examples/ the
// way a user who copies it would: terraform fmt -check (once for all of
// them), terraform init and terraform validate, with the provider built
// from this tree and installed from a local filesystem mirror. Nothing is fetched from the network: the
// CLI configuration has no direct installation method and every proxy points
// at a closed loopback port.
func TestAccExamples_initValidate(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run terraform init and validate on every example")
	}
	root := acctest.ModuleRoot(t)
	dirs := exampleDirs(t, filepath.Join(root, "examples"))
	if len(dirs) < 5 {
		t.Fatalf("found only %d example directories under examples/: %v", len(dirs), dirs)
	}

	tf := acctest.NewTerraform(t, acctest.CLIConfig(t, acctest.LocalMirror(t)), acctest.Offline())
	tfVersion := terraformVersion(t, tf)
	// One fmt for all examples, where they live (it names every file it
	// would change); init and validate run per example, on a copy, so the
	// tree gets no .terraform or lock file.
	tf.MustRun(t, filepath.Join(root, "examples"), "fmt", "-check", "-recursive", "-diff")

	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			t.Parallel()
			if need := requiredVersion(t, dir); need != nil && !need.Check(tfVersion) {
				t.Skipf("%s needs Terraform %s; this is %s (fmt -check passed)", rel, need, tfVersion)
			}
			copyDir := filepath.Join(t.TempDir(), "module")
			copyTFFiles(t, dir, copyDir)
			tf.MustRun(t, copyDir, "init", "-backend=false", "-input=false", "-no-color")
			out := tf.MustRun(t, copyDir, "validate", "-no-color")
			if !strings.Contains(out, "The configuration is valid.") {
				t.Fatalf("terraform validate in %s did not report a valid configuration:\n%s", rel, out)
			}
		})
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
func terraformVersion(t *testing.T, tf *acctest.TerraformCLI) *version.Version {
	t.Helper()
	out := tf.MustRun(t, t.TempDir(), "version", "-json")
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
