package acctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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

// A VMID another test took between nextid and create_vm is asked for
// again; any other refusal ends the create.
func TestCreateAtFreeVMID(t *testing.T) {
	taken := errors.New("Proxmox VE API POST /nodes/pve/qemu: 500 unable to create VM 104 - VM 104 already exists on node 'pve'")
	tests := []struct {
		name     string
		failures []error // what create answers, in order; nil ends them
		wantVMID int
		wantErr  string
	}{
		{name: "free at once", failures: []error{nil}, wantVMID: 104},
		{name: "taken once", failures: []error{taken, nil}, wantVMID: 105},
		{name: "other refusal", failures: []error{errors.New("500 storage 'local-lvm' does not exist")}, wantErr: "does not exist"},
		{name: "always taken", failures: slices.Repeat([]error{taken}, 25), wantErr: "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proposed, creates := 103, 0
			next := func(context.Context) (int, error) { proposed++; return proposed, nil }
			create := func(_ context.Context, vmid int) error {
				if vmid != proposed {
					return fmt.Errorf("created at %d, nextid proposed %d", vmid, proposed)
				}
				creates++
				return tt.failures[creates-1]
			}
			vmid, err := CreateAtFreeVMID(context.Background(), next, create)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.name == "always taken" && creates != 20 {
					t.Fatalf("%d creates before giving up, want 20", creates)
				}
				return
			}
			if err != nil || vmid != tt.wantVMID {
				t.Fatalf("CreateAtFreeVMID = %d, %v; want %d", vmid, err, tt.wantVMID)
			}
		})
	}
}
