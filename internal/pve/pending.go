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
	Value   json.RawMessage `json:"value"`
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
	return pendingKeys(items), nil
}

// RebootVM shuts the VM down and starts it again, which applies pending
// changes (qemu-server API2/Qemu.pm vm_reboot: "Reboot the VM by shutting it
// down, and starting it again. Applies pending changes."), and waits.
func (c *Client) RebootVM(ctx context.Context, node string, vmid int) error {
	ctx = c.logCtx(ctx)
	return c.postTask(ctx, vmPath(node, vmid)+"/status/reboot", nil, node)
}

// ReadVM reads what the VM runs: its status, then for a running VM its
// current values and the keys whose change waits (GET .../pending, one
// request), for a stopped one its config. Exactly two GETs, like GetVM.
// GetVM's config view shows pending values as if they were applied
// (AbstractConfig.pm load_current_config); ReadVM's shows what runs, so
// that a change waiting for a restart is never taken for a done one.
func (c *Client) ReadVM(ctx context.Context, node string, vmid int) (*VM, error) {
	ctx = c.logCtx(ctx)
	st, err := c.vmStatus(ctx, node, vmid)
	if err != nil {
		return nil, err
	}
	var vm *VM
	if st.Status == "running" {
		var items []pendingItem
		if err := c.get(ctx, vmPath(node, vmid)+"/pending", nil, &items); err != nil {
			return nil, err
		}
		vm = parseVMConfig(node, vmid, currentConfig(items))
		vm.Pending = pendingKeys(items)
	} else if vm, err = c.getVMConfig(ctx, node, vmid); err != nil {
		return nil, err
	}
	vm.Status = st.Status
	if vm.Lock == "" {
		vm.Lock = st.Lock
	}
	return vm, nil
}

// currentConfig is the config without its pending values: each item's
// "value" (the digest is one of the keys).
func currentConfig(items []pendingItem) map[string]string {
	cfg := map[string]string{}
	for _, it := range items {
		if v, ok := jsonString(it.Value); ok {
			cfg[it.Key] = v
		}
	}
	return cfg
}

func pendingKeys(items []pendingItem) []string {
	var keys []string
	for _, it := range items {
		if len(it.Pending) > 0 && string(it.Pending) != "null" || it.Delete != 0 {
			keys = append(keys, it.Key)
		}
	}
	sort.Strings(keys)
	return keys
}
