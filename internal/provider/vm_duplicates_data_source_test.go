package provider_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The incident scenario: five monitoring-prometheus and six
// monitoring-grafana VMs on node pve, created in VMID order; only 123 and
// 126 run. Besides them: dns-1, gitlab, backup (on pve2) and the template
// debian-12-template (9000).
var (
	incidentPrometheus = []int{108, 112, 116, 121, 123}
	incidentGrafana    = []int{110, 111, 115, 117, 122, 126}
)

const (
	incidentVMs       = 14 // QEMU VMs that are not templates
	incidentTemplates = 1
)

// groupCheck expects a duplicate group: its name, members in order (oldest
// first), the member kept and the node of each member.
func groupCheck(name string, keep int, nodes map[int]string, members ...int) knownvalue.Check {
	var remove, memberChecks []knownvalue.Check
	importIDs := map[string]knownvalue.Check{}
	for _, id := range members {
		node := nodes[id]
		if node == "" {
			node = "pve"
		}
		if id != keep {
			remove = append(remove, knownvalue.Int64Exact(int64(id)))
		}
		importIDs[strconv.Itoa(id)] = knownvalue.StringExact(fmt.Sprintf("%s/%d", node, id))
		memberChecks = append(memberChecks, knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"vmid":      knownvalue.Int64Exact(int64(id)),
			"node":      knownvalue.StringExact(node),
			"import_id": knownvalue.StringExact(fmt.Sprintf("%s/%d", node, id)),
			"keep":      knownvalue.Bool(id == keep),
		}))
	}
	keepNode := nodes[keep]
	if keepNode == "" {
		keepNode = "pve"
	}
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"name":           knownvalue.StringExact(name),
		"count":          knownvalue.Int64Exact(int64(len(members))),
		"keep_vmid":      knownvalue.Int64Exact(int64(keep)),
		"keep_import_id": knownvalue.StringExact(fmt.Sprintf("%s/%d", keepNode, keep)),
		"remove_vmids":   knownvalue.ListExact(remove),
		"import_ids":     knownvalue.MapExact(importIDs),
		"members":        knownvalue.ListExact(memberChecks),
	})
}

func expectGroups(addr string, groups ...knownvalue.Check) statecheck.StateCheck {
	if groups == nil {
		groups = []knownvalue.Check{}
	}
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups"), knownvalue.ListExact(groups))
}

func expectTotals(addr string, scanned, names, excess int64) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("vms_scanned"), knownvalue.Int64Exact(scanned)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("names_duplicated"), knownvalue.Int64Exact(names)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("vms_in_excess"), knownvalue.Int64Exact(excess)),
	}
}

// readInPlan runs state checks on what the data sources of a PlanOnly
// step read. Terraform reads a data source whose configuration is known
// while planning, writes the result to the plan's refresh state
// (hashicorp/terraform internal/terraform/node_resource_plan_instance.go
// dataResourceExecute: "write the data source into both the refresh state
// and the working state"), which the JSON plan carries as prior_state
// (internal/command/jsonplan/plan.go Marshal), and apply does not read it
// again. So the checks see the values an apply would store, and a step that
// only reads data sources costs a plan and a show instead of an apply and
// the plans and shows after it.
func readInPlan(checks ...statecheck.StateCheck) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{stateAfterApply(checks...)}}
}

// Every scenario of the duplicates data source, each against its own
// simulator, as steps of one resource.Test (each step's configuration has
// its own provider block): duplicatesIncident, duplicatesFilters,
// duplicatesEmptyCluster, duplicatesStatsLag, duplicatesNodeOffline and
// duplicatesPartialVisibility.
func TestAccVMDuplicatesDataSource(t *testing.T) {
	t.Parallel()
	acctest.SkipInLab(t, "incident scenario (fixed VMIDs) and the controls of each scenario")
	var steps []resource.TestStep
	for _, scenario := range []func(*testing.T) []resource.TestStep{
		duplicatesIncident, duplicatesFilters, duplicatesEmptyCluster,
		duplicatesStatsLag, duplicatesNodeOffline, duplicatesPartialVisibility,
	} {
		steps = append(steps, scenario(t)...)
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories, Steps: steps})
}

