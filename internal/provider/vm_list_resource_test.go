package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The incident scenario's 11 duplicates (incidentPrometheus and
// incidentGrafana together), in VMID order.
var incidentDuplicates = []int{108, 110, 111, 112, 115, 116, 117, 121, 122, 123, 126}

func incidentProvider(t *testing.T) (*directProvider, *pvesim.Server) {
	t.Helper()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario and request counters")
	return configureDirect(t, lab, ""), sim
}

// resultVMIDs returns the VMIDs of the results in stream order and fails the
// test on an error diagnostic.
func resultVMIDs(p *directProvider, results []tfprotov6.ListResourceResult) []int {
	p.t.Helper()
	var ids []int
	for _, r := range results {
		requireNoErrors(p.t, "ListResource", r.Diagnostics)
		if r.Identity == nil {
			continue // a warnings-only result
		}
		vmid, _ := p.identityOf(r.Identity)
		ids = append(ids, int(vmid))
	}
	return ids
}

func TestVMListResource_duplicatesOnlyStreamsTheIncidentInVMIDOrder(t *testing.T) {
	p, sim := incidentProvider(t)
	sim.ResetRequestCounts()

	results := p.listVMs(map[string]tftypes.Value{"duplicates_only": tftypes.NewValue(tftypes.Bool, true)}, false, 0)

	if got := fmt.Sprint(resultVMIDs(p, results)); got != fmt.Sprint(incidentDuplicates) {
		t.Fatalf("VMIDs = %s, want the 11 duplicates %v", got, incidentDuplicates)
	}
	for _, r := range results {
		vmid, uuid := p.identityOf(r.Identity)
		vm, _ := sim.VM(int(vmid))
		if uuid == "" || uuid != vm.UUID {
			t.Errorf("VM %d: identity uuid %q, want the VM's SMBIOS UUID %q", vmid, uuid, vm.UUID)
		}
		if want := fmt.Sprintf("%s (%d on pve)", vm.Name, vmid); r.DisplayName != want {
			t.Errorf("display name %q, want %q", r.DisplayName, want)
		}
		if r.Resource != nil {
			t.Errorf("VM %d: a resource object although none was asked for", vmid)
		}
	}
	// One inventory read, one config read per VM returned (for the uuid).
	counts := sim.RequestCounts()
	if n := counts["GET /cluster/resources"]; n != 1 {
		t.Errorf("inventory read %d times, want 1", n)
	}
	if n := counts["GET /nodes/{node}/qemu/{vmid}/config"]; n != len(incidentDuplicates) {
		t.Errorf("config read %d times, want %d (one per result)", n, len(incidentDuplicates))
	}
	if n := counts["GET /nodes/{node}/qemu/{vmid}/status/current"]; n != 0 {
		t.Errorf("status read %d times, want 0 (the inventory has the status)", n)
	}
}

