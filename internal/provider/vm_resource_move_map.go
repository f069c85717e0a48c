package provider

// The mappings from the old providers' VM states to movedVM. Their attribute
// names and defaults come from their sources: bpg/terraform-provider-proxmox
// proxmoxtf/resource/vm/vm.go, vm/disk/schema.go and vm/network/schema.go;
// Telmate/terraform-provider-proxmox proxmox/resource_vm_qemu.go (v3) and
// its proxmox/Internal/resource/guest/* schemas, and v2.9.14's
// resource_vm_qemu.go for the attributes v3 renamed.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// bpgVMState is the part of a proxmox_virtual_environment_vm state we map.
// bpg writes every attribute; pointers tell a missing one from a zero.
type bpgVMState struct {
	ID          string   `json:"id"`
	VMID        *int64   `json:"vm_id"`
	NodeName    string   `json:"node_name"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Tags        []string `json:"tags"`
	CPU         []struct {
		Cores   int64  `json:"cores"`
		Sockets int64  `json:"sockets"`
		Type    string `json:"type"`
	} `json:"cpu"`
	Memory []struct {
		Dedicated int64 `json:"dedicated"`
	} `json:"memory"`
	Disk []struct {
		Interface       string `json:"interface"`
		DatastoreID     string `json:"datastore_id"`
		Size            int64  `json:"size"`
		PathInDatastore string `json:"path_in_datastore"`
	} `json:"disk"`
	// network_device[i] is net<i>; a gap is null (network.go,
	// ReadNetworkDeviceObjects).
	NetworkDevice []*struct {
		Bridge     string `json:"bridge"`
		Model      string `json:"model"`
		MACAddress string `json:"mac_address"`
		VLANID     int64  `json:"vlan_id"`
		Firewall   bool   `json:"firewall"`
		Enabled    *bool  `json:"enabled"`
	} `json:"network_device"`
	OnBoot     *bool `json:"on_boot"`
	Started    *bool `json:"started"`
	Protection bool  `json:"protection"`
	Template   bool  `json:"template"`
	SMBIOS     []struct {
		UUID string `json:"uuid"`
	} `json:"smbios"`
}

// bpg's defaults (vm.go: dvOnBoot, dvStarted, dvCPUCores, dvCPUType,
// dvMemoryDedicated), for attributes a state does not hold.
const (
	bpgDefaultCPUType  = "qemu64"
	bpgDefaultMemoryMB = 512
)

func mapBPGState(raw []byte) (movedVM, []string) {
	var s bpgVMState
	if err := json.Unmarshal(raw, &s); err != nil {
		return movedVM{}, []string{"the prior state is not valid JSON: " + err.Error()}
	}
	vm := movedVM{
		Node: s.NodeName, Name: s.Name, Description: s.Description, Tags: nonNil(s.Tags),
		CPUType: bpgDefaultCPUType, MemoryMB: bpgDefaultMemoryMB,
		Started: boolOr(s.Started, true), OnBoot: boolOr(s.OnBoot, true), Protection: s.Protection,
		Disks: map[string]movedDisk{}, Networks: map[string]movedNetwork{},
	}
	if s.VMID != nil && *s.VMID > 0 {
		vm.VMID = *s.VMID
	} else if id, err := strconv.ParseInt(s.ID, 10, 64); err == nil {
		vm.VMID = id
	}
	problems := vm.identityProblems("vm_id", "node_name")
	if s.Template {
		problems = append(problems, "it is a template; proxmoxsafe_vm manages VMs, and uses templates as clone.source")
	}
	if len(s.CPU) > 0 {
		vm.Cores, vm.Sockets = s.CPU[0].Cores, s.CPU[0].Sockets
		if s.CPU[0].Type != "" {
			vm.CPUType = s.CPU[0].Type
		}
	}
	if len(s.Memory) > 0 && s.Memory[0].Dedicated > 0 {
		vm.MemoryMB = s.Memory[0].Dedicated
	}
	for _, d := range s.Disk {
		problems = append(problems, vm.addDisk(d.Interface, d.DatastoreID, d.Size, d.PathInDatastore)...)
	}
	for i, n := range s.NetworkDevice {
		if n == nil || (n.Enabled != nil && !*n.Enabled) {
			continue // no device at that index
		}
		problems = append(problems, vm.addNetwork(fmt.Sprintf("net%d", i),
			movedNetwork{Bridge: n.Bridge, Model: n.Model, MAC: n.MACAddress, VLAN: n.VLANID, Firewall: n.Firewall})...)
	}
	if len(s.SMBIOS) > 0 {
		vm.UUID = s.SMBIOS[0].UUID
	}
	return vm, problems
}

// telmateVMState is the part of a proxmox_vm_qemu state we map, for v2 and
// v3 of Telmate/proxmox: v3 nests cpu and renamed several attributes, and
// keeps the old names as deprecated aliases.
type telmateVMState struct {
	VMID        int64    `json:"vmid"`
	TargetNode  string   `json:"target_node"`
	TargetNodes []string `json:"target_nodes"`
	CurrentNode string   `json:"current_node"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Desc        *string  `json:"desc"` // v2; deprecated alias in v3
	Tags        string   `json:"tags"` // "a;b" or "a,b"
	Memory      int64    `json:"memory"`
	Cores       int64    `json:"cores"`    // v2; deprecated alias in v3
	Sockets     int64    `json:"sockets"`  // v2; deprecated alias in v3
	CPUType     string   `json:"cpu_type"` // deprecated alias in v3
	// cpu is the CPU type (a string) in v2 and a block in v3.
	CPU     json.RawMessage  `json:"cpu"`
	Disk    []telmateDisk    `json:"disk"`
	Disks   []map[string]any `json:"disks"`
	Network []telmateNetwork `json:"network"`
	OnBoot  *bool            `json:"onboot"` // v2; deprecated alias in v3
	AtBoot  *bool            `json:"start_at_node_boot"`
	Power   string           `json:"power_state"` // running | stopped
	VMState string           `json:"vm_state"`    // running | stopped | started
	SMBIOS  []telmateSMBIOS  `json:"smbios"`

	Protection bool `json:"protection"`
}

