package provider

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func (m *vmResourceModel) vmid() int { return int(m.VMID.ValueInt64()) }

// describe names the VM of a state in errors: VM 100 ("web").
func (m *vmResourceModel) describe() string {
	return fmt.Sprintf("VM %d (%q)", m.vmid(), m.Name.ValueString())
}

func (m *vmResourceModel) cpu(ctx context.Context, diags *diag.Diagnostics) cpuModel {
	var c cpuModel
	if !m.CPU.IsNull() && !m.CPU.IsUnknown() {
		diags.Append(m.CPU.As(ctx, &c, basetypes.ObjectAsOptions{})...)
	}
	return c
}

func (m *vmResourceModel) clone(ctx context.Context, diags *diag.Diagnostics) *cloneModel {
	if m.Clone.IsNull() || m.Clone.IsUnknown() {
		return nil
	}
	var c cloneModel
	diags.Append(m.Clone.As(ctx, &c, basetypes.ObjectAsOptions{})...)
	return &c
}

func (m *vmResourceModel) disks(ctx context.Context, diags *diag.Diagnostics) map[string]diskModel {
	out := map[string]diskModel{}
	if !m.Disks.IsNull() && !m.Disks.IsUnknown() {
		diags.Append(m.Disks.ElementsAs(ctx, &out, false)...)
	}
	return out
}

func (m *vmResourceModel) networks(ctx context.Context, diags *diag.Diagnostics) map[string]networkModel {
	out := map[string]networkModel{}
	if !m.Networks.IsNull() && !m.Networks.IsUnknown() {
		diags.Append(m.Networks.ElementsAs(ctx, &out, false)...)
	}
	return out
}

func (m *vmResourceModel) tags(ctx context.Context, diags *diag.Diagnostics) []string {
	var tags []string
	if !m.Tags.IsNull() && !m.Tags.IsUnknown() {
		diags.Append(m.Tags.ElementsAs(ctx, &tags, false)...)
	}
	return tags
}

// createSpec is the configuration of a new, empty VM.
func (m *vmResourceModel) createSpec(ctx context.Context, node string, vmid int, diags *diag.Diagnostics) pve.CreateSpec {
	cpu := m.cpu(ctx, diags)
	spec := pve.CreateSpec{
		VMID:        vmid,
		Node:        node,
		Name:        m.Name.ValueString(),
		Description: m.Description.ValueString(),
		Tags:        m.tags(ctx, diags),
		Cores:       cpu.Cores.ValueInt64(),
		Sockets:     cpu.Sockets.ValueInt64(),
		CPUType:     cpu.Type.ValueString(),
		MemoryMB:    m.Memory.ValueInt64(),
		OnBoot:      m.OnBoot.ValueBool(),
		Hardware:    m.hardwareSpec(ctx, diags),
		// Protection is set only after the duplicate check passed, so a VM
		// that lost a race can still be removed.
	}
	disks := m.disks(ctx, diags)
	for _, iface := range sortedKeys(disks) {
		d := disks[iface]
		spec.Disks = append(spec.Disks, pve.Disk{Interface: iface, Storage: d.Storage.ValueString(), SizeGB: d.Size.ValueInt64()}.
			WithOptions(d.want(pve.DiskOptions{})))
	}
	nets := m.networks(ctx, diags)
	for _, iface := range sortedKeys(nets) {
		spec.Networks = append(spec.Networks, wantNetwork(iface, nets[iface], nil))
	}
	spec.CDROMs = m.cdromSpecs(ctx, diags)
	spec.Pool, _ = m.wantPool()
	return spec
}

