package pvesim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// labCall calls the lab API below /_sim/ with a JSON body.
func labCall(t *testing.T, s *Server, method, path, token, body string) (string, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), apiPrefix)+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "PVEAPIToken="+token)
	}
	res, err := httpClient(t, s).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return res.Status, string(b)
}

func TestLabAPIAuthentication(t *testing.T) {
	s := startSim(t, Options{})
	st, b := labCall(t, s, "GET", "/_sim/counters", "", "")
	expect(t, st, b, "401 No ticket", "")
	st, b = labCall(t, s, "DELETE", "/_sim/faults", "root@pam!x=wrong", "")
	expect(t, st, b, "401 Authentication failed!", "")
	st, _ = labCall(t, s, "GET", "/_sim/nope", s.Token(), "")
	if st != "501 Method 'GET /_sim/nope' not implemented" {
		t.Fatal(st)
	}
}

func TestLabCounters(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Scenario: "incident"})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.VirtualMachine(ctx, 100); err != nil {
		t.Fatal(err)
	}
	st, b := labCall(t, s, "GET", "/_sim/counters", s.Token(), "")
	var got struct {
		Data struct {
			Total    int            `json:"total"`
			Requests map[string]int `json:"requests"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(b), &got); err != nil || st != "200 OK" {
		t.Fatalf("%s %s %v", st, b, err)
	}
	// go-proxmox: node status, VM status/current and config; the lab call itself is not counted.
	if got.Data.Total != 3 || got.Data.Requests["GET /nodes/{node}/status"] != 1 ||
		got.Data.Requests["GET /nodes/{node}/qemu/{vmid}/status/current"] != 1 || got.Data.Requests["GET /nodes/{node}/qemu/{vmid}/config"] != 1 {
		t.Fatalf("counters = %+v", got.Data)
	}
	if st, _ := labCall(t, s, "DELETE", "/_sim/counters", s.Token(), ""); st != "200 OK" {
		t.Fatal(st)
	}
	if s.TotalRequests() != 0 {
		t.Fatal(s.TotalRequests())
	}
}

func TestLabFaults(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Scenario: "incident"})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())

	st, b := labCall(t, s, "POST", "/_sim/faults", s.Token(), `{"requests":[{"method":"POST","path":"/nodes/{node}/qemu","status":500,"message":"boom"}]`)
	if st != "400 pvesim: faults document: unexpected EOF" {
		t.Fatalf("%s %s", st, b)
	}
	st, _ = labCall(t, s, "POST", "/_sim/faults", s.Token(), `{"nodes_offline":["pve2"]}`)
	if st != `400 pvesim: faults document: json: unknown field "nodes_offline"` {
		t.Fatal(st)
	}
	st, b = labCall(t, s, "POST", "/_sim/faults", s.Token(), `{
		"requests":[{"method":"POST","path":"/nodes/{node}/qemu","status":500,"message":"boom"},
		            {"method":"GET","path":"/version","drop_after_handling":true}],
		"tasks":[{"type":"qmstart","message":"start failed: QEMU exited with code 1"}],
		"offline_nodes":["pve2"],
		"broken_storages":["local-lvm"]}`)
	if st != "200 OK" || !strings.Contains(b, `"offline_nodes":["pve2"]`) || !strings.Contains(b, `"broken_storages":["downloads","local-lvm"]`) {
		t.Fatalf("%s %s", st, b)
	}

	node, _ := c.Node(ctx, "pve")
	if _, err := node.NewVirtualMachine(ctx, 500, proxmox.VirtualMachineOption{Name: "name", Value: "x"}); err == nil || err.Error() != "500 boom" {
		t.Errorf("create: %v", err)
	}
	if _, err := c.Version(ctx); err == nil {
		t.Error("dropped /version answered")
	}
	vm, _ := node.VirtualMachine(ctx, 110)
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if msg := waitFailed(t, ctx, task); msg != "start failed: QEMU exited with code 1" {
		t.Errorf("start = %q", msg)
	}
	if st, _ := call(t, s, "GET", "/nodes/pve2/qemu", s.Token(), nil); st != "595 No route to host" {
		t.Errorf("offline node: %s", st)
	}
	if _, b := call(t, s, "GET", "/nodes/pve/storage?storage=local-lvm", s.Token(), nil); !strings.Contains(b, `"active":0`) {
		t.Errorf("broken storage: %s", b)
	}

	if st, _ := labCall(t, s, "DELETE", "/_sim/faults", s.Token(), ""); st != "200 OK" {
		t.Fatal(st)
	}
	_, b = labCall(t, s, "GET", "/_sim/faults", s.Token(), "")
	if b != `{"data":{"broken_storages":["downloads"],"offline_nodes":[],"requests":[],"tasks":[]}}` {
		t.Errorf("after clear: %s (the scenario's own missing pool stays)", b)
	}
}

func TestExtraVMs(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Scenario: "incident", ExtraVMs: 25})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cl.Resources(ctx, "vm")
	if err != nil {
		t.Fatal(err)
	}
	perNode := map[string]int{}
	others := 0
	for _, r := range rs {
		if !strings.HasPrefix(r.Name, "other-") {
			continue
		}
		others++
		perNode[r.Node]++
		if r.VMID < 1000 || r.Status != "stopped" || r.MaxMem == 0 || r.MaxDisk == 0 {
			t.Errorf("extra VM %+v", r)
		}
	}
	if others != 25 || len(rs) != 25+15 || perNode["pve"] != 13 || perNode["pve2"] != 12 {
		t.Fatalf("others=%d total=%d per node %v", others, len(rs), perNode)
	}
	v, _ := s.VM(1000)
	if v.Name != "other-1" || v.Config["scsi0"] != "local-lvm:vm-1000-disk-0,iothread=1,size=32G" || !strings.HasPrefix(v.Config["net0"], "virtio=BC:24:11:") {
		t.Fatalf("VM 1000 = %+v", v)
	}
	if _, err := New(Options{ExtraVMs: -1}); err == nil {
		t.Fatal("negative extra VMs accepted")
	}
}
