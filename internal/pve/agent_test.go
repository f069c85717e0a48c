package pve

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestParseAndFormatAgent(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   Agent
		format string
	}{
		{"", Agent{Type: "virtio"}, "enabled=0"},
		{"1", Agent{Enabled: true, Type: "virtio"}, "enabled=1"},
		{"yes", Agent{Enabled: true, Type: "virtio"}, "enabled=1"},
		{"enabled=1,fstrim_cloned_disks=1,type=isa", Agent{Enabled: true, FstrimClonedDisks: true, Type: "isa"},
			"enabled=1,fstrim_cloned_disks=1,type=isa"},
		{"0,type=virtio,freeze-fs=0", Agent{Type: "virtio", other: []string{"freeze-fs=0"}}, "enabled=0,freeze-fs=0"},
	} {
		got := ParseAgent(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseAgent(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if f := formatAgent(got); f != tc.format {
			t.Errorf("formatAgent(ParseAgent(%q)) = %q, want %q", tc.in, f, tc.format)
		}
	}
	if !SameAgent(Agent{Enabled: true}, Agent{Enabled: true, Type: "virtio"}) || SameAgent(Agent{}, Agent{Type: "isa"}) {
		t.Error("SameAgent: the default type is virtio")
	}
}

func TestRoutableAddresses(t *testing.T) {
	ifaces := []GuestInterface{
		{Name: "lo", Addresses: []string{"127.0.0.1/8", "::1/128"}},
		{Name: "ens18", Addresses: []string{"10.0.0.20/24", "fe80::be24:11ff:fe00:1/64", "2001:db8::5/64", "169.254.3.4/16"}},
		{Name: "ens19", Addresses: []string{"192.168.1.5/24"}},
	}
	v4, v6 := RoutableAddresses(ifaces)
	if !reflect.DeepEqual(v4, []string{"10.0.0.20", "192.168.1.5"}) || !reflect.DeepEqual(v6, []string{"2001:db8::5"}) {
		t.Errorf("got %v %v", v4, v6)
	}
	if v4, v6 := RoutableAddresses(nil); v4 == nil || v6 == nil {
		t.Error("no interfaces must give empty lists, not nil")
	}
}

// The agent of a running VM answers with its interfaces; an agent that does
// not answer is ErrAgentNotRunning (PVE's "QEMU guest agent is not
// running", qemu-server src/PVE/QemuServer/Agent.pm).
func TestSimGuestInterfaces(t *testing.T) {
	ctx := context.Background()
	srv := startSim(t, pvesim.Options{Scenario: "empty", Agent: pvesim.AgentOptions{BootDelay: 30 * time.Minute}})
	c := simClient(t, srv)
	if err := srv.AddVM(pvesim.VM{VMID: 300, Node: "pve", Name: "a", Status: "stopped",
		Config: map[string]string{"agent": "1", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.StartVM(ctx, "pve", 300); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GuestInterfaces(ctx, "pve", 300); !errors.Is(err, ErrAgentNotRunning) {
		t.Fatalf("booting guest: %v, want ErrAgentNotRunning", err)
	}
	if err := srv.AddVM(pvesim.VM{VMID: 301, Node: "pve", Name: "b", Status: "running",
		Config: map[string]string{"agent": "1", "net0": "virtio=BC:24:11:00:00:02,bridge=vmbr0"}}); err != nil {
		t.Fatal(err)
	}
	// AddVM's running VMs started an hour ago: booted.
	ifaces, err := c.GuestInterfaces(ctx, "pve", 301)
	if err != nil {
		t.Fatal(err)
	}
	want := []GuestInterface{
		{Name: "lo", MAC: "00:00:00:00:00:00", Addresses: []string{"127.0.0.1/8", "::1/128"}},
		{Name: "ens18", MAC: "bc:24:11:00:00:02", Addresses: []string{"10.1.45.10/24", "fd00:0:12d::a/64", "fe80::be24:11ff:fe00:2/64"}},
	}
	if !reflect.DeepEqual(ifaces, want) {
		t.Errorf("got %+v\nwant %+v", ifaces, want)
	}
}

// ReadVM shows what a running VM runs and which keys wait; GetVM shows the
// pending values as applied.
func TestSimReadVMPending(t *testing.T) {
	ctx := context.Background()
	srv := startSim(t, pvesim.Options{Scenario: "empty"})
	c := simClient(t, srv)
	mustCreate(t, c, baseSpec(200, "pve", "pending"))
	if err := c.StartVM(ctx, "pve", 200); err != nil {
		t.Fatal(err)
	}
	memory := int64(4096)
	if err := c.ApplyConfigChange(ctx, "pve", 200, ConfigChange{MemoryMB: &memory}, ""); err != nil {
		t.Fatal(err)
	}
	running, err := c.ReadVM(ctx, "pve", 200)
	if err != nil {
		t.Fatal(err)
	}
	if running.MemoryMB != 2048 || !reflect.DeepEqual(running.Pending, []string{"memory"}) || running.Status != "running" || running.Name != "pending" {
		t.Errorf("ReadVM: memory %d, pending %v, status %s, name %q; want 2048, [memory], running, pending",
			running.MemoryMB, running.Pending, running.Status, running.Name)
	}
	configured, err := c.GetVM(ctx, "pve", 200)
	if err != nil {
		t.Fatal(err)
	}
	if configured.MemoryMB != 4096 {
		t.Errorf("GetVM: memory %d, want the pending 4096", configured.MemoryMB)
	}
	if err := c.ShutdownVM(ctx, "pve", 200, 0); err != nil {
		t.Fatal(err)
	}
	stopped, err := c.ReadVM(ctx, "pve", 200)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.MemoryMB != 4096 || len(stopped.Pending) != 0 {
		t.Errorf("after the stop: memory %d, pending %v; want 4096 and none", stopped.MemoryMB, stopped.Pending)
	}
}
