package pve

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ConfigChange is a change to an existing VM's configuration, in terms of
// the VM rather than of PVE's config keys: this file alone knows how each
// field is spelled and encoded on the wire, as createParams does for
// CreateSpec. A nil field is left as it is.
type ConfigChange struct {
	Name        *string
	Description *string // "" removes the description
	// Tags are normalised before they are sent; none removes them all.
	Tags               *[]string
	Cores, Sockets     *int64
	CPUType            *string
	MemoryMB           *int64
	OnBoot, Protection *bool
	// Disks are new disks to allocate ("<storage>:<size>").
	Disks []Disk
	// DiskOptions are existing disks (Volume set) written back with other
	// options. PVE keeps the volume and reads its size from the storage
	// (qemu-server API2/Qemu.pm create_disks, existing volume:
	// volume_size_info); on a running VM vmconfig_update_disk applies
	// backup and replicate at once, and discard, iothread, ssd and cache
	// at the next start.
	DiskOptions []Disk
	// CDROMs are CD-ROM drives to add or to load with another medium.
	CDROMs []CDROM
	// Networks are devices to add or to set as given (MAC included).
	Networks []Network
	// Delete lists disk and network interfaces to detach or remove.
	Delete []string
	// Resizes grow disks after the config is written.
	Resizes []DiskResize
	Agent   *Agent // agent.go
	// Hardware changes firmware and devices (hardware.go).
	Hardware *HardwareChange
	// CloudInit changes cloud-init options; the drive is then generated
	// again (cloudinit.go).
	CloudInit *CloudInitChange
}

// DiskResize grows one disk to SizeGB.
type DiskResize struct {
	Interface string
	SizeGB    int64
}

// Empty reports whether the change would send nothing.
func (c ConfigChange) Empty() bool {
	set, del := c.params()
	return len(set) == 0 && len(del) == 0 && len(c.Resizes) == 0
}

// Describe lists the change for people: the config keys set, "remove <key>"
// and "grow <disk> to <n> GiB", in a stable order.
func (c ConfigChange) Describe() string {
	set, del := c.params()
	parts := make([]string, 0, len(set)+len(del)+len(c.Resizes))
	for k := range set {
		parts = append(parts, k)
	}
	sort.Strings(parts)
	for _, k := range del {
		parts = append(parts, "remove "+k)
	}
	for _, rs := range c.Resizes {
		parts = append(parts, fmt.Sprintf("grow %s to %d GiB", rs.Interface, rs.SizeGB))
	}
	return strings.Join(parts, ", ")
}

// params encodes the change as PVE config keys to set and keys to delete
// (sorted).
func (c ConfigChange) params() (map[string]string, []string) {
	set := map[string]string{}
	var del []string
	setOrDelete := func(key, value string) {
		if value == "" {
			del = append(del, key)
		} else {
			set[key] = value
		}
	}
	if c.Name != nil {
		set["name"] = *c.Name
	}
	if c.Description != nil {
		setOrDelete("description", *c.Description)
	}
	if c.Tags != nil {
		setOrDelete("tags", formatTags(*c.Tags))
	}
	if c.Cores != nil {
		set["cores"] = strconv.FormatInt(*c.Cores, 10)
	}
	if c.Sockets != nil {
		set["sockets"] = strconv.FormatInt(*c.Sockets, 10)
	}
	if c.CPUType != nil {
		set["cpu"] = *c.CPUType
	}
	if c.MemoryMB != nil {
		set["memory"] = strconv.FormatInt(*c.MemoryMB, 10)
	}
	if c.OnBoot != nil {
		set["onboot"] = pveBool(*c.OnBoot)
	}
	if c.Protection != nil {
		set["protection"] = pveBool(*c.Protection)
	}
	if c.Agent != nil {
		set["agent"] = formatAgent(*c.Agent)
	}
	for _, d := range c.Disks {
		set[d.Interface] = formatDisk(d)
	}
	for _, n := range c.Networks {
		set[n.Interface] = formatNetwork(n)
	}
	for _, d := range c.DiskOptions {
		set[d.Interface] = formatDisk(d)
	}
	for _, cd := range c.CDROMs {
		set[cd.Interface] = formatCDROM(cd)
	}
	c.Hardware.encode(set, &del)
	c.CloudInit.params(set, &del)
	del = append(del, c.Delete...)
	sort.Strings(del)
	return set, del
}

// ApplyConfigChange writes the change with one synchronous PUT, guarded by
// digest when it is not empty (PVE then refuses the change if the config
// changed since it was read: ErrConfigChanged), then grows the disks one by
// one. It stops at the first failure.
func (c *Client) ApplyConfigChange(ctx context.Context, node string, vmid int, change ConfigChange, digest string) error {
	ctx = change.CloudInit.withPasswordMasked(c.logCtx(ctx))
	for _, d := range change.Disks {
		if !IsDiskInterface(d.Interface) || d.Storage == "" || d.SizeGB <= 0 {
			return fmt.Errorf("update config: new disk %q needs a disk interface, a storage and a size", d.Interface)
		}
	}
	for _, n := range change.Networks {
		if !isNetworkInterface(n.Interface) || n.Model == "" {
			return fmt.Errorf("update config: network %q needs a network interface and a model", n.Interface)
		}
	}
	if err := checkDriveChanges(change); err != nil {
		return err
	}
	set, del := change.params()
	if err := c.updateConfig(ctx, node, vmid, set, del, digest); err != nil {
		return err
	}
	for _, rs := range change.Resizes {
		if err := c.resizeDisk(ctx, node, vmid, rs.Interface, rs.SizeGB); err != nil {
			return fmt.Errorf("grow disk %s to %d GiB: %w", rs.Interface, rs.SizeGB, err)
		}
	}
	if !change.CloudInit.Empty() {
		if err := c.regenerateCloudInit(ctx, node, vmid); err != nil {
			return fmt.Errorf("regenerate the cloud-init drive: %w", err)
		}
	}
	return nil
}

// configParams is the PUT .../config body. Keys of set are PVE config keys
// with PVE-formatted values.
func configParams(set map[string]string, remove []string, digest string) (url.Values, error) {
	p := url.Values{}
	for k, v := range set {
		switch k {
		case "", "delete", "digest", "revert", "skiplock", "vmid", "node":
			return nil, fmt.Errorf("update config: %q cannot be set as a config key", k)
		}
		p.Set(k, v)
	}
	var del []string
	for _, k := range remove {
		if k == "" {
			continue
		}
		if _, ok := set[k]; ok {
			return nil, fmt.Errorf("update config: %q is both set and removed", k)
		}
		del = append(del, k)
	}
	if len(del) > 0 {
		p.Set("delete", strings.Join(del, ","))
	}
	if len(p) > 0 && digest != "" {
		p.Set("digest", digest)
	}
	return p, nil
}

// updateConfig changes raw config keys with a synchronous PUT. With a
// digest, PVE refuses the change if the config changed since it was read.
func (c *Client) updateConfig(ctx context.Context, node string, vmid int, set map[string]string, remove []string, digest string) error {
	params, err := configParams(set, remove, digest)
	if err != nil {
		return err
	}
	if len(params) == 0 {
		return nil
	}
	return c.retryLocked(ctx, "PUT config", isLockTimeout, func() error {
		id, err := c.taskRequest(ctx, http.MethodPut, vmPath(node, vmid)+"/config", params)
		if err != nil || id == "" {
			return err
		}
		// PUT is documented as synchronous; wait should PVE hand out a task.
		return c.waitTask(ctx, node, id)
	})
}
