package pvesim

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestNetMACCase: PVE keeps a given MAC as written and generates a missing
// one in upper case. qemu-server src/PVE/QemuServer/Network.pm parse_net
// fills in PVE::Tools::random_ether_addr (sprintf "%02X", uc($prefix); the
// default prefix is pve-cluster DataCenterConfig.pm $PROXMOX_OUI
// 'BC:24:11'), print_net is print_property_string, which prints the value
// unchanged; pve-common JSONSchema.pm pve_verify_mac_addr matches /i and
// returns the MAC as given. vmconfig_update_net compares MACs with
// safe_string_ne, so a change of case alone re-plugs the NIC: without the
// network hotplug feature it stays pending on a running VM.
func TestNetMACCase(t *testing.T) {
	s := startSim(t, Options{})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "web", Config: map[string]string{"hotplug": "disk"}}); err != nil {
		t.Fatal(err)
	}
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{
		"net0": {"virtio=bc:24:11:0a:0b:0c,bridge=vmbr0"}, "net1": {"e1000,bridge=vmbr0"},
	})
	expect(t, st, b, "200 OK", `{"data":null}`)
	st, b = call(t, s, "GET", "/nodes/pve/qemu/100/config", tok, nil)
	if st != "200 OK" || !strings.Contains(b, `"net0":"virtio=bc:24:11:0a:0b:0c,bridge=vmbr0"`) {
		t.Fatalf("given MAC not kept as written: %s %s", st, b)
	}
	if !regexp.MustCompile(`"net1":"e1000=BC:24:11(:[0-9A-F]{2}){3},bridge=vmbr0"`).MatchString(b) {
		t.Fatalf("generated MAC not upper case with PVE's OUI: %s", b)
	}

	// Running, hotplug without "network": the same MAC in upper case is a
	// MAC change and waits in the pending section.
	if err := s.AddVM(VM{VMID: 101, Name: "db", Status: "running", Config: map[string]string{
		"hotplug": "disk", "net0": "virtio=bc:24:11:0a:0b:0d,bridge=vmbr0",
	}}); err != nil {
		t.Fatal(err)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/101/config", tok, url.Values{"net0": {"virtio=BC:24:11:0A:0B:0D,bridge=vmbr0"}})
	expect(t, st, b, "200 OK", `{"data":null}`)
	st, b = call(t, s, "GET", "/nodes/pve/qemu/101/pending", tok, nil)
	if st != "200 OK" || !strings.Contains(b, `"key":"net0","pending":"virtio=BC:24:11:0A:0B:0D,bridge=vmbr0","value":"virtio=bc:24:11:0a:0b:0d,bridge=vmbr0"`) {
		t.Fatalf("MAC case change not pending: %s %s", st, b)
	}
}
