package provider

// This file lets a `moved` block carry a VM over from the providers people
// migrate from: proxmox_virtual_environment_vm (bpg/proxmox) and
// proxmox_vm_qemu (Telmate/proxmox). Terraform hands us their raw state
// (refactoring/cross_provider_move.go, applyCrossTypeMove); we map what
// identifies and describes the VM, and the refresh that follows reads the
// rest from Proxmox VE.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// movedSource is a resource type of another provider that can be moved to
// proxmoxsafe_vm.
type movedSource struct {
	// provider is the source provider's NAMESPACE/TYPE on any registry host;
	// Terraform lowercases the namespace in the address it sends.
	provider string
	label    string // the provider as its users spell it
	typeName string
	// importID is that provider's import ID of a VM.
	importID func(node string, vmid int) string
	mapState func(raw []byte) (movedVM, []string)
}

var (
	bpgVMSource = movedSource{
		provider: "bpg/proxmox",
		label:    "bpg/proxmox",
		typeName: "proxmox_virtual_environment_vm",
		// docs/resources/virtual_environment_vm.md, "Import": node_name/vm_id.
		importID: func(node string, vmid int) string { return fmt.Sprintf("%s/%d", node, vmid) },
		mapState: mapBPGState,
	}
	telmateVMSource = movedSource{
		provider: "telmate/proxmox",
		label:    "Telmate/proxmox",
		typeName: "proxmox_vm_qemu",
		// docs/resources/vm_qemu.md, "Import": <node>/<type>/<vmId>, type qemu.
		importID: func(node string, vmid int) string { return fmt.Sprintf("%s/qemu/%d", node, vmid) },
		mapState: mapTelmateState,
	}
	movedSources = []movedSource{bpgVMSource, telmateVMSource}
)

// matches reports whether a move request comes from this source.
func (s movedSource) matches(providerAddress, typeName string) bool {
	addr := strings.ToLower(providerAddress)
	return typeName == s.typeName && (addr == s.provider || strings.HasSuffix(addr, "/"+s.provider))
}

// MoveState accepts proxmox_virtual_environment_vm and proxmox_vm_qemu.
func (r *vmResource) MoveState(context.Context) []resource.StateMover {
	movers := make([]resource.StateMover, 0, len(movedSources))
	for _, source := range movedSources {
		movers = append(movers, resource.StateMover{StateMover: source.move})
	}
	return movers
}

func (s movedSource) move(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if !s.matches(req.SourceProviderAddress, req.SourceTypeName) {
		return // another mover's source
	}
	if req.SourceRawState == nil || len(req.SourceRawState.JSON) == 0 {
		resp.Diagnostics.AddError("Cannot move "+s.typeName, "The prior state has no attributes to move. "+importByNameAdvice(s, movedVM{}))
		return
	}
	vm, problems := s.mapState(req.SourceRawState.JSON)
	if len(problems) > 0 {
		resp.Diagnostics.AddError("Cannot move "+s.typeName+" to proxmoxsafe_vm",
			fmt.Sprintf("The %s state of %s cannot be expressed as proxmoxsafe_vm state:\n  - %s\n\n%s",
				s.typeName, vm.describe(), strings.Join(problems, "\n  - "), importByNameAdvice(s, vm)))
		return
	}
	model := vm.model(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	s.firmware(req.SourceRawState.JSON).apply(&model)
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &model)...)
}

// importByNameAdvice is the way round a state that cannot be moved.
func importByNameAdvice(s movedSource, vm movedVM) string {
	name := vm.Name
	if name == "" {
		name = "<VM name>"
	}
	return fmt.Sprintf("Nothing was changed. Instead of the moved block, take the VM over by importing it: replace "+
		"the moved block with\n\n"+
		"  removed {\n    from = <old %s address>\n    lifecycle {\n      destroy = false\n    }\n  }\n\n"+
		"  import {\n    to = <proxmoxsafe_vm address>\n    id = %q\n  }\n\n"+
		"and run terraform plan: the old resource leaves the state without touching the VM, and proxmoxsafe_vm "+
		"imports it by name.", s.typeName, name)
}

// movedVM is what the old providers' states say about a VM, in our terms.
type movedVM struct {
	VMID        int64
	Node, Name  string
	Description *string
	Tags        []string // nil: not recorded
	Cores       int64
	Sockets     int64
	CPUType     string
	MemoryMB    int64
	Disks       map[string]movedDisk
	Networks    map[string]movedNetwork
	Started     bool
	OnBoot      bool
	Protection  bool
	UUID        string
}

type movedDisk struct {
	Storage string
	SizeGB  int64
	Volume  string
}

