package provider_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Protocol-level helpers for proxmoxsafe_vm's identity and list resource:
// they speak to the provider server as Terraform 1.12+ (identity) and 1.14+
// (terraform query) do, so these features are tested with a Terraform CLI
// that predates them.

const vmType = "proxmoxsafe_vm"

// listVMs runs the proxmoxsafe_vm list resource with the given config block
// attributes and collects every streamed result.
func (p *directProvider) listVMs(cfg map[string]tftypes.Value, includeResource bool, limit int64) []tfprotov6.ListResourceResult {
	p.t.Helper()
	s, ok := p.schema.ListResourceSchemas[vmType]
	if !ok {
		p.t.Fatalf("no list resource %s", vmType)
	}
	dv := dynamicValue(p.t, s.ValueType(), cfg)
	server, ok := p.server.(tfprotov6.ListResourceServer)
	if !ok {
		p.t.Fatal("the provider server does not serve list resources")
	}
	stream, err := server.ListResource(p.ctx, &tfprotov6.ListResourceRequest{
		TypeName: vmType, Config: &dv, IncludeResource: includeResource, Limit: limit,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return slices.Collect(stream.Results)
}

func (p *directProvider) identitySchema() *tfprotov6.ResourceIdentitySchema {
	p.t.Helper()
	resp, err := p.server.GetResourceIdentitySchemas(p.ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		p.t.Fatal(err)
	}
	requireNoErrors(p.t, "GetResourceIdentitySchemas", resp.Diagnostics)
	s, ok := resp.IdentitySchemas[vmType]
	if !ok {
		p.t.Fatalf("no identity schema for %s", vmType)
	}
	return s
}

func (p *directProvider) resourceType() tftypes.Type {
	return p.schema.ResourceSchemas[vmType].ValueType()
}

// identityValue builds proxmoxsafe_vm identity data; uuid "" is null.
func (p *directProvider) identityValue(vmid int64, uuid string) *tfprotov6.ResourceIdentityData {
	p.t.Helper()
	u := tftypes.NewValue(tftypes.String, nil)
	if uuid != "" {
		u = tftypes.NewValue(tftypes.String, uuid)
	}
	typ := p.identitySchema().ValueType()
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{
		"vmid": tftypes.NewValue(tftypes.Number, vmid), "uuid": u,
	}))
	if err != nil {
		p.t.Fatal(err)
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: &dv}
}

// importVM imports by ID (id != "") or by identity; it returns the one
// imported resource, or nil with the diagnostics.
func (p *directProvider) importVM(id string, identity *tfprotov6.ResourceIdentityData) (*tfprotov6.ImportedResource, []*tfprotov6.Diagnostic) {
	p.t.Helper()
	resp, err := p.server.ImportResourceState(p.ctx, &tfprotov6.ImportResourceStateRequest{
		TypeName: vmType, ID: id, Identity: identity,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if hasErrors(resp.Diagnostics) {
		return nil, resp.Diagnostics
	}
	if len(resp.ImportedResources) != 1 {
		p.t.Fatalf("imported %d resources, want 1", len(resp.ImportedResources))
	}
	return resp.ImportedResources[0], resp.Diagnostics
}

// readVM refreshes a state as Terraform does after an import or in a plan.
func (p *directProvider) readVM(state *tfprotov6.DynamicValue, identity *tfprotov6.ResourceIdentityData, private []byte) *tfprotov6.ReadResourceResponse {
	p.t.Helper()
	resp, err := p.server.ReadResource(p.ctx, &tfprotov6.ReadResourceRequest{
		TypeName: vmType, CurrentState: state, CurrentIdentity: identity, Private: private,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

// planVM plans config against prior as Terraform does: the proposed new
// state is the configuration, with prior values where the configuration
// leaves a computed attribute null.
func (p *directProvider) planVM(prior, config tftypes.Value, identity *tfprotov6.ResourceIdentityData) *tfprotov6.PlanResourceChangeResponse {
	p.t.Helper()
	typ := p.resourceType()
	proposed := tfObject(p.t, config)
	priorAttrs := tfObject(p.t, prior)
	for name, v := range proposed {
		if v.IsNull() {
			proposed[name] = priorAttrs[name]
		}
	}
	// Nested computed attributes (a disk's volume) come from prior, too.
	proposed["disks"] = priorAttrs["disks"]
	dvPrior, err := tfprotov6.NewDynamicValue(typ, prior)
	if err != nil {
		p.t.Fatal(err)
	}
	dvConfig, err := tfprotov6.NewDynamicValue(typ, config)
	if err != nil {
		p.t.Fatal(err)
	}
	dvProposed, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, proposed))
	if err != nil {
		p.t.Fatal(err)
	}
	resp, err := p.server.PlanResourceChange(p.ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: vmType, PriorState: &dvPrior, ProposedNewState: &dvProposed, Config: &dvConfig, PriorIdentity: identity,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

// generatedConfig is what `terraform query -generate-config-out` writes for
// a resource object: every attribute but the computed-only ones.
func generatedConfig(t *testing.T, typ tftypes.Type, object tftypes.Value) tftypes.Value {
	t.Helper()
	attrs := maps.Clone(tfObject(t, object))
	objType := typ.(tftypes.Object)
	for _, computedOnly := range []string{"id", "status", "created_at", "uuid"} {
		attrs[computedOnly] = tftypes.NewValue(objType.AttributeTypes[computedOnly], nil)
	}
	diskType := objType.AttributeTypes["disks"].(tftypes.Map).ElementType.(tftypes.Object)
	disks := map[string]tftypes.Value{}
	for iface, d := range tfMap(t, attrs["disks"]) {
		disk := maps.Clone(tfObject(t, d))
		disk["volume"] = tftypes.NewValue(tftypes.String, nil)
		disks[iface] = tftypes.NewValue(diskType, disk)
	}
	attrs["disks"] = tftypes.NewValue(objType.AttributeTypes["disks"], disks)
	return tftypes.NewValue(typ, attrs)
}

func unmarshal(t *testing.T, dv *tfprotov6.DynamicValue, typ tftypes.Type) tftypes.Value {
	t.Helper()
	if dv == nil {
		t.Fatal("no value")
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tfMap(t *testing.T, v tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	var out map[string]tftypes.Value
	if err := v.As(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// identityOf returns the vmid and uuid ("" when null) of identity data.
func (p *directProvider) identityOf(id *tfprotov6.ResourceIdentityData) (int64, string) {
	p.t.Helper()
	if id == nil {
		p.t.Fatal("no identity")
	}
	attrs := tfObject(p.t, unmarshal(p.t, id.IdentityData, p.identitySchema().ValueType()))
	var uuid string
	if !attrs["uuid"].IsNull() {
		uuid = tfString(p.t, attrs["uuid"])
	}
	return tfInt(p.t, attrs["vmid"]), uuid
}

// differingAttrs names the top-level attributes where a and b differ, with
// both values.
func differingAttrs(t *testing.T, a, b tftypes.Value) string {
	t.Helper()
	am, bm := tfObject(t, a), tfObject(t, b)
	var out []string
	for _, name := range slices.Sorted(maps.Keys(am)) {
		if !am[name].Equal(bm[name]) {
			out = append(out, fmt.Sprintf("%s (%s vs %s)", name, am[name], bm[name]))
		}
	}
	return strings.Join(out, ", ")
}
