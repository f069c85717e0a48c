package pvesim

import (
	"net/url"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// Pools through raw HTTP (status line and body as PVE sends them) and
// through go-proxmox's typed calls.
func TestPools(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	for _, vm := range []VM{{VMID: 100, Name: "a"}, {VMID: 101, Name: "b"}} {
		if err := s.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	st, b := call(t, s, "POST", "/pools", tok, form("poolid", "monitoring", "comment", "ops"))
	expect(t, st, b, "200 OK", `{"data":null}`)
	st, b = call(t, s, "POST", "/pools", tok, form("poolid", "monitoring"))
	expect(t, st, b, "500 create pool failed: pool 'monitoring' already exists",
		`{"message":"create pool failed: pool 'monitoring' already exists\n","data":null}`)
	st, b = call(t, s, "POST", "/pools", tok, form("poolid", "1st"))
	expect(t, st, b, "500 create pool failed: pool name must start with a letter",
		`{"message":"create pool failed: pool name must start with a letter\n","data":null}`)
	st, b = call(t, s, "POST", "/pools", tok, form("poolid", "a b"))
	expect(t, st, b, "400 Parameter verification failed.",
		`{"message":"Parameter verification failed.\n","errors":{"poolid":"invalid format - pool name 'a b' contains invalid characters"},"data":null}`)
	st, b = call(t, s, "POST", "/pools", tok, form("poolid", "team/db"))
	expect(t, st, b, "500 create pool failed: parent 'team' of pool 'team/db' does not exist",
		`{"message":"create pool failed: parent 'team' of pool 'team/db' does not exist\n","data":null}`)

	// Membership: add, refuse a second pool without allow-move, move with it.
	st, b = call(t, s, "PUT", "/pools/monitoring", tok, form("vms", "100"))
	expect(t, st, b, "200 OK", `{"data":null}`)
	st, b = call(t, s, "PUT", "/pools/monitoring", tok, form("vms", "100"))
	expect(t, st, b, "500 update pools failed: VM 100 is already a pool member",
		`{"message":"update pools failed: VM 100 is already a pool member\n","data":null}`)
	if st, _ := call(t, s, "POST", "/pools", tok, form("poolid", "web")); st != "200 OK" {
		t.Fatal(st)
	}
	st, b = call(t, s, "PUT", "/pools", tok, form("poolid", "web", "vms", "100"))
	expect(t, st, b, "500 update pools failed: VM 100 belongs already to pool 'monitoring' and 'allow-move' is not set",
		`{"message":"update pools failed: VM 100 belongs already to pool 'monitoring' and 'allow-move' is not set\n","data":null}`)
	st, _ = call(t, s, "PUT", "/pools", tok, form("poolid", "web", "vms", "100", "allow-move", "1"))
	if st != "200 OK" || s.PoolOf(100) != "web" {
		t.Fatalf("move: %s, pool %q", st, s.PoolOf(100))
	}
	st, b = call(t, s, "GET", "/pools/web", tok, nil)
	expect(t, st, b, "200 OK",
		`{"data":{"members":[{"id":"qemu/100","name":"a","node":"pve","status":"stopped","template":0,"type":"qemu","vmid":100}]}}`)
	st, b = call(t, s, "GET", "/pools?poolid=monitoring", tok, nil)
	expect(t, st, b, "200 OK", `{"data":[{"comment":"ops","members":[],"poolid":"monitoring"}]}`)
	st, b = call(t, s, "GET", "/pools/nope", tok, nil)
	expect(t, st, b, "500 pool 'nope' does not exist", `{"message":"pool 'nope' does not exist\n","data":null}`)

	// /cluster/resources shows the pool of each guest.
	cl := tokenClient(t, s, tok)
	ctx := ctxT(t)
	cluster, err := cl.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cluster.Resources(ctx, "vm")
	if err != nil {
		t.Fatal(err)
	}
	pools := map[uint64]string{}
	for _, r := range rs {
		pools[r.VMID] = r.Pool
	}
	if pools[100] != "web" || pools[101] != "" {
		t.Errorf("resources pools = %v", pools)
	}

	// A pool with a guest cannot go; removing the guest (delete=1) empties it.
	st, b = call(t, s, "DELETE", "/pools/web", tok, nil)
	expect(t, st, b, "500 delete pool failed: pool 'web' is not empty (contains VM 100)",
		`{"message":"delete pool failed: pool 'web' is not empty (contains VM 100)\n","data":null}`)
	st, b = call(t, s, "PUT", "/pools/web", tok, form("vms", "101", "delete", "1"))
	expect(t, st, b, "500 update pools failed: VM 101 is not a pool member",
		`{"message":"update pools failed: VM 101 is not a pool member\n","data":null}`)

	// go-proxmox: typed list, read, update and delete.
	web, err := cl.Pool(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(web.Members) != 1 || web.Members[0].VMID != 100 {
		t.Fatalf("members = %+v", web.Members)
	}
	if err := web.Update(ctx, &proxmox.PoolUpdateOption{VirtualMachines: "100", Delete: true}); err != nil {
		t.Fatal(err)
	}
	if s.PoolOf(100) != "" {
		t.Fatalf("VM 100 still in %q", s.PoolOf(100))
	}
	if err := web.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := cl.Pools(ctx)
	if err != nil || len(list) != 1 || list[0].PoolID != "monitoring" || list[0].Comment != "ops" {
		t.Fatalf("pools = %+v, %v", list, err)
	}
}

// create_vm and clone_vm refuse a pool that does not exist with
// check_pool_exist's permission exception, and add the VM when the task
// ends; destroying the VM takes it out of the pool.
func TestPoolOnCreateAndClone(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	st, b := call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"200"}, "pool": {"nope"}})
	expect(t, st, b, "403 Permission check failed (pool 'nope' does not exist)",
		`{"message":"Permission check failed (pool 'nope' does not exist)\n","data":null}`)
	if _, ok := s.VM(200); ok {
		t.Fatal("a VM was created for a pool that does not exist")
	}
	if err := s.AddPool("monitoring", ""); err != nil {
		t.Fatal(err)
	}
	cl := tokenClient(t, s, tok)
	ctx := ctxT(t)
	node, err := cl.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	task, err := node.NewVirtualMachine(ctx, 200, proxmox.VirtualMachineOption{Name: "pool", Value: "monitoring"},
		proxmox.VirtualMachineOption{Name: "name", Value: "tmpl"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if got := s.PoolOf(200); got != "monitoring" {
		t.Fatalf("created VM in pool %q", got)
	}
	st, b = call(t, s, "POST", "/nodes/pve/qemu/200/clone", tok, url.Values{"newid": {"201"}, "pool": {"nope"}})
	expect(t, st, b, "403 Permission check failed (pool 'nope' does not exist)",
		`{"message":"Permission check failed (pool 'nope' does not exist)\n","data":null}`)
	vm, err := node.VirtualMachine(ctx, 200)
	if err != nil {
		t.Fatal(err)
	}
	_, task, err = vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 201, Full: true, Pool: "monitoring"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if got := s.PoolOf(201); got != "monitoring" {
		t.Fatalf("clone in pool %q", got)
	}
	task, err = vm.Delete(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if got := s.PoolOf(200); got != "" {
		t.Fatalf("destroyed VM still in pool %q", got)
	}
}
