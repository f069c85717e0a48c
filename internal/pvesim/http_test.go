package pvesim

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// call does one raw API call and returns the status line text (after the
// protocol) and body.
func call(t *testing.T, s *Server, method, path, token string, form url.Values) (string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "PVEAPIToken="+token)
	}
	res, err := httpClient(t, s).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.Status, string(b)
}

func expect(t *testing.T, gotStatus, gotBody, wantStatus, wantBody string) {
	t.Helper()
	if gotStatus != wantStatus {
		t.Errorf("status = %q, want %q", gotStatus, wantStatus)
	}
	if gotBody != wantBody {
		t.Errorf("body = %q, want %q", gotBody, wantBody)
	}
}

// TestStatusLineBytes reads the wire bytes: PVE's message is the reason phrase.
func TestStatusLineBytes(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "a"}); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(strings.TrimSuffix(s.URL(), "/api2/json"), "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	body := "vmid=100&name=b"
	req := "POST /api2/json/nodes/pve/qemu HTTP/1.1\r\nHost: " + host +
		"\r\nAuthorization: PVEAPIToken=" + DevToken +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\n\r\n" + body
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if !strings.HasPrefix(text, "HTTP/1.1 500 unable to create VM 100 - VM 100 already exists on node 'pve'\r\n") {
		t.Fatalf("wire = %q", text)
	}
	_, b, _ := strings.Cut(text, "\r\n\r\n")
	if b != `{"message":"unable to create VM 100 - VM 100 already exists on node 'pve'\n","data":null}` {
		t.Fatalf("body = %q", b)
	}
}

// TestErrorFormats checks PVE 8.2's texts and bodies (no "message" in
// error bodies before pve-http-server 5.2.0); pveversion_test.go has 9.2's.
func TestErrorFormats(t *testing.T) {
	s := startSim(t, Options{Nodes: []string{"pve", "pve2"}, PVEVersion: "8.2"})
	tok := s.Token()
	if err := s.AddVM(VM{VMID: 100, Name: "a", Status: "running"}); err != nil {
		t.Fatal(err)
	}

	st, b := call(t, s, "GET", "/version", tok, nil)
	expect(t, st, b, "200 OK", `{"data":{"release":"8.2","repoid":"faa83925c9641325","version":"8.2.4"}}`)

	st, b = call(t, s, "GET", "/version", "", nil)
	expect(t, st, b, "401 No ticket", "")
	st, b = call(t, s, "GET", "/version", "root@pam!proxmoxsafe=wrong", nil)
	expect(t, st, b, "401 invalid token value!", "")
	st, b = call(t, s, "GET", "/version", "root@pam!other=wrong", nil)
	expect(t, st, b, "401 no such token 'other' for user 'root@pam'", "")

	st, b = call(t, s, "GET", "/nodes/pve/frobnicate", tok, nil)
	expect(t, st, b, "501 Method 'GET /nodes/pve/frobnicate' not implemented", `{"data":null}`)
	st, _ = call(t, s, "PATCH", "/nodes/pve/qemu", tok, nil)
	if st != "501 Method 'PATCH /nodes/pve/qemu' not implemented" {
		t.Errorf("PATCH: %q", st)
	}

	st, b = call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"99"}, "name": {"bad_name"}})
	expect(t, st, b, "400 Parameter verification failed.",
		`{"errors":{"name":"invalid format - value does not look like a valid DNS name","vmid":"invalid format - value does not look like a valid VM ID"},"data":null}`)
	st, b = call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"name": {"ok"}})
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"vmid":"property is missing and it is not optional"},"data":null}`)
	st, b = call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"200"}, "onboot": {"true"}})
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"onboot":"type check ('boolean') failed - got 'true'"},"data":null}`)
	st, b = call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"200"}, "frob": {"1"}})
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"frob":"property is not defined in schema and the schema does not allow additional properties"},"data":null}`)
	st, b = call(t, s, "DELETE", "/nodes/pve/qemu/100?purge=true", tok, nil)
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"purge":"type check ('boolean') failed - got 'true'"},"data":null}`)
	st, b = call(t, s, "POST", "/nodes/pve/qemu", tok, url.Values{"vmid": {"200"}, "tags": {"ok,b@d"}})
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"tags":"invalid format - invalid characters in tag"},"data":null}`)

	st, b = call(t, s, "GET", "/nodes/pve/qemu/555/config", tok, nil)
	expect(t, st, b, "500 Configuration file 'nodes/pve/qemu-server/555.conf' does not exist",
		`{"data":null}`)
	// A VM on another node is "missing" on this one.
	st, _ = call(t, s, "GET", "/nodes/pve2/qemu/100/config", tok, nil)
	if st != "500 Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist" {
		t.Errorf("other node: %q", st)
	}
	st, _ = call(t, s, "GET", "/nodes/nope/qemu", tok, nil)
	if st != "500 hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known" {
		t.Errorf("unknown node: %q", st)
	}

	st, b = call(t, s, "DELETE", "/nodes/pve/qemu/100?purge=1", tok, nil)
	expect(t, st, b, "500 VM 100 is running - destroy failed", `{"data":null}`)

	st, b = call(t, s, "GET", "/cluster/nextid", tok, nil)
	expect(t, st, b, "200 OK", `{"data":"101"}`)
	st, b = call(t, s, "GET", "/cluster/nextid?vmid=100", tok, nil)
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"vmid":"VM 100 already exists"},"data":null}`)
	st, b = call(t, s, "GET", "/cluster/nextid?vmid=5000", tok, nil)
	expect(t, st, b, "200 OK", `{"data":"5000"}`)

	st, b = call(t, s, "GET", "/nodes/pve/tasks/UPID:pve:00000001:00000001:00000001:qmstart:100:root@pam:/status", tok, nil)
	expect(t, st, b, "400 Parameter verification failed.", `{"errors":{"upid":"no such task"},"data":null}`)

	// JSON bodies with JSON types are accepted; strings "true" are not.
	req, _ := http.NewRequest("POST", s.URL()+"/nodes/pve/qemu", strings.NewReader(`{"vmid":201,"onboot":true,"cores":2,"name":"j"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "PVEAPIToken="+tok)
	res, err := httpClient(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data string `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&env)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(env.Data, "UPID:pve:") || !strings.HasSuffix(env.Data, ":qmcreate:201:root@pam!proxmoxsafe:") {
		t.Fatalf("json create: %d %q", res.StatusCode, env.Data)
	}
}

