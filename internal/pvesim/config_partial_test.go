package pvesim

import (
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestConfigUpdatePartialWrite: qemu-server API2/Qemu.pm $update_vm_api's
// $updatefn writes each option to [PENDING] with write_config before it
// takes the next; write_vm_config's check_type refuses a signed integer
// the API's schema let through, and the update dies there. The options
// written before it stay pending, even on a stopped VM (the apply after
// the loop is never reached): GET config shows them, config?current=1 does
// not, /pending lists them. PVE walks the options in Perl hash order; the
// simulator sorted, so balloon (before cores) is written and sockets not.
func TestConfigUpdatePartialWrite(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{
		"memory": "2048", "cores": "1", "sockets": "1", "scsi0": "local-lvm:vm-100-disk-0,size=8G",
	}}); err != nil {
		t.Fatal(err)
	}
	before := getConfig(t, s, "")["digest"]
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{
		"balloon": {"1024"}, "cores": {"+2"}, "sockets": {"2"},
	})
	expect(t, st, b, "500 unable to parse value of 'cores' - type check ('integer') failed - got '+2'",
		`{"message":"unable to parse value of 'cores' - type check ('integer') failed - got '+2'\n","data":null}`)

	withPending := getConfig(t, s, "")
	if withPending["balloon"] != float64(1024) || withPending["cores"] != float64(1) || withPending["sockets"] != float64(1) {
		t.Errorf("config = balloon %v cores %v sockets %v, want 1024 (written), 1, 1", withPending["balloon"], withPending["cores"], withPending["sockets"])
	}
	if withPending["digest"] == before {
		t.Error("digest unchanged: the file was written")
	}
	if _, has := getConfig(t, s, "?current=1")["balloon"]; has {
		t.Error("config?current=1 shows balloon: it was never applied")
	}
	pend := getPending(t, s)
	if it := pend["balloon"]; it.Pending != float64(1024) || it.Value != nil {
		t.Errorf("/pending balloon = %+v, want pending 1024 and no value", it)
	}
	if it := pend["sockets"]; it.Pending != nil {
		t.Errorf("/pending sockets = %+v: written after the failing option", it)
	}

	// The task of POST, through go-proxmox: the same failure, and what
	// was written before it stays for the next reader.
	ctx := ctxT(t)
	node, err := tokenClient(t, s, tok).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Config(ctx,
		proxmox.VirtualMachineOption{Name: "description", Value: "db"},
		proxmox.VirtualMachineOption{Name: "shares", Value: "+500"},
		proxmox.VirtualMachineOption{Name: "sockets", Value: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFailed(t, ctx, task); got != "unable to parse value of 'shares' - type check ('integer') failed - got '+500'" {
		t.Errorf("task exit status %q", got)
	}
	vm, err = node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	c := vm.VirtualMachineConfig
	if !strings.Contains(c.Description, "db") || c.Memory != proxmox.StringOrInt(2048) || c.Sockets == nil || *c.Sockets != 1 {
		t.Errorf("typed config: description %q memory %v sockets %v, want db, 2048, 1", c.Description, c.Memory, c.Sockets)
	}

	// The boot branch and a drive's create_disks die inside the same loop,
	// at their own option: what came before stays pending.
	if err := s.AddVM(VM{VMID: 101, Name: "app", Config: map[string]string{"memory": "2048", "scsi0": "local-lvm:vm-101-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/101/config", tok, url.Values{"balloon": {"256"}, "boot": {"order=scsi9"}, "tablet": {"0"}})
	expect(t, st, b, "500 invalid bootorder: device 'scsi9' does not exist'", `{"message":"invalid bootorder: device 'scsi9' does not exist'\n","data":null}`)
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/101/config", tok, url.Values{"agent": {"1"}, "ide2": {"local:iso/missing.iso,media=cdrom"}, "onboot": {"1"}})
	expect(t, st, b, "500 volume local:iso/missing.iso does not exist", `{"message":"volume local:iso/missing.iso does not exist\n","data":null}`)
	set, del := s.PendingConfig(101)
	if len(set) != 2 || set["balloon"] != "256" || set["agent"] != "1" || len(del) != 0 {
		t.Errorf("VM 101 pending = %v, delete %v; want balloon=256 and agent=1 only", set, del)
	}
}