type telmateSMBIOS struct {
	UUID string `json:"uuid"`
}

type telmateDisk struct {
	// Slot is "scsi0" in v3; in v2 a number that Type (the bus) prefixes.
	Slot    json.RawMessage `json:"slot"`
	Type    string          `json:"type"`
	Storage string          `json:"storage"`
	Size    string          `json:"size"`
}

type telmateNetwork struct {
	ID       *int64 `json:"id"` // v3; v2 numbers the blocks in order
	Bridge   string `json:"bridge"`
	Model    string `json:"model"`
	MAC      string `json:"macaddr"`
	Tag      int64  `json:"tag"` // v2 writes -1 for none
	Firewall bool   `json:"firewall"`
}

func mapTelmateState(raw []byte) (movedVM, []string) {
	var s telmateVMState
	if err := json.Unmarshal(raw, &s); err != nil {
		return movedVM{}, []string{"the prior state is not valid JSON: " + err.Error()}
	}
	vm := movedVM{
		VMID: s.VMID, Name: s.Name, Description: s.Description, MemoryMB: s.Memory, Protection: s.Protection,
		Cores: s.Cores, Sockets: s.Sockets, CPUType: s.CPUType,
		OnBoot: boolOr(s.AtBoot, boolOr(s.OnBoot, false)), Started: true,
		Disks: map[string]movedDisk{}, Networks: map[string]movedNetwork{},
	}
	switch {
	case s.CurrentNode != "":
		vm.Node = s.CurrentNode
	case s.TargetNode != "":
		vm.Node = s.TargetNode
	case len(s.TargetNodes) == 1:
		vm.Node = s.TargetNodes[0]
	}
	if vm.Description == nil {
		vm.Description = s.Desc
	}
	vm.Tags = splitTelmateTags(s.Tags)
	for _, state := range []string{s.Power, s.VMState} {
		if state != "" {
			vm.Started = state != "stopped"
			break
		}
	}
	problems := vm.identityProblems("vmid", "target_node")
	problems = append(problems, vm.mapTelmateCPU(s.CPU)...)
	for i, d := range s.Disk {
		problems = append(problems, vm.mapTelmateDisk(i, d)...)
	}
	problems = append(problems, vm.mapTelmateNestedDisks(s.Disks)...)
	for i, n := range s.Network {
		id := int64(i)
		if n.ID != nil {
			id = *n.ID
		}
		vlan := n.Tag
		if vlan < 0 {
			vlan = 0
		}
		problems = append(problems, vm.addNetwork(fmt.Sprintf("net%d", id),
			movedNetwork{Bridge: n.Bridge, Model: n.Model, MAC: n.MAC, VLAN: vlan, Firewall: n.Firewall})...)
	}
	if len(s.SMBIOS) > 0 {
		vm.UUID = s.SMBIOS[0].UUID
	}
	return vm, problems
}

