package pvesim

import (
	"net/url"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestRevertDropsPendingChanges follows $update_vm_api's revert
// (qemu-server src/PVE/API2/Qemu.pm $load_and_check_config and the
// option checks before it): a reverted option set in the current config
// loses its pending value and its pending delete (cleanup_pending in
// pve-guest-common AbstractConfig.pm), an option that is only pending is
// removed, and the parameter errors are PVE's texts (including its
// mismatched quotes).
func TestRevertDropsPendingChanges(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	runningWeb(t, s, map[string]string{"cpu": "host"})
	tok := s.Token()
	put := func(v url.Values) (string, string) { return call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, v) }
	// memory, a new machine and a delete of cpu all wait for a reboot.
	if st, b := put(url.Values{"memory": {"4096"}, "machine": {"q35"}, "delete": {"cpu"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	p := getPending(t, s)
	if p["memory"].Pending == nil || p["machine"].Pending == nil || p["cpu"].Delete != 1 {
		t.Fatalf("pending before revert: %+v", p)
	}

	for _, tc := range []struct {
		params       url.Values
		status, body string
	}{
		{url.Values{"revert": {"nosuch"}}, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"revert":"unknown option 'nosuch'"},"data":null}`},
		{url.Values{"revert": {"memory"}, "memory": {"1024"}}, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"delete":"you can't use '-memory' and -revert memory' at the same time"},"data":null}`},
		{url.Values{"revert": {"cpu"}, "delete": {"cpu"}}, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"revert":"you can't use '-delete cpu' and -revert cpu' at the same time"},"data":null}`},
	} {
		st, b := put(tc.params)
		expect(t, st, b, tc.status, tc.body)
	}

	// Through go-proxmox's typed API (POST, a qmconfig task).
	ctx := ctxT(t)
	c := tokenClient(t, s, tok)
	node, _ := c.Node(ctx, "pve")
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Config(ctx, proxmox.VirtualMachineOption{Name: "revert", Value: "memory,cpu,machine"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	p = getPending(t, s)
	if p["memory"].Pending != nil || p["cpu"].Delete != 0 || p["cpu"].Value != "host" {
		t.Fatalf("pending after revert: %+v", p)
	}
	if _, has := p["machine"]; has {
		t.Fatalf("machine was only pending and must be gone: %+v", p["machine"])
	}
	if set, del := s.PendingConfig(100); len(set) != 0 || len(del) != 0 {
		t.Fatalf("pending section left: %v %v", set, del)
	}
	if conf := getConfig(t, s, ""); conf["memory"] != "2048" || conf["cpu"] != "host" || conf["machine"] != nil {
		t.Fatalf("config after revert: %v", conf)
	}
}
