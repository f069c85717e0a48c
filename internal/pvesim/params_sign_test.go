package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

// TestSignedIntegers: pve-common JSONSchema.pm is_integer is
// m/^[+-]?\d+$/ and is_number takes a sign, "1.", ".5" and exponents, so the
// API's parameter check accepts "+2". What is written to the VM config then
// goes through qemu-server QemuServer.pm write_vm_config, whose check_type
// takes only m/^(\d+)$/ for integers (storing int($1)) and dies "unable to
// parse value of '<key>' - type check ('integer') failed - got '<value>'".
// Inside a property string the signed value is kept as written.
func TestSignedIntegers(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}}); err != nil {
		t.Fatal(err)
	}
	put := func(key, value string) (string, string) {
		return call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{key: {value}})
	}
	st, b := put("cores", "+2")
	expect(t, st, b, "500 unable to parse value of 'cores' - type check ('integer') failed - got '+2'",
		`{"message":"unable to parse value of 'cores' - type check ('integer') failed - got '+2'\n","data":null}`)
	st, b = put("cpulimit", ".5")
	expect(t, st, b, "500 unable to parse value of 'cpulimit' - type check ('number') failed - got '.5'",
		`{"message":"unable to parse value of 'cpulimit' - type check ('number') failed - got '.5'\n","data":null}`)
	// The range is checked on the number, the sign is no type error.
	st, b = put("cores", "+0")
	expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"cores":"value must have a minimum value of 1"},"data":null}`)
	// A VM ID's format comes before its type's sign.
	st, b = call(t, s, "GET", "/cluster/nextid?vmid=%2B200", tok, nil)
	expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"vmid":"invalid format - value does not look like a valid VM ID"},"data":null}`)

	if st, b := put("net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=+5,rate=.5"); st != "200 OK" {
		t.Fatal(st, b)
	}
	if st, b := put("cores", "007"); st != "200 OK" {
		t.Fatal(st, b)
	}
	vm, _ := s.VM(100)
	if got, want := vm.Config["net0"], "virtio=BC:24:11:00:00:01,bridge=vmbr0,rate=.5,tag=+5"; got != want {
		t.Errorf("net0 = %q, want %q", got, want)
	}
	if got := vm.Config["cores"]; got != "7" {
		t.Errorf("cores = %q, want 7 (int($1))", got)
	}
	if _, has := vm.Config["cpulimit"]; has {
		t.Error("refused cpulimit written")
	}
}

// TestRefusedValueLeavesEarlierOptionsPending: $updatefn (qemu-server
// API2/Qemu.pm update_vm_api) queues the deletes, then each option to set,
// with a write_config of its own, and only then applies what is pending. A
// value that write_vm_config's check_type refuses dies in the middle: the
// deletes and the options written before it stay in [PENDING], unapplied
// though the VM is stopped; the refused option and those after it are not
// written. PVE's order is Perl's hash order; the simulator's is sorted.
func TestRefusedValueLeavesEarlierOptionsPending(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"memory": "1024", "description": "old"}}); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{
		"balloon": {"512"}, "cores": {"+2"}, "memory": {"2048"}, "delete": {"description"},
	})
	expect(t, st, b, "500 unable to parse value of 'cores' - type check ('integer') failed - got '+2'",
		`{"message":"unable to parse value of 'cores' - type check ('integer') failed - got '+2'\n","data":null}`)
	set, del := s.PendingConfig(100)
	if len(set) != 1 || set["balloon"] != "512" || len(del) != 1 || del[0] != "description" {
		t.Errorf("pending = %v, delete %v; want balloon=512 and description's delete", set, del)
	}
	vm, _ := s.VM(100)
	if vm.Config["memory"] != "1024" || vm.Config["description"] != "old" || vm.Config["balloon"] != "" || vm.Config["cores"] != "" {
		t.Errorf("config = %v, want it unchanged", vm.Config)
	}
	st, b = call(t, s, "GET", "/nodes/pve/qemu/100/pending", tok, nil)
	if st != "200 OK" || !strings.Contains(b, `{"key":"balloon","pending":512}`) || !strings.Contains(b, `{"delete":1,"key":"description","value":"old"}`) {
		t.Errorf("GET pending: %s %s", st, b)
	}
}