// The incident cluster: both groups, every member detail.
func duplicatesIncident(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", StatsLag: 0})
	sim := lab.RequireSim(t, "incident scenario (fixed VMIDs)")
	const addr = "data.proxmoxsafe_vm_duplicates.all"
	created := func(id int) knownvalue.Check {
		vm, ok := sim.VM(id)
		if !ok {
			t.Fatalf("the incident scenario has no VM %d", id)
		}
		return knownvalue.StringExact(time.Unix(vm.CTime, 0).UTC().Format(time.RFC3339))
	}

	return []resource.TestStep{{
		Config:   lab.Config(`data "proxmoxsafe_vm_duplicates" "all" {}`),
		PlanOnly: true,
		ConfigPlanChecks: readInPlan(append(expectTotals(addr, incidentVMs, 2, 9),
			expectGroups(addr,
				groupCheck("monitoring-grafana", 126, nil, incidentGrafana...),
				groupCheck("monitoring-prometheus", 123, nil, incidentPrometheus...),
			),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("keep"), knownvalue.StringExact("newest_running")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("include_templates"), knownvalue.Bool(false)),
			// remove lists spelled out, not derived
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups").AtSliceIndex(0).AtMapKey("remove_vmids"),
				knownvalue.ListExact([]knownvalue.Check{
					knownvalue.Int64Exact(110), knownvalue.Int64Exact(111), knownvalue.Int64Exact(115),
					knownvalue.Int64Exact(117), knownvalue.Int64Exact(122),
				})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups").AtSliceIndex(1).AtMapKey("remove_vmids"),
				knownvalue.ListExact([]knownvalue.Check{
					knownvalue.Int64Exact(108), knownvalue.Int64Exact(112), knownvalue.Int64Exact(116), knownvalue.Int64Exact(121),
				})),
			// every member detail of one member
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups").AtSliceIndex(0).AtMapKey("members").AtSliceIndex(5),
				knownvalue.ObjectExact(map[string]knownvalue.Check{
					"vmid":       knownvalue.Int64Exact(126),
					"name":       knownvalue.StringExact("monitoring-grafana"),
					"node":       knownvalue.StringExact("pve"),
					"status":     knownvalue.StringExact("running"),
					"template":   knownvalue.Bool(false),
					"tags":       knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("monitoring")}),
					"created_at": created(126),
					"uptime":     knownvalue.Int64Func(positive),
					"import_id":  knownvalue.StringExact("pve/126"),
					"keep":       knownvalue.Bool(true),
				})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups").AtSliceIndex(1).AtMapKey("members").AtSliceIndex(0),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"vmid":       knownvalue.Int64Exact(108),
					"status":     knownvalue.StringExact("stopped"),
					"uptime":     knownvalue.Int64Exact(0),
					"created_at": created(108),
				})),
		)...),
	}}
}

func positive(v int64) error {
	if v <= 0 {
		return fmt.Errorf("%d is not positive", v)
	}
	return nil
}

