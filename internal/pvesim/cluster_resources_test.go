package pvesim

import (
	"bytes"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mapResources is how /cluster/resources was built before the entries were
// written by hand: one map[string]any per entry, encoded by marshalPVE
// (encoding/json sorts the keys). It stays here as the reference the
// hand-written encoding must match byte for byte.
func mapResources(v *resourcesView, typ string) []map[string]any {
	out := []map[string]any{}
	guests := slices.Clone(v.guests)
	slices.SortFunc(guests, func(a, b guestResource) int { return a.vmid - b.vmid })
	for _, g := range guests {
		e := map[string]any{"id": g.typ + "/" + strconv.Itoa(g.vmid), "type": g.typ, "vmid": g.vmid, "node": g.node}
		if g.lock != "" {
			e["lock"] = g.lock
		}
		if g.tags != "" {
			e["tags"] = g.tags
		}
		if g.pool != "" {
			e["pool"] = g.pool
		}
		if st := g.stats; st == nil {
			e["status"] = "unknown"
		} else {
			m := map[string]any{}
			st.usage.addTo(m)
			m["maxcpu"] = m["cpus"]
			delete(m, "cpus")
			delete(m, "pid")
			for k, val := range m {
				e[k] = val
			}
			e["name"], e["status"], e["template"] = st.name, st.status, st.template
		}
		out = append(out, e)
	}
	return append(out, v.nodeAndStorageEntries(typ)...)
}

// variedCluster has a guest of every kind /cluster/resources tells apart:
// qemu and lxc, running and stopped, templates, locks, tags, pools, fresh
// guests and guests on an offline node (no statistics), and names that
// need escaping; shared, node-bound and missing storages.
func variedCluster(t *testing.T) *Server {
	t.Helper()
	s, err := New(Options{PlainHTTP: true, Nodes: []string{"pve", "pve2", "pve3"}, StatsLag: time.Hour, StatsRefresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	vms := []VM{
		{VMID: 100, Name: "web", Status: "running", Config: map[string]string{"cores": "2", "sockets": "2", "memory": "4096", "scsi0": "local-lvm:vm-100-disk-0,size=32G", "tags": "a;b"}},
		{VMID: 101, Name: "tmpl", Template: true, Config: map[string]string{"scsi0": "local-lvm:base-101-disk-0,size=8G"}},
		{VMID: 102, Name: "locked", Lock: "backup", Node: "pve2", Config: map[string]string{"vcpus": "3", "memory": "8192,current=2048", "virtio0": "shared:vm-102-disk-0,size=1T"}},
		{VMID: 103, Name: `q"uote\back<&>`, Status: "running"},
		{VMID: 104, Name: "naïve\u2028line\ttab", Node: "pve2"},
		{VMID: 109, Name: `back\slash`, Node: "pve2"},
		{VMID: 105, Name: "fresh", CreatedAt: time.Now()}, // no statistics yet
		{VMID: 106, Name: "far", Node: "pve3"},            // offline node
		{VMID: 107, Type: "lxc", Name: "ct", Status: "running", Config: map[string]string{"rootfs": "local-lvm:subvol-107-disk-0,size=4G", "mp0": "local:107/vm-107-disk-1.raw,size=2G"}},
		{VMID: 108, Type: "lxc", Name: "ct-stopped", Config: map[string]string{"tags": "x"}},
		{VMID: 100000, Name: "big", Config: map[string]string{"ide2": "none,media=cdrom", "sata0": "local:100000/vm-100000-disk-0.qcow2,size=512M", "unused0": "local-lvm:vm-100000-disk-1,size=1G"}},
	}
	for _, vm := range vms {
		if err := s.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	s.vms[100].Pool = "prod"
	s.vms[107].Pool = "ct-pool"
	s.storages = append(s.storages,
		storageDef{ID: "shared", Type: "nfs", Content: "images", Shared: true, Total: 2 << 40},
		storageDef{ID: "gone", Type: "dir", Content: "images", Missing: true, Nodes: []string{"pve2"}})
	s.mu.Unlock()
	s.SetNodeOffline("pve3", true)
	return s
}

// TestClusterResourcesEncodingMatchesMaps: the hand-written entries are
// the bytes the maps gave, for every type filter, through the response
// writer.
func TestClusterResourcesEncodingMatchesMaps(t *testing.T) {
	s := variedCluster(t)
	for _, typ := range []string{"", "vm", "node", "storage"} {
		view := s.readView(nil, typ)
		got := httptest.NewRecorder()
		s.write(got, view.answer(typ), false)
		want, err := marshalPVE(map[string]any{"data": mapResources(view, typ)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body.Bytes(), want) {
			g, w := got.Body.String(), string(want)
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			t.Fatalf("type=%q: differs at byte %d:\n got  …%s\n want …%s", typ, i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
		}
		if n := strings.Count(string(want), `"id":`); typ == "" && n != 11+3+10 {
			t.Fatalf("type=%q: %d entries, the cluster has 11 guests, 3 nodes, 10 storage entries: %s", typ, n, want)
		}
	}
}

// TestClusterResourcesStorageUsage: a storage's disk is what the guests'
// volumes on it take, as the node's storage list shows it (it was 0 while
// the list was built from a copy of only the guests' locks and tags).
func TestClusterResourcesStorageUsage(t *testing.T) {
	s := variedCluster(t)
	_, b := call(t, s, "GET", "/cluster/resources?type=storage", s.Token(), nil)
	for _, want := range []string{
		`"disk":` + strconv.FormatInt(32<<30+8<<30+4<<30+1<<30, 10) + `,"id":"storage/pve/local-lvm"`,
		`"disk":` + strconv.FormatInt(512<<20+2<<30, 10) + `,"id":"storage/pve/local"`,
		`"disk":0,"id":"storage/pve2/local-lvm"`,
		`"disk":` + strconv.FormatInt(1<<40, 10) + `,"id":"storage/pve/shared"`,
		`"disk":` + strconv.FormatInt(1<<40, 10) + `,"id":"storage/pve2/shared"`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("no %s in %s", want, b)
		}
	}
}
