package pve

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"sort"
	"sync"
)

// NodeVM is one VM as its node lists it, read from its config as the node
// answers: GET /nodes/{node}/qemu (qemu-server PVE/API2/Qemu.pm vmlist ->
// PVE/QemuServer.pm vmstatus). vmstatus walks the node's VMs in the
// cluster's vmlist (config_list), loads each config and reports
// `$conf->{name} || "VM $vmid"`, status running/stopped from the QEMU pid,
// template 1 only for a template, lock and tags only when set, and leaves
// out VMs the caller lacks VM.Audit on (/vms/<vmid>), as /cluster/resources
// does. pveproxy forwards the request to the node (proxyto => 'node'); a
// node it cannot reach fails it (pve-http-server PVE/APIServer/AnyEvent.pm
// proxy_request: the 595/596 pseudo-statuses of AnyEvent::HTTP).
type NodeVM struct {
	VMID     int
	Name     string // "VM <vmid>" for a config without a name
	Status   string // running|stopped
	Template bool
	Tags     []string
	Lock     string
	Uptime   int64
}

// nodeVMEntries is GET /nodes/{node}/qemu: an entry takes at least about 150
// bytes (vmid, name, status and the statistics of vmstatus).
type nodeVMEntries []nodeVMEntry

func (l *nodeVMEntries) presize(n int64) { presize((*[]nodeVMEntry)(l), n, 150) }

