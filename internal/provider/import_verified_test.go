package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// importVerified is a proxmoxsafe_vm import step with ImportStateVerify, without the five
// terraform commands such a step costs (a new working directory's version,
// init and import, and two `terraform show`): it imports id through the
// provider server, reads the result as Terraform does after an import
// (ImportResourceState, then ReadResource), and compares it with the
// resource at addr in the state the step's apply wrote. Run it in
// stateAfterApply.
//
// The comparison is ImportStateVerify's (terraform-plugin-testing
// helper/resource/testing_new_import_state.go testImportCommand): flattened
// attributes, an empty list, set or map equal to none, timeouts and the
// ignored prefixes left out.
//
// Terraform itself imports proxmoxsafe_vm by name, node/VMID and VMID in
// TestAccVMResource_lifecycle and by identity in
// TestAccVMResource_importByIdentity.
func importVerified(t *testing.T, lab *acctest.Lab, addr, id string, ignore ...string) statecheck.StateCheck {
	return importCheck{t: t, lab: lab, addr: addr, id: id, ignore: ignore}
}

type importCheck struct {
	t      *testing.T
	lab    *acctest.Lab
	addr   string
	id     string
	ignore []string
}

var _ statecheck.StateCheck = importCheck{}

func (c importCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	applied, err := resourceInState(req.State, c.addr)
	if err != nil {
		resp.Error = err
		return
	}
	imported, err := configureDirect(c.t, c.lab, "").importAndRead(c.id)
	if err != nil {
		resp.Error = fmt.Errorf("import %s %q: %w", c.addr, c.id, err)
		return
	}
	raw, err := json.Marshal(applied.AttributeValues)
	if err != nil {
		resp.Error = err
		return
	}
	// The state's JSON decodes as Terraform's state files do.
	appliedValue, err := (&tfprotov6.RawState{JSON: raw}).Unmarshal(imported.Type())
	if err != nil {
		resp.Error = fmt.Errorf("%s in the state: %w", c.addr, err)
		return
	}
	want, got := map[string]string{}, map[string]string{}
	flatten("", appliedValue, want)
	flatten("", imported, got)
	for _, attrs := range []map[string]string{want, got} {
		maps.DeleteFunc(attrs, func(key, _ string) bool {
			return key == "timeouts" || strings.HasPrefix(key, "timeouts.") ||
				slices.ContainsFunc(c.ignore, func(prefix string) bool { return strings.HasPrefix(key, prefix) })
		})
	}
	var diffs []string
	keys := maps.Clone(want)
	maps.Copy(keys, got)
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		w, inWant := want[key]
		g, inGot := got[key]
		if inWant != inGot || w != g {
			diffs = append(diffs, fmt.Sprintf("  %s: applied %s, imported %s", key, shown(w, inWant), shown(g, inGot)))
		}
	}
	if len(diffs) > 0 {
		resp.Error = fmt.Errorf("import %s %q: the imported state differs from the applied one:\n%s", c.addr, c.id, strings.Join(diffs, "\n"))
	}
}

func shown(v string, present bool) string {
	if !present {
		return "(none)"
	}
	return strconv.Quote(v)
}

// resourceInState finds the managed resource at addr in the root module.
func resourceInState(state *tfjson.State, addr string) (*tfjson.StateResource, error) {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil, errors.New("no state")
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == addr && r.Mode == tfjson.ManagedResourceMode {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%s is not in the state", addr)
}

// importAndRead imports id as `terraform import` does (ImportResourceState,
// then ReadResource) and returns the state Terraform would store.
func (p *directProvider) importAndRead(id string) (tftypes.Value, error) {
	p.t.Helper()
	imported, diags := p.importVM(id, nil)
	if imported == nil {
		return tftypes.Value{}, errors.New(describeDiags(diags))
	}
	read := p.readVM(imported.State, imported.Identity, imported.Private)
	if hasErrors(read.Diagnostics) {
		return tftypes.Value{}, errors.New(describeDiags(read.Diagnostics))
	}
	if read.NewState == nil {
		return tftypes.Value{}, errors.New("the read after the import found nothing")
	}
	return read.NewState.Unmarshal(p.resourceType())
}

// flatten writes v's leaves into out as flatmap keys (a.b.0.c), the form
// ImportStateVerify compares. Nulls and empty collections write nothing, as
// ImportStateVerify skips "#" and "%" counts of 0. A set's elements are
// sorted, so two equal sets flatten alike; a list keeps its order.
func flatten(prefix string, v tftypes.Value, out map[string]string) {
	if v.IsNull() || !v.IsKnown() {
		return
	}
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch typ := v.Type(); {
	case typ.Is(tftypes.String):
		var s string
		_ = v.As(&s)
		out[prefix] = s
	case typ.Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		out[prefix] = strconv.FormatBool(b)
	case typ.Is(tftypes.Number):
		f := new(big.Float)
		_ = v.As(&f)
		out[prefix] = f.Text('f', -1)
	case typ.Is(tftypes.Object{}), typ.Is(tftypes.Map{}):
		var attrs map[string]tftypes.Value
		_ = v.As(&attrs)
		for k, a := range attrs {
			flatten(key(k), a, out)
		}
	default: // list, set, tuple
		var elems []tftypes.Value
		_ = v.As(&elems)
		if typ.Is(tftypes.Set{}) {
			slices.SortFunc(elems, func(a, b tftypes.Value) int { return strings.Compare(a.String(), b.String()) })
		}
		for i, e := range elems {
			flatten(key(strconv.Itoa(i)), e, out)
		}
	}
}

// flatten is ImportStateVerify's view: what it sees as equal must flatten
// alike, and what it tells apart must not.
func TestFlatten(t *testing.T) {
	t.Parallel()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"tags":  tftypes.Set{ElementType: tftypes.String},
		"boot":  tftypes.List{ElementType: tftypes.String},
		"disks": tftypes.Map{ElementType: tftypes.Object{AttributeTypes: map[string]tftypes.Type{"size": tftypes.Number}}},
		"on":    tftypes.Bool,
	}}
	value := func(js string) map[string]string {
		t.Helper()
		v, err := (&tfprotov6.RawState{JSON: []byte(js)}).Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		flatten("", v, out)
		return out
	}
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		{`{"tags": ["b", "a"]}`, `{"tags": ["a", "b"]}`, true},
		{`{"boot": ["scsi0", "net0"]}`, `{"boot": ["net0", "scsi0"]}`, false},
		{`{"tags": [], "disks": {}}`, `{}`, true},
		{`{"disks": {"scsi0": {"size": 8}}}`, `{"disks": {"scsi0": {"size": 8.0}}}`, true},
		{`{"disks": {"scsi0": {"size": 8}}}`, `{"disks": {"scsi0": {"size": 9}}}`, false},
		{`{"disks": {"scsi0": {"size": 1000000}}}`, `{"disks": {"scsi0": {"size": 1e6}}}`, true},
		{`{"on": false}`, `{}`, false},
	} {
		if got := maps.Equal(value(tc.a), value(tc.b)); got != tc.equal {
			t.Errorf("%s and %s flatten equal: %v, want %v (%v, %v)", tc.a, tc.b, got, tc.equal, value(tc.a), value(tc.b))
		}
	}
	if got, want := value(`{"disks": {"scsi0": {"size": 1000000}}, "boot": ["net0"]}`), map[string]string{"disks.scsi0.size": "1000000", "boot.0": "net0"}; !maps.Equal(got, want) {
		t.Errorf("flatten = %v, want %v", got, want)
	}
}
