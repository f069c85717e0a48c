package pvesim

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func addAgentVM(t *testing.T, s *Server, vmid int, status string, conf map[string]string) {
	t.Helper()
	base := map[string]string{"memory": "2048", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}
	for k, v := range conf {
		base[k] = v
	}
	if err := s.AddVM(VM{VMID: vmid, Name: "agent-vm", Status: status, Config: base}); err != nil {
		t.Fatal(err)
	}
}

// The answers of qemu-server src/PVE/API2/Qemu/Agent.pm: {"result": ...}
// with the agent's reply; failures of assert_agent_available
// (src/PVE/QemuServer/Agent.pm) as 500 with their text in the status line.
func TestAgentEndpoints(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	tok := s.Token()
	addAgentVM(t, s, 100, "running", map[string]string{"agent": "1", "net1": "e1000=BC:24:11:AA:BB:CC,bridge=vmbr0"})
	addAgentVM(t, s, 101, "stopped", map[string]string{"agent": "1"})
	addAgentVM(t, s, 102, "running", nil)
	addAgentVM(t, s, 103, "running", map[string]string{"agent": "enabled=0,type=isa"})

	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/agent/network-get-interfaces", tok, nil)
	stats := `"statistics":{"rx-bytes":0,"rx-dropped":0,"rx-errs":0,"rx-packets":0,"tx-bytes":0,"tx-dropped":0,"tx-errs":0,"tx-packets":0}`
	expect(t, st, b, "200 OK", `{"data":{"result":[`+
		`{"hardware-address":"00:00:00:00:00:00","ip-addresses":[{"ip-address":"127.0.0.1","ip-address-type":"ipv4","prefix":8},{"ip-address":"::1","ip-address-type":"ipv6","prefix":128}],"name":"lo",`+stats+`},`+
		`{"hardware-address":"bc:24:11:00:00:01","ip-addresses":[{"ip-address":"10.0.100.10","ip-address-type":"ipv4","prefix":24},{"ip-address":"fd00:0:64::a","ip-address-type":"ipv6","prefix":64},{"ip-address":"fe80::be24:11ff:fe00:1","ip-address-type":"ipv6","prefix":64}],"name":"ens18",`+stats+`},`+
		`{"hardware-address":"bc:24:11:aa:bb:cc","ip-addresses":[{"ip-address":"10.0.100.11","ip-address-type":"ipv4","prefix":24},{"ip-address":"fd00:0:64:1::a","ip-address-type":"ipv6","prefix":64},{"ip-address":"fe80::be24:11ff:feaa:bbcc","ip-address-type":"ipv6","prefix":64}],"name":"ens19",`+stats+`}]}}`)

	st, b = call(t, s, "POST", "/nodes/pve/qemu/100/agent/ping", tok, url.Values{})
	expect(t, st, b, "200 OK", `{"data":{"result":{}}}`)
	st, _ = call(t, s, "GET", "/nodes/pve/qemu/100/agent/info", tok, nil)
	if st != "200 OK" {
		t.Errorf("info: %s", st)
	}
	// ping is POST only.
	st, _ = call(t, s, "GET", "/nodes/pve/qemu/100/agent/ping", tok, nil)
	if st != "501 Method 'GET /nodes/pve/qemu/100/agent/ping' not implemented" {
		t.Errorf("GET ping: %s", st)
	}

	st, b = call(t, s, "GET", "/nodes/pve/qemu/101/agent/network-get-interfaces", tok, nil)
	expect(t, st, b, "500 VM 101 is not running", `{"message":"VM 101 is not running\n","data":null}`)
	st, b = call(t, s, "GET", "/nodes/pve/qemu/102/agent/network-get-interfaces", tok, nil)
	expect(t, st, b, "500 No QEMU guest agent configured", `{"message":"No QEMU guest agent configured\n","data":null}`)
	// A configured but disabled agent passes the first check and then
	// fails the ping: QEMU has no agent channel.
	st, b = call(t, s, "GET", "/nodes/pve/qemu/103/agent/network-get-interfaces", tok, nil)
	expect(t, st, b, "500 QEMU guest agent is not running", `{"message":"QEMU guest agent is not running\n","data":null}`)
	st, b = call(t, s, "GET", "/nodes/pve/qemu/999/agent/network-get-interfaces", tok, nil)
	expect(t, st, b, "500 Configuration file 'nodes/pve/qemu-server/999.conf' does not exist",
		`{"message":"Configuration file 'nodes/pve/qemu-server/999.conf' does not exist\n","data":null}`)
}

