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
