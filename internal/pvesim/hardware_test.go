package pvesim

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestHardwareFormats: each firmware and device option is checked as PVE's
// JSONSchema.pm check_prop/parse_property_string checks it, with PVE's
// error texts (a property string's key errors come as "format error\n
// <param>.<key>: <msg>\n", PVE::Exception stringify).
func TestHardwareFormats(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{
		"scsi0": "local-lvm:vm-100-disk-0,size=32G", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
	const bad = "400 Parameter verification failed."
	for _, tt := range []struct {
		key, value, wantBody string
	}{
		{"vga", "hdmi", `{"message":"Parameter verification failed.\n","errors":{"vga":"invalid format - format error\nvga.type: value 'hdmi' does not have a value in the enumeration 'cirrus, qxl, qxl2, qxl3, qxl4, none, serial0, serial1, serial2, serial3, std, virtio, virtio-gl, vmware'\n"},"data":null}`},
		{"vga", "std,memory=1024", `{"message":"Parameter verification failed.\n","errors":{"vga":"invalid format - format error\nvga.memory: value must have a maximum value of 512\n"},"data":null}`},
		{"vga", "std,colour=1", `{"message":"Parameter verification failed.\n","errors":{"vga":"invalid format - invalid key in comma-separated list property: colour\n"},"data":null}`},
		{"machine", "q36", `{"message":"Parameter verification failed.\n","errors":{"machine":"invalid format - format error\nmachine.type: value does not match the regex pattern\n"},"data":null}`},
		{"startup", "order=first", `{"message":"Parameter verification failed.\n","errors":{"startup":"invalid format - unable to parse startup options\n"},"data":null}`},
		{"serial0", "tty0", `{"message":"Parameter verification failed.\n","errors":{"serial0":"value does not match the regex pattern"},"data":null}`},
		{"efidisk0", "local-lvm:1,efitype=8m", `{"message":"Parameter verification failed.\n","errors":{"efidisk0":"invalid format - format error\nefidisk0.efitype: value '8m' does not have a value in the enumeration '2m, 4m'\n"},"data":null}`},
		{"efidisk0", "local-lvm:1,pre-enrolled-keys=maybe", `{"message":"Parameter verification failed.\n","errors":{"efidisk0":"invalid format - format error\nefidisk0.pre-enrolled-keys: type check ('boolean') failed - got 'maybe'\n"},"data":null}`},
		{"boot", "order=scsi0;efidisk0", `{"message":"Parameter verification failed.\n","errors":{"boot":"invalid format - format error\nboot.order: invalid format - invalid boot device 'efidisk0'\n\n"},"data":null}`},
		{"bios", "uefi", `{"message":"Parameter verification failed.\n","errors":{"bios":"value 'uefi' does not have a value in the enumeration 'seabios, ovmf'"},"data":null}`},
		{"numa", "yes", `{"message":"Parameter verification failed.\n","errors":{"numa":"type check ('boolean') failed - got 'yes'"},"data":null}`},
	} {
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{tt.key: {tt.value}})
		expect(t, st, b, bad, tt.wantBody)
	}
	// $update_vm_api: every boot device must exist (the stray quote is PVE's).
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"boot": {"order=scsi0;net1"}})
	expect(t, st, b, "500 invalid bootorder: device 'net1' does not exist'",
		`{"message":"invalid bootorder: device 'net1' does not exist'\n","data":null}`)

	// Valid values are stored as print_property_string prints them.
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{
		"vga": {"memory=16,type=serial0"}, "machine": {"q35"}, "startup": {"order=2,up=30,down=60"},
		"serial0": {"socket"}, "boot": {"order=net0;scsi0"}, "bios": {"ovmf"}, "numa": {"1"},
	})
	expect(t, st, b, "200 OK", `{"data":null}`)
	conf := getConfig(t, s, "")
	for k, want := range map[string]any{
		"vga": "serial0,memory=16", "machine": "q35", "startup": "order=2,up=30,down=60", "serial0": "socket",
		"boot": "order=net0;scsi0", "bios": "ovmf", "numa": float64(1),
	} {
		if conf[k] != want {
			t.Errorf("config %s = %#v, want %#v", k, conf[k], want)
		}
	}
}