// seedWeb adds a third duplicated name across both nodes, with creation
// times that differ from VMID order, plus templates.
//
//	201 web   pve2 stopped  oldest
//	200 web   pve  running
//	202 web   pve2 stopped  newest
//	9001 debian-12-template (template, pve2), 9002 web (template, pve)
func seedWeb(t *testing.T, sim *pvesim.Server) {
	t.Helper()
	base := time.Now().Add(-10 * 24 * time.Hour).Unix()
	for _, vm := range []pvesim.VM{
		{VMID: 200, Node: "pve", Name: "web", Status: "running", CTime: base + 200, Config: map[string]string{"tags": "prod;web"}},
		{VMID: 201, Node: "pve2", Name: "web", Status: "stopped", CTime: base + 100, Config: map[string]string{"tags": "prod;web"}},
		{VMID: 202, Node: "pve2", Name: "web", Status: "stopped", CTime: base + 300, Config: map[string]string{"tags": "web"}},
		{VMID: 9001, Node: "pve2", Name: "debian-12-template", Template: true, CTime: base + 400},
		{VMID: 9002, Node: "pve", Name: "web", Template: true, CTime: base + 500, Config: map[string]string{"tags": "prod;web"}},
	} {
		if err := sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
}

// Filters and keep rules on the incident cluster with a third name across
// both nodes (seedWeb); invalid arguments fail at plan time.
func duplicatesFilters(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	seedWeb(t, lab.RequireSim(t, "incident scenario (fixed VMIDs)"))
	webNodes := map[int]string{201: "pve2", 202: "pve2", 9001: "pve2"}
	grafana := func(keep int) knownvalue.Check {
		return groupCheck("monitoring-grafana", keep, nil, incidentGrafana...)
	}
	prometheus := func(keep int) knownvalue.Check {
		return groupCheck("monitoring-prometheus", keep, nil, incidentPrometheus...)
	}
	ds, addr := acctest.DataSourceHCL("proxmoxsafe_vm_duplicates")

	config := strings.Join([]string{
		ds("all", ""),
		ds("regex", `name_regex = "^monitoring-g"`),
		ds("regex_ci", `name_regex = "(?i)^WEB$"`),
		ds("node", `node = "pve2"`),
		ds("node_none", `node = "pve"
  name_regex = "web"`),
		ds("tags", `tags = ["PROD"]`),
		ds("tags_all", `tags = ["monitoring", "prod"]`),
		ds("templates", `include_templates = true`),
		ds("newest", `keep = "newest"`),
		ds("oldest", `keep = "oldest"`),
		ds("lowest", `keep = "lowest_vmid"`),
	}, "\n")

	checks := []statecheck.StateCheck{
		expectGroups(addr("all"), grafana(126), prometheus(123), groupCheck("web", 200, webNodes, 201, 200, 202)),
		expectGroups(addr("regex"), grafana(126)),
		expectGroups(addr("regex_ci"), groupCheck("web", 200, webNodes, 201, 200, 202)),
		// scoped to the node: 200 on pve is not considered, nothing runs
		expectGroups(addr("node"), groupCheck("web", 202, webNodes, 201, 202)),
		// one web VM on pve (the template is left out)
		expectGroups(addr("node_none")),
		expectGroups(addr("tags"), groupCheck("web", 200, webNodes, 201, 200)),
		expectGroups(addr("tags_all")),
		expectGroups(addr("templates"),
			groupCheck("debian-12-template", 9001, webNodes, 9000, 9001),
			grafana(126), prometheus(123),
			// a template never keeps the name while a VM carries it
			groupCheck("web", 200, webNodes, 201, 200, 202, 9002)),
		expectGroups(addr("newest"), grafana(126), prometheus(123), groupCheck("web", 202, webNodes, 201, 200, 202)),
		expectGroups(addr("oldest"), grafana(110), prometheus(108), groupCheck("web", 201, webNodes, 201, 200, 202)),
		expectGroups(addr("lowest"), grafana(110), prometheus(108), groupCheck("web", 200, webNodes, 201, 200, 202)),
		statecheck.ExpectKnownValue(addr("oldest"), tfjsonpath.New("keep"), knownvalue.StringExact("oldest")),
	}
	checks = append(checks, expectTotals(addr("all"), incidentVMs+3, 3, 5+4+2)...)
	checks = append(checks, expectTotals(addr("node"), 3, 1, 1)...)      // 105, 201, 202
	checks = append(checks, expectTotals(addr("node_none"), 1, 0, 0)...) // 200
	checks = append(checks, expectTotals(addr("templates"), incidentVMs+3+incidentTemplates+2, 4, 5+4+3+1)...)

	return []resource.TestStep{
		{
			Config:      lab.Config(ds("bad", `name_regex = "monitoring-("`)),
			ExpectError: regexp.MustCompile(`(?s)Invalid regular expression.*not a valid RE2 regular expression`),
		},
		{
			Config:      lab.Config(ds("bad", `keep = "largest"`)),
			ExpectError: regexp.MustCompile(`(?s)keep.*newest_running.*lowest_vmid.*got: "largest"`),
		},
		{Config: lab.Config(config), PlanOnly: true, ConfigPlanChecks: readInPlan(checks...)},
	}
}

// An empty cluster: no group, nothing scanned.
func duplicatesEmptyCluster(t *testing.T) []resource.TestStep {
	lab := acctest.NewEmpty(t)
	lab.RequireSim(t, "empty cluster (a real one holds other VMs)")
	const addr = "data.proxmoxsafe_vm_duplicates.all"
	return []resource.TestStep{{
		Config:   lab.Config(`data "proxmoxsafe_vm_duplicates" "all" {}`),
		PlanOnly: true,
		ConfigPlanChecks: readInPlan(append(expectTotals(addr, 0, 0, 0),
			expectGroups(addr),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("groups"), knownvalue.ListSizeExact(0)),
		)...),
	}}
}

// A VM created a moment ago has no name in /cluster/resources yet; its
// node's list tells (name and status, read from the config), so it still
// counts.
func duplicatesStatsLag(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", StatsLag: time.Hour})
	sim := lab.RequireSim(t, "stats lag control (names missing for an hour) and second node pve2")
	if err := sim.AddVM(pvesim.VM{VMID: 130, Node: "pve2", Name: "monitoring-grafana", Status: "running", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	members := append(append([]int{}, incidentGrafana...), 130)
	nodes := map[int]string{130: "pve2"}
	const all, newest = "data.proxmoxsafe_vm_duplicates.all", "data.proxmoxsafe_vm_duplicates.newest"

	return []resource.TestStep{{
		Config: lab.Config(`
data "proxmoxsafe_vm_duplicates" "all" {}
data "proxmoxsafe_vm_duplicates" "newest" {
  keep = "newest"
}
`),
		PlanOnly: true,
		ConfigPlanChecks: readInPlan(
			// Its node lists it running, so newest_running keeps it.
			expectGroups(all,
				groupCheck("monitoring-grafana", 130, nodes, members...),
				groupCheck("monitoring-prometheus", 123, nil, incidentPrometheus...)),
			expectGroups(newest,
				groupCheck("monitoring-grafana", 130, nodes, members...),
				groupCheck("monitoring-prometheus", 123, nil, incidentPrometheus...)),
			statecheck.ExpectKnownValue(all, tfjsonpath.New("groups").AtSliceIndex(0).AtMapKey("members").AtSliceIndex(6),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"vmid":   knownvalue.Int64Exact(130),
					"name":   knownvalue.StringExact("monitoring-grafana"),
					"status": knownvalue.StringExact("running"),
					"created_at": knownvalue.StringFunc(func(s string) error {
						ct, err := time.Parse(time.RFC3339, s)
						if err != nil || time.Since(ct) > time.Hour {
							return fmt.Errorf("created_at %q is not recent", s)
						}
						return nil
					}),
				})),
			statecheck.ExpectKnownValue(all, tfjsonpath.New("vms_in_excess"), knownvalue.Int64Exact(10)),
		),
	}}
}

// A node that is offline: its VMs cannot be checked. The read still
// succeeds (with a warning, asserted in TestAccVMDuplicatesDataSource_warnings)
// and reports what it could check.
func duplicatesNodeOffline(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "offline node control (pve2 unreachable)")
	if err := sim.AddVM(pvesim.VM{VMID: 130, Node: "pve2", Name: "monitoring-grafana", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	const addr = "data.proxmoxsafe_vm_duplicates.all"
	config := lab.Config(`data "proxmoxsafe_vm_duplicates" "all" {}`)
	return []resource.TestStep{
		{
			Config:   config,
			PlanOnly: true,
			ConfigPlanChecks: readInPlan(expectGroups(addr,
				groupCheck("monitoring-grafana", 130, map[int]string{130: "pve2"}, append(append([]int{}, incidentGrafana...), 130)...),
				groupCheck("monitoring-prometheus", 123, nil, incidentPrometheus...))),
		},
		{
			PreConfig: func() { sim.SetNodeOffline("pve2", true) },
			Config:    config,
			PlanOnly:  true,
			ConfigPlanChecks: readInPlan(append(expectTotals(addr, incidentVMs-1, 2, 9), expectGroups(addr,
				groupCheck("monitoring-grafana", 126, nil, incidentGrafana...),
				groupCheck("monitoring-prometheus", 123, nil, incidentPrometheus...)))...),
		},
	}
}

// A token without VM.Audit on /vms sees only some VMs: the groups shrink to
// what it sees.
func duplicatesPartialVisibility(t *testing.T) []resource.TestStep {
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "extra API token that sees only some VMs")
	const token = "auditor@pve!partial=11111111-2222-4333-8444-555555555555"
	sim.AddToken(token, []int{100, 110, 122, 126, 123})
	const addr = "data.proxmoxsafe_vm_duplicates.all"
	return []resource.TestStep{{
		Config:   withToken(lab, lab.Config(`data "proxmoxsafe_vm_duplicates" "all" {}`), token),
		PlanOnly: true,
		ConfigPlanChecks: readInPlan(append(expectTotals(addr, 5, 1, 2),
			expectGroups(addr, groupCheck("monitoring-grafana", 126, nil, 110, 122, 126)))...),
	}}
}

// withToken swaps the lab's token in a configuration for another one.
func withToken(lab *acctest.Lab, config, token string) string {
	return strings.Replace(config, strconv.Quote(lab.Token()), strconv.Quote(token), 1)
}

