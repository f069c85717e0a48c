package provider_test

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/provider"
)

// terraform-plugin-testing does not expose warnings, so these helpers read a
// data source through the provider's protocol server directly: configure
// once, read once, and look at every diagnostic and the exact request count.

type directProvider struct {
	t      *testing.T
	ctx    context.Context
	server tfprotov6.ProviderServer
	schema *tfprotov6.GetProviderSchemaResponse
}

// configureDirect serves a fresh provider instance configured for lab, with
// token instead of the lab's own when token is not empty. Against a real
// cluster with the lab's own credentials it is configured as the lab's
// provider block is: from PROXMOX_VE_* (the block is empty there).
func configureDirect(t *testing.T, lab *acctest.Lab, token string) *directProvider {
	t.Helper()
	if lab.Sim == nil && token == "" {
		return configureDirectWith(t, context.Background(), map[string]tftypes.Value{})
	}
	if token == "" {
		token = lab.Token()
	}
	cfg := map[string]tftypes.Value{
		"endpoint":  tftypes.NewValue(tftypes.String, lab.Endpoint()),
		"api_token": tftypes.NewValue(tftypes.String, token),
	}
	if lab.CACertPEM() != "" {
		cfg["ca_certificate"] = tftypes.NewValue(tftypes.String, lab.CACertPEM())
	}
	return configureDirectWith(t, context.Background(), cfg)
}

// configureDirectWith serves a fresh provider instance configured with cfg;
// every call to it uses ctx (e.g. one that captures logs).
func configureDirectWith(t *testing.T, ctx context.Context, cfg map[string]tftypes.Value) *directProvider {
	t.Helper()
	server, err := providerserver.NewProtocol6WithError(provider.New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoErrors(t, "GetProviderSchema", schema.Diagnostics)
	dv := dynamicValue(t, schema.Provider.ValueType(), cfg)
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.0", Config: &dv})
	if err != nil {
		t.Fatal(err)
	}
	requireNoErrors(t, "ConfigureProvider", resp.Diagnostics)
	return &directProvider{t: t, ctx: ctx, server: server, schema: schema}
}

// read reads a data source with the given configuration attributes (the rest
// null) and returns its state attributes and diagnostics. The state is nil
// when the read failed.
func (p *directProvider) read(typeName string, cfg map[string]tftypes.Value) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	p.t.Helper()
	ds, ok := p.schema.DataSourceSchemas[typeName]
	if !ok {
		p.t.Fatalf("no data source %s", typeName)
	}
	typ := ds.ValueType()
	dv := dynamicValue(p.t, typ, cfg)
	resp, err := p.server.ReadDataSource(p.ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: &dv})
	if err != nil {
		p.t.Fatal(err)
	}
	if resp.State == nil || hasErrors(resp.Diagnostics) {
		return nil, resp.Diagnostics
	}
	val, err := resp.State.Unmarshal(typ)
	if err != nil {
		p.t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := val.As(&attrs); err != nil {
		p.t.Fatal(err)
	}
	return attrs, resp.Diagnostics
}

func dynamicValue(t *testing.T, typ tftypes.Type, attrs map[string]tftypes.Value) tfprotov6.DynamicValue {
	t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("schema type is %T, not an object", typ)
	}
	vals := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
			continue
		}
		vals[name] = tftypes.NewValue(at, nil)
	}
	for name := range attrs {
		if _, ok := obj.AttributeTypes[name]; !ok {
			t.Fatalf("schema has no attribute %q", name)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

func hasErrors(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func requireNoErrors(t *testing.T, what string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	if hasErrors(diags) {
		t.Fatalf("%s failed:\n%s", what, describeDiags(diags))
	}
}

func describeDiags(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Severity.String() + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

// warnings returns the warning diagnostics, summary and detail joined.
func warnings(diags []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			out = append(out, d.Summary+": "+d.Detail)
		}
	}
	return out
}

// Accessors for tftypes values; they fail the test on a type mismatch.

func tfList(t *testing.T, v tftypes.Value) []tftypes.Value {
	t.Helper()
	var out []tftypes.Value
	if err := v.As(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func tfObject(t *testing.T, v tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	var out map[string]tftypes.Value
	if err := v.As(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func tfString(t *testing.T, v tftypes.Value) string {
	t.Helper()
	var s string
	if err := v.As(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func tfInt(t *testing.T, v tftypes.Value) int64 {
	t.Helper()
	var n big.Float
	if err := v.As(&n); err != nil {
		t.Fatal(err)
	}
	i, _ := n.Int64()
	return i
}

func tfStrings(t *testing.T, vals ...string) tftypes.Value {
	t.Helper()
	elems := make([]tftypes.Value, 0, len(vals))
	for _, s := range vals {
		elems = append(elems, tftypes.NewValue(tftypes.String, s))
	}
	return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, elems)
}

// groupSummary is "name:vmid,vmid,...;..." of a groups attribute, member
// order kept.
func groupSummary(t *testing.T, groups tftypes.Value) string {
	t.Helper()
	var parts []string
	for _, g := range tfList(t, groups) {
		obj := tfObject(t, g)
		var ids []string
		for _, m := range tfList(t, obj["members"]) {
			ids = append(ids, big.NewInt(tfInt(t, tfObject(t, m)["vmid"])).String())
		}
		parts = append(parts, tfString(t, obj["name"])+":"+strings.Join(ids, ","))
	}
	return strings.Join(parts, ";")
}
