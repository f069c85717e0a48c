package pvesim

import (
	"maps"
	"slices"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestQemuImgProgressLines: the lines qemu-server QemuImage.pm convert
// prints from "qemu-img convert -p" (render_bytes with one decimal, the
// percentage as qemu-img printed it), at the steps QEMU's
// qemu_progress_print allows: 0 first, a 2 MiB chunk whenever it passes
// the last printed value by more than 1.0, 100 when reached and once more
// at the end.
func TestQemuImgProgressLines(t *testing.T) {
	for _, tt := range []struct {
		size, allocated int64
		count           int
		head, tail      []string
	}{
		{4 << 20, 4 << 20, 4, []string{
			"transferred 0.0 B of 4.0 MiB (0.00%)", "transferred 2.0 MiB of 4.0 MiB (50.00%)",
		}, []string{"transferred 4.0 MiB of 4.0 MiB (100.00%)", "transferred 4.0 MiB of 4.0 MiB (100.00%)"}},
		{8 << 30, 8 << 30, 102, []string{
			"transferred 0.0 B of 8.0 GiB (0.00%)", "transferred 81.9 MiB of 8.0 GiB (1.00%)", "transferred 163.8 MiB of 8.0 GiB (2.00%)",
		}, []string{"transferred 7.9 GiB of 8.0 GiB (99.10%)", "transferred 8.0 GiB of 8.0 GiB (100.00%)", "transferred 8.0 GiB of 8.0 GiB (100.00%)"}},
		{3<<30 + 5<<20, 3<<30 + 5<<20, 99, []string{
			"transferred 0.0 B of 3.0 GiB (0.00%)", "transferred 32.0 MiB of 3.0 GiB (1.04%)",
		}, []string{"transferred 3.0 GiB of 3.0 GiB (100.00%)"}},
		// nothing allocated (a sparse file never written): start and end
		{32 << 30, 0, 2, []string{"transferred 0.0 B of 32.0 GiB (0.00%)", "transferred 32.0 GiB of 32.0 GiB (100.00%)"}, nil},
	} {
		got := qemuImgProgress(tt.size, tt.allocated)
		if len(got) != tt.count || !slicesHasPrefix(got, tt.head) || !slicesHasPrefix(reversed(got), reversed(tt.tail)) {
			t.Errorf("size %d: %d lines, head %q, tail %q; want %d, %q, %q", tt.size, len(got), got[:min(3, len(got))], got[max(0, len(got)-3):], tt.count, tt.head, tt.tail)
		}
	}
}

func slicesHasPrefix(s, prefix []string) bool {
	return len(s) >= len(prefix) && strings.Join(s[:len(prefix)], "\n") == strings.Join(prefix, "\n")
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// TestCloneCopyProgressLog: a full clone of a stopped VM copies each disk
// with qemu-img convert (QemuServer.pm clone_disk_copy_data), so its task
// log carries the progress lines after "allocated target volume": every
// sector of an LVM-thin volume counts as data, a file on a directory
// storage the simulator never wrote to copies nothing; an EFI disk is
// copied with "qemu-img dd" and prints none; a linked clone copies nothing.
// Read through go-proxmox's typed clone and task log.
func TestCloneCopyProgressLog(t *testing.T) {
	s := startSim(t, Options{})
	if err := s.AddVM(VM{VMID: 100, Name: "src", Config: map[string]string{
		"scsi0":    "local-lvm:vm-100-disk-0,size=5M",
		"virtio0":  "local:100/vm-100-disk-1.qcow2,size=3M",
		"efidisk0": "local-lvm:vm-100-disk-2,efitype=4m,size=4M",
	}}); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	node, err := tokenClient(t, s, s.Token()).Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	_, task, err := vm.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 101, Name: "copy", Full: true})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	log := typedTaskLog(t, task)
	var progress []string
	for _, l := range log {
		if strings.HasPrefix(l, "transferred ") || strings.HasPrefix(l, "create full clone") {
			progress = append(progress, l)
		}
	}
	if got, want := strings.Join(progress, "\n"), strings.Join([]string{
		"create full clone of drive efidisk0 (local-lvm:vm-100-disk-2)",
		"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)",
		"transferred 0.0 B of 5.0 MiB (0.00%)",
		"transferred 2.0 MiB of 5.0 MiB (40.00%)",
		"transferred 4.0 MiB of 5.0 MiB (80.00%)",
		"transferred 5.0 MiB of 5.0 MiB (100.00%)",
		"transferred 5.0 MiB of 5.0 MiB (100.00%)",
		"create full clone of drive virtio0 (local:100/vm-100-disk-1.qcow2)",
		"transferred 0.0 B of 3.0 MiB (0.00%)",
		"transferred 3.0 MiB of 3.0 MiB (100.00%)",
	}, "\n"); got != want {
		t.Errorf("clone log:\n%s\nwant\n%s\n(whole log %q)", got, want, log)
	}

	// A linked clone of a template copies no data.
	if err := s.AddVM(VM{VMID: 200, Name: "tpl", Template: true, Config: map[string]string{"scsi0": "local-lvm:base-200-disk-0,size=5M"}}); err != nil {
		t.Fatal(err)
	}
	tpl, err := node.VirtualMachine(ctx, 200)
	if err != nil {
		t.Fatal(err)
	}
	_, task, err = tpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{NewID: 201, Name: "linked"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	for _, l := range typedTaskLog(t, task) {
		if strings.HasPrefix(l, "transferred ") {
			t.Errorf("linked clone log has %q", l)
		}
	}
}

// typedTaskLog reads a task's log with go-proxmox (a map by line number),
// in order.
func typedTaskLog(t *testing.T, task *proxmox.Task) []string {
	t.Helper()
	log, err := task.Log(ctxT(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 0, len(log))
	for _, n := range slices.Sorted(maps.Keys(log)) {
		lines = append(lines, log[n])
	}
	return lines
}
