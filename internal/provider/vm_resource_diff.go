package provider

// This file holds the rules that compare a configuration with what exists:
// the configuration change an update or adoption sends, the changes that
// replace the VM, and the one rule for disks (grow in place, never shrink
// or move).

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// vmChange is what an update or an adoption sends to Proxmox VE, and what it
// cannot do.
type vmChange struct {
	config pve.ConfigChange
	// destructive changes refuse an adoption; an update plans them as
	// replacements or rejects them in ModifyPlan.
	destructive []string
	// firmware changes (bios, machine, EFI disk) refuse an adoption only.
	firmware []string
	// cloudInitMovedFrom is the cloud-init drive to remove before config
	// adds the new one (vm_resource_cloudinit_move.go).
	cloudInitMovedFrom *pve.CloudInitDrive
}

// diskDelta is how a configured disk differs from the disk that exists.
type diskDelta int

const (
	diskSame diskDelta = iota
	diskGrow
	diskShrink // Proxmox VE cannot shrink a disk
	diskMove   // another storage: a different disk
)

// compareDisk is the one owner of the disk rule: a disk grows in place, and
// neither shrinks nor moves to another storage without losing data.
func compareDisk(haveStorage string, haveGB int64, wantStorage string, wantGB int64) diskDelta {
	switch {
	case haveStorage != wantStorage:
		return diskMove
	case wantGB > haveGB:
		return diskGrow
	case wantGB < haveGB:
		return diskShrink
	}
	return diskSame
}

// diffConfig compares the desired model with the VM as it is. Attributes
// that are null or unknown in want are left as they are.
func diffConfig(ctx context.Context, want *vmResourceModel, have *pve.VM, diags *diag.Diagnostics) vmChange {
	var c vmChange
	cfg := &c.config
	if !want.Name.IsUnknown() && want.Name.ValueString() != have.Name {
		cfg.Name = want.Name.ValueStringPointer()
	}
	if known(want.Description) && want.Description.ValueString() != userDescription(have.Description) {
		description := want.Description.ValueString()
		if m, ok := descriptionMarker(have.Description); ok {
			// A clone's create marker stays until the create finishes.
			description = describeWithMarker(description, m)
		}
		cfg.Description = &description
	}
	if !want.Tags.IsNull() && !want.Tags.IsUnknown() {
		if tags := pve.NormalizeTags(want.tags(ctx, diags)); !equalStrings(tags, userTags(have.Tags)) {
			// A create marker stays until the create finishes.
			tags = pve.NormalizeTags(append(tags, markerTags(have.Tags)...))
			cfg.Tags = &tags
		}
	}
	cpu := want.cpu(ctx, diags)
	if known(cpu.Cores) && cpu.Cores.ValueInt64() != atLeastOne(have.Cores) {
		cfg.Cores = cpu.Cores.ValueInt64Pointer()
	}
	if known(cpu.Sockets) && cpu.Sockets.ValueInt64() != atLeastOne(have.Sockets) {
		cfg.Sockets = cpu.Sockets.ValueInt64Pointer()
	}
	if known(cpu.Type) && cpu.Type.ValueString() != effectiveCPUType(have) {
		cfg.CPUType = cpu.Type.ValueStringPointer()
	}
	if !want.Memory.IsNull() && !want.Memory.IsUnknown() && want.Memory.ValueInt64() != have.MemoryMB {
		cfg.MemoryMB = want.Memory.ValueInt64Pointer()
	}
	if known(want.OnBoot) && want.OnBoot.ValueBool() != have.OnBoot {
		cfg.OnBoot = want.OnBoot.ValueBoolPointer()
	}
	if known(want.Protection) && want.Protection.ValueBool() != have.Protection {
		cfg.Protection = want.Protection.ValueBoolPointer()
	}
	if !want.Disks.IsNull() && !want.Disks.IsUnknown() {
		c.diffDisks(want.disks(ctx, diags), have.Disks)
	}
	if !want.Networks.IsNull() && !want.Networks.IsUnknown() {
		c.diffNetworks(want.networks(ctx, diags), have.Networks)
	}
	cfg.Agent = diffAgent(ctx, want, have, diags)
	if known(want.CDROM) {
		c.diffCDROMs(want.cdroms(ctx, diags), have.CDROMs)
	}
	c.diffHardware(ctx, want, have, diags)
	c.diffCloudInit(ctx, want, have.CloudInit, diags)
	return c
}

