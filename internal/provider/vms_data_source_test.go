package provider_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// expectVMIDs checks the VMIDs of a proxmoxsafe_vms result, in order.
func expectVMIDs(addr string, ids ...int) statecheck.StateCheck {
	checks := make([]knownvalue.Check, 0, len(ids))
	for _, id := range ids {
		checks = append(checks, knownvalue.ObjectPartial(map[string]knownvalue.Check{"vmid": knownvalue.Int64Exact(int64(id))}))
	}
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New("vms"), knownvalue.ListExact(checks))
}

// TestAccVMsDataSource covers, as steps of one resource.Test against two
// simulators: vmsDataSourceFilters (the former TestAccVMsDataSource: every
// filter, and invalid arguments failing at plan time) and
// vmsDataSourceNodeOffline (the former TestAccVMsDataSource_nodeOffline).
func TestAccVMsDataSource(t *testing.T) {
	t.Parallel()
	acctest.SkipInLab(t, "incident scenario (fixed VMIDs), container seeding and offline node control")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps:                    append(vmsDataSourceFilters(t), vmsDataSourceNodeOffline(t)...),
	})
}

func vmsDataSourceFilters(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario (fixed VMIDs) and container seeding")
	seedWeb(t, sim)
	// A container is never listed.
	if err := sim.AddVM(pvesim.VM{VMID: 150, Node: "pve2", Name: "web", Type: "lxc", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	ds, addr := acctest.DataSourceHCL("proxmoxsafe_vms")
	config := strings.Join([]string{
		ds("all", ""),
		ds("web", `name_regex = "^web$"`),
		ds("pve2", `node = "pve2"`),
		ds("prod", `tags = ["prod", "WEB"]`),
		ds("running", `status = "running"`),
		ds("stopped_web", `status = "stopped"
  name_regex = "web"`),
		ds("templates", `template = true`),
		ds("not_templates", `template = false
  node = "pve2"`),
		ds("none", `name_regex = "^nothing-matches$"`),
	}, "\n")

	all := []int{100, 101, 105}
	all = append(all, 108, 110, 111, 112, 115, 116, 117, 121, 122, 123, 126, 200, 201, 202, 9000, 9001, 9002)
	return []resource.TestStep{
		{
			Config:      lab.Config(ds("bad", `status = "paused-ish"`)),
			ExpectError: regexp.MustCompile(`(?s)status.*running.*stopped`),
		},
		{
			Config:      lab.Config(ds("bad", `name_regex = "[a-"`)),
			ExpectError: regexp.MustCompile(`(?s)Invalid regular expression`),
		},
		{
			Config:   lab.Config(config),
			PlanOnly: true,
			ConfigPlanChecks: readInPlan(
				expectVMIDs(addr("all"), all...),
				expectVMIDs(addr("web"), 200, 201, 202, 9002),
				expectVMIDs(addr("pve2"), 105, 201, 202, 9001),
				expectVMIDs(addr("prod"), 200, 201, 9002),
				expectVMIDs(addr("running"), 100, 101, 105, 123, 126, 200),
				expectVMIDs(addr("stopped_web"), 201, 202, 9002),
				expectVMIDs(addr("templates"), 9000, 9001, 9002),
				expectVMIDs(addr("not_templates"), 105, 201, 202),
				expectVMIDs(addr("none")),
				statecheck.ExpectKnownValue(addr("web"), tfjsonpath.New("vms").AtSliceIndex(1), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"vmid":      knownvalue.Int64Exact(201),
					"name":      knownvalue.StringExact("web"),
					"node":      knownvalue.StringExact("pve2"),
					"status":    knownvalue.StringExact("stopped"),
					"template":  knownvalue.Bool(false),
					"tags":      knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("prod"), knownvalue.StringExact("web")}),
					"import_id": knownvalue.StringExact("pve2/201"),
				})),
				statecheck.ExpectKnownValue(addr("templates"), tfjsonpath.New("vms").AtSliceIndex(0).AtMapKey("name"),
					knownvalue.StringExact("debian-12-template")),
			),
		},
	}
}

// Names that cannot be read yet are listed without a name, not dropped.
func vmsDataSourceNodeOffline(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "offline node control (pve2 unreachable)")
	sim.SetNodeOffline("pve2", true)
	return []resource.TestStep{{
		Config: lab.Config(`
data "proxmoxsafe_vms" "pve2" {
  node = "pve2"
}
data "proxmoxsafe_vms" "backup" {
  name_regex = "^backup$"
}
`),
		PlanOnly: true,
		ConfigPlanChecks: readInPlan(
			statecheck.ExpectKnownValue("data.proxmoxsafe_vms.pve2", tfjsonpath.New("vms"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"vmid":   knownvalue.Int64Exact(105),
					"name":   knownvalue.Null(),
					"status": knownvalue.StringExact("unknown"),
				}),
			})),
			expectVMIDs("data.proxmoxsafe_vms.backup"),
		),
	}}
}

// The warnings, read through the protocol server.
func TestAccVMsDataSource_warnings(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "offline node control and request counters")
	sim.SetNodeOffline("pve2", true)
	p := configureDirect(t, lab, "")
	sim.ResetRequestCounts()
	state, diags := p.read("proxmoxsafe_vms", nil)
	requireNoErrors(t, "read", diags)
	if w := warnings(diags); len(w) != 1 || !strings.Contains(w[0], "VMIDs 105.") {
		t.Errorf("warnings = %q, want one listing VMID 105", w)
	}
	if got := len(tfList(t, state["vms"])); got != 15 {
		t.Errorf("%d VMs listed, want all 15", got)
	}
	// Inventory only: the cluster list, the list of the online node (the
	// cluster list says pve2 is offline) and the permissions; no per-VM
	// request.
	counts := sim.RequestCounts()
	if counts["GET /cluster/resources"] != 1 || counts["GET /nodes/{node}/qemu"] != 1 || sim.TotalRequests() != 3 {
		t.Errorf("requests: %v", counts)
	}

	// A node filter that rules the offline node out has nothing to warn about.
	_, diags = p.read("proxmoxsafe_vms", map[string]tftypes.Value{"node": tftypes.NewValue(tftypes.String, "pve")})
	requireNoErrors(t, "read", diags)
	if w := warnings(diags); len(w) > 0 {
		t.Errorf("node = pve: unexpected warnings: %q", w)
	}
}
