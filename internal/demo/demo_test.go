package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// TestDemo plays the whole demo with the real Terraform CLI and checks the
// lines the README promises.
func TestDemo(t *testing.T) {
	// It runs terraform against the simulator, like the acceptance tests.
	acctest.SkipUnlessAcceptance(t)
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("the terraform CLI is not on PATH")
	}
	// Building the provider dominates on a cold build cache.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var out bytes.Buffer
	err := run(ctx, options{workdir: t.TempDir(), statsLag: 10 * time.Second}, &out)
	text := out.String()
	if err != nil || t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
	if err != nil {
		t.Fatalf("demo failed: %s", err)
	}

	for _, re := range []string{
		`(?m)^\s+monitoring-grafana\s+6\s+126\s+110, 111, 115, 117, 122$`,
		`(?m)^\s+monitoring-prometheus\s+5\s+123\s+108, 112, 116, 121$`,
		`Before: 5 VMs named monitoring-prometheus \(VMIDs 108, 112, 116, 121, 123\)`,
		`(?m)^\s+Error: Several VMs already carry this name$`,
		`After: 5 VMs named monitoring-prometheus \(VMIDs 108, 112, 116, 121, 123\)`,
		`(?m)^\s+Error: A VM with this name already exists$`,
		`\[ok\] monitoring-prometheus is managed by Terraform again: VMID 123`,
		`\[ok\] monitoring-grafana is managed by Terraform again: VMID 126`,
		`All \d+ expectations met`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("output lacks %s", re)
		}
	}
	if strings.Contains(text, "[FAIL]") {
		t.Errorf("output reports a failed expectation")
	}
	if strings.Contains(text, "development overrides") {
		t.Errorf("output still shows the dev_overrides warning")
	}

	m := regexp.MustCompile(`VMID before the state loss: (\d+), after adoption: (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("output lacks the adoption line")
	}
	if m[1] != m[2] {
		t.Errorf("adoption changed the VMID: %s -> %s", m[1], m[2])
	}
	created, _ := strconv.Atoi(m[1])
	if created < 100 || slices.Contains([]int{108, 112, 116, 121, 123, 110, 111, 115, 117, 122, 126}, created) {
		t.Errorf("demo-web got VMID %d, not a new one", created)
	}
}

func TestModuleRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Dir(filepath.Dir(wd)); root != want {
		t.Errorf("moduleRoot(%s) = %s, want %s", wd, root, want)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(other, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := moduleRoot(sub); err == nil || !strings.Contains(err.Error(), "example.com/other") {
		t.Errorf("moduleRoot in another module: err = %v, want one naming the module", err)
	}
}

func TestCleanOutput(t *testing.T) {
	const warning = "\nWarning: Provider development overrides are in effect\n\n" +
		"The following provider development overrides are set in the CLI\nconfiguration:\n" +
		" - proxmoxsafe/proxmoxsafe in /tmp/x\n\n" +
		"The behavior may therefore not match any released version of the provider and\n" +
		"applying changes may cause the state to become incompatible with published\nreleases.\n"
	for name, tc := range map[string]struct{ in, want string }{
		"warning first": {
			in:   warning + "\nError: A VM with this name already exists\n",
			want: "\nError: A VM with this name already exists\n",
		},
		"colour": {
			in:   "\x1b[0m\x1b[1mNo changes.\x1b[0m Your infrastructure matches.\n",
			want: "No changes. Your infrastructure matches.\n",
		},
		"unterminated warning kept": {
			in:   "Warning: Provider development overrides are in effect\nmore\n",
			want: "Warning: Provider development overrides are in effect\nmore\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			if got := cleanOutput(tc.in); got != tc.want {
				t.Errorf("cleanOutput() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDiagnosticsAndSummary(t *testing.T) {
	out := "data.x.y: Reading...\nsome noise\n\nError: Several VMs already carry this name\n\n  with proxmoxsafe_vm.p,\n  detail\n"
	if got, want := diagnostics(out), "Error: Several VMs already carry this name\n\n  with proxmoxsafe_vm.p,\n  detail"; got != want {
		t.Errorf("diagnostics() = %q, want %q", got, want)
	}
	if got := diagnostics("Apply complete!\n"); got != "" {
		t.Errorf("diagnostics() without any = %q", got)
	}
	if got, want := summary(out), "data.x.y: Reading...\nError: Several VMs already carry this name"; got != want {
		t.Errorf("summary() = %q, want %q", got, want)
	}
	applied := "proxmoxsafe_vm.web: Creation complete\nWarning: Existing VM will be adopted\n\n  with proxmoxsafe_vm.web,\n\nTakes VMID 102.\n" +
		"Warning: second\n\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"
	if got, want := diagnostic(applied, "Warning: Existing VM"), "Warning: Existing VM will be adopted\n\n  with proxmoxsafe_vm.web,\n\nTakes VMID 102."; got != want {
		t.Errorf("diagnostic() = %q, want %q", got, want)
	}
	if got, want := diagnostic(applied, "Warning: second"), "Warning: second"; got != want {
		t.Errorf("diagnostic() of the last block = %q, want %q", got, want)
	}
	if got := diagnostic(applied, "Error: "); got != "" {
		t.Errorf("diagnostic() of a missing block = %q", got)
	}
	if got := errorSummaries(out + "Error: second\n"); !slices.Equal(got, []string{"Several VMs already carry this name", "second"}) {
		t.Errorf("errorSummaries() = %q", got)
	}
}

func TestFormatGroups(t *testing.T) {
	got := formatGroups([]duplicateGroup{
		{Name: "monitoring-grafana", Count: 3, KeepVMID: 126, RemoveVMIDs: []int{110, 111}},
		{Name: "db", Count: 2, KeepVMID: 7, RemoveVMIDs: []int{5}},
	})
	want := "NAME                COUNT  KEEP  REMOVE\n" +
		"monitoring-grafana      3   126  110, 111\n" +
		"db                      2     7  5\n"
	if got != want {
		t.Errorf("formatGroups() =\n%s\nwant\n%s", got, want)
	}
}

func TestTerraformEnv(t *testing.T) {
	env := terraformEnv([]string{
		"PATH=/bin", "TF_LOG=debug", "TF_CLI_ARGS_plan=-refresh=false", "TF_WORKSPACE=prod",
		"PROXMOX_VE_ENDPOINT=https://prod:8006", "CHECKPOINT_DISABLE=", "TF_INPUT=1",
	}, "/w/terraform.rc")
	want := []string{"PATH=/bin", "TF_LOG=debug",
		"TF_CLI_CONFIG_FILE=/w/terraform.rc", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0"}
	if !slices.Equal(env, want) {
		t.Errorf("terraformEnv() = %q, want %q", env, want)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"1.11.4": true, "1.7.0": true, "1.6.6": false, "2.0.0": true, "0.15.5": false, "dev": false} {
		if got := versionAtLeast(v, 1, 7); got != want {
			t.Errorf("versionAtLeast(%q, 1, 7) = %v, want %v", v, got, want)
		}
	}
}

func TestSummaryFailsOnFailedExpectation(t *testing.T) {
	var out bytes.Buffer
	d := &demo{out: &out}
	d.expect(true, "one holds")
	d.expect(false, "plan fails")
	if err := d.summary(context.Background(), time.Second); err == nil {
		t.Fatalf("summary() = nil after a failed expectation")
	}
	if !strings.Contains(out.String(), "1 of 2 expectations failed") || !strings.Contains(out.String(), "  - plan fails") {
		t.Errorf("summary output:\n%s", out.String())
	}
}
