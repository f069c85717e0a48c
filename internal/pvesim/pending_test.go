package pvesim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

func runningWeb(t *testing.T, s *Server, extra map[string]string) {
	t.Helper()
	conf := map[string]string{
		"memory": "2048", "cores": "2", "sockets": "1", "ostype": "l26", "scsihw": "virtio-scsi-single",
		"scsi0": "local-lvm:vm-100-disk-0,iothread=1,size=32G", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
	}
	for k, v := range extra {
		conf[k] = v
	}
	if err := s.AddVM(VM{VMID: 100, Name: "web", Status: "running", Config: conf}); err != nil {
		t.Fatal(err)
	}
}

type pendingItem struct {
	Key     string `json:"key"`
	Value   any    `json:"value"`
	Pending any    `json:"pending"`
	Delete  int    `json:"delete"`
}

func getPending(t *testing.T, s *Server) map[string]pendingItem {
	t.Helper()
	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/pending", s.Token(), nil)
	if st != "200 OK" {
		t.Fatalf("pending: %s %s", st, b)
	}
	var body struct{ Data []pendingItem }
	if err := json.Unmarshal([]byte(b), &body); err != nil {
		t.Fatal(err)
	}
	out := map[string]pendingItem{}
	for _, it := range body.Data {
		out[it.Key] = it
	}
	return out
}

func getConfig(t *testing.T, s *Server, query string) map[string]any {
	t.Helper()
	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/config"+query, s.Token(), nil)
	if st != "200 OK" {
		t.Fatalf("config%s: %s %s", query, st, b)
	}
	var body struct{ Data map[string]any }
	if err := json.Unmarshal([]byte(b), &body); err != nil {
		t.Fatal(err)
	}
	return body.Data
}

// TestPendingMemoryUntilStopStart: on a running VM without memory hotplug a
// memory change waits in [PENDING] (QemuServer.pm vmconfig_hotplug_pending
// "skip"), visible in /pending and in config vs config?current=1, while the
// status keeps the running maxmem; the name applies at once
// ($fast_plug_option); a stop applies the rest (vm_stop_cleanup), and a
// start after it sees nothing pending.
func TestPendingMemoryUntilStopStart(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	runningWeb(t, s, nil)
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	vm, err := node.VirtualMachine(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	digestBefore := vm.VirtualMachineConfig.Digest
	task, err := vm.Config(ctx, proxmox.VirtualMachineOption{Name: "memory", Value: 4096},
		proxmox.VirtualMachineOption{Name: "name", Value: "web-renamed"},
		proxmox.VirtualMachineOption{Name: "cores", Value: 4})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)

	p := getPending(t, s)
	if it := p["memory"]; it.Value != "2048" || it.Pending != "4096" {
		t.Errorf("pending memory = %+v", it)
	}
	if it := p["cores"]; it.Value != float64(2) || it.Pending != float64(4) {
		t.Errorf("pending cores = %+v", it)
	}
	if it := p["name"]; it.Value != "web-renamed" || it.Pending != nil {
		t.Errorf("name should apply at once: %+v", it)
	}
	if it := p["digest"]; it.Value == nil || it.Value == digestBefore {
		t.Errorf("digest entry = %+v (before %s)", it, digestBefore)
	}

	cur, pend := getConfig(t, s, "?current=1"), getConfig(t, s, "")
	if cur["memory"] != "2048" || cur["cores"] != float64(2) || cur["name"] != "web-renamed" {
		t.Errorf("config?current=1 = %v", cur)
	}
	if pend["memory"] != "4096" || pend["cores"] != float64(4) || pend["digest"] != cur["digest"] {
		t.Errorf("config = %v", pend)
	}
	// The digest in /pending is the file's, the one a config update checks
	// (GuestHelpers.pm config_with_pending_array passes $conf->{digest} on).
	if p["digest"].Value != cur["digest"] {
		t.Errorf("pending digest %v, config digest %v", p["digest"].Value, cur["digest"])
	}

	// go-proxmox reads plain config: it sees 4096 while the VM runs with 2048.
	if err := vm.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if vm.MaxMem != 2048<<20 || vm.CPUs != 2 || vm.VirtualMachineConfig.Memory != 4096 || vm.Name != "web-renamed" {
		t.Errorf("status maxmem=%d cpus=%d config memory=%d name=%q", vm.MaxMem, vm.CPUs, vm.VirtualMachineConfig.Memory, vm.Name)
	}
	if _, b := call(t, s, "GET", "/cluster/resources?type=vm", s.Token(), nil); !strings.Contains(b, `"maxmem":2147483648`) {
		t.Errorf("resources: %s", b)
	}

	task, err = vm.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if set, del := s.PendingConfig(100); len(set) != 0 || len(del) != 0 {
		t.Fatalf("after stop pending = %v %v", set, del)
	}
	if cur := getConfig(t, s, "?current=1"); cur["memory"] != "4096" || cur["cores"] != float64(4) {
		t.Errorf("after stop config?current=1 = %v", cur)
	}
	task, err = vm.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if err := vm.Ping(ctx); err != nil || vm.MaxMem != 4096<<20 || vm.CPUs != 4 {
		t.Fatalf("after start: %v maxmem=%d cpus=%d", err, vm.MaxMem, vm.CPUs)
	}
}

