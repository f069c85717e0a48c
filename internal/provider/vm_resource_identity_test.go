package provider_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestVMResourceIdentitySchema(t *testing.T) {
	p, _ := incidentProvider(t)
	s := p.identitySchema()
	got := map[string]string{}
	for _, a := range s.IdentityAttributes {
		kind := "neither"
		switch {
		case a.RequiredForImport:
			kind = "required"
		case a.OptionalForImport:
			kind = "optional"
		}
		got[a.Name] = a.Type.String() + " " + kind
	}
	want := map[string]string{"vmid": "tftypes.Number required", "uuid": "tftypes.String optional"}
	if len(got) != len(want) || got["vmid"] != want["vmid"] || got["uuid"] != want["uuid"] {
		t.Fatalf("identity attributes = %v, want %v (node and name are not identity)", got, want)
	}
}

func TestVMResourceImportByIdentity_vmidOnlyFillsUUIDAndAdopts(t *testing.T) {
	p, sim := incidentProvider(t)
	vm, _ := sim.VM(121)

	imported, diags := p.importVM("", p.identityValue(121, ""))
	requireNoErrors(t, "import by identity", diags)
	if vmid, uuid := p.identityOf(imported.Identity); vmid != 121 || uuid != vm.UUID {
		t.Errorf("identity after import = {%d, %q}, want {121, %q}", vmid, uuid, vm.UUID)
	}
	read := p.readVM(imported.State, imported.Identity, imported.Private)
	requireNoErrors(t, "read after import", read.Diagnostics)
	state := tfObject(t, unmarshal(t, read.NewState, p.resourceType()))
	if got := tfString(t, state["name"]); got != "monitoring-prometheus" {
		t.Errorf("name = %q, want monitoring-prometheus", got)
	}
	if got := tfString(t, state["on_existing"]); got != "adopt" {
		t.Errorf("on_existing = %q, want adopt: an import by identity records what generated configuration says", got)
	}
	if vmid, uuid := p.identityOf(read.NewIdentity); vmid != 121 || uuid != vm.UUID {
		t.Errorf("identity after read = {%d, %q}, want {121, %q}", vmid, uuid, vm.UUID)
	}
}

// An import by string ID keeps working and records the identity too.
func TestVMResourceImportByID_setsIdentity(t *testing.T) {
	p, sim := incidentProvider(t)
	vm, _ := sim.VM(101)
	for _, id := range []string{"gitlab", "101", "pve/101"} {
		imported, diags := p.importVM(id, nil)
		requireNoErrors(t, "import "+id, diags)
		if vmid, uuid := p.identityOf(imported.Identity); vmid != 101 || uuid != vm.UUID {
			t.Errorf("import %q: identity = {%d, %q}, want {101, %q}", id, vmid, uuid, vm.UUID)
		}
		read := p.readVM(imported.State, imported.Identity, imported.Private)
		requireNoErrors(t, "read after import "+id, read.Diagnostics)
		if got := tfString(t, tfObject(t, unmarshal(t, read.NewState, p.resourceType()))["on_existing"]); got != "fail" {
			t.Errorf("import %q: on_existing = %q, want the provider's default fail", id, got)
		}
	}
}

// A VMID freed and given to a new VM is not the VM an identity names.
func TestVMResourceImportByIdentity_refusesARecycledVMID(t *testing.T) {
	p, sim := incidentProvider(t)
	old, _ := sim.VM(121)
	if !sim.RemoveVM(121) {
		t.Fatal("VM 121 not in the incident scenario")
	}
	if err := sim.AddVM(pvesim.VM{VMID: 121, Node: "pve", Name: "monitoring-prometheus"}); err != nil {
		t.Fatal(err)
	}
	recycled, _ := sim.VM(121)
	if recycled.UUID == old.UUID {
		t.Fatal("the simulator gave the new VM the old SMBIOS UUID")
	}

	imported, diags := p.importVM("", p.identityValue(121, old.UUID))
	if imported != nil {
		t.Fatal("imported a VM whose SMBIOS UUID is not the identity's")
	}
	text := describeDiags(diags)
	for _, want := range []string{"The VMID belongs to a different VM", old.UUID, recycled.UUID, "VMID 121 on node pve", `"pve/121"`} {
		if !strings.Contains(text, want) {
			t.Errorf("error does not mention %q:\n%s", want, text)
		}
	}

	// Case does not make a UUID different.
	_, diags = p.importVM("", p.identityValue(121, strings.ToUpper(recycled.UUID)))
	requireNoErrors(t, "import with the current uuid in upper case", diags)
}

