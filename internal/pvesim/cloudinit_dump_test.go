package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// TestCloudInitDumpConfigDrive2 follows Cloudinit.pm dump_cloudinit_config
// for the formats other than nocloud: get_cloudinit_format picks
// configdrive2 for a Windows ostype without citype, citype wins otherwise,
// and configdrive2 and opennebula both dump configdrive2_network and
// configdrive2_gen_metadata (uuid = sha1 of user data and network).
func TestCloudInitDumpConfigDrive2(t *testing.T) {
	const wantNet = "auto lo\niface lo inet loopback\n\n" +
		"        dns_nameservers 10.0.0.1 10.0.0.2\n        dns_search example.com\n" +
		"auto eth0\niface eth0 inet static\n        address 10.0.0.20\n        netmask 255.255.255.0\n        gateway 10.0.0.1\n" +
		"iface eth0 inet6 static\n        address fd00::20\n        netmask 64\n        gateway fd00::1\n" +
		"auto eth1\niface eth1 inet dhcp\niface eth1 inet6 dhcp\n" +
		"auto eth10\niface eth10 inet6 auto\n"
	for _, tc := range []struct {
		name  string
		extra map[string]string
	}{
		{"windows ostype", map[string]string{"ostype": "win11"}},
		{"citype configdrive2", map[string]string{"citype": "configdrive2"}},
		{"citype opennebula", map[string]string{"citype": "opennebula"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t, Options{})
			extra := map[string]string{
				"net1": "virtio=BC:24:11:00:00:02,bridge=vmbr0", "net10": "virtio=BC:24:11:00:00:03,bridge=vmbr0",
				"net2":      "virtio=BC:24:11:00:00:04,bridge=vmbr0", // no ipconfig2: left out
				"ipconfig0": "ip=10.0.0.20/24,gw=10.0.0.1,ip6=fd00::20/64,gw6=fd00::1", "ipconfig1": "ip=dhcp,ip6=dhcp",
				"ipconfig10": "ip6=auto", "nameserver": "10.0.0.1 10.0.0.2", "searchdomain": "example.com",
			}
			for k, v := range tc.extra {
				extra[k] = v
			}
			cloudInitVM(t, s, extra)
			dump := func(typ string) string {
				st, b := call(t, s, "GET", "/nodes/pve/qemu/100/cloudinit/dump?type="+typ, s.Token(), nil)
				var out string
				if st != "200 OK" || json.Unmarshal(dataOf(t, b), &out) != nil {
					t.Fatalf("dump %s: %s %s", typ, st, b)
				}
				return out
			}
			if got := dump("network"); got != wantNet {
				t.Errorf("network:\n%s\nwant:\n%s", got, wantNet)
			}
			sum := sha1.Sum([]byte(dump("user") + wantNet))
			wantMeta := "{\n     \"uuid\": \"" + hex.EncodeToString(sum[:]) + "\",\n" +
				"     \"network_config\": { \"content_path\": \"/content/0000\" }\n}\n"
			if got := dump("meta"); got != wantMeta {
				t.Errorf("meta:\n%s\nwant:\n%s", got, wantMeta)
			}
		})
	}
}
