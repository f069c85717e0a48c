package pve

import (
	"context"
	"sync"
)

// vmidReservations remembers every VMID this client handed out, so that
// parallel creates of one provider process never pick the same one.
//
// PVE reserves nothing: GET /cluster/nextid returns the lowest VMID that is
// not in the cluster's vmlist at the time of the call (pve-manager
// PVE/API2/Cluster.pm, method "nextid"), and the VMID only becomes taken
// when the create request writes its config (qemu-server
// PVE/API2/Qemu.pm create_vm, PVE::QemuConfig->create_and_lock_config).
// Twenty resources that ask at once all get the same answer.
type vmidReservations struct {
	mu     sync.Mutex
	handed map[int]bool
}

// claim returns the first VMID from start on that this client has not
// handed out yet, and records it as handed out.
func (v *vmidReservations) claim(start int) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.handed == nil {
		v.handed = map[int]bool{}
	}
	id := start
	for v.handed[id] {
		id++
	}
	v.handed[id] = true
	return id
}

// AllocateVMID returns a VMID that is free in the cluster now and that this
// client never handed out before. Another client (another terraform run) can
// still take it first: create with it at once, and on ErrAlreadyExists call
// AllocateVMID again (the ID stays remembered, so it is skipped).
func (c *Client) AllocateVMID(ctx context.Context) (int, error) {
	ctx = c.logCtx(ctx)
	start, err := c.NextID(ctx)
	if err != nil {
		return 0, err
	}
	for {
		id := c.vmids.claim(start)
		if id == start {
			// nextid just said it is free.
			return id, nil
		}
		// Above the lowest free VMID, IDs may belong to other guests.
		free, err := c.isIDFree(ctx, id)
		if err != nil {
			return 0, err
		}
		if free {
			return id, nil
		}
		start = id + 1
	}
}
