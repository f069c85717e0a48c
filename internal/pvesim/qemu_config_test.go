package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestConfigUpdateEarlyChecks: qemu-server API2/Qemu.pm $update_vm_api
// checks the digest and the lock before forking its worker
// ($load_and_check_config->(0), "early checks before forking/locking"), so
// POST answers a stale digest or a locked VM with a synchronous 500 and no
// task, like PUT; parameter errors come first, as 400s.
func TestConfigUpdateEarlyChecks(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	ctx := ctxT(t)
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"cores": "1"}}); err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	for _, method := range []string{"POST", "PUT"} {
		st, b := call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"cores": {"2"}, "digest": {strings.Repeat("0", 40)}})
		expect(t, st, b, "500 checksum mismatch (file change by other user?)",
			`{"message":"checksum mismatch (file change by other user?)\n","data":null}`)

		st, b = call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"delete": {"foo"}})
		expect(t, st, b, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"delete":"unknown option 'foo'"},"data":null}`)
		st, b = call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"delete": {"f!oo"}})
		expect(t, st, b, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"delete":"invalid format - invalid configuration ID 'f!oo'"},"data":null}`)
		st, b = call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"delete": {"cores"}, "cores": {"2"}})
		expect(t, st, b, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"delete":"you can't use '-cores' and -delete cores' at the same time"},"data":null}`)
		// $authuser is the token ID for a token: skiplock is root@pam's only.
		st, b = call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"cores": {"2"}, "skiplock": {"1"}})
		expect(t, st, b, "400 Parameter verification failed.",
			`{"message":"Parameter verification failed.\n","errors":{"skiplock":"Only root may use this option."},"data":null}`)
		st, b = call(t, s, method, "/nodes/pve/qemu/100/config", tok, url.Values{"digest": {strings.Repeat("0", 40)}})
		expect(t, st, b, "500 no options specified", `{"message":"no options specified\n","data":null}`)
	}

	if err := s.SetVMConfig(100, "lock", "backup"); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "POST", "/nodes/pve/qemu/100/config", tok, url.Values{"cores": {"2"}})
	expect(t, st, b, "500 VM is locked (backup)", `{"message":"VM is locked (backup)\n","data":null}`)

	// Through go-proxmox's typed API: an error, no task to wait on.
	c := tokenClient(t, s, tok)
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Config(ctx, proxmox.VirtualMachineOption{Name: "cores", Value: 4})
	if err == nil || err.Error() != "500 VM is locked (backup)" || task != nil {
		t.Fatalf("locked POST: task %v, err %v", task, err)
	}
	if got := s.tasksOfType("qmconfig"); got != 0 {
		t.Fatalf("%d qmconfig tasks, want none", got)
	}
	if err := s.SetVMConfig(100, "lock", ""); err != nil {
		t.Fatal(err)
	}
	task, err = vm.Config(ctx, proxmox.VirtualMachineOption{Name: "cores", Value: 4})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if v, _ := s.VM(100); v.Config["cores"] != "4" {
		t.Fatalf("cores = %q", v.Config["cores"])
	}
}

// tasksOfType counts the tasks of one type the simulator ran.
func (s *Server) tasksOfType(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.taskList {
		if t.Type == typ {
			n++
		}
	}
	return n
}
