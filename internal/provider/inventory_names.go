package provider

import (
	"sync"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// statsCycle is how often PVE refreshes the statistics behind the names in
// /cluster/resources: pvestatd runs its update loop every 10 s (pve-manager
// PVE/Service/pvestatd.pm, `my $updatetime = 10`), and extract_vm_stats
// (PVE/API2Tools.pm) takes a VM's name from that data. The name checks do
// not rely on those names (pve.Client.ReadLiveNames reads them from the
// configs through each node's list); the book trusts a name for one cycle
// after our create ended, when the config has it anyway.
const statsCycle = 10 * time.Second

// nameBook remembers the names of the VMs this process creates, for the
// cluster reads that meet them before PVE wrote their names: a create's
// config holds only "lock: create" until its task writes the rest
// (qemu-server PVE/API2/Qemu.pm create_vm: create_and_lock_config, then
// write_config at the end of the worker), a clone's only "lock: clone"
// (clone_vm), and the node list shows PVE's stand-in "VM <vmid>"
// (QemuServer.pm vmstatus). Without the book such a VM is one still being
// created, and the checks after the creates of a wave would wait for the
// wave's own VMs.
//
// The name is ours for as long as the create task runs: PVE holds the
// "create" lock on the config, and every config change (a rename too) fails
// on that lock (API2/Qemu.pm update_vm_api: $load_and_check_config calls
// check_lock; only root@pam can pass skiplock). Entries are trusted only
// while the list shows the VMID on the same node as a VM, and for one
// statsCycle after the task ended.
type nameBook struct {
	mu       sync.Mutex
	now      func() time.Time
	creating map[int]knownName // VMs this process created or is creating
}

type knownName struct {
	node, typ, name string
	// trustedUntil is when the name must be looked up again; zero while
	// our create task still holds the VM's lock.
	trustedUntil time.Time
	// answered is closed once PVE answered the create request; until then
	// the VM at this VMID may be ours or someone else's.
	answered chan struct{}
}

// maxWaitForAnswer bounds how long a cluster read waits for the answer to
// one of our create requests before it looks the VM up instead.
const maxWaitForAnswer = 5 * time.Second

func newNameBook() *nameBook {
	return &nameBook{now: time.Now, creating: map[int]knownName{}}
}

// createRequested records a create (or clone) request about to be sent. A
// cluster read that meets the VMID without a name before PVE answers waits
// for the answer: the VM is ours if PVE accepts.
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
	b.mu.Unlock()
}

// lookup is a pve.KnownName: the name we gave a VM PVE has not named yet,
// while it is trusted.
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
	k, ok := b.creating[vm.VMID]
	switch {
	case !ok || k.answered != nil || k.node != vm.Node || k.typ != guestType(vm):
		return "", false
	case !k.trustedUntil.IsZero() && b.now().After(k.trustedUntil):
		return "", false
	}
	return k.name, true
}

func guestType(vm pve.InventoryVM) string {
	if vm.Type == "" {
		return "qemu"
	}
	return vm.Type
}
