package pve

import (
	"context"
	"encoding/json"
	"sort"
)

// pendingItem is one entry of GET .../pending (qemu-server API2/Qemu.pm
// vm_pending, built by GuestHelpers.pm config_with_pending_array): a key
// with its current value, the value waiting for the next start, and
// whether its deletion waits.
type pendingItem struct {
	Key     string          `json:"key"`
	Pending json.RawMessage `json:"pending"`
	Delete  flexInt         `json:"delete"`
}

// PendingKeys lists the config keys whose change Proxmox VE could not apply
// to the running VM: they wait in the config's pending section until the
// next stop/start. Plain GET config already shows their new values, so only
// this read tells a change that waits from one that happened.
func (c *Client) PendingKeys(ctx context.Context, node string, vmid int) ([]string, error) {
	ctx = c.logCtx(ctx)
	var items []pendingItem
	if err := c.get(ctx, vmPath(node, vmid)+"/pending", nil, &items); err != nil {
		return nil, err
	}
	var keys []string
	for _, it := range items {
		if len(it.Pending) > 0 && string(it.Pending) != "null" || it.Delete != 0 {
			keys = append(keys, it.Key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// RebootVM shuts the VM down and starts it again, which applies pending
// changes (qemu-server API2/Qemu.pm vm_reboot: "Reboot the VM by shutting it
// down, and starting it again. Applies pending changes."), and waits.
func (c *Client) RebootVM(ctx context.Context, node string, vmid int) error {
	ctx = c.logCtx(ctx)
	return c.postTask(ctx, vmPath(node, vmid)+"/status/reboot", nil, node)
}
