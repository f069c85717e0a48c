package provider_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// TestAccVMDataSource covers, as steps of one resource.Test against two
// simulators: vmDataSourceFound (the former TestAccVMDataSource: a VM
// found by name and by VMID, a template, and the errors of ambiguous,
// absent, over- and under-specified lookups) and vmDataSourceContainer
// (the former TestAccVMDataSource_container).
func TestAccVMDataSource(t *testing.T) {
	t.Parallel()
	acctest.SkipInLab(t, "incident scenario (fixed VMIDs) and container seeding")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps:                    append(vmDataSourceContainer(t), vmDataSourceFound(t)...),
	})
}

func vmDataSourceFound(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario (fixed VMIDs, template 9000) and seeded creation time and SMBIOS UUID")
	ctime := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	const uuid = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
	if err := sim.AddVM(pvesim.VM{
		VMID: 140, Node: "pve2", Name: "Grafana-Next", Status: "running", CTime: ctime.Unix(), UUID: uuid,
		Config: map[string]string{
			"cores": "4", "sockets": "2", "cpu": "host", "memory": "8192",
			"tags": "monitoring;next", "description": "the one to keep",
		},
	}); err != nil {
		t.Fatal(err)
	}
	// The same VM, found both ways.
	vm140 := func(addr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("vmid"), knownvalue.Int64Exact(140)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("node"), knownvalue.StringExact("pve2")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("template"), knownvalue.Bool(false)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{
				knownvalue.StringExact("monitoring"), knownvalue.StringExact("next"),
			})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.StringExact("the one to keep")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("cpu"), knownvalue.ObjectExact(map[string]knownvalue.Check{
				"cores": knownvalue.Int64Exact(4), "sockets": knownvalue.Int64Exact(2), "type": knownvalue.StringExact("host"),
				"numa": knownvalue.Bool(false), // PVE default: numa 0
			})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("memory"), knownvalue.Int64Exact(8192)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.StringExact("2024-03-01T12:30:00Z")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("uuid"), knownvalue.StringExact(uuid)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("import_id"), knownvalue.StringExact("pve2/140")),
		}
	}
	byName := "data.proxmoxsafe_vm.by_name"
	byVMID := "data.proxmoxsafe_vm.by_vmid"
	checks := append(vm140(byName), vm140(byVMID)...)
	checks = append(checks,
		// the name as configured (matching ignores case), the VM's own spelling by VMID
		statecheck.ExpectKnownValue(byName, tfjsonpath.New("name"), knownvalue.StringExact("grafana-next")),
		statecheck.ExpectKnownValue(byVMID, tfjsonpath.New("name"), knownvalue.StringExact("Grafana-Next")),
		statecheck.ExpectKnownValue("data.proxmoxsafe_vm.template", tfjsonpath.New("template"), knownvalue.Bool(true)),
		statecheck.ExpectKnownValue("data.proxmoxsafe_vm.template", tfjsonpath.New("vmid"), knownvalue.Int64Exact(9000)),
		statecheck.ExpectKnownValue("data.proxmoxsafe_vm.template", tfjsonpath.New("status"), knownvalue.StringExact("stopped")),
	)

	// The errors first: the last step's configuration must be valid for
	// the final destroy.
	return []resource.TestStep{
		{
			// Every candidate, oldest first, with node, VMID and creation time.
			Config: lab.Config(`
data "proxmoxsafe_vm" "ambiguous" {
  name = "monitoring-prometheus"
}
`),
			ExpectError: regexp.MustCompile(`(?s)Several VMs carry this name.*5 VMs are named "monitoring-prometheus".*` +
				`VMID 108 on node pve.*created \d{4}-\d\d-\d\dT.*VMID 112 on node pve.*VMID 116 on node pve.*` +
				`VMID 121 on node pve.*VMID 123 on node pve, name "monitoring-prometheus", running, created .*` +
				`one of 108, 112, 116, 121, 123.*proxmoxsafe_vm_duplicates`),
		},
		{
			Config:      lab.Config(`data "proxmoxsafe_vm" "absent" { name = "no-such-vm" }`),
			ExpectError: regexp.MustCompile(`(?s)VM not found.*No VM named "no-such-vm" exists in the cluster`),
		},
		{
			Config:      lab.Config(`data "proxmoxsafe_vm" "absent" { vmid = 4242 }`),
			ExpectError: regexp.MustCompile(`(?s)VM not found.*There is no VM with VMID 4242 in the cluster`),
		},
		{
			Config: lab.Config(`data "proxmoxsafe_vm" "both" {
  name = "dns-1"
  vmid = 100
}`),
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured`),
		},
		{
			Config:      lab.Config(`data "proxmoxsafe_vm" "neither" {}`),
			ExpectError: regexp.MustCompile(`(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured`),
		},
		{
			Config: lab.Config(`
data "proxmoxsafe_vm" "by_name" {
  name = "grafana-next"
}
data "proxmoxsafe_vm" "by_vmid" {
  vmid = 140
}
data "proxmoxsafe_vm" "template" {
  name = "debian-12-template"
}
`),
			PlanOnly:         true,
			ConfigPlanChecks: readInPlan(checks...),
		},
	}
}

// A container shares the VMID space but is not a VM.
func vmDataSourceContainer(t *testing.T) []resource.TestStep {
	lab := acctest.NewEmpty(t)
	sim := lab.RequireSim(t, "container seeding")
	if err := sim.AddVM(pvesim.VM{VMID: 150, Name: "proxy", Type: "lxc", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	return []resource.TestStep{
		{
			Config:      lab.Config(`data "proxmoxsafe_vm" "ct" { vmid = 150 }`),
			ExpectError: regexp.MustCompile(`(?s)Not a QEMU VM.*VMID 150 on node pve is a container \(lxc\)`),
		},
		{
			Config:      lab.Config(`data "proxmoxsafe_vm" "ct" { name = "proxy" }`),
			ExpectError: regexp.MustCompile(`No VM named "proxy" exists`),
		},
	}
}

// A name that looks unique may not be when the credentials see only some
// VMs: the read succeeds with a warning.
func TestAccVMDataSource_warnings(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "extra API token with partial visibility and request counters")
	const token = "auditor@pve!partial=11111111-2222-4333-8444-555555555555"
	sim.AddToken(token, []int{100, 126})

	p := configureDirect(t, lab, token)
	state, diags := p.read("proxmoxsafe_vm", map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "monitoring-grafana")})
	requireNoErrors(t, "read", diags)
	if got := tfInt(t, state["vmid"]); got != 126 {
		t.Errorf("vmid = %d, want 126", got)
	}
	if w := warnings(diags); len(w) != 1 || !strings.Contains(w[0], "may be ambiguous") || !strings.Contains(w[0], "VM.Audit on /vms") {
		t.Errorf("warnings = %q, want one about VM.Audit on /vms", w)
	}

	// With every VM visible, the same name is an error.
	p = configureDirect(t, lab, "")
	_, diags = p.read("proxmoxsafe_vm", map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "monitoring-grafana")})
	if !hasErrors(diags) || !strings.Contains(describeDiags(diags), "6 VMs are named") {
		t.Errorf("diagnostics = %s, want the ambiguity error", describeDiags(diags))
	}

	// By VMID there is nothing to be ambiguous about; cost: inventory + GetVM.
	sim.ResetRequestCounts()
	state, diags = p.read("proxmoxsafe_vm", map[string]tftypes.Value{"vmid": tftypes.NewValue(tftypes.Number, 111)})
	requireNoErrors(t, "read", diags)
	if w := warnings(diags); len(w) > 0 {
		t.Errorf("unexpected warnings: %q", w)
	}
	if got := tfString(t, state["import_id"]); got != "pve/111" {
		t.Errorf("import_id = %s", got)
	}
	counts := sim.RequestCounts()
	if counts["GET /nodes/{node}/qemu/{vmid}/config"] != 1 || counts["GET /nodes/{node}/qemu/{vmid}/status/current"] != 1 {
		t.Errorf("requests: %v", counts)
	}
}