func (c *vmChange) diffDisks(want map[string]diskModel, have []pve.Disk) {
	haveDisks := map[string]pve.Disk{}
	for _, d := range have {
		haveDisks[d.Interface] = d
	}
	for _, iface := range sortedKeys(want) {
		w := want[iface]
		wantStorage, wantGB := w.Storage.ValueString(), w.Size.ValueInt64()
		h, ok := haveDisks[iface]
		if !ok {
			c.config.Disks = append(c.config.Disks, pve.Disk{Interface: iface, Storage: wantStorage, SizeGB: wantGB}.
				WithOptions(w.want(pve.DiskOptions{})))
			continue
		}
		if delta := compareDisk(h.Storage, h.SizeGB, wantStorage, wantGB); delta == diskGrow || delta == diskSame {
			c.diffDiskOptions(w, h)
		}
		switch compareDisk(h.Storage, h.SizeGB, wantStorage, wantGB) {
		case diskMove:
			c.destructive = append(c.destructive, fmt.Sprintf("disk %s: on storage %s, configuration says %s (moving it would replace the disk)",
				iface, h.Storage, wantStorage))
		case diskGrow:
			c.config.Resizes = append(c.config.Resizes, pve.DiskResize{Interface: iface, SizeGB: wantGB})
		case diskShrink:
			c.destructive = append(c.destructive, fmt.Sprintf("disk %s: %d GiB, configuration says %d GiB (Proxmox VE cannot shrink a disk)",
				iface, h.SizeGB, wantGB))
		case diskSame:
		}
	}
	for _, h := range have {
		if _, ok := want[h.Interface]; !ok {
			c.config.Delete = append(c.config.Delete, h.Interface)
			c.destructive = append(c.destructive, fmt.Sprintf("disk %s (%s, %d GiB): not in the configuration (it would be detached)",
				h.Interface, h.Volume, h.SizeGB))
		}
	}
}

func (c *vmChange) diffNetworks(want map[string]networkModel, have []pve.Network) {
	haveNets := map[string]pve.Network{}
	for _, n := range have {
		haveNets[n.Interface] = n
	}
	for _, iface := range sortedKeys(want) {
		h, ok := haveNets[iface]
		var have *pve.Network
		if ok {
			have = &h
		}
		w := wantNetwork(iface, want[iface], have)
		if !ok || w != h {
			c.config.Networks = append(c.config.Networks, w)
		}
	}
	for _, h := range have {
		if _, ok := want[h.Interface]; !ok {
			c.config.Delete = append(c.config.Delete, h.Interface)
		}
	}
}

// replacement is one planned change that makes Terraform replace the VM.
type replacement struct {
	path   path.Path
	reason string
}

// replacements decides, once, which planned changes replace the VM: another
// VMID, a disk on another storage, or another clone source of a VM that
// was cloned (an imported or adopted VM has no recorded source, and
// recording one is not a reason to replace it).
func replacements(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) []replacement {
	var out []replacement
	if !plan.VMID.IsUnknown() && !plan.VMID.IsNull() && plan.vmid() != state.vmid() {
		out = append(out, replacement{pathVMID, fmt.Sprintf("vmid %d -> %d", state.vmid(), plan.vmid())})
	}
	if !plan.Disks.IsUnknown() && !plan.Disks.IsNull() {
		have, planned := state.disks(ctx, diags), plan.disks(ctx, diags)
		for _, iface := range sortedKeys(planned) {
			want := planned[iface]
			cur, ok := have[iface]
			if !ok || want.Storage.IsUnknown() {
				continue
			}
			if compareDisk(cur.Storage.ValueString(), 0, want.Storage.ValueString(), 0) == diskMove {
				out = append(out, replacement{pathDisks.AtMapKey(iface).AtName("storage"),
					fmt.Sprintf("disk %s storage %s -> %s", iface, cur.Storage.ValueString(), want.Storage.ValueString())})
			}
		}
	}
	if rep := efiReplacement(ctx, state, plan, diags); rep != nil {
		out = append(out, *rep)
	}
	return out
}

// checkDiskShrink refuses a smaller disk at plan time: PVE cannot shrink.
func checkDiskShrink(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) {
	if plan.Disks.IsUnknown() || plan.Disks.IsNull() {
		return
	}
	have, planned := state.disks(ctx, diags), plan.disks(ctx, diags)
	for _, iface := range sortedKeys(planned) {
		want := planned[iface]
		cur, ok := have[iface]
		if !ok || want.Size.IsUnknown() {
			continue
		}
		if compareDisk(cur.Storage.ValueString(), cur.Size.ValueInt64(), want.Storage.ValueString(), want.Size.ValueInt64()) != diskShrink {
			continue
		}
		diags.AddAttributeError(pathDisks.AtMapKey(iface).AtName("size"), "Disks cannot shrink",
			fmt.Sprintf("Disk %s of VM %d is %d GiB; the configuration says %d GiB. Proxmox VE cannot shrink a "+
				"disk and shrinking a file system loses data. Set size back to %d or more. To start over with a "+
				"smaller disk, replace the VM on purpose: terraform apply -replace=<resource address>.",
				iface, state.vmid(), cur.Size.ValueInt64(), want.Size.ValueInt64(), cur.Size.ValueInt64()))
	}
}

// known reports whether a value is neither null nor unknown.
func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }
