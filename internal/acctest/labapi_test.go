package acctest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A parallel test can take the VMID that /cluster/nextid proposed before
// the seeding's create arrives; create_vm then refuses it ("VM <id> already
// exists on node ...", pve-guest-common AbstractConfig.pm
// create_and_lock_config via pve-cluster check_vmid_unused), and the seeding
// asks nextid again instead of failing the test.
func TestLabCreateAsksAgainWhenNextIDIsTaken(t *testing.T) {
	sim, err := pvesim.New(pvesim.Options{Scenario: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	// The rival takes each of the first two proposed VMIDs before the
	// seeding's create arrives, as two parallel tests do.
	var mu sync.Mutex
	var taken []int
	rival := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/cluster/nextid") {
			sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var body struct {
			Data json.Number `json:"data"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("nextid answered %q: %s", rec.Body.String(), err)
		}
		mu.Lock()
		if len(taken) < 2 {
			id, _ := body.Data.Int64()
			if err := sim.AddVM(pvesim.VM{VMID: int(id), Name: "rival"}); err != nil {
				t.Errorf("the rival could not take VMID %d: %s", id, err)
			}
			taken = append(taken, int(id))
		}
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	srv := httptest.NewServer(rival)
	t.Cleanup(srv.Close)
	api, err := newLabAPI(Connection{Endpoint: srv.URL, APIToken: sim.Token()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	vmid, err := api.create(ctx, pvesim.VM{Node: "pve", Name: "tfacc-seeded"})
	if err != nil {
		t.Fatalf("seeding failed when its proposed VMID was taken: %s", err)
	}
	if len(taken) != 2 {
		t.Fatalf("the rival took %v, want two VMIDs", taken)
	}
	for _, id := range taken {
		if id == vmid {
			t.Fatalf("the seeded VM got VMID %d, which the rival holds", vmid)
		}
	}
	vm, ok := sim.VM(vmid)
	if !ok || vm.Name != "tfacc-seeded" {
		t.Fatalf("VM %d is %+v, want the seeded VM", vmid, vm)
	}
}

// A VM created on a freed VMID is listed by /cluster/resources under the
// name of the VM that held the VMID before, until pvestatd writes its own
// statistics (pve-manager API2Tools.pm extract_vm_stats keys them by VMID;
// pve-cluster status.c keeps a removed VM's entry for 5 minutes). The
// harness reads names live from the node's VM list (qemu-server
// QemuServer.pm vmstatus loads each config), so it finds the new VM by its
// name and its cleanup removes it.
func TestLabFindsAndRemovesVMOnRecycledVMID(t *testing.T) {
	sim, err := pvesim.New(pvesim.Options{Scenario: "empty", StatsLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	api, err := newLabAPI(Connection{Endpoint: srv.URL, APIToken: sim.Token()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if err := sim.AddVM(pvesim.VM{VMID: 120, Node: "pve", Name: "tfacc-before", CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before, ok := sim.VM(120)
	if !ok {
		t.Fatal("the seeded VM 120 is missing")
	}
	if err := api.destroy(ctx, before); err != nil {
		t.Fatal(err)
	}
	if err := api.createAt(ctx, pvesim.VM{Node: "pve", Name: "tfacc-after"}, 120); err != nil {
		t.Fatal(err)
	}
	// The precondition that makes this test mean something: the cluster
	// list still names the new VM after the old one.
	var rows []struct {
		VMID int    `json:"vmid"`
		Name string `json:"name"`
	}
	if err := api.c.Get(ctx, "/cluster/resources?type=vm", &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "tfacc-before" {
		t.Fatalf("/cluster/resources lists %+v, want VM 120 under its predecessor's name", rows)
	}

	is := func(name string) func(string) bool { return func(n string) bool { return n == name } }
	if got, err := api.named(ctx, is("tfacc-after")); err != nil || len(got) != 1 || got[0].VMID != 120 || got[0].Name != "tfacc-after" {
		t.Fatalf("VMs named tfacc-after: %+v, %v; want VM 120", got, err)
	}
	if got, err := api.named(ctx, is("tfacc-before")); err != nil || len(got) != 0 {
		t.Fatalf("VMs named tfacc-before: %+v, %v; want none (it was destroyed)", got, err)
	}

	lab := &Lab{t: t, api: api, names: []string{"tfacc-after"}}
	lab.cleanUp()
	if vm, ok := sim.VM(120); ok {
		t.Fatalf("cleanup left VM 120 (%s) in the cluster", vm.Name)
	}
}