// applyVM copies what Proxmox VE reports into the model. Settings that exist
// only in Terraform (on_existing, clone, timeouts) are left alone, and tags
// keep the user's spelling when PVE's normalised form is the same.
func (m *vmResourceModel) applyVM(ctx context.Context, vm *pve.VM, diags *diag.Diagnostics) {
	m.ID = types.StringValue(strconv.Itoa(vm.VMID))
	m.VMID = types.Int64Value(int64(vm.VMID))
	m.Node = types.StringValue(vm.Node)
	// A VM still being created has no name yet; keep the planned one.
	if vm.Name != "" || m.Name.IsNull() || m.Name.IsUnknown() {
		m.Name = types.StringValue(vm.Name)
	}
	m.Description = types.StringValue(vm.Description)

	prior := m.tags(ctx, diags)
	// The create marker is the provider's, never the user's.
	have := userTags(vm.Tags)
	if m.Tags.IsNull() || m.Tags.IsUnknown() || !equalStrings(pve.NormalizeTags(prior), have) {
		tags, d := types.SetValueFrom(ctx, types.StringType, nonNil(have))
		diags.Append(d...)
		m.Tags = tags
	}

	cpu, d := types.ObjectValue(cpuAttrTypes, map[string]attr.Value{
		"cores":   types.Int64Value(atLeastOne(vm.Cores)),
		"sockets": types.Int64Value(atLeastOne(vm.Sockets)),
		"type":    types.StringValue(effectiveCPUType(vm)),
		"numa":    types.BoolValue(vm.Hardware.NUMA),
	})
	diags.Append(d...)
	m.CPU = cpu
	m.Memory = types.Int64Value(vm.MemoryMB)

	disks := map[string]attr.Value{}
	for _, disk := range vm.Disks {
		v, d := types.ObjectValue(diskAttrTypes, diskOptionValues(disk.ManagedOptions(), map[string]attr.Value{
			"storage": types.StringValue(disk.Storage),
			"size":    types.Int64Value(disk.SizeGB),
			"volume":  types.StringValue(disk.Volume),
		}))
		diags.Append(d...)
		disks[disk.Interface] = v
	}
	m.Disks = types.MapValueMust(types.ObjectType{AttrTypes: diskAttrTypes}, disks)

	nets := map[string]attr.Value{}
	for _, n := range vm.Networks {
		vlan := types.Int64Null()
		if n.VLAN > 0 {
			vlan = types.Int64Value(n.VLAN)
		}
		v, d := types.ObjectValue(networkAttrTypes, networkLimitValues(n, map[string]attr.Value{
			"model":    types.StringValue(n.Model),
			"bridge":   types.StringValue(n.Bridge),
			"vlan":     vlan,
			"firewall": types.BoolValue(n.Firewall),
			"mac":      stringOrNull(n.MAC),
		}))
		diags.Append(d...)
		nets[n.Interface] = v
	}
	m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, nets)
	m.CDROM = cdromValue(vm.CDROMs)
	if m.Pool.IsUnknown() {
		// Not in the config: read from the inventory (vm_resource_pool.go).
		m.Pool = types.StringNull()
	}

	m.applyHardware(vm, diags)
	m.CloudInit = cloudInitState(ctx, m.CloudInit, vm, false, diags)
	m.OnBoot = types.BoolValue(vm.OnBoot)
	m.Protection = types.BoolValue(vm.Protection)
	m.Status = types.StringValue(vm.Status)
	m.Started = types.BoolValue(vm.Status == "running")
	m.CreatedAt = types.StringNull()
	if vm.CreatedAt > 0 {
		m.CreatedAt = types.StringValue(formatCreatedAt(vm.CreatedAt))
	}
	m.UUID = stringOrNull(vm.UUID)
	if m.OnExisting.IsUnknown() {
		m.OnExisting = types.StringNull()
	}
	// Write-only: never in state (vm_resource_clone.go).
	m.Clone = types.ObjectNull(cloneAttrTypes)
}

func formatCreatedAt(ctime int64) string { return time.Unix(ctime, 0).UTC().Format(time.RFC3339) }

func parseCreatedAt(s types.String) int64 {
	if s.IsNull() || s.IsUnknown() {
		return 0
	}
	t, err := time.Parse(time.RFC3339, s.ValueString())
	if err != nil {
		return 0
	}
	return t.Unix()
}

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// atLeastOne reads PVE's implicit default of 1 core or socket.
func atLeastOne(v int64) int64 {
	if v == 0 {
		return 1
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pveDefaultCPUType is what a KVM VM runs when its config has no cpu key
// (qemu-server src/PVE/QemuServer/CPUConfig.pm, get_default_cpu_type).
const pveDefaultCPUType = "kvm64"

func effectiveCPUType(vm *pve.VM) string {
	if vm.CPUType == "" {
		return pveDefaultCPUType
	}
	return vm.CPUType
}