func TestVMResourceImportByIdentity_refusals(t *testing.T) {
	p, sim := incidentProvider(t)
	tmpl, _ := sim.VM(9000)
	cases := []struct {
		name     string
		identity *tfprotov6.ResourceIdentityData
		want     string
	}{
		{"no such VMID", p.identityValue(4242, ""), "There is no VM with VMID 4242"},
		{"a template", p.identityValue(9000, tmpl.UUID), "is a template"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			imported, diags := p.importVM("", tc.identity)
			if imported != nil || !strings.Contains(describeDiags(diags), tc.want) {
				t.Fatalf("want an error containing %q, got:\n%s", tc.want, describeDiags(diags))
			}
		})
	}
}

// State written before the resource had an identity: a refresh that finds
// the VM gone removes it with a warning, not with a framework error about a
// missing identity.
func TestVMResourceRead_goneWithoutPriorIdentity(t *testing.T) {
	p, sim := incidentProvider(t)
	imported, diags := p.importVM("pve/101", nil)
	requireNoErrors(t, "import", diags)
	read := p.readVM(imported.State, imported.Identity, imported.Private)
	requireNoErrors(t, "read after import", read.Diagnostics)
	sim.RemoveVM(101)

	gone := p.readVM(read.NewState, nil, read.Private)
	requireNoErrors(t, "read of a deleted VM", gone.Diagnostics)
	if state := unmarshal(t, gone.NewState, p.resourceType()); !state.IsNull() {
		t.Errorf("the deleted VM is still in state")
	}
	if w := warnings(gone.Diagnostics); len(w) != 1 || !strings.Contains(w[0], "deleted outside Terraform") {
		t.Errorf("warnings = %q, want one saying the VM was deleted", w)
	}
}

// An identity recorded without a UUID stays as it is when the VM gains one:
// Terraform rejects an identity that changes on refresh.
func TestVMResourceRead_keepsTheRecordedIdentity(t *testing.T) {
	p, _ := incidentProvider(t)
	imported, diags := p.importVM("pve/101", nil)
	requireNoErrors(t, "import", diags)
	read := p.readVM(imported.State, p.identityValue(101, ""), imported.Private)
	requireNoErrors(t, "read after import", read.Diagnostics)
	// The prior identity {101, null} is a refresh's current identity now.
	again := p.readVM(read.NewState, p.identityValue(101, ""), nil)
	requireNoErrors(t, "refresh", again.Diagnostics)
	if vmid, uuid := p.identityOf(again.NewIdentity); vmid != 101 || uuid != "" {
		t.Errorf("identity = {%d, %q}, want {101, null} as recorded", vmid, uuid)
	}
}

var needsResourceIdentity = versionGate{
	check: tfversion.SkipBelow(tfversion.Version1_12_0),
	why: "resource identity needs Terraform 1.12 or newer; set TF_ACC_TERRAFORM_PATH to one to run this test. " +
		"TestVMResourceImportByIdentity_* and TestVMResourceIdentitySchema cover it through the provider protocol on any version",
}

// A VM created by Terraform carries its identity in state, and an import
// block with that identity (hand-written or with generated configuration)
// plans no change.
func TestAccVMResource_importByIdentity(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("identity-vm")
	config := lab.Config(vmHCL(name, lab.Node, `started = false`))
	uuidOfCreatedVM := func(value string) error {
		vms := lab.VMsNamed(name)
		if len(vms) != 1 || value != vms[0].UUID {
			return fmt.Errorf("identity uuid %v is not the SMBIOS UUID of the VM created (%+v)", value, vms)
		}
		return nil
	}

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{needsResourceIdentity},
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(vmAddr, map[string]knownvalue.Check{
						"vmid": knownvalue.NotNull(),
						"uuid": knownvalue.StringFunc(uuidOfCreatedVM),
					}),
				},
			},
			{
				ResourceName:    vmAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				ResourceName:    vmAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				GenerateConfig:  true,
			},
		},
	})
}
