package pve

import (
	"context"
	"reflect"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A memory change on a running VM without memory hotplug waits in the
// pending section (qemu-server QemuServer.pm vmconfig_hotplug_pending) until
// a reboot applies it (API2/Qemu.pm vm_reboot).
func TestSimPendingKeysAndReboot(t *testing.T) {
	ctx := context.Background()
	srv := startSim(t, pvesim.Options{Scenario: "empty"})
	c := simClient(t, srv)
	mustCreate(t, c, baseSpec(200, "pve", "pending"))
	if err := c.StartVM(ctx, "pve", 200); err != nil {
		t.Fatal(err)
	}
	keys, err := c.PendingKeys(ctx, "pve", 200)
	if err != nil || len(keys) != 0 {
		t.Fatalf("before the change: pending %v, %v; want none", keys, err)
	}
	memory := int64(4096)
	vm, err := c.GetVMConfig(ctx, "pve", 200)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyConfigChange(ctx, "pve", 200, ConfigChange{MemoryMB: &memory}, vm.Digest); err != nil {
		t.Fatal(err)
	}
	if keys, err = c.PendingKeys(ctx, "pve", 200); err != nil || !reflect.DeepEqual(keys, []string{"memory"}) {
		t.Fatalf("after the change: pending %v, %v; want [memory]", keys, err)
	}
	if err := c.RebootVM(ctx, "pve", 200); err != nil {
		t.Fatal(err)
	}
	if keys, err = c.PendingKeys(ctx, "pve", 200); err != nil || len(keys) != 0 {
		t.Fatalf("after the reboot: pending %v, %v; want none", keys, err)
	}
}
