package pvesim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The expected bodies below are what qemu-server 9.2 answers; each test
// names the function it follows.

func TestSHA256CryptMatchesGlibc(t *testing.T) {
	// glibc: crypt("Hello world!", "$5$saltstring")
	if got, want := sha256Crypt("Hello world!", "saltstring"), "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"; got != want {
		t.Fatalf("sha256Crypt = %q, want %q", got, want)
	}
}

// cloudInitVM adds a stopped VM 100 with a cloud-init drive on ide2.
func cloudInitVM(t *testing.T, s *Server, extra map[string]string) {
	t.Helper()
	conf := map[string]string{
		"memory": "2048", "ostype": "l26", "scsi0": "local-lvm:vm-100-disk-0,size=8G",
		"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "ide2": "local-lvm:vm-100-cloudinit,media=cdrom",
		"ciuser": "debian",
	}
	for k, v := range extra {
		conf[k] = v
	}
	if err := s.AddVM(VM{VMID: 100, Name: "web", Status: "stopped", Config: conf}); err != nil {
		t.Fatal(err)
	}
}

func dataOf(t *testing.T, body string) json.RawMessage {
	t.Helper()
	var b struct{ Data json.RawMessage }
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return b.Data
}

// waitUPID polls a task the simulator started until it stops.
func waitUPID(t *testing.T, s *Server, body string) string {
	t.Helper()
	var upid string
	if err := json.Unmarshal(dataOf(t, body), &upid); err != nil {
		t.Fatalf("no UPID in %s", body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, b := call(t, s, "GET", "/nodes/pve/tasks/"+url.PathEscape(upid)+"/status", s.Token(), nil)
		var st struct{ Status, Exitstatus string }
		_ = json.Unmarshal(dataOf(t, b), &st)
		if st.Status == "stopped" {
			return st.Exitstatus
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("task %s did not stop", upid)
	return ""
}

// TestCloudInitDriveAllocated follows API2/Qemu.pm create_disks: a
// "<storage>:cloudinit" value becomes vm-<vmid>-cloudinit with media=cdrom,
// and a second cloud-init drive is refused.
func TestCloudInitDriveAllocated(t *testing.T) {
	s := startSim(t, Options{})
	st, b := call(t, s, "POST", "/nodes/pve/qemu", s.Token(), url.Values{
		"vmid": {"100"}, "name": {"ci"}, "ide2": {"local-lvm:cloudinit"}, "net0": {"virtio,bridge=vmbr0"},
	})
	if st != "200 OK" {
		t.Fatalf("create: %s %s", st, b)
	}
	if exit := waitUPID(t, s, b); exit != "OK" {
		t.Fatalf("create task: %s", exit)
	}
	if got := getConfig(t, s, "")["ide2"]; got != "local-lvm:vm-100-cloudinit,media=cdrom" {
		t.Fatalf("ide2 = %v", got)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"ide0": {"local-lvm:cloudinit"}})
	expectJSON(t, st, b, "500 ide0 - cloud-init drive is already attached at 'ide2'", `{"data":null,"message":"ide0 - cloud-init drive is already attached at 'ide2'\n"}`)
}

// TestCloudInitFormats follows $confdesc_cloudinit's formats (pve-common
// JSONSchema.pm pve_verify_urlencoded, pve_verify_address,
// pve_verify_ipv4_config/ipv6_config; QemuServer/Network.pm $ipconfig_fmt;
// check_object's "missing property required by"; pve-storage Plugin.pm
// parse_volume_id): every die keeps its newline, property strings use
// PVE::Exception's "format error\n<param>.<key>: <msg>\n".
func TestCloudInitFormats(t *testing.T) {
	s := startSim(t, Options{})
	cloudInitVM(t, s, nil)
	for _, tc := range []struct{ key, value, msg string }{
		{"sshkeys", "ssh-ed25519 AAAA", "invalid format - invalid urlencoded string: ssh-ed25519 AAAA\n"},
		{"nameserver", "10.0.0.1 not_a_host!", "invalid format - value does not look like a valid address: not_a_host!\n"},
		{"ipconfig0", "ip=10.0.0.5", "invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"},
		{"ipconfig1", "ip6=slaac", "invalid format - format error\nipconfig1.ip6: invalid format - value does not look like a valid ipv6 network configuration\n\n"},
		{"ipconfig0", "gw=10.0.0.1", "invalid format - format error\nipconfig0.ip: missing property required by 'ipconfig0.gw'\n"},
		{"ipconfig0", "ip=dhcp,ip4=10.0.0.5/24", "invalid format - invalid key in comma-separated list property: ip4\n"},
		{"cicustom", "user=snippets", "invalid format - format error\ncicustom.user: invalid format - unable to parse volume ID 'snippets'\n\n"},
		{"citype", "cloudbase", "value 'cloudbase' does not have a value in the enumeration 'configdrive2, nocloud, opennebula'"},
	} {
		st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{tc.key: {tc.value}})
		want, _ := json.Marshal(map[string]any{"data": nil, "errors": map[string]string{tc.key: tc.msg},
			"message": "Parameter verification failed.\n"})
		if st != "400 Parameter verification failed." || !sameJSON(b, string(want)) {
			t.Errorf("%s=%s: %s %s, want %s", tc.key, tc.value, st, b, want)
		}
	}
	for key, value := range map[string]string{
		"ipconfig0": "ip=10.0.0.5/24,gw=10.0.0.1,ip6=auto", "ipconfig1": "ip=dhcp",
		"nameserver": "10.0.0.1 10.0.0.2", "cicustom": "user=local:snippets/user.yaml",
	} {
		if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{key: {value}}); st != "200 OK" {
			t.Errorf("%s=%s: %s %s", key, value, st, b)
		}
	}
	// The keys decode, then ssh-keygen must accept each line.
	st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"sshkeys": {"not%20a%20key"}})
	expectJSON(t, st, b, "500 SSH public key validation error", `{"data":null,"message":"SSH public key validation error\n"}`)
}

