package acctest

// What checks read beyond a VM's config, against the simulator or a real
// cluster: the pending section, a VM's tasks and resource pools. Pools a
// lab-mode test creates carry the run's prefix and are removed when the
// test ends, after its VMs.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	sdkacctest "github.com/hashicorp/terraform-plugin-testing/helper/acctest"
)

// PendingConfig is what waits for the VM's next start: the values it will
// run and the keys it will drop.
func (l *Lab) PendingConfig(vmid int) (set map[string]string, del []string) {
	if l.Sim != nil {
		return l.Sim.PendingConfig(vmid)
	}
	g, ok := l.guest(vmid)
	if !ok {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	set, del, err := l.api.pending(ctx, g)
	if err != nil {
		l.t.Errorf("reading the pending changes of VM %d on %s: %s", vmid, g.Node, err)
	}
	return set, del
}

// TaskCount counts the tasks of a type (e.g. "qmreboot") that ran or run
// for VMID vmid on its node. A node's task list keeps the tasks of every VM
// that had the VMID: in a lab, where VMIDs are recycled between tests, only
// the difference of two counts taken while the VM exists is its own.
func (l *Lab) TaskCount(typ string, vmid int) int {
	if l.Sim != nil {
		return l.Sim.TaskCount(typ, vmid)
	}
	g, ok := l.guest(vmid)
	if !ok {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	n, err := l.api.taskCount(ctx, g, typ)
	if err != nil {
		l.t.Errorf("listing the %s tasks of VM %d on %s: %s", typ, vmid, g.Node, err)
	}
	return n
}

// PoolOf is the resource pool guest vmid belongs to ("" for none), as
// /cluster/resources shows it.
func (l *Lab) PoolOf(vmid int) string {
	if l.Sim != nil {
		return l.Sim.PoolOf(vmid)
	}
	g, _ := l.guest(vmid)
	return g.Pool
}

// PoolID is the pool a test calls id ("" is no pool). Against the simulator (one per test)
// it is id; in a lab, where pools are shared, each top-level pool gets the
// run's prefix and a random part, the same within the test, so that nested
// ids ("team/web") stay nested under their parent.
func (l *Lab) PoolID(id string) string {
	if l.Sim != nil || id == "" {
		return id
	}
	top, rest, nested := strings.Cut(id, "/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pools == nil {
		l.pools = map[string]string{}
	}
	mapped, ok := l.pools[top]
	if !ok {
		mapped = RunPrefix() + top + "-" + sdkacctest.RandString(5)
		l.pools[top] = mapped
	}
	if nested {
		return mapped + "/" + rest
	}
	return mapped
}

// AddPool creates the pool a test calls id (see PoolID) with guests vmids
// as members, as an administrator would with `pveum pool add` and `pveum
// pool modify --vms`. A nested pool needs its parent first.
func (l *Lab) AddPool(t *testing.T, id, comment string, vmids ...int) {
	t.Helper()
	if l.Sim != nil {
		if err := l.Sim.AddPool(id, comment, vmids...); err != nil {
			t.Fatal(err)
		}
		return
	}
	pool := l.PoolID(id)
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	if err := l.api.createPool(ctx, pool, comment, vmids); err != nil {
		t.Fatalf("creating pool %q in the lab: %s", pool, err)
	}
	l.mu.Lock()
	l.createdPools = append(l.createdPools, pool)
	l.mu.Unlock()
}

// removePools deletes, children first, the pools the test created; a VM
// still in one is removed by then (cleanUp runs it after the VMs).
func (l *Lab) removePools(ctx context.Context) {
	l.mu.Lock()
	pools := append([]string(nil), l.createdPools...)
	l.mu.Unlock()
	for i := len(pools) - 1; i >= 0; i-- {
		if err := l.api.deletePool(ctx, pools[i]); err != nil {
			l.t.Errorf("cleanup: pool %q is left in the lab: %s; remove it with `pveum pool delete %s`", pools[i], err, pools[i])
		}
	}
}

// guest is the /cluster/resources row of vmid.
func (l *Lab) guest(vmid int) (guest, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), labOpTimeout)
	defer cancel()
	guests, err := l.api.guests(ctx)
	if err != nil {
		l.t.Errorf("listing the lab's VMs: %s", err)
		return guest{}, false
	}
	for _, g := range guests {
		if g.VMID == vmid {
			return g, true
		}
	}
	return guest{}, false
}

// pending is GET .../pending (qemu-server API2/Qemu.pm vm_pending, built by
// pve-guest-common GuestHelpers.pm config_with_pending_array): one item per
// key with its value, its pending value, and delete 1 or 2 (forced) for a
// pending removal.
func (a *labAPI) pending(ctx context.Context, g guest) (map[string]string, []string, error) {
	path := fmt.Sprintf("/nodes/%s/qemu/%d/pending", url.PathEscape(g.Node), g.VMID)
	var items []struct {
		Key     string          `json:"key"`
		Pending json.RawMessage `json:"pending"`
		Delete  int             `json:"delete"`
	}
	if err := a.c.Get(ctx, path, &items); err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	set := map[string]string{}
	var del []string
	for _, it := range items {
		if len(it.Pending) > 0 {
			var s string
			if json.Unmarshal(it.Pending, &s) != nil {
				s = string(it.Pending)
			}
			set[it.Key] = s
		}
		if it.Delete != 0 {
			del = append(del, it.Key)
		}
	}
	return set, del, nil
}