// nodeVMEntry is one entry of GET /nodes/{node}/qemu, the fields we use.
type nodeVMEntry struct {
	VMID     flexInt  `json:"vmid"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Template flexBool `json:"template"`
	Tags     string   `json:"tags"`
	Lock     string   `json:"lock"`
	Uptime   flexInt  `json:"uptime"`
}

// nodeVMs lists the VMs of one node, live from their configs.
func (c *Client) nodeVMs(ctx context.Context, node string) ([]NodeVM, error) {
	ctx = c.logCtx(ctx)
	var entries nodeVMEntries
	// Raw: go-proxmox's Node.VirtualMachines has the fields, but its answer
	// is decoded twice through maps by encoding/json (see decodeData): at
	// 10,000 VMs that tripled the CPU of a cluster read
	// (BenchmarkInventory10000: 127 against 59 cpu-ms).
	if err := c.get(ctx, "/nodes/"+url.PathEscape(node)+"/qemu", nil, &entries); err != nil {
		return nil, err
	}
	out := make([]NodeVM, 0, len(entries))
	for _, e := range entries {
		out = append(out, NodeVM{
			VMID: int(e.VMID), Name: e.Name, Status: e.Status, Template: bool(e.Template),
			Tags: parseTags(e.Tags), Lock: e.Lock, Uptime: int64(e.Uptime),
		})
	}
	return out, nil
}

// maxNodeLists bounds the node lists ReadLiveNames has in flight at once.
const maxNodeLists = 8

// KnownName returns a name the caller already knows for a VM whose name
// PVE has not published yet, and whether it knows one.
type KnownName func(vm InventoryVM) (string, bool)

// ReadLiveNames replaces what /cluster/resources said of each QEMU VM of
// inv (name, status, template, tags, lock, uptime) with what its node
// lists now: one GET /nodes/{node}/qemu per online node that hosts a QEMU
// VM in inv, at most maxNodeLists at a time, sent after inv was read.
//
// Why: /cluster/resources takes name, status and template from the
// statistics, which pve-manager PVE/API2Tools.pm extract_vm_stats keys by
// VMID alone and pve-cluster src/pmxcfs/status.c (rrd_entry_is_old) keeps
// for 5 minutes after the last update. A VM created on a recycled VMID is
// listed under its predecessor's name until its node's next statistics
// update; a new VM under no name at all. The node list reads the config.
//
// What it cannot list stays unchecked: every QEMU VM of a node whose list
// failed or that is offline loses its listed name and is returned
// among the unresolved VMIDs, sorted, which callers must treat as possible
// duplicates. A VM that no list shows although every list was read was
// removed after inv was read and is dropped; a VM the lists show and inv
// did not is added. known fills the name of a VM PVE has not named yet (no
// list, or a create or clone still writing its config: BeingCreated). Only
// a failure that would hit every list (cancelled context, rejected
// credentials) is returned as an error.
func (c *Client) ReadLiveNames(ctx context.Context, inv *Inventory, known KnownName) ([]int, error) {
	ctx = c.logCtx(ctx)
	if inv == nil {
		return nil, nil
	}
	var online []string
	failed := map[string]bool{}
	for _, node := range qemuNodes(inv.VMs) {
		if inv.Offline[node] {
			failed[node] = true // its list would wait for pveproxy to give up
		} else {
			online = append(online, node)
		}
	}
	lists, err := c.nodeLists(ctx, online, failed)
	if err != nil {
		return nil, err
	}
	unresolved := mergeLive(inv, lists, len(failed) > 0)
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		if !vm.IsQEMU() || (vm.NameKnown && !vm.BeingCreated()) || known == nil {
			continue
		}
		if name, ok := known(*vm); ok {
			vm.Name, vm.NameKnown = name, true
			unresolved = slices.DeleteFunc(unresolved, func(id int) bool { return id == vm.VMID })
		}
	}
	return unresolved, nil
}

// qemuNodes is the sorted set of nodes that host a QEMU VM of vms.
func qemuNodes(vms []InventoryVM) []string {
	seen := map[string]bool{}
	for _, vm := range vms {
		if vm.IsQEMU() && vm.Node != "" {
			seen[vm.Node] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// nodeLists reads the list of each node and adds those it could not read
// to failed.
func (c *Client) nodeLists(ctx context.Context, nodes []string, failed map[string]bool) (map[string][]NodeVM, error) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		lists = make(map[string][]NodeVM, len(nodes))
		fatal error
	)
	sem := make(chan struct{}, maxNodeLists)
	for _, node := range nodes {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			vms, err := c.nodeVMs(ctx, node)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				lists[node] = vms
			case ctx.Err() != nil || errors.Is(err, ErrUnauthorized):
				if fatal == nil {
					fatal = err
				}
			default:
				logDebug(ctx, "Could not list the VMs of a node", map[string]any{"node": node, "error": err.Error()})
				failed[node] = true
			}
		}()
	}
	wg.Wait()
	return lists, fatal
}

// mergeLive applies the node lists to inv and returns the VMIDs whose name
// could not be read, sorted. anyFailed says some node's list is missing: a
// VM no list shows may have moved there.
func mergeLive(inv *Inventory, lists map[string][]NodeVM, anyFailed bool) []int {
	type placed struct {
		node string
		vm   NodeVM
	}
	n := 0
	for _, vms := range lists {
		n += len(vms)
	}
	live := make(map[int]placed, n)
	for node, vms := range lists {
		for _, vm := range vms {
			live[vm.VMID] = placed{node, vm}
		}
	}
	var unresolved []int
	kept := inv.VMs[:0]
	for _, vm := range inv.VMs {
		if !vm.IsQEMU() {
			kept = append(kept, vm)
			continue
		}
		p, ok := live[vm.VMID]
		switch {
		case ok:
			delete(live, vm.VMID)
			vm.Node = p.node
			applyLive(&vm, p.vm)
		case lists[vm.Node] == nil || anyFailed:
			vm.Name, vm.NameKnown = "", false
			unresolved = append(unresolved, vm.VMID)
		default:
			continue // removed after the cluster list was read
		}
		kept = append(kept, vm)
	}
	inv.VMs = kept
	for vmid, p := range live {
		// Created after the cluster list was read.
		vm := InventoryVM{VMID: vmid, Node: p.node, Type: "qemu"}
		applyLive(&vm, p.vm)
		inv.VMs = append(inv.VMs, vm)
	}
	sort.Slice(inv.VMs, func(i, j int) bool { return inv.VMs[i].VMID < inv.VMs[j].VMID })
	sort.Ints(unresolved)
	return unresolved
}

func applyLive(vm *InventoryVM, live NodeVM) {
	vm.Name, vm.NameKnown = live.Name, true
	vm.Status, vm.Template, vm.Tags, vm.Lock, vm.Uptime = live.Status, live.Template, live.Tags, live.Lock, live.Uptime
}