// A body that cannot be read fails the request (answered with 400) instead
// of running the handler with the query parameters alone.
func TestParseParamsUnreadableBody(t *testing.T) {
	hr, err := http.NewRequest("POST", "http://pve/api2/json/nodes/pve/qemu?vmid=100",
		io.MultiReader(strings.NewReader("name=a"), iotest.ErrReader(errors.New("connection reset"))))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	params, err := parseParams(hr)
	if err == nil || !strings.Contains(err.Error(), "unable to read request body") || params != nil {
		t.Fatalf("parseParams = %v, %v", params, err)
	}
}

func TestConfigTypes(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	if err := s.AddVM(VM{VMID: 100, Name: "a", Config: map[string]string{
		"memory": "2048", "cores": "2", "onboot": "1", "cpu": "host", "scsi0": "local-lvm:vm-100-disk-0,size=8G",
	}}); err != nil {
		t.Fatal(err)
	}
	_, b := call(t, s, "GET", "/nodes/pve/qemu/100/config", s.Token(), nil)
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(b), &env); err != nil {
		t.Fatal(err)
	}
	d := env.Data
	if d["memory"] != "2048" || d["cores"] != float64(2) || d["onboot"] != float64(1) || d["cpu"] != "host" || d["name"] != "a" {
		t.Fatalf("config = %v", d)
	}
	if _, has := d["template"]; has {
		t.Fatal("template key on a non-template")
	}
	vm, _ := s.VM(100)
	if d["digest"] != configDigest(vm.Config) || len(d["digest"].(string)) != 40 {
		t.Fatalf("digest = %v", d["digest"])
	}

	// Stale digest on PUT fails synchronously.
	st, _ := call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"cores": {"3"}, "digest": {strings.Repeat("0", 40)}})
	if st != "500 checksum mismatch (file change by other user?)" {
		t.Fatalf("stale digest: %q", st)
	}
	st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"cores": {"3"}, "digest": {d["digest"].(string)}})
	expect(t, st, b, "200 OK", `{"data":null}`)
	st, _ = call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{})
	if st != "500 no options specified" {
		t.Fatalf("empty PUT: %q", st)
	}
	// Deleting a disk moves it to unused0.
	call(t, s, "PUT", "/nodes/pve/qemu/100/config", s.Token(), url.Values{"delete": {"scsi0"}})
	vm, _ = s.VM(100)
	if vm.Config["unused0"] != "local-lvm:vm-100-disk-0" || vm.Config["scsi0"] != "" {
		t.Fatalf("after delete: %v", vm.Config)
	}
}
