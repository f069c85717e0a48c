package pve

import "time"

// PVE's worker types of VM create and destroy tasks (qemu-server
// PVE/API2/Qemu.pm: create_vm forks 'qmcreate', destroy_vm 'qmdestroy').
const (
	taskTypeCreate  = "qmcreate"
	taskTypeDestroy = "qmdestroy"
)

// CreateTaskLength returns how long the latest VM create task on node that
// this client waited for took at most; 0 when it waited for none.
func (c *Client) CreateTaskLength(node string) time.Duration {
	return c.pace.latestLength(node, taskTypeCreate)
}

// ExpectDestroyLength tells the client that VM destroy tasks on node
// likely take about d: until it has seen one end, the first destroy's wait
// polls first after d (at most 5 s) instead of at once and every few
// hundred milliseconds. The length of the task that created the VM is
// such a hint: both tasks are dominated by the VM's volumes on the same
// storage (create_vm allocates them in its worker, create_disks; destroy_vm
// frees them in its). A hint that is too short costs polls, one too long
// costs waiting.
func (c *Client) ExpectDestroyLength(node string, d time.Duration) {
	if d > 0 {
		c.pace.expect(node, taskTypeDestroy, d)
	}
}
