package pve

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// setPoolParam adds a create's or clone's pool parameter: PVE checks that
// the pool exists before it creates anything and adds the new VM to it when
// the task ends (qemu-server src/PVE/API2/Qemu.pm create_vm and clone_vm:
// check_pool_exist, then PVE::AccessControl::add_vm_to_pool).
func setPoolParam(p url.Values, pool string) {
	if pool != "" {
		p.Set("pool", pool)
	}
}

// checkCreateDrives refuses CD-ROM drives a create cannot take: a bus
// without CD-ROMs or an interface already used by a disk or network.
func checkCreateDrives(spec CreateSpec, seen map[string]bool) error {
	for _, cd := range spec.CDROMs {
		switch {
		case !isCDROMInterface(cd.Interface) || cd.File == "":
			return fmt.Errorf("create VM: CD-ROM %q needs an ide, sata or scsi interface and a medium", cd.Interface)
		case seen[cd.Interface]:
			return fmt.Errorf("create VM: drive interface %s is used twice", cd.Interface)
		}
		seen[cd.Interface] = true
	}
	return nil
}

// poolPath is the update path of a pool. A nested pool ("parent/child",
// pve-manager 8.1 and later) only has PUT /pools?poolid=; a top-level pool
// uses PUT /pools/{poolid}, which every PVE 8 and 9 serves (deprecated
// since 8.1, pve-manager PVE/API2/Pool.pm update_pool_deprecated).
func poolPath(pool string, p url.Values) string {
	if strings.Contains(pool, "/") {
		p.Set("poolid", pool)
		return "/pools"
	}
	return "/pools/" + url.PathEscape(pool)
}

// MoveVMToPool makes pool the VM's resource pool; "" takes it out of from.
// A VM in another pool moves with allow-move (pve-manager 8.0.6 and later:
// "The guest will be removed from its current pool and added to this one").
func (c *Client) MoveVMToPool(ctx context.Context, vmid int, from, to string) error {
	ctx = c.logCtx(ctx)
	if from == to {
		return nil
	}
	p := url.Values{"vms": {strconv.Itoa(vmid)}}
	if to == "" {
		p.Set("delete", pveBool(true))
		return c.put(ctx, poolPath(from, p), p, nil)
	}
	if from != "" {
		p.Set("allow-move", pveBool(true))
	}
	return c.put(ctx, poolPath(to, p), p, nil)
}
