package provider_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// planDiagnostic is one diagnostic of `terraform plan -json` (Terraform's
// machine-readable UI: a line of type "diagnostic"). terraform-plugin-testing
// has no plan check for warnings: the JSON plan it inspects carries no
// diagnostics, so the tests read them from the plan command itself.
type planDiagnostic struct {
	Severity, Summary, Detail string
	Address                   string
}

// planDiagnostics runs `terraform plan -json` in dir and returns its
// diagnostics; a failing plan fails the test.
func planDiagnostics(t *testing.T, cli *acctest.CLI, dir string) []planDiagnostic {
	t.Helper()
	res, err := cli.Run(context.Background(), dir, "plan", "-input=false", "-json")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("plan: %v (exit %d)\n%s", err, res.ExitCode, res.Output)
	}
	var diags []planDiagnostic
	scanner := bufio.NewScanner(strings.NewReader(res.Output))
	scanner.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		var line struct {
			Type       string `json:"type"`
			Diagnostic struct {
				Severity string `json:"severity"`
				Summary  string `json:"summary"`
				Detail   string `json:"detail"`
				Address  string `json:"address"`
			} `json:"diagnostic"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil || line.Type != "diagnostic" {
			continue
		}
		d := line.Diagnostic
		diags = append(diags, planDiagnostic{Severity: d.Severity, Summary: d.Summary, Detail: d.Detail, Address: d.Address})
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return diags
}

// The plan of a cloud-init drive move on a running VM warns that apply
// restarts that VM (it is stopped for the move: PVE frees an ide or sata
// cloud-init drive of a running VM only at its next start, see
// vm_resource_cloudinit_move.go); the same move on a stopped VM warns
// nothing.
func TestAccVMResource_cloudInitDriveMovePlanWarns(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	t.Parallel()
	lab := acctest.NewEmpty(t)
	lab.RequireSim(t, "cloud-init drive simulation")
	cli := acctest.NewCLI(t)
	name := acctest.RandomName("ciwarn")
	config := func(started bool, iface string) string {
		return lab.Config(vmHCL(name, lab.Node, fmt.Sprintf("started = %t", started),
			`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`, `networks = { net0 = { bridge = "vmbr0" } }`,
			fmt.Sprintf(`cloud_init = { drive = { interface = %q, storage = "local-lvm" }, user = "ops" }`, iface)))
	}
	dir := cli.Workdir(t, config(true, "ide2"))
	if res, err := cli.Run(context.Background(), dir, "apply", "-input=false", "-auto-approve"); err != nil || res.ExitCode != 0 {
		t.Fatalf("apply: %v\n%s", err, res.Output)
	}
	vm := onlyVMNamed(t, lab, name)
	restartWarnings := func(diags []planDiagnostic) []planDiagnostic {
		var found []planDiagnostic
		for _, d := range diags {
			if d.Severity == "warning" && d.Summary == "The VM will restart" {
				found = append(found, d)
			}
		}
		return found
	}

	cli.WriteConfig(t, dir, config(true, "scsi1"))
	diags := planDiagnostics(t, cli, dir)
	warnings := restartWarnings(diags)
	if len(warnings) != 1 {
		t.Fatalf("the plan of a drive move on running VM %d warns of %d restarts, want 1; diagnostics: %+v",
			vm.VMID, len(warnings), diags)
	}
	want := fmt.Sprintf("Apply restarts VM %d (%q) on node %s once: Proxmox VE cannot change ide2 of a running VM",
		vm.VMID, name, lab.Node)
	if w := warnings[0]; !strings.Contains(w.Detail, want) || w.Address != vmAddr {
		t.Errorf("restart warning of %s:\n%s\nwant the address %s and a detail containing\n%s", w.Address, w.Detail, vmAddr, want)
	}

	cli.WriteConfig(t, dir, config(false, "ide2"))
	if res, err := cli.Run(context.Background(), dir, "apply", "-input=false", "-auto-approve"); err != nil || res.ExitCode != 0 {
		t.Fatalf("apply (stop the VM): %v\n%s", err, res.Output)
	}
	cli.WriteConfig(t, dir, config(false, "scsi1"))
	if w := restartWarnings(planDiagnostics(t, cli, dir)); len(w) != 0 {
		t.Errorf("the drive move of stopped VM %d warns of a restart: %+v", vm.VMID, w)
	}
}
