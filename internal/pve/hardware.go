package pve

// Firmware, controllers and devices of a VM: NUMA, OS type, BIOS, machine,
// SCSI controller, EFI disk, boot order, serial ports, display and startup
// order. Keys, formats and defaults are qemu-server's (src/PVE/QemuServer.pm
// $confdesc unless noted).

import (
	"sort"
	"strconv"
	"strings"
)

// PVE's defaults for the keys below when a config leaves them out
// ($confdesc "default"; the machine is the i440fx "pc" type, QemuServer/
// Machine.pm, when neither machine nor an aarch64 arch is set).
const (
	DefaultOSType       = "other"
	DefaultBIOS         = "seabios"
	DefaultMachine      = "pc"
	DefaultSCSIHardware = "lsi"
	DefaultVGAType      = "std"
	// DefaultEFIType is QemuServer/Drive.pm %efitype_fmt's default.
	DefaultEFIType = "2m"
)

// MaxSerialPorts is qemu-server's $MAX_SERIAL_PORTS (serial0..serial3).
const MaxSerialPorts = 4

// Hardware is what a VM's config says about its firmware and devices, with
// PVE's defaults filled in for keys it leaves out.
type Hardware struct {
	NUMA         bool
	OSType       string
	BIOS         string
	Machine      Machine
	SCSIHardware string
	EFIDisk      *EFIDisk // nil: no efidisk0
	// BootOrder is boot's "order=" list; empty when the VM boots by the
	// legacy default (no boot key, or "legacy=cdn").
	BootOrder []string
	// Serial holds serialN by port; "" is a port without a device.
	Serial  [MaxSerialPorts]string
	VGA     VGA
	Startup Startup
}

// Machine is the "machine" value: the type and the remaining options
// (viommu=..., verbatim).
type Machine struct {
	Type    string
	Options string
}

// EFIDisk is efidisk0: OVMF's EFI vars volume.
type EFIDisk struct {
	Storage         string
	Volume          string // empty for a disk still to be allocated
	Type            string // "2m" or "4m"
	PreEnrolledKeys bool
	// Options are the remaining drive options, verbatim (size, ms-cert).
	Options string
}

// VGA is the "vga" value ($vga_fmt).
type VGA struct {
	Type    string
	Memory  int64 // MiB; 0 when not set
	Options string
}

// Startup is pve-common JSONSchema.pm's 'pve-startup-order' (order, up,
// down); nil fields are not set.
type Startup struct {
	Order, Up, Down *int64
}

// IsZero reports whether no startup option is set.
func (s Startup) IsZero() bool { return s.Order == nil && s.Up == nil && s.Down == nil }

// HardwareChange changes firmware and devices; nil fields are left alone.
type HardwareChange struct {
	NUMA                       *bool
	OSType, BIOS, SCSIHardware *string
	Machine                    *Machine
	EFIDisk                    *EFIDisk // a new EFI disk to allocate on Storage
	BootOrder                  *[]string
	Serial                     map[int]string // port -> device; "" removes the port
	VGA                        *VGA
	Startup                    *Startup // zero removes startup
}

// encode adds the change's keys to set, and the ones to remove to del.
func (h *HardwareChange) encode(set map[string]string, del *[]string) {
	if h == nil {
		return
	}
	put := func(key, value string) {
		if value == "" {
			*del = append(*del, key)
		} else {
			set[key] = value
		}
	}
	if h.NUMA != nil {
		set["numa"] = pveBool(*h.NUMA)
	}
	if h.OSType != nil {
		set["ostype"] = *h.OSType
	}
	if h.BIOS != nil {
		set["bios"] = *h.BIOS
	}
	if h.SCSIHardware != nil {
		set["scsihw"] = *h.SCSIHardware
	}
	if h.Machine != nil {
		set["machine"] = joinOptions(h.Machine.Type, h.Machine.Options)
	}
	if h.EFIDisk != nil {
		set["efidisk0"] = formatEFIDisk(*h.EFIDisk)
	}
	if h.BootOrder != nil {
		// print_bootorder: "order=a;b"; no devices removes the key.
		if len(*h.BootOrder) == 0 {
			put("boot", "")
		} else {
			put("boot", "order="+strings.Join(*h.BootOrder, ";"))
		}
	}
	for port, dev := range h.Serial {
		put("serial"+strconv.Itoa(port), dev)
	}
	if h.VGA != nil {
		v := h.VGA.Type
		if h.VGA.Memory > 0 {
			v = joinOptions(v, "memory="+strconv.FormatInt(h.VGA.Memory, 10))
		}
		put("vga", joinOptions(v, h.VGA.Options))
	}
	if h.Startup != nil {
		put("startup", FormatStartup(*h.Startup))
	}
}

// formatEFIDisk encodes an EFI disk. A new one is "<storage>:1,efitype=..,
// pre-enrolled-keys=.." (the size is ignored: create_disks copies the OVMF
// vars template, QemuServer/Drive.pm $desc_with_alloc).
func formatEFIDisk(d EFIDisk) string {
	s := d.Storage + ":1"
	if d.Volume != "" {
		s = d.Storage + ":" + d.Volume
	}
	typ := d.Type
	if typ == "" {
		typ = DefaultEFIType
	}
	s += ",efitype=" + typ + ",pre-enrolled-keys=" + pveBool(d.PreEnrolledKeys)
	return joinOptions(s, d.Options)
}

