package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// VM is a QEMU VM as its config (and, from GetVM, its status) describes it.
type VM struct {
	VMID                    int
	Node, Name, Description string
	Tags                    []string // normalised
	Cores, Sockets          int64
	CPUType                 string
	MemoryMB                int64
	Disks                   []Disk    // sorted by interface
	Networks                []Network // sorted by interface
	Hardware                Hardware  // hardware.go
	CDROMs                  []CDROM   // sorted by interface
	OnBoot, Protection      bool
	Template                bool
	Status                  string // running|stopped; empty from GetVMConfig
	Lock                    string
	UUID                    string // smbios1 uuid
	CreatedAt               int64  // meta ctime (unix seconds), 0 if absent
	Digest                  string
	Raw                     map[string]string // every config key, values as strings
	Agent                   Agent             // the "agent" key (agent.go)
	// Pending lists the keys whose change waits for the next start
	// (pending.go); filled by ReadVM only.
	Pending []string
	// GuestInterfaces are what the guest agent reported (agent.go); filled
	// by the caller, never from the config.
	GuestInterfaces []GuestInterface
	CloudInit       CloudInit
}

// BeingCreated reports whether a create or clone task still holds the VM
// (lock "create" or "clone") and its config carries no name yet.
func (vm *VM) BeingCreated() bool { return vm.Name == "" && isCreationLock(vm.Lock) }

// isCreationLock reports whether lock is the lock of a create or clone task.
func isCreationLock(lock string) bool { return lock == "create" || lock == "clone" }

// SameUUID reports whether two SMBIOS UUIDs are the same (hex digits compare
// case-insensitively).
func SameUUID(a, b string) bool { return strings.EqualFold(a, b) }

// PVE's schema defaults for keys a config may leave out.
const (
	defaultCores    = 1
	defaultSockets  = 1
	defaultMemoryMB = 512
)

func vmPath(node string, vmid int) string {
	return fmt.Sprintf("/nodes/%s/qemu/%d", url.PathEscape(node), vmid)
}

// GetVM reads the config and the live status: exactly two GETs. A VM that
// does not exist (on that node) is ErrNotFound.
func (c *Client) GetVM(ctx context.Context, node string, vmid int) (*VM, error) {
	ctx = c.logCtx(ctx)
	vm, err := c.getVMConfig(ctx, node, vmid)
	if err != nil {
		return nil, err
	}
	st, err := c.vmStatus(ctx, node, vmid)
	if err != nil {
		return nil, err
	}
	vm.Status = st.Status
	if vm.Lock == "" {
		vm.Lock = st.Lock
	}
	return vm, nil
}

// GetVMConfig reads the config only: one GET, Status stays empty.
func (c *Client) GetVMConfig(ctx context.Context, node string, vmid int) (*VM, error) {
	ctx = c.logCtx(ctx)
	return c.getVMConfig(ctx, node, vmid)
}

func (c *Client) getVMConfig(ctx context.Context, node string, vmid int) (*VM, error) {
	raw, err := c.readConfig(ctx, vmPath(node, vmid)+"/config")
	if err != nil {
		return nil, err
	}
	return parseVMConfig(node, vmid, raw), nil
}

// readConfig reads a config as strings, whatever JSON type PVE used.
func (c *Client) readConfig(ctx context.Context, path string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	// Raw: VirtualMachineConfig drops keys it does not know and reads any
	// "template" as true; we need every key as PVE wrote it.
	if err := c.get(ctx, path, nil, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		// PVE answers a missing VM with 500; an empty answer means the
		// same and must not pass for an empty config.
		return nil, &APIError{Method: "GET", Path: path, StatusCode: 404, Message: "the config is empty"}
	}
	return stringMap(raw), nil
}

type vmStatusReply struct {
	Status    string   `json:"status"`
	QMPStatus string   `json:"qmpstatus"`
	Name      string   `json:"name"`
	Lock      string   `json:"lock"`
	Uptime    flexInt  `json:"uptime"`
	Template  flexBool `json:"template"`
}