// Until the boot delay has passed the agent does not answer, and PVE's
// answer then takes the ping timeout.
func TestAgentBootDelayAndPingTimeout(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Agent: AgentOptions{BootDelay: time.Hour, PingTimeout: 300 * time.Millisecond}})
	addAgentVM(t, s, 100, "stopped", map[string]string{"agent": "1"})
	ctx := ctxT(t)
	vm, err := tokenClient(t, s, s.Token()).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	qemu, err := vm.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := qemu.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	began := time.Now()
	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/agent/network-get-interfaces", s.Token(), nil)
	expect(t, st, b, "500 QEMU guest agent is not running", `{"message":"QEMU guest agent is not running\n","data":null}`)
	if waited := time.Since(began); waited < 300*time.Millisecond {
		t.Errorf("answered after %s, want at least the ping timeout of 300ms", waited)
	}
}

// With BootQueries the agent leaves that many requests after each start
// unanswered, then answers; a reboot starts the count again.
func TestAgentBootQueries(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true, Agent: AgentOptions{BootQueries: 2}})
	addAgentVM(t, s, 100, "running", map[string]string{"agent": "1"})
	ask := func() string {
		st, _ := call(t, s, "GET", "/nodes/pve/qemu/100/agent/network-get-interfaces", s.Token(), nil)
		return st
	}
	const notRunning = "500 QEMU guest agent is not running"
	for round, boot := range []string{"start", "reboot"} {
		if round > 0 {
			_, b := call(t, s, "POST", "/nodes/pve/qemu/100/status/reboot", s.Token(), url.Values{})
			if exit := waitUPID(t, s, b); exit != "OK" {
				t.Fatalf("reboot: exit %q", exit)
			}
		}
		if got := []string{ask(), ask(), ask(), ask()}; !slices.Equal(got, []string{notRunning, notRunning, "200 OK", "200 OK"}) {
			t.Fatalf("after the %s: %q", boot, got)
		}
	}
}

// An agent enabled on a running VM waits for the next start
// (vmconfig_update_agent dies "skip"), so the agent answers only after it.
func TestAgentEnabledWhileRunningWaitsForRestart(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	addAgentVM(t, s, 100, "running", nil)
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"agent": {"enabled=1"}})
	expect(t, st, b, "200 OK", `{"data":null}`)
	if set, _ := s.PendingConfig(100); set["agent"] != "enabled=1" {
		t.Fatalf("pending = %v, want agent=enabled=1", set)
	}
	st, _ = call(t, s, "GET", "/nodes/pve/qemu/100/agent/network-get-interfaces", s.Token(), nil)
	if st != "500 No QEMU guest agent configured" {
		t.Fatalf("before the restart: %s", st)
	}
	st, _ = call(t, s, "POST", "/nodes/pve/qemu/100/status/reboot", s.Token(), url.Values{})
	if st != "200 OK" {
		t.Fatalf("reboot: %s", st)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, _ = call(t, s, "GET", "/nodes/pve/qemu/100/agent/network-get-interfaces", s.Token(), nil)
		if st == "200 OK" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st != "200 OK" {
		t.Fatalf("after the reboot: %s", st)
	}
}

// The agent property is checked like pve-common's parse_property_string
// against $agent_fmt: unknown keys, booleans, the type enum.
func TestAgentPropertyFormat(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	addAgentVM(t, s, 100, "stopped", nil)
	for _, tc := range []struct{ value, status, body string }{
		{"enabled=1,fstrim_cloned_disks=1,type=isa", "200 OK", `{"data":null}`},
		{"yes", "200 OK", `{"data":null}`},
		{"1,freeze-fs-on-backup=0", "200 OK", `{"data":null}`},
		{"type=serial", "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"agent":"invalid format - format error\nagent.type: value 'serial' does not have a value in the enumeration 'virtio, isa'\n"},"data":null}`},
		{"enabled=maybe", "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"agent":"invalid format - format error\nagent.enabled: type check ('boolean') failed - got 'maybe'\n"},"data":null}`},
		{"1,trim=1", "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"agent":"invalid format - invalid key in comma-separated list property: trim\n"},"data":null}`},
		{"1,0", "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"agent":"invalid format - duplicate key in comma-separated list property: enabled\n"},"data":null}`},
	} {
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"agent": {tc.value}})
		if st != tc.status || b != tc.body {
			t.Errorf("agent=%s: %s %s\nwant %s %s", tc.value, st, b, tc.status, tc.body)
		}
	}
}