// mapTelmateCPU reads v2's cpu string or v3's cpu block.
func (vm *movedVM) mapTelmateCPU(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var cpuType string
	if json.Unmarshal(raw, &cpuType) == nil {
		if cpuType != "" {
			vm.CPUType = cpuType
		}
		return nil
	}
	var blocks []struct {
		Cores   int64  `json:"cores"`
		Sockets int64  `json:"sockets"`
		Type    string `json:"type"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return []string{"cpu is neither a CPU type nor a cpu block: " + err.Error()}
	}
	if len(blocks) > 0 {
		b := blocks[0]
		if b.Cores > 0 {
			vm.Cores = b.Cores
		}
		if b.Sockets > 0 {
			vm.Sockets = b.Sockets
		}
		if b.Type != "" {
			vm.CPUType = b.Type
		}
	}
	return nil
}

// mapTelmateDisk reads one disk block: v3 names its slot ("scsi0") and says
// what it is in type; v2 gives the bus in type and a number in slot.
func (vm *movedVM) mapTelmateDisk(index int, d telmateDisk) []string {
	var slot string
	var number int64
	switch {
	case json.Unmarshal(d.Slot, &slot) == nil && slot != "":
		switch d.Type {
		case "", "disk":
		case "cdrom", "cloudinit", "ignore":
			return nil // not a disk proxmoxsafe_vm manages
		default:
			return []string{fmt.Sprintf("disk %s has type %q, which proxmoxsafe_vm cannot manage", slot, d.Type)}
		}
	case json.Unmarshal(d.Slot, &number) == nil:
		slot = d.Type + strconv.FormatInt(number, 10)
	default:
		return []string{fmt.Sprintf("disk block %d has no slot; Telmate/proxmox records one after apply", index)}
	}
	size, problem := telmateSizeGB(d.Size)
	if problem != "" {
		return []string{fmt.Sprintf("disk %s: %s", slot, problem)}
	}
	return vm.addDisk(slot, d.Storage, size, "")
}

// mapTelmateNestedDisks reads v3's disks { scsi { scsi0 { disk { ... } } } }.
func (vm *movedVM) mapTelmateNestedDisks(disks []map[string]any) []string {
	var problems []string
	for _, buses := range disks {
		for _, bus := range sortedKeys(buses) {
			for _, slots := range asObjects(buses[bus]) {
				for _, slot := range sortedKeys(slots) {
					for _, kinds := range asObjects(slots[slot]) {
						problems = append(problems, vm.mapTelmateSlot(slot, kinds)...)
					}
				}
			}
		}
	}
	return problems
}

func (vm *movedVM) mapTelmateSlot(slot string, kinds map[string]any) []string {
	var problems []string
	for _, kind := range sortedKeys(kinds) {
		for _, d := range asObjects(kinds[kind]) {
			switch kind {
			case "disk":
				storage, _ := d["storage"].(string)
				sizeText, _ := d["size"].(string)
				size, problem := telmateSizeGB(sizeText)
				if problem != "" {
					problems = append(problems, fmt.Sprintf("disk %s: %s", slot, problem))
					continue
				}
				problems = append(problems, vm.addDisk(slot, storage, size, "")...)
			case "passthrough":
				problems = append(problems, fmt.Sprintf("disk %s passes a host device through, which proxmoxsafe_vm cannot manage", slot))
			}
			// cdrom and cloudinit are not disks proxmoxsafe_vm manages.
		}
	}
	return problems
}

// asObjects reads a nested block list of a raw state.
func asObjects(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// telmateSizeGB converts Telmate's disk size: a number with an optional
// K, M, G or T suffix, GiB without one (Internal/helper/size, Parse_Unsafe).
// A size that is no whole GiB rounds up, as refresh and import round what
// Proxmox VE reports (pve.ParseDisk).
func telmateSizeGB(size string) (int64, string) {
	const gib = 1024 * 1024 // in KiB
	units := map[byte]int64{'K': 1, 'M': 1024, 'G': gib, 'T': 1024 * gib}
	number, unit := size, int64(gib)
	if n := len(size); n > 0 {
		if u, ok := units[size[n-1]]; ok {
			number, unit = size[:n-1], u
		}
	}
	v, err := strconv.ParseInt(number, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Sprintf("size %q is not a disk size", size)
	}
	return (v*unit + gib - 1) / gib, ""
}

// splitTelmateTags reads Telmate's tags string, which PVE separates with
// semicolons and users often with commas.
func splitTelmateTags(tags string) []string {
	out := append([]string{}, strings.FieldsFunc(tags, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })...)
	sort.Strings(out)
	return out
}

// addDisk records a disk, refusing what proxmoxsafe_vm cannot express.
func (vm *movedVM) addDisk(iface, storage string, sizeGB int64, volume string) []string {
	switch {
	case !diskIfaceRegexp.MatchString(iface):
		return []string{fmt.Sprintf("disk interface %q is not one proxmoxsafe_vm manages (scsi0-30, virtio0-15, sata0-5, ide0-3)", iface)}
	case vm.Disks[iface] != (movedDisk{}):
		return []string{fmt.Sprintf("several disks use interface %s; a VM has one disk per interface, so the state does not say which one is real", iface)}
	case storage == "" || sizeGB <= 0:
		return []string{fmt.Sprintf("disk %s has no storage or size", iface)}
	}
	vm.Disks[iface] = movedDisk{Storage: storage, SizeGB: sizeGB, Volume: volume}
	return nil
}

// addNetwork records a network device.
func (vm *movedVM) addNetwork(iface string, n movedNetwork) []string {
	if !netIfaceRegexp.MatchString(iface) {
		return []string{fmt.Sprintf("network device %s is not one proxmoxsafe_vm manages (net0-31)", iface)}
	}
	if _, taken := vm.Networks[iface]; taken {
		return []string{fmt.Sprintf("several network devices are %s", iface)}
	}
	if n.Bridge == "" {
		return []string{fmt.Sprintf("network device %s has no bridge; proxmoxsafe_vm requires one", iface)}
	}
	if n.Model == "" {
		n.Model = "virtio"
	}
	vm.Networks[iface] = n
	return nil
}

func boolOr(b *bool, fallback bool) bool {
	if b == nil {
		return fallback
	}
	return *b
}