// Warnings and request costs, read through the protocol server.
func TestAccVMDuplicatesDataSource_warnings(t *testing.T) {
	t.Parallel()
	const typeName = "proxmoxsafe_vm_duplicates"

	t.Run("complete view: no warning, one list per node plus one read per member", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
		sim := lab.RequireSim(t, "incident scenario and request counters")
		p := configureDirect(t, lab, "")
		sim.ResetRequestCounts()
		state, diags := p.read(typeName, nil)
		requireNoErrors(t, "read", diags)
		if w := warnings(diags); len(w) > 0 {
			t.Errorf("unexpected warnings: %q", w)
		}
		if got, want := groupSummary(t, state["groups"]),
			"monitoring-grafana:110,111,115,117,122,126;monitoring-prometheus:108,112,116,121,123"; got != want {
			t.Errorf("groups = %s, want %s", got, want)
		}
		counts := sim.RequestCounts()
		for key, want := range map[string]int{
			"GET /cluster/resources":                       1,
			"GET /nodes/{node}/qemu":                       2, // the live names of pve and pve2
			"GET /access/permissions":                      1,
			"GET /nodes/{node}/qemu/{vmid}/config":         11, // the members' creation times
			"GET /nodes/{node}/qemu/{vmid}/status/current": 0,
		} {
			if counts[key] != want {
				t.Errorf("%s: %d requests, want %d (all: %v)", key, counts[key], want, counts)
			}
		}
		if total := sim.TotalRequests(); total != 15 {
			t.Errorf("%d requests in total, want 15: %v", total, counts)
		}
	})

	t.Run("stats lag: the node lists name the new VM", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Scenario: "incident", StatsLag: time.Hour})
		sim := lab.RequireSim(t, "stats lag control and request counters")
		if err := sim.AddVM(pvesim.VM{VMID: 130, Node: "pve2", Name: "Monitoring-Prometheus", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		p := configureDirect(t, lab, "")
		sim.ResetRequestCounts()
		state, diags := p.read(typeName, nil)
		requireNoErrors(t, "read", diags)
		if w := warnings(diags); len(w) > 0 {
			t.Errorf("unexpected warnings: %q", w)
		}
		if got, want := groupSummary(t, state["groups"]),
			"monitoring-grafana:110,111,115,117,122,126;monitoring-prometheus:108,112,116,121,123,130"; got != want {
			t.Errorf("groups = %s, want %s", got, want)
		}
		// 12 creation times; the name comes from the node lists
		if counts := sim.RequestCounts(); counts["GET /nodes/{node}/qemu/{vmid}/config"] != 12 || counts["GET /nodes/{node}/qemu"] != 2 {
			t.Errorf("%v, want 12 config reads and 2 node lists", counts)
		}
	})

	t.Run("node offline: warning lists the VMIDs not checked", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
		sim := lab.RequireSim(t, "offline node control (pve2 unreachable)")
		if err := sim.AddVM(pvesim.VM{VMID: 130, Node: "pve2", Name: "monitoring-grafana"}); err != nil {
			t.Fatal(err)
		}
		sim.SetNodeOffline("pve2", true)
		p := configureDirect(t, lab, "")
		state, diags := p.read(typeName, nil)
		requireNoErrors(t, "read", diags)
		w := warnings(diags)
		if len(w) != 1 || !strings.Contains(w[0], "could not be checked") || !strings.Contains(w[0], "VMIDs 105, 130") {
			t.Errorf("warnings = %q, want one listing VMIDs 105, 130", w)
		}
		if got, want := groupSummary(t, state["groups"]),
			"monitoring-grafana:110,111,115,117,122,126;monitoring-prometheus:108,112,116,121,123"; got != want {
			t.Errorf("groups = %s, want %s", got, want)
		}

		// Scoped to the online node, nothing is missing.
		_, diags = p.read(typeName, map[string]tftypes.Value{"node": tftypes.NewValue(tftypes.String, "pve")})
		requireNoErrors(t, "read", diags)
		if w := warnings(diags); len(w) > 0 {
			t.Errorf("node = pve: unexpected warnings: %q", w)
		}
	})

	t.Run("hidden VMs: warning and reduced groups", func(t *testing.T) {
		lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
		sim := lab.RequireSim(t, "extra API token that sees only some VMs")
		const token = "auditor@pve!partial=11111111-2222-4333-8444-555555555555"
		sim.AddToken(token, []int{108, 112, 126})
		p := configureDirect(t, lab, token)
		state, diags := p.read(typeName, map[string]tftypes.Value{"tags": tfStrings(t, "monitoring")})
		requireNoErrors(t, "read", diags)
		w := warnings(diags)
		if len(w) != 1 || !strings.Contains(w[0], "cannot see every VM") || !strings.Contains(w[0], "VM.Audit on /vms") {
			t.Errorf("warnings = %q, want one about VM.Audit on /vms", w)
		}
		if got, want := groupSummary(t, state["groups"]), "monitoring-prometheus:108,112"; got != want {
			t.Errorf("groups = %s, want %s", got, want)
		}
	})
}
