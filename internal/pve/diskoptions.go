package pve

import (
	"slices"
	"strings"
)

// DiskOptions are the drive options the provider manages (qemu-server
// src/PVE/QemuServer/Drive.pm, %drivedesc_base, %iothread_fmt, %ssd_fmt).
// The zero value is what a drive without these options gets from Proxmox VE:
// discard ignored, no iothread, not an SSD, no cache option, included in
// backups and replication.
type DiskOptions struct {
	Discard  bool   // discard=on; PVE's "ignore" (or no discard) is false
	IOThread bool   // iothread=1 (scsi and virtio drives only)
	SSD      bool   // ssd=1 (ide, sata and scsi drives only)
	Cache    string // none|writethrough|writeback|unsafe|directsync; "" for no cache option
	// NoBackup and NoReplicate are backup=0 and replicate=0: PVE includes a
	// drive in backups and replication unless told otherwise.
	NoBackup, NoReplicate bool
}

// DiskCacheModes are the values of a drive's cache option, as Drive.pm
// enumerates them.
var DiskCacheModes = []string{"none", "writethrough", "writeback", "unsafe", "directsync"}

// managedDiskOptions are the keys DiskOptions owns in a drive value.
var managedDiskOptions = map[string]bool{
	"discard": true, "iothread": true, "ssd": true, "cache": true, "backup": true, "replicate": true,
}

// DiskOptionsAllowed reports which managed options PVE's drive format for
// the interface's bus accepts: iothread exists for scsi and virtio only,
// ssd for ide, sata and scsi only (Drive.pm $scsi_fmt, $virtio_fmt,
// $sata_fmt, $ide_fmt).
func DiskOptionsAllowed(iface string) (iothread, ssd bool) {
	bus, _ := splitInterface(iface)
	return bus == "scsi" || bus == "virtio", bus != "virtio"
}

// ManagedOptions reads the managed options from the drive's remaining options.
func (d Disk) ManagedOptions() DiskOptions { return parseDiskOptions(d.Options) }

// parseDiskOptions reads the managed options from "k=v,k=v". Booleans use
// pve-common JSONSchema.pm parse_boolean's spellings.
func parseDiskOptions(options string) DiskOptions {
	var o DiskOptions
	for _, item := range splitOptions(options) {
		k, v, _ := strings.Cut(item, "=")
		switch k {
		case "discard":
			o.Discard = v == "on"
		case "iothread":
			o.IOThread = pveTrue(v)
		case "ssd":
			o.SSD = pveTrue(v)
		case "cache":
			o.Cache = v
		case "backup":
			o.NoBackup = pveFalse(v)
		case "replicate":
			o.NoReplicate = pveFalse(v)
		}
	}
	return o
}

// encode spells the options PVE's way, leaving out what is PVE's default.
func (o DiskOptions) encode() []string {
	var out []string
	if o.Cache != "" {
		out = append(out, "cache="+o.Cache)
	}
	if o.Discard {
		out = append(out, "discard=on")
	}
	if o.IOThread {
		out = append(out, "iothread=1")
	}
	if o.SSD {
		out = append(out, "ssd=1")
	}
	if o.NoBackup {
		out = append(out, "backup=0")
	}
	if o.NoReplicate {
		out = append(out, "replicate=0")
	}
	return out
}

// WithOptions returns d with its managed options set to o and every other
// option kept.
func (d Disk) WithOptions(o DiskOptions) Disk {
	d.Options = replaceDiskOptions(d.Options, o)
	return d
}

func replaceDiskOptions(options string, o DiskOptions) string {
	items := slices.DeleteFunc(splitOptions(options), func(item string) bool {
		k, _, _ := strings.Cut(item, "=")
		return managedDiskOptions[k]
	})
	return strings.Join(append(items, o.encode()...), ",")
}

func pveTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return true
	}
	return false
}

func pveFalse(v string) bool {
	switch strings.ToLower(v) {
	case "0", "off", "no", "false":
		return true
	}
	return false
}