func expectJSON(t *testing.T, gotStatus, gotBody, wantStatus, wantBody string) {
	t.Helper()
	if gotStatus != wantStatus || !sameJSON(gotBody, wantBody) {
		t.Errorf("got %s %s\nwant %s %s", gotStatus, gotBody, wantStatus, wantBody)
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// TestCloudInitPendingUntilRegenerated follows cloudinit_pending and
// cloudinit_update: a change is pending against the image until PUT
// .../cloudinit (or a start) generates it again.
func TestCloudInitPendingUntilRegenerated(t *testing.T) {
	s := startSim(t, Options{})
	cloudInitVM(t, s, map[string]string{"sshkeys": "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIE%2B%2Fx%20me%40host%0A"})
	pending := func() string {
		st, b := call(t, s, "GET", "/nodes/pve/qemu/100/cloudinit", s.Token(), nil)
		if st != "200 OK" {
			t.Fatalf("GET cloudinit: %s %s", st, b)
		}
		return string(dataOf(t, b))
	}
	want := `[{"key":"ciuser","value":"debian"},{"key":"sshkeys","value":"ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIE%2B%2Fx%20me%40host%0A"}]`
	if got := pending(); !sameJSON(got, want) {
		t.Fatalf("before: %s\nwant %s", got, want)
	}
	if st, b := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{
		"ciuser": {"ops"}, "searchdomain": {"example.com"}, "cipassword": {"s3cret"}, "delete": {"sshkeys"},
	}); st != "200 OK" {
		t.Fatalf("update: %s %s", st, b)
	}
	want = `[{"key":"searchdomain","pending":"example.com"},{"key":"cipassword","value":"**********"},` +
		`{"key":"ciuser","value":"debian","pending":"ops"},{"key":"sshkeys","delete":1}]`
	if got := pending(); !sameJSON(got, want) {
		t.Fatalf("after the change: %s\nwant %s", got, want)
	}
	// vm_config masks the password; update stored it hashed (encrypt_pw).
	if got := getConfig(t, s, "")["cipassword"]; got != "**********" {
		t.Fatalf("GET config cipassword = %v", got)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/cloudinit/dump?type=user", s.Token(), nil)
	var user string
	if st != "200 OK" || json.Unmarshal(dataOf(t, b), &user) != nil || !strings.Contains(user, "\npassword: $5$") {
		t.Fatalf("dump user: %s %s", st, b)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/cloudinit", s.Token(), nil)
	expect(t, st, b, "200 OK", `{"data":null}`)
	want = `[{"key":"cipassword","value":"**********"},{"key":"ciuser","value":"ops"},{"key":"searchdomain","value":"example.com"}]`
	if got := pending(); !sameJSON(got, want) {
		t.Fatalf("after regenerating: %s\nwant %s", got, want)
	}
}

// TestCloudInitDump follows Cloudinit.pm cloudinit_userdata, nocloud_network
// and nocloud_gen_metadata.
func TestCloudInitDump(t *testing.T) {
	s := startSim(t, Options{})
	cloudInitVM(t, s, map[string]string{
		"ipconfig0": "ip=10.0.0.20/24,gw=10.0.0.1,ip6=auto", "nameserver": "10.0.0.1",
		"searchdomain": "example.com", "ciupgrade": "0",
		"sshkeys": "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIE%20me%40host%0A",
	})
	dump := func(typ string) string {
		st, b := call(t, s, "GET", "/nodes/pve/qemu/100/cloudinit/dump?type="+typ, s.Token(), nil)
		var out string
		if st != "200 OK" || json.Unmarshal(dataOf(t, b), &out) != nil {
			t.Fatalf("dump %s: %s %s", typ, st, b)
		}
		return out
	}
	wantUser := "#cloud-config\nhostname: web\nmanage_etc_hosts: true\nfqdn: web.example.com\nuser: debian\n" +
		"ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE me@host\nchpasswd:\n  expire: False\nusers:\n  - default\n"
	if got := dump("user"); got != wantUser {
		t.Errorf("user:\n%s\nwant:\n%s", got, wantUser)
	}
	wantNet := "version: 1\nconfig:\n    - type: physical\n      name: eth0\n      mac_address: 'bc:24:11:00:00:01'\n" +
		"      subnets:\n      - type: static\n        address: '10.0.0.20'\n        netmask: '255.255.255.0'\n" +
		"        gateway: '10.0.0.1'\n      - type: ipv6_slaac\n    - type: nameserver\n      address:\n      - '10.0.0.1'\n" +
		"      search:\n      - 'example.com'\n"
	if got := dump("network"); got != wantNet {
		t.Errorf("network:\n%s\nwant:\n%s", got, wantNet)
	}
	if got := dump("meta"); !strings.HasPrefix(got, "instance-id: ") || len(got) != len("instance-id: \n")+40 {
		t.Errorf("meta: %q", got)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu/100/cloudinit/dump?type=vendor", s.Token(), nil)
	expectJSON(t, st, b, "400 Parameter verification failed.",
		`{"data":null,"message":"Parameter verification failed.\n","errors":{"type":"value 'vendor' does not have a value in the enumeration 'user, network, meta'"}}`)
}

// TestCloneGetsItsOwnCloudInitDrive follows QemuServer.pm clone_disk: the
// clone's cloud-init drive is vm-<newid>-cloudinit on the target storage.
func TestCloneGetsItsOwnCloudInitDrive(t *testing.T) {
	s := startSim(t, Options{})
	cloudInitVM(t, s, map[string]string{"template": "1"})
	st, b := call(t, s, "POST", "/nodes/pve/qemu/100/clone", s.Token(), url.Values{"newid": {"101"}, "name": {"c"}, "full": {"1"}})
	if st != "200 OK" {
		t.Fatalf("clone: %s %s", st, b)
	}
	if exit := waitUPID(t, s, b); exit != "OK" {
		t.Fatalf("clone task: %s", exit)
	}
	st, b = call(t, s, "GET", "/nodes/pve/qemu/101/config", s.Token(), nil)
	var conf map[string]any
	if st != "200 OK" || json.Unmarshal(dataOf(t, b), &conf) != nil {
		t.Fatalf("config: %s %s", st, b)
	}
	if conf["ide2"] != "local-lvm:vm-101-cloudinit,media=cdrom" || conf["ciuser"] != "debian" {
		t.Fatalf("clone config: %v", conf)
	}
}
