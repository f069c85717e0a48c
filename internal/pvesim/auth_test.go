package pvesim

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

func TestTicketLoginGoProxmox(t *testing.T) {
	s := startSim(t, Options{Password: "s3cret"})
	ctx := ctxT(t)
	c := proxmox.NewClient(s.URL(), proxmox.WithHTTPClient(httpClient(t, s)),
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: "s3cret"}))
	// First call gets 401, go-proxmox logs in and retries.
	if _, err := c.Version(ctx); err != nil {
		t.Fatal(err)
	}
	sess := c.Session()
	if sess == nil || sess.Username != "root@pam" || !strings.HasPrefix(sess.Ticket, "PVE:root@pam:") || sess.CSRFPreventionToken == "" || sess.Cap["vms"]["VM.Audit"] != 1 {
		t.Fatalf("session = %+v", sess)
	}
	node, err := c.Node(ctx, "pve")
	if err != nil {
		t.Fatal(err)
	}
	// POST with ticket + CSRF header works.
	task, err := node.NewVirtualMachine(ctx, 150, proxmox.VirtualMachineOption{Name: "name", Value: "t"})
	if err != nil {
		t.Fatal(err)
	}
	waitOK(t, ctx, task)
	if !strings.HasSuffix(string(task.UPID), ":qmcreate:150:root@pam:") {
		t.Fatalf("upid %s", task.UPID)
	}
	// Ticket renewal: the ticket is accepted as password.
	if err := c.RefreshTicket(ctx); err != nil {
		t.Fatal(err)
	}

	// Without the CSRF header a POST is refused.
	req, _ := http.NewRequest("POST", s.URL()+"/nodes/pve/qemu/150/status/start", nil)
	req.Header.Set("Cookie", "PVEAuthCookie="+c.Session().Ticket)
	res, err := httpClient(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.Status != "401 Permission denied - invalid csrf token" || len(b) != 0 {
		t.Fatalf("no csrf: %q %q", res.Status, b)
	}
	// GET with the cookie only is fine.
	req, _ = http.NewRequest("GET", s.URL()+"/nodes/pve/qemu/150/status/current", nil)
	req.Header.Set("Cookie", "PVEAuthCookie="+c.Session().Ticket)
	res, err = httpClient(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET with cookie: %s", res.Status)
	}

	// Bad credentials: 401 through the JSON formatter (create_ticket dies
	// with a 401 exception); go-proxmox reports ErrNotAuthorized.
	bad := proxmox.NewClient(s.URL(), proxmox.WithHTTPClient(httpClient(t, s)),
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: "nope"}))
	if _, err := bad.Version(ctx); !errors.Is(err, proxmox.ErrNotAuthorized) {
		t.Fatalf("bad login: %v", err)
	}
	st, body := call(t, s, "POST", "/access/ticket", "", map[string][]string{"username": {"root@pam"}, "password": {"nope"}})
	expect(t, st, body, "401 authentication failure", `{"message":"authentication failure\n","data":null}`)
	// realm given separately.
	st, _ = call(t, s, "POST", "/access/ticket", "", map[string][]string{"username": {"root"}, "realm": {"pam"}, "password": {"s3cret"}})
	if st != "200 OK" {
		t.Fatalf("realm login: %s", st)
	}
}

func TestTicketLoginDisabledWithoutPassword(t *testing.T) {
	s := startSim(t, Options{PlainHTTP: true})
	st, b := call(t, s, "POST", "/access/ticket", "", map[string][]string{"username": {"root@pam"}, "password": {""}})
	expect(t, st, b, "400 Parameter verification failed.", `{"message":"Parameter verification failed.\n","errors":{"password":"property is missing and it is not optional"},"data":null}`)
	st, _ = call(t, s, "POST", "/access/ticket", "", map[string][]string{"username": {"root@pam"}, "password": {"x"}})
	if st != "401 authentication failure" {
		t.Fatal(st)
	}
}

func TestLimitedToken(t *testing.T) {
	s := startSim(t, Options{Scenario: "incident", PlainHTTP: true})
	ctx := ctxT(t)
	const lim = "audit@pve!lim=11111111-2222-3333-4444-555555555555"
	s.AddToken(lim, []int{100, 108})
	c := tokenClient(t, s, lim)
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cl.Resources(ctx, "vm")
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, r := range rs {
		ids = append(ids, r.VMID)
	}
	if len(ids) != 2 || ids[0] != 100 || ids[1] != 108 {
		t.Fatalf("visible = %v", ids)
	}
	perms, err := c.Permissions(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, has := perms["/"]; has {
		t.Fatalf("limited token has / : %v", perms)
	}
	if _, has := perms["/vms"]; has {
		t.Fatalf("limited token has /vms : %v", perms)
	}
	if !bool(perms["/vms/108"]["VM.Audit"]) || len(perms) != 2 {
		t.Fatalf("perms = %v", perms)
	}
	st, b := call(t, s, "GET", "/nodes/pve/qemu/112/config", lim, nil)
	expect(t, st, b, "403 Permission check failed (/vms/112, VM.Audit)", `{"message":"Permission check failed (/vms/112, VM.Audit)\n","data":null}`)
	if st, _ := call(t, s, "GET", "/nodes/pve/qemu/108/config", lim, nil); st != "200 OK" {
		t.Fatal(st)
	}
	// A VM it creates becomes visible to it.
	if st, _ := call(t, s, "POST", "/nodes/pve/qemu", lim, map[string][]string{"vmid": {"700"}}); st != "200 OK" {
		t.Fatal(st)
	}
	if st, _ := call(t, s, "GET", "/nodes/pve/qemu/700/config", lim, nil); st != "200 OK" {
		t.Fatal(st)
	}

	full := tokenClient(t, s, s.Token())
	perms, err = full.Permissions(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bool(perms["/"]["VM.Audit"]) || !bool(perms["/vms"]["VM.Audit"]) {
		t.Fatalf("full perms = %v", perms)
	}
	clFull, _ := full.Cluster(ctx)
	rs, _ = clFull.Resources(ctx, "vm")
	if len(rs) != 16 {
		t.Fatalf("full token sees %d guests", len(rs))
	}
}
