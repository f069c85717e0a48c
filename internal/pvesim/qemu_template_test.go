package pvesim

import "testing"

// POST .../template as qemu-server's API2/Qemu.pm "template" answers it.
func TestConvertToTemplate(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")

	vm, _ := node.VirtualMachine(ctx, 110)
	task, err := vm.ConvertToTemplate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if v, _ := s.VM(110); !v.Template {
		t.Fatalf("VM 110 is no template: %+v", v.Config)
	}
	if _, err := vm.ConvertToTemplate(ctx); err == nil || err.Error() != "500 you can't convert a template to a template" {
		t.Fatalf("converting a template again: %v", err)
	}

	// 115: stopped, all disks on local-lvm (111 has one on the broken pool
	// and would not start).
	running, _ := node.VirtualMachine(ctx, 115)
	if task, err = running.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if _, err := running.ConvertToTemplate(ctx); err == nil || err.Error() != "500 you can't convert a VM to template if VM is running" {
		t.Fatalf("converting a running VM: %v", err)
	}
	if v, _ := s.VM(115); v.Template {
		t.Fatal("the running VM became a template")
	}
}