func (c *Client) vmStatus(ctx context.Context, node string, vmid int) (*vmStatusReply, error) {
	var st vmStatusReply
	// Raw: the typed VirtualMachine needs a Node and reads the config again.
	if err := c.get(ctx, vmPath(node, vmid)+"/status/current", nil, &st); err != nil {
		return nil, err
	}
	if st.Status == "" {
		return nil, fmt.Errorf("Proxmox VE API GET %s/status/current: the answer has no status", vmPath(node, vmid)) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	return &st, nil
}

// parseVMConfig turns a config into a VM. It never fails: what it cannot
// read stays in Raw.
func parseVMConfig(node string, vmid int, cfg map[string]string) *VM {
	vm := &VM{
		VMID:        vmid,
		Node:        node,
		Name:        cfg["name"],
		Description: cfg["description"],
		Tags:        parseTags(cfg["tags"]),
		Cores:       intOr(cfg["cores"], defaultCores),
		Sockets:     intOr(cfg["sockets"], defaultSockets),
		CPUType:     cpuType(cfg["cpu"]),
		MemoryMB:    memoryMB(cfg["memory"]),
		Hardware:    parseHardware(cfg),
		OnBoot:      cfg["onboot"] == "1",
		Protection:  cfg["protection"] == "1",
		// PVE writes "template" only for templates, but go-proxmox takes
		// any value for true; only 1 is a template.
		Template:  cfg["template"] == "1",
		Lock:      cfg["lock"],
		UUID:      propertyValue(cfg["smbios1"], "uuid"),
		CreatedAt: intOr(propertyValue(cfg["meta"], "ctime"), 0),
		Digest:    cfg["digest"],
		Raw:       cfg,
		Agent:     ParseAgent(cfg["agent"]),
		CloudInit: parseCloudInit(cfg),
	}
	for k, v := range cfg {
		switch {
		case IsDiskInterface(k):
			if d, ok := parseDisk(k, v); ok {
				vm.Disks = append(vm.Disks, d)
			}
		case isNetworkInterface(k):
			if n, ok := parseNetwork(k, v); ok {
				vm.Networks = append(vm.Networks, n)
			}
		}
	}
	vm.CDROMs = parseCDROMs(cfg)
	sort.Slice(vm.Disks, func(i, j int) bool { return interfaceLess(vm.Disks[i].Interface, vm.Disks[j].Interface) })
	sort.Slice(vm.Networks, func(i, j int) bool { return interfaceLess(vm.Networks[i].Interface, vm.Networks[j].Interface) })
	return vm
}

// cpuType is the model of a "cpu" value: "host,flags=+aes" or
// "cputype=host,flags=+aes" give "host".
func cpuType(v string) string {
	first, _, _ := strings.Cut(v, ",")
	if k, val, ok := strings.Cut(first, "="); ok {
		if k != "cputype" {
			return propertyValue(v, "cputype")
		}
		return val
	}
	return first
}

// memoryMB reads "memory": "2048", or PVE 8's "current=2048[,...]".
func memoryMB(v string) int64 {
	if v == "" {
		return defaultMemoryMB
	}
	first, _, _ := strings.Cut(v, ",")
	if k, val, ok := strings.Cut(first, "="); ok {
		if k != "current" {
			val = propertyValue(v, "current")
		}
		first = val
	}
	return intOr(first, defaultMemoryMB)
}

// propertyValue returns key's value from a property string "a=1,b=2".
func propertyValue(s, key string) string {
	for _, item := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(item), "="); ok && k == key {
			return v
		}
	}
	return ""
}

func intOr(s string, def int64) int64 {
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil {
			return def
		}
		return int64(f)
	}
	return n
}

// stringMap renders typed JSON values as PVE's strings: numbers as
// written, booleans as 1/0. Nulls are dropped.
func stringMap(raw map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if s, ok := jsonString(v); ok {
			out[k] = s
		}
	}
	return out
}

func jsonString(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", false
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false
		}
		return s, true
	case 't':
		return "1", true
	case 'f':
		return "0", true
	}
	return string(v), true
}

// flexInt accepts a JSON number, a numeric string or a boolean.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s, ok := jsonString(b)
	if !ok {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		n = int64(fl)
	}
	*f = flexInt(n)
	return nil
}

// flexBool accepts 0/1, "0"/"1" and true/false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s, _ := jsonString(b)
	*f = flexBool(s == "1" || s == "true")
	return nil
}

// NextID asks PVE for the first free VMID. PVE reserves nothing: create
// with the ID at once and expect ErrAlreadyExists when someone was faster.
func (c *Client) NextID(ctx context.Context) (int, error) {
	ctx = c.logCtx(ctx)
	var id flexInt
	// Raw: Cluster.NextID needs a Cluster, a GET /cluster/status first.
	if err := c.get(ctx, "/cluster/nextid", nil, &id); err != nil {
		return 0, err
	}
	if id < 100 {
		return 0, fmt.Errorf("Proxmox VE API GET /cluster/nextid: unexpected VMID %d", id) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	return int(id), nil
}

// isIDFree reports whether no VM or container uses vmid, cluster-wide.
func (c *Client) isIDFree(ctx context.Context, vmid int) (bool, error) {
	ctx = c.logCtx(ctx)
	var id flexInt
	// Raw: Cluster.CheckID needs a Cluster, a GET /cluster/status first.
	err := c.get(ctx, "/cluster/nextid", url.Values{"vmid": {strconv.Itoa(vmid)}}, &id)
	switch {
	case err == nil:
		return true, nil
	case isAlreadyExists(err):
		return false, nil
	}
	return false, err
}

func isAlreadyExists(err error) bool {
	return errors.Is(err, ErrAlreadyExists)
}
