package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	proxmox "github.com/luthermonson/go-proxmox"
)

// InventoryVM is one guest as /cluster/resources lists it.
type InventoryVM struct {
	VMID       int
	Node, Name string
	// NameKnown is false while PVE's statistics lag behind a new VM or its
	// node is offline: the list then has no name for it.
	NameKnown bool
	Type      string // qemu|lxc
	Status    string // running|stopped|unknown
	Template  bool
	Tags      []string
	Uptime    int64
	Lock      string
	Pool      string // resource pool; "" for none
}

// IsQEMU reports whether the guest is a QEMU VM (not a container). An entry
// without a type is taken for a VM, as only VMs carry the names we protect.
func (vm InventoryVM) IsQEMU() bool { return vm.Type == "" || vm.Type == "qemu" }

// BeingCreated reports whether a create or clone task still holds the VM
// and its name is not published yet: the list has none, or PVE's stand-in
// "VM <vmid>" for a config without a name (qemu-server QemuServer.pm
// vmstatus: `$conf->{name} || "VM $vmid"`). A clone's config holds only
// "lock: clone" until its task writes the rest (API2/Qemu.pm clone_vm), and
// a create's only "lock: create" (create_and_lock_config), however long the
// disks take; the statistics list such a VM under the stand-in.
func (vm InventoryVM) BeingCreated() bool {
	unnamed := !vm.NameKnown || vm.Name == "" || vm.Name == fmt.Sprintf("VM %d", vm.VMID)
	return isCreationLock(vm.Lock) && unnamed
}

// Inventory is every guest the caller may see, cluster-wide.
type Inventory struct {
	VMs []InventoryVM // sorted by VMID
	// ReadAt is when the read started: the list is at least this fresh.
	ReadAt time.Time
}

type resourceEntry struct {
	ID       string   `json:"id"`
	VMID     flexInt  `json:"vmid"`
	Node     string   `json:"node"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Template flexBool `json:"template"`
	Tags     string   `json:"tags"`
	Uptime   flexInt  `json:"uptime"`
	Lock     string   `json:"lock"`
	Pool     string   `json:"pool"`
}

// Inventory lists every VM and container on every node with one GET
// /cluster/resources?type=vm. PVE silently leaves out guests the caller
// may not audit; CanSeeAllVMs tells whether that can happen.
func (c *Client) Inventory(ctx context.Context) (*Inventory, error) {
	ctx = c.logCtx(ctx)
	readAt := time.Now()
	var entries []resourceEntry
	// Raw: go-proxmox's ClusterResources entries have no Lock.
	if err := c.get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &entries); err != nil {
		return nil, err
	}
	inv := &Inventory{ReadAt: readAt, VMs: make([]InventoryVM, 0, len(entries))}
	for _, e := range entries {
		vm, ok := inventoryVM(e)
		if ok {
			inv.VMs = append(inv.VMs, vm)
		}
	}
	sort.Slice(inv.VMs, func(i, j int) bool { return inv.VMs[i].VMID < inv.VMs[j].VMID })
	return inv, nil
}

func inventoryVM(e resourceEntry) (InventoryVM, bool) {
	typ, idPart, _ := strings.Cut(e.ID, "/")
	if e.Type != "" {
		typ = e.Type
	}
	if typ != "qemu" && typ != "lxc" {
		return InventoryVM{}, false
	}
	vmid := int(e.VMID)
	if vmid == 0 {
		n, err := strconv.Atoi(idPart)
		if err != nil {
			return InventoryVM{}, false
		}
		vmid = n
	}
	return InventoryVM{
		VMID:      vmid,
		Node:      e.Node,
		Name:      e.Name,
		NameKnown: e.Name != "",
		Type:      typ,
		Status:    e.Status,
		Template:  bool(e.Template),
		Tags:      ParseTags(e.Tags),
		Uptime:    int64(e.Uptime),
		Lock:      e.Lock,
		Pool:      e.Pool,
	}, true
}

// maxNameLookups bounds the config reads ResolveNames has in flight at once:
// enough to hide latency, few enough not to flood pveproxy's workers.
const maxNameLookups = 8

// KnownName returns a name the caller already knows for a guest the list
// shows without one, and whether it knows one.
type KnownName func(vm InventoryVM) (string, bool)

// ResolveNames fills Name and NameKnown of every entry the list had no name
// for: from known when it knows the name, otherwise by reading the guest's
// config (one GET each, at most maxNameLookups at a time). It returns the
// VMIDs it could not read (node offline, VM moved or gone), sorted; callers
// must treat them as possible duplicates. Only a failure that would hit every
// read (cancelled context, rejected credentials) is returned as an error.
func (c *Client) ResolveNames(ctx context.Context, inv *Inventory, known KnownName) ([]int, error) {
	ctx = c.logCtx(ctx)
	if inv == nil {
		return nil, nil
	}
	var lookups []*InventoryVM
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		if vm.NameKnown {
			continue
		}
		if known != nil {
			if name, ok := known(*vm); ok {
				vm.Name, vm.NameKnown = name, true
				continue
			}
		}
		lookups = append(lookups, vm)
	}
	if len(lookups) == 0 {
		return nil, nil
	}

	var (
		mu         sync.Mutex
		unresolved []int
		fatal      error
		wg         sync.WaitGroup
	)
	sem := make(chan struct{}, maxNameLookups)
	for _, vm := range lookups {
		sem <- struct{}{}
		mu.Lock()
		stop := fatal != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func(vm *InventoryVM) {
			defer func() { <-sem; wg.Done() }()
			// Each goroutine writes only its own entry.
			name, err := c.readGuestName(ctx, vm)
			if err == nil {
				vm.Name, vm.NameKnown = name, true
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil || errors.Is(err, ErrUnauthorized) {
				if fatal == nil {
					fatal = err
				}
				return
			}
			tflog.SubsystemDebug(ctx, logSubsystem, "Could not read the name of a guest", map[string]any{
				"vmid": vm.VMID, "node": vm.Node, "error": err.Error(),
			})
			unresolved = append(unresolved, vm.VMID)
		}(vm)
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	sort.Ints(unresolved)
	return unresolved, nil
}

func (c *Client) readGuestName(ctx context.Context, vm *InventoryVM) (string, error) {
	if vm.Node == "" {
		return "", fmt.Errorf("guest %d has no node in the inventory", vm.VMID)
	}
	kind, key := "qemu", "name"
	if vm.Type == "lxc" {
		kind, key = "lxc", "hostname"
	}
	// Raw: the typed configs need a Node (a GET of its own) and drop keys.
	cfg, err := c.readConfig(ctx, fmt.Sprintf("/nodes/%s/%s/%d/config", url.PathEscape(vm.Node), kind, vm.VMID))
	if err != nil {
		return "", err
	}
	return cfg[key], nil
}

// CanSeeAllVMs reports whether the caller holds VM.Audit on "/" or "/vms",
// the only way /cluster/resources lists every VM.
func (c *Client) CanSeeAllVMs(ctx context.Context) (bool, error) {
	ctx = c.logCtx(ctx)
	var perms proxmox.Permissions
	err := c.send(ctx, http.MethodGet, "/access/permissions", nil, func(actx context.Context) error {
		var err error
		perms, err = c.api.Permissions(actx, nil)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, p := range []string{"/", "/vms"} {
		if perms[p]["VM.Audit"] {
			return true, nil
		}
	}
	return false, nil
}
