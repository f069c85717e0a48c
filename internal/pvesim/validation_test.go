package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

// paramBody is a 9.x 400 body for one parameter error.
func paramBody(param, msg string) string {
	return `{"message":"Parameter verification failed.\n","errors":{"` + param + `":"` + msg + `"},"data":null}`
}

// TestParameterTexts compares status line and body with PVE's for the
// parameter checks of issue 9's departure 8.
func TestParameterTexts(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"serial0": "socket"}}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	const badVMID = "invalid format - value does not look like a valid VM ID"
	for _, tc := range []struct {
		method, path string
		form         url.Values
		status, body string
	}{
		// pve-common JSONSchema.pm check_prop: type, then format
		// (pve_verify_vmid, ^[1-9][0-9]{2,8}$), then the range.
		{"POST", "/nodes/pve/qemu", url.Values{"vmid": {"99"}}, "400 Parameter verification failed.", paramBody("vmid", badVMID)},
		{"POST", "/nodes/pve/qemu", url.Values{"vmid": {"1000000000"}}, "400 Parameter verification failed.", paramBody("vmid", badVMID)},
		{"POST", "/nodes/pve/qemu", url.Values{"vmid": {"0100"}}, "400 Parameter verification failed.", paramBody("vmid", badVMID)},
		{"POST", "/nodes/pve/qemu", url.Values{"vmid": {"abc"}}, "400 Parameter verification failed.", paramBody("vmid", "type check ('integer') failed - got 'abc'")},
		{"GET", "/cluster/nextid?vmid=0100", nil, "400 Parameter verification failed.", paramBody("vmid", badVMID)},
		{"POST", "/nodes/pve/qemu/100/clone", url.Values{"newid": {"99"}}, "400 Parameter verification failed.", paramBody("newid", badVMID)},
		{"GET", "/nodes/pve/qemu/99/config", nil, "400 Parameter verification failed.", paramBody("vmid", badVMID)},
		// pve-manager API2/Cluster.pm resources: type enum 'vm, storage, node, sdn'.
		{"GET", "/cluster/resources?type=pool", nil, "400 Parameter verification failed.", paramBody("type", "value 'pool' does not have a value in the enumeration 'vm, storage, node, sdn'")},
		{"GET", "/cluster/resources?type=qemu", nil, "400 Parameter verification failed.", paramBody("type", "value 'qemu' does not have a value in the enumeration 'vm, storage, node, sdn'")},
		// Root-only parameters: a token's user is its token ID.
		{"DELETE", "/nodes/pve/qemu/100?skiplock=1", nil, "400 Parameter verification failed.", paramBody("skiplock", "Only root may use this option.")},
		{"POST", "/nodes/pve/qemu/100/status/stop", url.Values{"skiplock": {"1"}}, "400 Parameter verification failed.", paramBody("skiplock", "Only root may use this option.")},
		{"POST", "/nodes/pve/qemu/100/status/start", url.Values{"targetstorage": {"local-lvm"}}, "400 Parameter verification failed.", paramBody("targetstorage", "Only root may use this option.")},
		{"POST", "/nodes/pve/qemu/100/config", url.Values{"cores": {"2"}, "skiplock": {"1"}}, "400 Parameter verification failed.", paramBody("skiplock", "Only root may use this option.")},
		// The search for a free id starts at datacenter.cfg's next-id lower bound.
		{"GET", "/cluster/nextid", nil, "200 OK", `{"data":"101"}`},
		{"GET", "/cluster/nextid?vmid=999999999", nil, "200 OK", `{"data":"999999999"}`},
	} {
		st, b := call(t, s, tc.method, tc.path, tok, tc.form)
		if st != tc.status || b != tc.body {
			t.Errorf("%s %s %v:\n got %s %s\nwant %s %s", tc.method, tc.path, tc.form, st, b, tc.status, tc.body)
		}
	}
	if got := s.tasksOfType("qmstop") + s.tasksOfType("qmstart") + s.tasksOfType("qmdestroy") + s.tasksOfType("qmconfig"); got != 0 {
		t.Fatalf("%d tasks ran for refused calls", got)
	}
}

// TestSerialFlag: qemu-server QemuServer.pm vmstatus sets serial = 1 when a
// serialN port is configured (conf_has_serial), in the node's list and in
// status/current; without one there is no serial key.
func TestSerialFlag(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "console", Config: map[string]string{"serial1": "socket"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVM(VM{VMID: 101, Name: "plain"}); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu", s.Token(), nil)
	expect(t, st, b, "200 OK", `{"data":[`+
		`{"cpu":0,"cpus":1,"disk":0,"diskread":0,"diskwrite":0,"maxdisk":0,"maxmem":536870912,"mem":0,"name":"console","netin":0,"netout":0,"serial":1,"status":"stopped","uptime":0,"vmid":100},`+
		`{"cpu":0,"cpus":1,"disk":0,"diskread":0,"diskwrite":0,"maxdisk":0,"maxmem":536870912,"mem":0,"name":"plain","netin":0,"netout":0,"status":"stopped","uptime":0,"vmid":101}]}`)
	// go-proxmox's VirtualMachine has no serial field: read status/current raw.
	st, b = call(t, s, "GET", "/nodes/pve/qemu/100/status/current", s.Token(), nil)
	if st != "200 OK" || !strings.Contains(b, `"serial":1`) {
		t.Fatalf("status/current: %s %s", st, b)
	}
	if _, b = call(t, s, "GET", "/nodes/pve/qemu/101/status/current", s.Token(), nil); strings.Contains(b, `"serial"`) {
		t.Fatalf("serial flag without a serial port: %s", b)
	}
}
