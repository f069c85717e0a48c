package provider

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func (m *vmResourceModel) vmid() int { return int(m.VMID.ValueInt64()) }

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
		// Protection is set only after the duplicate check passed, so a VM
		// that lost a race can still be removed.
	}
	disks := m.disks(ctx, diags)
	for _, iface := range sortedKeys(disks) {
		d := disks[iface]
		spec.Disks = append(spec.Disks, pve.Disk{Interface: iface, Storage: d.Storage.ValueString(), SizeGB: d.Size.ValueInt64()})
	}
	nets := m.networks(ctx, diags)
	for _, iface := range sortedKeys(nets) {
		spec.Networks = append(spec.Networks, networkFromModel(iface, nets[iface]))
	}
	return spec
}

func networkFromModel(iface string, n networkModel) pve.Network {
	return pve.Network{
		Interface: iface,
		Model:     n.Model.ValueString(),
		Bridge:    n.Bridge.ValueString(),
		MAC:       strings.ToUpper(n.MAC.ValueString()),
		VLAN:      n.VLAN.ValueInt64(),
		Firewall:  n.Firewall.ValueBool(),
	}
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
	if m.Tags.IsNull() || m.Tags.IsUnknown() || !equalStrings(pve.NormalizeTags(prior), vm.Tags) {
		tags, d := types.SetValueFrom(ctx, types.StringType, nonNil(vm.Tags))
		diags.Append(d...)
		m.Tags = tags
	}

	cpu, d := types.ObjectValue(cpuAttrTypes, map[string]attr.Value{
		"cores":   types.Int64Value(atLeastOne(vm.Cores)),
		"sockets": types.Int64Value(atLeastOne(vm.Sockets)),
		"type":    types.StringValue(effectiveCPUType(vm)),
	})
	diags.Append(d...)
	m.CPU = cpu
	m.Memory = types.Int64Value(vm.MemoryMB)

	disks := map[string]attr.Value{}
	for _, disk := range vm.Disks {
		v, d := types.ObjectValue(diskAttrTypes, map[string]attr.Value{
			"storage": types.StringValue(disk.Storage),
			"size":    types.Int64Value(disk.SizeGB),
			"volume":  types.StringValue(disk.Volume),
		})
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
		v, d := types.ObjectValue(networkAttrTypes, map[string]attr.Value{
			"model":    types.StringValue(n.Model),
			"bridge":   types.StringValue(n.Bridge),
			"vlan":     vlan,
			"firewall": types.BoolValue(n.Firewall),
			"mac":      stringOrNull(n.MAC),
		})
		diags.Append(d...)
		nets[n.Interface] = v
	}
	m.Networks = types.MapValueMust(types.ObjectType{AttrTypes: networkAttrTypes}, nets)

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
	if m.Clone.IsUnknown() {
		m.Clone = types.ObjectNull(cloneAttrTypes)
	}
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

// configChange is what an update or an adoption sends to Proxmox VE.
type configChange struct {
	set     map[string]string
	remove  []string
	resizes []diskResize
	// destructive changes refuse an adoption; an update plans them as
	// replacements or rejects them in ModifyPlan.
	destructive []string
}

type diskResize struct {
	iface  string
	sizeGB int64
}

func (c configChange) empty() bool {
	return len(c.set) == 0 && len(c.remove) == 0 && len(c.resizes) == 0
}

// diffConfig compares the desired model with the VM as it is.
func diffConfig(ctx context.Context, want *vmResourceModel, have *pve.VM, diags *diag.Diagnostics) configChange {
	c := configChange{set: map[string]string{}}
	if !want.Name.IsUnknown() && want.Name.ValueString() != have.Name {
		c.set["name"] = want.Name.ValueString()
	}
	if !want.Description.IsNull() && !want.Description.IsUnknown() && want.Description.ValueString() != have.Description {
		if want.Description.ValueString() == "" {
			c.remove = append(c.remove, "description")
		} else {
			c.set["description"] = want.Description.ValueString()
		}
	}
	if !want.Tags.IsNull() && !want.Tags.IsUnknown() {
		tags := pve.NormalizeTags(want.tags(ctx, diags))
		if !equalStrings(tags, have.Tags) {
			if len(tags) == 0 {
				c.remove = append(c.remove, "tags")
			} else {
				c.set["tags"] = strings.Join(tags, ";")
			}
		}
	}
	cpu := want.cpu(ctx, diags)
	if v := cpu.Cores.ValueInt64(); !cpu.Cores.IsNull() && v != atLeastOne(have.Cores) {
		c.set["cores"] = strconv.FormatInt(v, 10)
	}
	if v := cpu.Sockets.ValueInt64(); !cpu.Sockets.IsNull() && v != atLeastOne(have.Sockets) {
		c.set["sockets"] = strconv.FormatInt(v, 10)
	}
	if v := cpu.Type.ValueString(); !cpu.Type.IsNull() && !cpu.Type.IsUnknown() && v != effectiveCPUType(have) {
		c.set["cpu"] = v
	}
	if v := want.Memory.ValueInt64(); !want.Memory.IsNull() && !want.Memory.IsUnknown() && v != have.MemoryMB {
		c.set["memory"] = strconv.FormatInt(v, 10)
	}
	if v := want.OnBoot.ValueBool(); !want.OnBoot.IsNull() && v != have.OnBoot {
		c.set["onboot"] = boolFlag(v)
	}
	if v := want.Protection.ValueBool(); !want.Protection.IsNull() && v != have.Protection {
		c.set["protection"] = boolFlag(v)
	}

	if !want.Disks.IsNull() && !want.Disks.IsUnknown() {
		wantDisks := want.disks(ctx, diags)
		haveDisks := map[string]pve.Disk{}
		for _, d := range have.Disks {
			haveDisks[d.Interface] = d
		}
		for _, iface := range sortedKeys(wantDisks) {
			w := wantDisks[iface]
			h, ok := haveDisks[iface]
			switch {
			case !ok:
				c.set[iface] = pve.FormatDisk(pve.Disk{Interface: iface, Storage: w.Storage.ValueString(), SizeGB: w.Size.ValueInt64()})
			case h.Storage != w.Storage.ValueString():
				c.destructive = append(c.destructive, fmt.Sprintf("disk %s: on storage %s, configuration says %s (moving it would replace the disk)",
					iface, h.Storage, w.Storage.ValueString()))
			case w.Size.ValueInt64() > h.SizeGB:
				c.resizes = append(c.resizes, diskResize{iface: iface, sizeGB: w.Size.ValueInt64()})
			case w.Size.ValueInt64() < h.SizeGB:
				c.destructive = append(c.destructive, fmt.Sprintf("disk %s: %d GiB, configuration says %d GiB (Proxmox VE cannot shrink a disk)",
					iface, h.SizeGB, w.Size.ValueInt64()))
			}
		}
		for _, h := range have.Disks {
			if _, ok := wantDisks[h.Interface]; !ok {
				c.remove = append(c.remove, h.Interface)
				c.destructive = append(c.destructive, fmt.Sprintf("disk %s (%s, %d GiB): not in the configuration (it would be detached)",
					h.Interface, h.Volume, h.SizeGB))
			}
		}
	}

	if !want.Networks.IsNull() && !want.Networks.IsUnknown() {
		wantNets := want.networks(ctx, diags)
		haveNets := map[string]pve.Network{}
		for _, n := range have.Networks {
			haveNets[n.Interface] = n
		}
		for _, iface := range sortedKeys(wantNets) {
			w := networkFromModel(iface, wantNets[iface])
			h, ok := haveNets[iface]
			if w.MAC == "" && ok {
				w.MAC = h.MAC
			}
			if !ok || w != h {
				c.set[iface] = pve.FormatNetwork(w)
			}
		}
		for _, h := range have.Networks {
			if _, ok := wantNets[h.Interface]; !ok {
				c.remove = append(c.remove, h.Interface)
			}
		}
	}
	sort.Strings(c.remove)
	return c
}

// pveDefaultCPUType is what QEMU runs when a VM's config has no cpu key.
const pveDefaultCPUType = "kvm64"

func effectiveCPUType(vm *pve.VM) string {
	if vm.CPUType == "" {
		return pveDefaultCPUType
	}
	return vm.CPUType
}

func boolFlag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