func TestVMListResource_filters(t *testing.T) {
	p, _ := incidentProvider(t)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	boolean := func(b bool) tftypes.Value { return tftypes.NewValue(tftypes.Bool, b) }
	tags := func(ts ...string) tftypes.Value {
		var vals []tftypes.Value
		for _, t := range ts {
			vals = append(vals, str(t))
		}
		return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, vals)
	}
	cases := []struct {
		name string
		cfg  map[string]tftypes.Value
		want []int
	}{
		{"no filter: every VM but the template", nil, append([]int{100, 101, 105}, incidentDuplicates...)},
		{"exact name", map[string]tftypes.Value{"name": str("monitoring-prometheus")}, incidentPrometheus},
		{"exact name ignores case", map[string]tftypes.Value{"name": str("Monitoring-GRAFANA")}, incidentGrafana},
		{"glob", map[string]tftypes.Value{"name": str("monitoring-*")}, incidentDuplicates},
		{"glob with a class", map[string]tftypes.Value{"name": str("[bd]*")}, []int{100, 105}},
		{"glob is not a substring match", map[string]tftypes.Value{"name": str("prometheus")}, nil},
		{"node", map[string]tftypes.Value{"node": str("pve2")}, []int{105}},
		{"tags ignore case", map[string]tftypes.Value{"tags": tags("Monitoring")}, incidentDuplicates},
		{"status", map[string]tftypes.Value{"status": str("running"), "name": str("monitoring-*")}, []int{123, 126}},
		{"templates only", map[string]tftypes.Value{"template": boolean(true)}, []int{9000}},
		{"duplicates on one name", map[string]tftypes.Value{"duplicates_only": boolean(true), "name": str("*grafana")}, incidentGrafana},
		{"duplicates that are running", map[string]tftypes.Value{"duplicates_only": boolean(true), "status": str("running")}, []int{123, 126}},
		{"duplicates on another node", map[string]tftypes.Value{"duplicates_only": boolean(true), "node": str("pve2")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub := *p
			sub.t = t
			got := resultVMIDs(&sub, sub.listVMs(tc.cfg, false, 0))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("VMIDs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVMListResource_limitStopsTheStream(t *testing.T) {
	p, sim := incidentProvider(t)
	sim.ResetRequestCounts()
	got := resultVMIDs(p, p.listVMs(map[string]tftypes.Value{"duplicates_only": tftypes.NewValue(tftypes.Bool, true)}, false, 3))
	if fmt.Sprint(got) != fmt.Sprint(incidentDuplicates[:3]) {
		t.Fatalf("VMIDs = %v, want the first three duplicates %v", got, incidentDuplicates[:3])
	}
	if n := sim.RequestCounts()["GET /nodes/{node}/qemu/{vmid}/config"]; n != 3 {
		t.Errorf("config read %d times, want 3: VMs past the limit are not read", n)
	}
}

func TestVMListResource_invalidNamePattern(t *testing.T) {
	p, _ := incidentProvider(t)
	s := p.schema.ListResourceSchemas[vmType]
	dv := dynamicValue(t, s.ValueType(), map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "monitoring-[")})
	resp, err := p.server.(tfprotov6.ListResourceServer).ValidateListResourceConfig(p.ctx, &tfprotov6.ValidateListResourceConfigRequest{
		TypeName: vmType, Config: &dv,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hasErrors(resp.Diagnostics) || !strings.Contains(describeDiags(resp.Diagnostics), "not a valid glob pattern") {
		t.Fatalf("want an invalid pattern error, got:\n%s", describeDiags(resp.Diagnostics))
	}
}

// The resource object of each result is what import by identity and the
// following refresh store, and its generated configuration plans no change.
func TestVMListResource_generatedResourcePlansNoChangesAfterImport(t *testing.T) {
	p, _ := incidentProvider(t)
	results := p.listVMs(map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "monitoring-grafana")}, true, 0)
	if got := fmt.Sprint(resultVMIDs(p, results)); got != fmt.Sprint(incidentGrafana) {
		t.Fatalf("VMIDs = %s, want %v", got, incidentGrafana)
	}
	typ := p.resourceType()
	for _, r := range results {
		object := unmarshal(t, r.Resource, typ)
		attrs := tfObject(t, object)
		vmid, uuid := p.identityOf(r.Identity)
		if got := tfString(t, attrs["on_existing"]); got != "adopt" {
			t.Errorf("VM %d: on_existing = %q, want adopt", vmid, got)
		}
		if !attrs["clone"].IsNull() {
			t.Errorf("VM %d: clone is set in the resource object", vmid)
		}
		if tfInt(t, attrs["vmid"]) != vmid || tfString(t, attrs["uuid"]) != uuid {
			t.Errorf("VM %d: resource object and identity disagree", vmid)
		}

		imported, diags := p.importVM("", p.identityValue(vmid, uuid))
		requireNoErrors(t, fmt.Sprintf("import VM %d by identity", vmid), diags)
		read := p.readVM(imported.State, imported.Identity, imported.Private)
		requireNoErrors(t, fmt.Sprintf("read VM %d after import", vmid), read.Diagnostics)
		state := unmarshal(t, read.NewState, typ)
		if !state.Equal(object) {
			t.Errorf("VM %d: the state after import differs from the listed resource object in: %s", vmid, differingAttrs(t, state, object))
			continue
		}
		if gotID, gotUUID := p.identityOf(read.NewIdentity); gotID != vmid || gotUUID != uuid {
			t.Errorf("VM %d: identity after import is {%d, %q}, want {%d, %q}", vmid, gotID, gotUUID, vmid, uuid)
		}

		plan := p.planVM(state, generatedConfig(t, typ, object), read.NewIdentity)
		requireNoErrors(t, fmt.Sprintf("plan VM %d", vmid), plan.Diagnostics)
		if planned := unmarshal(t, plan.PlannedState, typ); !planned.Equal(state) {
			t.Errorf("VM %d: the generated configuration plans a change in: %s", vmid, differingAttrs(t, planned, state))
		}
		if len(plan.RequiresReplace) > 0 {
			t.Errorf("VM %d: the generated configuration plans a replacement: %v", vmid, plan.RequiresReplace)
		}
	}
}

// versionGate skips a test on a Terraform CLI older than a feature, saying
// which feature and which protocol-level tests cover it there.
type versionGate struct {
	check tfversion.TerraformVersionCheck
	why   string
}

func (g versionGate) CheckTerraformVersion(ctx context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	g.check.CheckTerraformVersion(ctx, req, resp)
	if resp.Skip != "" {
		resp.Skip += ": " + g.why
	}
}

var needsTerraformQuery = versionGate{
	check: tfversion.SkipBelow(tfversion.Version1_14_0),
	why: "terraform query (list resources) needs Terraform 1.14 or newer; set TF_ACC_TERRAFORM_PATH to one to run " +
		"this test. TestVMListResource_* cover the list resource through the provider protocol on any version",
}

// terraform query against the incident: the 11 duplicates, each with its
// identity and display name, and the resource object generated config uses.
func TestAccVMListResource_queryFindsTheIncidentDuplicates(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario and request fault injection")
	vm121, _ := sim.VM(121)

	checks := []querycheck.QueryResultCheck{
		querycheck.ExpectLength("proxmoxsafe_vm.duplicates", len(incidentDuplicates)),
		querycheck.ExpectLength("proxmoxsafe_vm.grafana", len(incidentGrafana)),
		querycheck.ExpectIdentity("proxmoxsafe_vm.duplicates", map[string]knownvalue.Check{
			"vmid": knownvalue.Int64Exact(121), "uuid": knownvalue.StringExact(vm121.UUID),
		}),
		querycheck.ExpectResourceDisplayName("proxmoxsafe_vm.duplicates",
			queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
				"vmid": knownvalue.Int64Exact(121), "uuid": knownvalue.StringExact(vm121.UUID),
			}),
			knownvalue.StringExact("monitoring-prometheus (121 on pve)")),
	}
	for _, id := range incidentGrafana {
		vm, _ := sim.VM(id)
		checks = append(checks, querycheck.ExpectResourceKnownValues("proxmoxsafe_vm.grafana",
			queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
				"vmid": knownvalue.Int64Exact(int64(id)), "uuid": knownvalue.StringExact(vm.UUID),
			}),
			[]querycheck.KnownValueCheck{
				{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("monitoring-grafana")},
				{Path: tfjsonpath.New("node"), KnownValue: knownvalue.StringExact("pve")},
				{Path: tfjsonpath.New("on_existing"), KnownValue: knownvalue.StringExact("adopt")},
				{Path: tfjsonpath.New("clone"), KnownValue: knownvalue.Null()},
				{Path: tfjsonpath.New("started"), KnownValue: knownvalue.Bool(vm.Status == "running")},
			}))
	}

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{needsTerraformQuery},
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// The list blocks use the provider configured here.
			{Config: lab.Config("")},
			{
				Query: true,
				Config: `
list "proxmoxsafe_vm" "duplicates" {
  provider = proxmoxsafe
  config {
    duplicates_only = true
  }
}

list "proxmoxsafe_vm" "grafana" {
  provider         = proxmoxsafe
  include_resource = true
  config {
    name = "monitoring-grafana"
  }
}
`,
				QueryResultChecks: checks,
			},
		},
	})
}

// A VM deleted between the inventory read and its config read is left out,
// and does not count against the limit.
func TestVMListResource_skipsAVMDeletedMeanwhile(t *testing.T) {
	p, sim := incidentProvider(t)
	// What PVE answers for the config of a VM that no longer exists
	// (pve-guest-common src/PVE/AbstractConfig.pm, load_config).
	sim.InjectFault(pvesim.Fault{
		Method: "GET", Path: "/nodes/pve/qemu/110/config", Status: 500,
		Message: "Configuration file 'nodes/pve/qemu-server/110.conf' does not exist",
	})
	got := resultVMIDs(p, p.listVMs(map[string]tftypes.Value{"duplicates_only": tftypes.NewValue(tftypes.Bool, true)}, false, 3))
	if want := []int{108, 111, 112}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("VMIDs = %v, want %v", got, want)
	}
}
