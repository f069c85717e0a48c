package provider

import (
	"strings"
	"sync"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// statsCycle is how often PVE refreshes the statistics behind the names in
// /cluster/resources: pvestatd runs its update loop every 10 s (pve-manager
// PVE/Service/pvestatd.pm, `my $updatetime = 10`), and extract_vm_stats
// (PVE/API2Tools.pm) takes a VM's name from that data. Every name the list
// shows can therefore be up to one cycle old, and a VM created or renamed
// less than a cycle ago has none or the old one.
const statsCycle = 10 * time.Second

// nameBook remembers the names of VMs that /cluster/resources lists without
// one, so that one run does not read a VM's config again on every cluster
// read: the VMs this process creates (it gave them their names) and the
// VMs whose config it read.
//
// Why a remembered name is safe for the guard: the guard never relies on a
// name older than the ones the list itself shows. A listed name may be up to
// one statsCycle old (above), so a name is trusted for one statsCycle after
// the last moment it was known to be true, and only while the list still
// shows the VM without a name, on the same node and as the same type (a
// VMID that moved or now holds a container is looked up again). After that
// the VM is looked up again: its node's statistics are stuck, and a stale
// name could hide a rename to the name being guarded.
//   - A VM this process creates carries the name it was given for as long as
//     its create task runs: PVE holds the "create" lock on its config, and
//     every config change (a rename too) fails on that lock (qemu-server
//     PVE/API2/Qemu.pm, update_vm_api: $load_and_check_config calls
//     check_lock; only root@pam can pass skiplock). The
//     name is known to be true until the task ends, so it is trusted until
//     one statsCycle after that; by then the list shows it.
//   - A name read from a config is known to be true when it was read.
//
// Renames are the one change a remembered name could hide, and the time
// bound above is what covers them: nothing in the list changes on a rename
// while it has no name for the VM.
//
// A VMID can also be taken by a new VM: a racing apply's loser removes its
// VM and nextid hands the VMID to the next create at once. A looked-up name
// is therefore forgotten when a read no longer lists its VMID, and trusted
// only while the list shows the VMID with the same tags and lock as when it
// was read (both come live from the config, pve-manager PVE/API2/Cluster.pm
// resources: get_guest_config_properties): a create of this provider
// always carries its own create marker. The guard does not rely on the book
// for the VMs that match a name either: it reads their configs anyway
// (inventoryWithCreationTimes) and takes name and tags from there.
type nameBook struct {
	mu       sync.Mutex
	now      func() time.Time
	creating map[int]knownName // VMs this process created or is creating
	resolved map[int]knownName // names read from configs
}

type knownName struct {
	node, typ, name string
	// trustedUntil is when the name must be looked up again; zero while
	// our create task still holds the VM's lock.
	trustedUntil time.Time
	// answered is closed once PVE answered the create request; until then
	// the VM at this VMID may be ours or someone else's.
	answered chan struct{}
	// fingerprint is what the list showed of a looked-up VM besides its
	// name; another value means the VMID may hold another VM now.
	fingerprint string
}

// maxWaitForAnswer bounds how long a cluster read waits for the answer to
// one of our create requests before it looks the VM up instead.
const maxWaitForAnswer = 5 * time.Second

func newNameBook() *nameBook {
	return &nameBook{now: time.Now, creating: map[int]knownName{}, resolved: map[int]knownName{}}
}

// createRequested records a create (or clone) request about to be sent. A
// cluster read that meets the VMID without a name before PVE answers waits
// for the answer rather than look the VM up: it is ours if PVE accepts.
func (b *nameBook) createRequested(vmid int, node, name string) {
	b.mu.Lock()
	b.creating[vmid] = knownName{node: node, typ: "qemu", name: name, answered: make(chan struct{})}
	b.mu.Unlock()
}

// createAnswered records PVE's answer to the create request: accepted, the
// VM holds the create lock and the name it gets is ours; refused, the VMID
// is someone else's.
func (b *nameBook) createAnswered(vmid int, accepted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.creating[vmid]
	if !ok || k.answered == nil {
		return
	}
	close(k.answered)
	if !accepted {
		delete(b.creating, vmid)
		return
	}
	k.answered = nil
	b.creating[vmid] = k
}

// createEnded starts the trust period of a created VM's name: its lock is
// gone, so from now on others could rename it.
func (b *nameBook) createEnded(vmid int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k, ok := b.creating[vmid]; ok {
		k.trustedUntil = b.now().Add(statsCycle)
		b.creating[vmid] = k
	}
}

// forget drops what the book knows of a VMID: the create failed, or the VM
// was destroyed.
func (b *nameBook) forget(vmid int) {
	b.mu.Lock()
	delete(b.creating, vmid)
	delete(b.resolved, vmid)
	b.mu.Unlock()
}

// gave returns the name this process gave the VM at a VMID when it created
// it.
func (b *nameBook) gave(vmid int) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.creating[vmid]
	return k.name, ok
}

// lookup is a pve.KnownName: the remembered name of an entry the list shows
// without one, while it is trusted.
func (b *nameBook) lookup(vm pve.InventoryVM) (string, bool) {
	b.mu.Lock()
	if k, ok := b.creating[vm.VMID]; ok && k.answered != nil {
		b.mu.Unlock()
		select {
		case <-k.answered:
		case <-time.After(maxWaitForAnswer):
		}
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	now := b.now()
	for _, book := range []map[int]knownName{b.creating, b.resolved} {
		k, ok := book[vm.VMID]
		if !ok || k.answered != nil || k.node != vm.Node || k.typ != guestType(vm) {
			continue
		}
		if !k.trustedUntil.IsZero() && now.After(k.trustedUntil) {
			continue
		}
		if k.fingerprint != "" && k.fingerprint != fingerprint(vm) {
			continue
		}
		return k.name, true
	}
	return "", false
}

// learn remembers the names a cluster read had to look up. readAt is when
// the lookups started: the names were true no earlier than that. Empty
// names (a VM still being created by someone else) are not remembered.
func (b *nameBook) learn(vms []pve.InventoryVM, lookedUp map[int]bool, readAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	listed := make(map[int]bool, len(vms))
	for _, vm := range vms {
		listed[vm.VMID] = true
		if !lookedUp[vm.VMID] || !vm.NameKnown || vm.Name == "" {
			continue
		}
		if _, ours := b.creating[vm.VMID]; ours {
			continue
		}
		b.resolved[vm.VMID] = knownName{
			node: vm.Node, typ: guestType(vm), name: vm.Name, trustedUntil: readAt.Add(statsCycle),
			fingerprint: fingerprint(vm),
		}
	}
	// A VMID the list no longer shows was destroyed (or is hidden): a VM
	// that takes it later is another VM.
	for vmid := range b.resolved {
		if !listed[vmid] {
			delete(b.resolved, vmid)
		}
	}
}

// fingerprint is what the list shows live of a VM besides its name.
func fingerprint(vm pve.InventoryVM) string {
	return "tags=" + strings.Join(vm.Tags, ";") + " lock=" + vm.Lock
}

func guestType(vm pve.InventoryVM) string {
	if vm.Type == "" {
		return "qemu"
	}
	return vm.Type
}