// TestEFIDiskAllocation: create_disks allocates efidisk0 after the other
// drives (Drive.pm valid_drive_names order) and prints it with its options
// sorted and the size of the copied OVMF vars volume (4 MiB on LVM, the
// smallest extent), as `efidisk0: local-lvm:vm-100-disk-1,efitype=4m,
// pre-enrolled-keys=0,size=4M`; an EFI disk added later is allocated too.
func TestEFIDiskAllocation(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	tok := s.Token()
	ctx := ctxT(t)
	c := tokenClient(t, s, tok)
	st, b := call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{
		"vmid": {"100"}, "name": {"uefi"}, "bios": {"ovmf"},
		"efidisk0": {"local-lvm:1,efitype=4m,pre-enrolled-keys=0"}, "scsi0": {"local-lvm:8"},
	})
	if st != "200 OK" {
		t.Fatalf("create: %s %s", st, b)
	}
	var env struct{ Data proxmox.UPID }
	if err := json.Unmarshal([]byte(b), &env); err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, proxmox.NewTask(env.Data, c))
	conf := getConfig(t, s, "")
	if got := conf["efidisk0"]; got != "local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=0,size=4M" {
		t.Errorf("efidisk0 = %q", got)
	}
	if got := conf["scsi0"]; got != "local-lvm:vm-100-disk-0,size=8G" {
		t.Errorf("scsi0 = %q", got)
	}
	if got := conf["boot"]; got != "order=scsi0" {
		t.Errorf("boot = %q: efidisk0 is never a boot device", got)
	}

	if err := s.AddVM(VM{VMID: 101, Name: "later", Config: map[string]string{"scsi0": "local-lvm:vm-101-disk-0,size=8G"}}); err != nil {
		t.Fatal(err)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/101/config", tok, url.Values{"efidisk0": {"local-lvm:1,efitype=2m,pre-enrolled-keys=0"}})
	expect(t, st, b, "200 OK", `{"data":null}`)
	if vm, _ := s.VM(101); vm.Config["efidisk0"] != "local-lvm:vm-101-disk-1,efitype=2m,pre-enrolled-keys=0,size=4M" {
		t.Errorf("added efidisk0 = %q", vm.Config["efidisk0"])
	}
}

// TestHardwarePendingOnRunningVM: vmconfig_hotplug_pending "skip"s bios,
// machine, ostype, scsihw, boot, numa, vga, serialN and efidisk0 on a
// running VM (they wait for the next start); startup is a $fast_plug_option
// and lands at once.
func TestHardwarePendingOnRunningVM(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	runningWeb(t, s, nil)
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{
		"bios": {"ovmf"}, "machine": {"q35"}, "ostype": {"win11"}, "scsihw": {"lsi"}, "boot": {"order=net0"},
		"numa": {"1"}, "vga": {"qxl"}, "serial0": {"socket"}, "startup": {"order=1"},
		"efidisk0": {"local-lvm:1,efitype=4m,pre-enrolled-keys=1"},
	})
	expect(t, st, b, "200 OK", `{"data":null}`)
	set, _ := s.PendingConfig(100)
	for _, k := range []string{"bios", "machine", "ostype", "scsihw", "boot", "numa", "vga", "serial0", "efidisk0"} {
		if _, has := set[k]; !has {
			t.Errorf("%s is not pending: %v", k, set)
		}
	}
	if _, has := set["startup"]; has {
		t.Errorf("startup is pending; it is a fast-plug option")
	}
	if got := getConfig(t, s, "?current=1")["startup"]; got != "order=1" {
		t.Errorf("current startup = %v", got)
	}
}

// TestEFIDiskSizeOnDirectory: outside LVM the EFI disk is as large as the
// OVMF vars template it is copied from (create_efidisk): 528K for 4m, 128K
// for 2m.
func TestEFIDiskSizeOnDirectory(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	for vmid, want := range map[int]string{
		100: "local:100/vm-100-disk-0.raw,efitype=4m,pre-enrolled-keys=1,size=528K",
		101: "local:101/vm-101-disk-0.raw,efitype=2m,pre-enrolled-keys=0,size=128K",
	} {
		if err := s.AddVM(VM{VMID: vmid, Name: "efi" + strconv.Itoa(vmid)}); err != nil {
			t.Fatal(err)
		}
		typ, keys := "4m", "1"
		if vmid == 101 {
			typ, keys = "2m", "0"
		}
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/"+strconv.Itoa(vmid)+"/config", s.Token(),
			url.Values{"efidisk0": {"local:1,efitype=" + typ + ",pre-enrolled-keys=" + keys}})
		expect(t, st, b, "200 OK", `{"data":null}`)
		if vm, _ := s.VM(vmid); vm.Config["efidisk0"] != want {
			t.Errorf("VM %d efidisk0 = %q, want %q", vmid, vm.Config["efidisk0"], want)
		}
	}
}