// TestPendingHotplugRules: what the default hotplug "network,disk,usb"
// applies at once on a running VM and what waits; a reboot applies the
// pending part, a reset does not.
func TestPendingHotplugRules(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	runningWeb(t, s, map[string]string{"sata0": "local-lvm:vm-100-disk-1,size=8G", "tags": "a"})
	ctx := ctxT(t)
	c := tokenClient(t, s, s.Token())
	node, _ := c.Node(ctx, "pve")
	vm, _ := node.VirtualMachine(ctx, 100)

	// PUT (synchronous) goes through the same rules.
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{
		"net0":    {"virtio=BC:24:11:00:00:01,bridge=vmbr1"}, // bridge change: online
		"scsi1":   {"local-lvm:4"},                           // new scsi disk: hotplug disk
		"sata1":   {"local-lvm:4"},                           // new sata disk: not hotpluggable
		"machine": {"q35"},
		"bios":    {"ovmf"},
		"cpu":     {"host"},
		"onboot":  {"1"},
		"delete":  {"tags,sata0"},
	})
	if st != "200 OK" {
		t.Fatalf("%s %s", st, b)
	}
	set, del := s.PendingConfig(100)
	for _, k := range []string{"sata1", "machine", "bios", "cpu"} {
		if _, has := set[k]; !has {
			t.Errorf("%s should be pending: %v", k, set)
		}
	}
	for _, k := range []string{"net0", "scsi1", "onboot"} {
		if _, has := set[k]; has {
			t.Errorf("%s should not be pending: %v", k, set)
		}
	}
	if strings.Join(del, ",") != "sata0" {
		t.Errorf("pending delete = %v (tags go at once, sata cannot be unplugged)", del)
	}
	v, _ := s.VM(100)
	if !strings.Contains(v.Config["net0"], "bridge=vmbr1") || !strings.HasPrefix(v.Config["scsi1"], "local-lvm:vm-100-disk-") ||
		v.Config["onboot"] != "1" || v.Config["tags"] != "" || v.Config["sata0"] == "" {
		t.Errorf("current = %v", v.Config)
	}
	if p := getPending(t, s); p["sata0"].Delete != 1 || p["sata1"].Value != nil || p["sata1"].Pending == nil {
		t.Errorf("pending sata = %+v %+v", p["sata0"], p["sata1"])
	}

	st, _ = call(t, s, "POST", "/nodes/pve/qemu/100/status/reset", s.Token(), nil)
	if st != "200 OK" {
		t.Fatal(st)
	}
	if set, _ := s.PendingConfig(100); set["machine"] != "q35" {
		t.Fatalf("reset applied pending: %v", set)
	}
	task, err := vm.Reboot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if set, del := s.PendingConfig(100); len(set)+len(del) != 0 {
		t.Fatalf("after reboot pending = %v %v", set, del)
	}
	v, _ = s.VM(100)
	if v.Config["machine"] != "q35" || v.Config["sata0"] != "" || v.Config["unused0"] != "local-lvm:vm-100-disk-1" || v.Status != "running" {
		t.Errorf("after reboot = %v %s", v.Config, v.Status)
	}
}

// TestPendingMemoryHotplug: with hotplug memory and NUMA the change lands
// at once (vmconfig_hotplug_pending, Memory.pm qemu_memory_hotplug); a
// stopped VM takes every change at once (vmconfig_apply_pending).
func TestPendingMemoryHotplug(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	runningWeb(t, s, map[string]string{"hotplug": "network,disk,usb,memory", "numa": "1"})
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"memory": {"8192"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	if set, _ := s.PendingConfig(100); len(set) != 0 {
		t.Fatalf("pending = %v", set)
	}
	if err := s.SetVMStatus(100, "stopped"); err != nil {
		t.Fatal(err)
	}
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"cores": {"8"}, "bios": {"ovmf"}}); st != "200 OK" {
		t.Fatal(st, b)
	}
	v, _ := s.VM(100)
	if set, _ := s.PendingConfig(100); len(set) != 0 || v.Config["memory"] != "8192" || v.Config["cores"] != "8" || v.Config["bios"] != "ovmf" {
		t.Fatalf("pending = %v config = %v", set, v.Config)
	}
}