type movedNetwork struct {
	Bridge, Model, MAC string
	VLAN               int64
	Firewall           bool
}

func (vm movedVM) describe() string {
	if vm.VMID == 0 && vm.Name == "" {
		return "the VM"
	}
	return fmt.Sprintf("VM %d on node %s, name %q", vm.VMID, orUnknown(vm.Node), vm.Name)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// identityProblems lists what every source must provide.
func (vm movedVM) identityProblems(vmidKey, nodeKey string) []string {
	var problems []string
	if vm.VMID < 100 {
		problems = append(problems, vmidKey+" is missing or not a VMID")
	}
	if vm.Node == "" {
		problems = append(problems, nodeKey+" is missing")
	}
	switch {
	case vm.Name == "":
		problems = append(problems, "name is empty: proxmoxsafe_vm manages VMs by their unique name; give the VM a name first")
	case !dnsNameRegexp.MatchString(vm.Name) || len(vm.Name) > 128:
		problems = append(problems, fmt.Sprintf("name %q is not a valid DNS name as proxmoxsafe_vm requires", vm.Name))
	}
	return problems
}

// model is the proxmoxsafe_vm state for vm. Terraform-only settings
// (on_existing, clone, timeouts) start empty, as after an import.
func (vm movedVM) model(ctx context.Context, diags *diag.Diagnostics) vmResourceModel {
	m := vmResourceModel{
		ID:          types.StringValue(fmt.Sprint(vm.VMID)),
		Name:        types.StringValue(vm.Name),
		Node:        types.StringValue(vm.Node),
		VMID:        types.Int64Value(vm.VMID),
		OnExisting:  types.StringNull(),
		Description: types.StringNull(),
		Memory:      types.Int64Value(vm.MemoryMB),
		Clone:       types.ObjectNull(cloneAttrTypes),
		CloudInit:   types.ObjectNull(cloudInitAttrTypes),
		Started:     types.BoolValue(vm.Started),
		OnBoot:      types.BoolValue(vm.OnBoot),
		Protection:  types.BoolValue(vm.Protection),
		Status:      types.StringValue("stopped"),
		CreatedAt:   types.StringNull(),
		UUID:        stringOrNull(vm.UUID),
	}
	m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "update": types.StringType, "delete": types.StringType,
	})}
	m.withoutGuestData()
	if vm.Started {
		m.Status = types.StringValue("running")
	}
	if vm.Description != nil {
		m.Description = types.StringValue(*vm.Description)
	}
	tags, d := types.SetValueFrom(ctx, types.StringType, nonNil(vm.Tags))
	diags.Append(d...)
	m.Tags = tags
	cpuType := vm.CPUType
	if cpuType == "" {
		cpuType = pveDefaultCPUType
	}
	m.CPU = types.ObjectValueMust(cpuAttrTypes, map[string]attr.Value{
		"cores":   types.Int64Value(atLeastOne(vm.Cores)),
		"sockets": types.Int64Value(atLeastOne(vm.Sockets)),
		"type":    types.StringValue(cpuType),
		"numa":    types.BoolNull(), // read from the VM at the next refresh
	})
	m.hardwareModel = unreadHardware()
	disks := map[string]attr.Value{}
	for iface, disk := range vm.Disks {
		// The options are read from the VM at the next refresh.
		disks[iface] = types.ObjectValueMust(diskAttrTypes, diskOptionValues(pve.DiskOptions{}, map[string]attr.Value{
			"storage": types.StringValue(disk.Storage),
			"size":    types.Int64Value(disk.SizeGB),
			"volume":  stringOrNull(disk.Volume),
		}))
	}
	m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, disks)
	nets := map[string]attr.Value{}
	for iface, n := range vm.Networks {
		vlan := types.Int64Null()
		if n.VLAN > 0 {
			vlan = types.Int64Value(n.VLAN)
		}
		nets[iface] = types.ObjectValueMust(networkAttrTypes, networkLimitValues(pve.Network{}, map[string]attr.Value{
			"model":    types.StringValue(n.Model),
			"bridge":   types.StringValue(n.Bridge),
			"vlan":     vlan,
			"firewall": types.BoolValue(n.Firewall),
			"mac":      stringOrNull(strings.ToUpper(n.MAC)),
		}))
	}
	m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, nets)
	// Read from the VM at the next refresh.
	m.CDROM = types.MapNull(types.ObjectType{AttrTypes: cdromAttrTypes})
	m.Pool = types.StringNull()
	m.CloudInit = types.ObjectNull(cloudInitAttrTypes)
	return m
}