// FormatStartup encodes startup as "order=N,up=N,down=N"; "" when empty.
func FormatStartup(s Startup) string {
	var parts []string
	for _, p := range []struct {
		key string
		v   *int64
	}{{"order", s.Order}, {"up", s.Up}, {"down", s.Down}} {
		if p.v != nil {
			parts = append(parts, p.key+"="+strconv.FormatInt(*p.v, 10))
		}
	}
	return strings.Join(parts, ",")
}

// Describe lists the keys of the change, for tests and logs.
func (h *HardwareChange) Describe() string {
	set := map[string]string{}
	var del []string
	h.encode(set, &del)
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range del {
		keys = append(keys, "remove "+k)
	}
	return strings.Join(keys, ", ")
}

// parseHardware reads the hardware keys of a config, PVE's defaults for the
// ones it leaves out.
func parseHardware(cfg map[string]string) Hardware {
	h := Hardware{
		NUMA:         cfg["numa"] == "1",
		OSType:       orDefault(cfg["ostype"], DefaultOSType),
		BIOS:         orDefault(cfg["bios"], DefaultBIOS),
		Machine:      parseMachine(cfg["machine"]),
		SCSIHardware: orDefault(cfg["scsihw"], DefaultSCSIHardware),
		BootOrder:    parseBootOrder(cfg["boot"]),
		VGA:          parseVGA(cfg["vga"]),
		Startup:      parseStartup(cfg["startup"]),
	}
	if v, ok := cfg["efidisk0"]; ok {
		if d, ok := parseEFIDisk(v); ok {
			h.EFIDisk = &d
		}
	}
	for port := range MaxSerialPorts {
		h.Serial[port] = cfg["serial"+strconv.Itoa(port)]
	}
	return h
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// parseMachine splits "q35,viommu=intel" (Machine.pm $machine_fmt, type is
// the default key, also spelled "type=q35").
func parseMachine(v string) Machine {
	m := Machine{Type: DefaultMachine}
	var opts []string
	for i, item := range splitOptions(v) {
		k, val, hasKey := strings.Cut(item, "=")
		switch {
		case i == 0 && !hasKey:
			m.Type = k
		case k == "type":
			m.Type = val
		default:
			opts = append(opts, item)
		}
	}
	m.Options = strings.Join(opts, ",")
	return m
}

// parseBootOrder reads boot's "order=scsi0;net0" ($boot_fmt). A legacy
// value ("cdn", "legacy=cdn") or none gives no list.
func parseBootOrder(v string) []string {
	for _, item := range splitOptions(v) {
		if order, ok := strings.CutPrefix(item, "order="); ok {
			var out []string
			for _, dev := range strings.Split(order, ";") {
				if dev = strings.TrimSpace(dev); dev != "" {
					out = append(out, dev)
				}
			}
			return out
		}
	}
	return nil
}

// parseEFIDisk reads "local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=0,size=4M"
// (QemuServer/Drive.pm $efidisk_fmt; file is the default key).
func parseEFIDisk(v string) (EFIDisk, bool) {
	d := EFIDisk{Type: DefaultEFIType}
	var opts []string
	file := ""
	for i, item := range splitOptions(v) {
		k, val, hasKey := strings.Cut(item, "=")
		switch {
		case i == 0 && !hasKey:
			file = k
		case k == "file" || k == "volume":
			file = val
		case k == "efitype":
			d.Type = val
		case k == "pre-enrolled-keys":
			d.PreEnrolledKeys = val == "1"
		default:
			opts = append(opts, item)
		}
	}
	if file == "" {
		return EFIDisk{}, false
	}
	if storage, volume, ok := strings.Cut(file, ":"); ok {
		d.Storage, d.Volume = storage, volume
	} else {
		d.Volume = file
	}
	d.Options = strings.Join(opts, ",")
	return d, true
}

// parseVGA reads "serial0,memory=16" ($vga_fmt; type is the default key,
// default std).
func parseVGA(v string) VGA {
	g := VGA{Type: DefaultVGAType}
	var opts []string
	for i, item := range splitOptions(v) {
		k, val, hasKey := strings.Cut(item, "=")
		switch {
		case i == 0 && !hasKey:
			g.Type = k
		case k == "type":
			g.Type = val
		case k == "memory":
			g.Memory = intOr(val, 0)
		default:
			opts = append(opts, item)
		}
	}
	g.Options = strings.Join(opts, ",")
	return g
}

// parseStartup is pve-common JSONSchema.pm pve_parse_startup_order:
// "[order=]N,up=N,down=N".
func parseStartup(v string) Startup {
	var s Startup
	for _, item := range splitOptions(v) {
		k, val, hasKey := strings.Cut(item, "=")
		if !hasKey {
			k, val = "order", k
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "order":
			s.Order = &n
		case "up":
			s.Up = &n
		case "down":
			s.Down = &n
		}
	}
	return s
}

func joinOptions(first, rest string) string {
	rest = strings.Trim(rest, ",")
	switch {
	case first == "":
		return rest
	case rest == "":
		return first
	}
	return first + "," + rest
}
