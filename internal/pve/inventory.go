package pve

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// InventoryVM is one guest as /cluster/resources lists it.
type InventoryVM struct {
	VMID       int
	Node, Name string
	// NameKnown is false while the name is unread: /cluster/resources has
	// none for a VM its statistics lag behind, and ReadLiveNames none for a
	// VM whose node could not list it.
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
	// Offline holds the cluster members corosync reports down: pveproxy
	// cannot forward a request to them (ReadLiveNames does not try).
	Offline map[string]bool
	// ReadAt is when the read started: the list is at least this fresh.
	ReadAt time.Time
}

// resourceEntries is /cluster/resources: an entry takes at least about 150
// bytes (a guest about 300: id, vmid, node, type, status and statistics).
type resourceEntries []resourceEntry

func (l *resourceEntries) presize(n int64) { presize((*[]resourceEntry)(l), n, 150) }

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

// Inventory lists every VM and container on every node, and which nodes
// are offline, with one GET /cluster/resources (no type: the nodes come in
// the same answer, listed for every caller, with status "offline" for a
// member corosync reports down; pve-manager PVE/API2/Cluster.pm resources,
// PVE/API2Tools.pm extract_node_stats). PVE silently leaves out guests the
// caller may not audit; CanSeeAllVMs tells whether that can happen.
func (c *Client) Inventory(ctx context.Context) (*Inventory, error) {
	ctx = c.logCtx(ctx)
	readAt := time.Now()
	var entries resourceEntries
	// Raw: go-proxmox's ClusterResources entries have no Lock.
	if err := c.get(ctx, "/cluster/resources", nil, &entries); err != nil {
		return nil, err
	}
	inv := &Inventory{ReadAt: readAt, VMs: make([]InventoryVM, 0, len(entries)), Offline: map[string]bool{}}
	for _, e := range entries {
		if e.Type == "node" && e.Status == "offline" {
			inv.Offline[e.Node] = true
			continue
		}
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
		Tags:      parseTags(e.Tags),
		Uptime:    int64(e.Uptime),
		Lock:      e.Lock,
		Pool:      e.Pool,
	}, true
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