// taskCount is GET /nodes/{node}/tasks (pve-manager API2/Tasks.pm
// node_tasks) filtered by VMID and type; source=all, since the default
// ("archive") leaves out running tasks, and a limit above the default 50.
func (a *labAPI) taskCount(ctx context.Context, g guest, typ string) (int, error) {
	path := fmt.Sprintf("/nodes/%s/tasks?source=all&limit=10000&vmid=%d&typefilter=%s",
		url.PathEscape(g.Node), g.VMID, url.QueryEscape(typ))
	var tasks []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := a.c.Get(ctx, path, &tasks); err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	n := 0
	for _, t := range tasks {
		if t.Type == typ && t.ID == fmt.Sprint(g.VMID) {
			n++
		}
	}
	return n, nil
}

// createPool is POST /pools (pve-manager API2/Pool.pm create_pool), then
// PUT /pools (update_pool) with the members.
func (a *labAPI) createPool(ctx context.Context, pool, comment string, vmids []int) error {
	params := map[string]any{"poolid": pool}
	if comment != "" {
		params["comment"] = comment
	}
	if err := a.c.Post(ctx, "/pools", params, nil); err != nil {
		return fmt.Errorf("POST /pools: %w", err)
	}
	if len(vmids) == 0 {
		return nil
	}
	ids := make([]string, len(vmids))
	for i, id := range vmids {
		ids[i] = fmt.Sprint(id)
	}
	if err := a.c.Put(ctx, "/pools", map[string]any{"poolid": pool, "vms": strings.Join(ids, ",")}, nil); err != nil {
		return fmt.Errorf("PUT /pools: %w", err)
	}
	return nil
}

// deletePool is DELETE /pools?poolid= (Pool.pm delete_pool), which refuses
// a pool that still holds a VM, a storage or a sub-pool ("is not empty").
func (a *labAPI) deletePool(ctx context.Context, pool string) error {
	path := "/pools?poolid=" + url.QueryEscape(pool)
	if err := a.c.Delete(ctx, path, nil); err != nil {
		return fmt.Errorf("DELETE %s: %w", path, err)
	}
	return nil
}

// seededVolumeRE is a disk a test seeds by volume ID, as the simulator
// takes it: STORAGE:vm-VMID-disk-N with its drive options.
var seededVolumeRE = regexp.MustCompile(`^([^:,/\s]+):vm-\d+-disk-\d+((?:,.*)?)$`)

// seededSizeRE is a drive's size option in PVE's spelling (8G, 4M, 1T).
var seededSizeRE = regexp.MustCompile(`^size=(\d+)([KMGT]?)$`)

// allocateSeededVolumes turns the disks of a seeded config that name a
// volume into new volumes of the same size, in create_vm's
// "STORAGE:SIZE_IN_GiB" form (qemu-server API2/Qemu.pm create_disks, which
// writes the new volume's ID and size into the drive): a real cluster has
// no such volume, and a test that seeds a VM with a disk means a disk of
// that size. The efidisk0 size is PVE's own (OVMF.pm create_efidisk).
func allocateSeededVolumes(conf map[string]string) map[string]string {
	out := make(map[string]string, len(conf))
	for key, value := range conf {
		m := seededVolumeRE.FindStringSubmatch(value)
		if m == nil {
			out[key] = value
			continue
		}
		size := "1"
		var opts []string
		for _, opt := range strings.Split(strings.TrimPrefix(m[2], ","), ",") {
			if s := seededSizeRE.FindStringSubmatch(opt); s != nil {
				if gib := gibibytes(s[1], s[2]); gib != "" {
					size = gib
				}
				continue
			}
			if opt != "" {
				opts = append(opts, opt)
			}
		}
		out[key] = strings.Join(append([]string{m[1] + ":" + size}, opts...), ",")
	}
	return out
}

// gibibytes is a size in GiB for create_vm ("" below 1 GiB, left to PVE's
// minimum of 1).
func gibibytes(n, unit string) string {
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return ""
	}
	switch unit {
	case "T":
		return strconv.FormatInt(v*1024, 10)
	case "G":
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// poolsNamed lists the pools whose ID starts with prefix (GET /pools,
// Pool.pm index), nested ones before their parents, as deletePool needs.
func (a *labAPI) poolsNamed(ctx context.Context, prefix string) ([]string, error) {
	var pools []struct {
		PoolID string `json:"poolid"`
	}
	if err := a.c.Get(ctx, "/pools", &pools); err != nil {
		return nil, fmt.Errorf("GET /pools: %w", err)
	}
	var out []string
	for _, p := range pools {
		if strings.HasPrefix(strings.ToLower(p.PoolID), strings.ToLower(prefix)) {
			out = append(out, p.PoolID)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if di, dj := strings.Count(out[i], "/"), strings.Count(out[j], "/"); di != dj {
			return di > dj
		}
		return out[i] < out[j]
	})
	return out, nil
}

// sweepPools deletes the pools whose ID starts with prefix and returns
// those it could not delete.
func (a *labAPI) sweepPools(ctx context.Context, prefix string) ([]string, error) {
	pools, err := a.poolsNamed(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var failed []string
	for _, p := range pools {
		if err := a.deletePool(ctx, p); err != nil {
			failed = append(failed, fmt.Sprintf("pool %q: %s; remove it with `pveum pool delete %s`", p, err, p))
		}
	}
	return failed, nil
}
