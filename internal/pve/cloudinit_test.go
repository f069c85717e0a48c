package pve

import (
	"reflect"
	"testing"
)

func TestSSHKeysEncodedOnceAsPVEDecodesThem(t *testing.T) {
	keys := []string{"ssh-ed25519 AAAAC3Nz+a/b= ops@host\n", "  ecdsa-sha2-nistp256   AAAAE2V=  \n\n"}
	set := map[string]string{}
	var del []string
	(&CloudInitChange{SSHKeys: &keys}).params(set, &del)
	want := "ssh-ed25519%20AAAAC3Nz%2Ba%2Fb%3D%20ops%40host%0Aecdsa-sha2-nistp256%20AAAAE2V%3D%0A"
	if set["sshkeys"] != want {
		t.Fatalf("sshkeys = %q, want %q", set["sshkeys"], want)
	}
	// pve_verify_urlencoded accepts only [-%a-zA-Z0-9_.!~*'()].
	for _, c := range set["sshkeys"] {
		if !(c == '%' || c == '-' || c == '_' || c == '.' || c == '~' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			t.Fatalf("PVE would reject %q in %q", c, set["sshkeys"])
		}
	}
	got := parseCloudInit(map[string]string{"sshkeys": want}).SSHKeys
	if !reflect.DeepEqual(got, []string{"ssh-ed25519 AAAAC3Nz+a/b= ops@host", "ecdsa-sha2-nistp256 AAAAE2V="}) {
		t.Fatalf("read back %q", got)
	}
}

func TestCloudInitChangeParams(t *testing.T) {
	empty, user, up := []string{}, "ops", false
	change := &CloudInitChange{
		Drive: &CloudInitDrive{Interface: "ide2", Storage: "local-lvm"}, User: &user, SSHKeys: &empty, Upgrade: &up,
		Nameservers: &[]string{"10.0.0.1", "10.0.0.2"},
		IPConfig: map[string]*IPConfig{
			"net0": {IPv4Address: "10.0.0.20/24", IPv4Gateway: "10.0.0.1", IPv6Address: "auto"},
			"net1": nil,
		},
		Custom: &CloudInitCustom{User: "local:snippets/user.yaml"},
	}
	set, del := ConfigChange{CloudInit: change}.params()
	wantSet := map[string]string{
		"ide2": "local-lvm:cloudinit", "ciuser": "ops", "ciupgrade": "0", "nameserver": "10.0.0.1 10.0.0.2",
		"ipconfig0": "ip=10.0.0.20/24,gw=10.0.0.1,ip6=auto", "cicustom": "user=local:snippets/user.yaml",
	}
	if !reflect.DeepEqual(set, wantSet) || !reflect.DeepEqual(del, []string{"ipconfig1", "sshkeys"}) {
		t.Fatalf("set %v del %v", set, del)
	}
}

func TestParseCloudInit(t *testing.T) {
	ci := parseCloudInit(map[string]string{
		"ide2": "local-lvm:vm-100-cloudinit,media=cdrom", "ipconfig0": "ip=dhcp,ip6=auto", "cipassword": "**********",
		"nameserver": "10.0.0.1,10.0.0.2", "ciupgrade": "0", "cicustom": "user=local:snippets/u.yaml,meta=local:snippets/m.yaml",
	})
	want := CloudInit{
		Drive: &CloudInitDrive{Interface: "ide2", Storage: "local-lvm"}, PasswordSet: true,
		Nameservers: []string{"10.0.0.1", "10.0.0.2"},
		IPConfig:    map[string]IPConfig{"net0": {IPv4Address: "dhcp", IPv6Address: "auto"}},
		Custom:      CloudInitCustom{User: "local:snippets/u.yaml", Meta: "local:snippets/m.yaml"},
	}
	if !reflect.DeepEqual(ci, want) {
		t.Fatalf("got %+v\nwant %+v", ci, want)
	}
	if parseCloudInit(map[string]string{}).Upgrade != true {
		t.Fatal("ciupgrade defaults to 1 ($confdesc_cloudinit)")
	}
}
