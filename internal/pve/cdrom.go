package pve

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// CDROM is a CD-ROM drive: a drive with media=cdrom (qemu-server
// src/PVE/QemuServer/Drive.pm %drivedesc_base "media").
type CDROM struct {
	Interface string // ide3, sata0, scsi1
	// File is the medium: an ISO volume ("local:iso/debian-12.iso"),
	// CDROMEmpty for an empty drive or CDROMPhysical for the host's drive.
	File string
}

// The media a CD-ROM drive can hold besides an ISO volume (Drive.pm
// drive_is_cdrom; API2/Qemu.pm $check_storage_access: "none" needs nothing,
// "cdrom" the Sys.Console privilege).
const (
	CDROMEmpty    = "none"
	CDROMPhysical = "cdrom"
)

// reCDROMInterface are the buses a CD-ROM drive can sit on; virtio has no
// CD-ROM (Drive.pm: virtio drives have no media=cdrom device in
// print_drivedevice_full).
func isCDROMInterface(iface string) bool {
	bus, n := splitInterface(iface)
	return n >= 0 && (bus == "ide" || bus == "sata" || bus == "scsi") && IsDiskInterface(iface)
}

// formatCDROM encodes a CD-ROM drive: "<file>,media=cdrom".
func formatCDROM(cd CDROM) string { return cd.File + ",media=cdrom" }

// parseCDROM reads a drive value that is a CD-ROM ("none,media=cdrom",
// "local:iso/x.iso,media=cdrom,size=600M"); anything else is false.
func parseCDROM(iface, value string) (CDROM, bool) {
	if !IsDiskInterface(iface) {
		return CDROM{}, false
	}
	cd := CDROM{Interface: iface}
	media := ""
	for i, item := range splitOptions(value) {
		k, v, has := strings.Cut(item, "=")
		switch {
		case i == 0 && !has:
			cd.File = k
		case k == "file" || k == "volume":
			cd.File = v
		case k == "media":
			media = v
		}
	}
	if media != "cdrom" || cd.File == "" {
		return CDROM{}, false
	}
	return cd, true
}

// parseCDROMs lists the CD-ROM drives of a config, sorted by interface. A
// cloud-init drive is a CD-ROM too but not a medium anyone loads: it is
// left out.
func parseCDROMs(cfg map[string]string) []CDROM {
	var out []CDROM
	for k, v := range cfg {
		if cd, ok := parseCDROM(k, v); ok && !isCloudInitVolume(cd.File) {
			out = append(out, cd)
		}
	}
	sort.Slice(out, func(i, j int) bool { return interfaceLess(out[i].Interface, out[j].Interface) })
	return out
}

// checkDriveChanges refuses drive changes PVE cannot take, before any
// request.
func checkDriveChanges(change ConfigChange) error {
	for _, cd := range change.CDROMs {
		if !isCDROMInterface(cd.Interface) || cd.File == "" {
			return fmt.Errorf("update config: CD-ROM %q needs an ide, sata or scsi interface and a medium", cd.Interface)
		}
	}
	for _, d := range change.DiskOptions {
		if !IsDiskInterface(d.Interface) || d.Volume == "" {
			return fmt.Errorf("update config: disk %q needs a disk interface and its volume", d.Interface)
		}
	}
	return nil
}

type storageContentEntry struct {
	VolID string `json:"volid"`
}

// ISOImages lists the ISO image volumes ("local:iso/debian-12.iso") of a
// storage as node sees it: one GET /nodes/{node}/storage/{storage}/content
// ?content=iso (pve-storage src/PVE/API2/Storage/Content.pm index).
func (c *Client) ISOImages(ctx context.Context, node, storage string) ([]string, error) {
	ctx = c.logCtx(ctx)
	var entries []storageContentEntry
	// Raw: go-proxmox's Storage.GetContent needs a status read first and
	// cannot filter by content.
	path := fmt.Sprintf("/nodes/%s/storage/%s/content", url.PathEscape(node), url.PathEscape(storage))
	if err := c.get(ctx, path, url.Values{"content": {"iso"}}, &entries); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.VolID)
	}
	sort.Strings(out)
	return out, nil
}

// ISOStorage is the storage of an ISO volume, "" for none and cdrom.
func ISOStorage(file string) string {
	if file == CDROMEmpty || file == CDROMPhysical {
		return ""
	}
	storage, _, _ := strings.Cut(file, ":")
	return storage
}
