package pvesim

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestPVEVersionTexts: the texts that differ between PVE 8.2 and 9.2, each
// compared as status line and body, and /version through go-proxmox.
//   - /version: pve-manager PVE/API2.pm "version" (pvecfg version_info).
//   - digest: qemu-server 8.2.4 "missmatch", fixed in 8.2.5 (be8c868f).
//   - "message" in error bodies: pve-http-server 5.2.0 (9a2112e).
//   - failed login: AccessControl.pm create_ticket, a 401 exception that the
//     JSON formatter renders; a failed token: HTTPServer.pm auth_handler,
//     unified to "Authentication failed!" in pve-manager 9.1.5 (26c10a2e).
func TestPVEVersionTexts(t *testing.T) {
	type texts struct {
		version, digest, digestBody, paramBody, loginBody, badToken, unknownToken string
	}
	for release, want := range map[string]texts{
		"8.2": {
			version:      `{"data":{"release":"8.2","repoid":"faa83925c9641325","version":"8.2.4"}}`,
			digest:       "500 checksum missmatch (file change by other user?)",
			digestBody:   `{"data":null}`,
			paramBody:    `{"errors":{"vmid":"invalid format - value does not look like a valid VM ID"},"data":null}`,
			loginBody:    `{"data":null}`,
			badToken:     "401 invalid token value!",
			unknownToken: "401 no such token 'nobody' for user 'root@pam'",
		},
		"9.2": {
			version:      `{"data":{"release":"9.2","repoid":"f6997e698c7933ea","version":"9.2.11"}}`,
			digest:       "500 checksum mismatch (file change by other user?)",
			digestBody:   `{"message":"checksum mismatch (file change by other user?)\n","data":null}`,
			paramBody:    `{"message":"Parameter verification failed.\n","errors":{"vmid":"invalid format - value does not look like a valid VM ID"},"data":null}`,
			loginBody:    `{"message":"authentication failure\n","data":null}`,
			badToken:     "401 Authentication failed!",
			unknownToken: "401 Authentication failed!",
		},
	} {
		t.Run(release, func(t *testing.T) {
			s := startSim(t, Options{PlainHTTP: true, PVEVersion: release, Password: "s3cret"})
			if err := s.AddVM(VM{VMID: 100, Name: "web"}); err != nil {
				t.Fatal(err)
			}
			tok := s.Token()
			st, b := call(t, s, "GET", "/version", tok, nil)
			expect(t, st, b, "200 OK", want.version)
			v, err := tokenClient(t, s, tok).Version(ctxT(t))
			if err != nil || v.Release != release || !strings.HasPrefix(v.Version, release+".") {
				t.Fatalf("go-proxmox Version: %+v, %v", v, err)
			}

			st, b = call(t, s, "PUT", "/nodes/pve/qemu/100/config", tok, url.Values{"cores": {"2"}, "digest": {strings.Repeat("0", 40)}})
			expect(t, st, b, want.digest, want.digestBody)
			st, b = call(t, s, "GET", "/nodes/pve/qemu/0100/config", tok, nil)
			expect(t, st, b, "400 Parameter verification failed.", want.paramBody)

			st, b = call(t, s, "POST", "/access/ticket", "", url.Values{"username": {"root@pam"}, "password": {"wrong"}})
			expect(t, st, b, "401 authentication failure", want.loginBody)
			st, b = call(t, s, "GET", "/version", "root@pam!proxmoxsafe=wrong", nil)
			expect(t, st, b, want.badToken, "")
			st, b = call(t, s, "GET", "/version", "root@pam!nobody=wrong", nil)
			expect(t, st, b, want.unknownToken, "")
			st, b = call(t, s, "GET", "/version", "", nil)
			expect(t, st, b, "401 No ticket", "")
		})
	}
}

// TestPVEVersionDefaultAndLabKnob: 9.2 unless told; the lab API switches
// releases at run time and refuses unknown ones.
func TestPVEVersionDefaultAndLabKnob(t *testing.T) {
	if _, err := New(Options{PVEVersion: "7.4"}); err == nil || err.Error() != `pvesim: unknown PVE version "7.4" (known: 8.2, 9.2)` {
		t.Fatalf("unknown version: %v", err)
	}
	s := startSim(t, Options{PlainHTTP: true})
	if s.PVEVersion() != "9.2" {
		t.Fatal(s.PVEVersion())
	}
	st, b := labCall(t, s, "PUT", "/_sim/version", s.Token(), `{"version":"8.2"}`)
	expect(t, st, b, "200 OK", `{"data":{"known":["8.2","9.2"],"version":"8.2"}}`)
	st, b = call(t, s, "GET", "/version", s.Token(), nil)
	expect(t, st, b, "200 OK", `{"data":{"release":"8.2","repoid":"faa83925c9641325","version":"8.2.4"}}`)
	st, _ = labCall(t, s, "PUT", "/_sim/version", s.Token(), `{"version":"10.0"}`)
	if st != `400 pvesim: unknown PVE version "10.0" (known: 8.2, 9.2)` {
		t.Fatal(st)
	}
	st, b = labCall(t, s, "GET", "/_sim/version", s.Token(), "")
	expect(t, st, b, "200 OK", `{"data":{"known":["8.2","9.2"],"version":"8.2"}}`)
}

// TestAuthFailureDelay: every 401 waits the configured delay (PVE: 3 s,
// pve-http-server APIServer/AnyEvent.pm), a failed login through go-proxmox
// included; only a lower bound is checked, so load cannot make it flaky.
func TestAuthFailureDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	s := startSim(t, Options{PlainHTTP: true, Password: "s3cret", AuthFailureDelay: delay})
	for _, tc := range []struct{ token string }{{"root@pam!proxmoxsafe=wrong"}, {""}} {
		start := time.Now()
		st, _ := call(t, s, "GET", "/version", tc.token, nil)
		if took := time.Since(start); !strings.HasPrefix(st, "401 ") || took < delay {
			t.Fatalf("token %q: %s after %v, want a 401 after at least %v", tc.token, st, took, delay)
		}
	}
	bad := proxmox.NewClient(s.URL(), proxmox.WithHTTPClient(httpClient(t, s)),
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: "nope"}))
	start := time.Now()
	if _, err := bad.Version(ctxT(t)); !errors.Is(err, proxmox.ErrNotAuthorized) {
		t.Fatalf("bad login: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("failed login answered after %v, want at least %v", took, delay)
	}
}
