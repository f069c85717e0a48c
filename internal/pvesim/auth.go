package pvesim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const ticketLifetime = 2 * time.Hour

// tokenInfo holds a token's visibility. visible == nil means cluster-wide
// VM.Audit; otherwise only the listed VMIDs (as if granted per /vms/<id>).
type tokenInfo struct {
	visible map[int]bool
}

type ticketInfo struct {
	user    string
	csrf    string
	expires time.Time
}

// authInfo is the authenticated caller.
type authInfo struct {
	user    string // user@realm or user@realm!tokenid (as in UPIDs)
	token   *tokenInfo
	isToken bool
}

// canSee reports VM.Audit on /vms/<vmid>. Callers hold s.mu or pass a
// snapshot; visible maps are only written under s.mu.
func (a *authInfo) canSee(vmid int) bool {
	if a == nil || a.token == nil || a.token.visible == nil {
		return true
	}
	return a.token.visible[vmid]
}

func (a *authInfo) full() bool {
	return a == nil || a.token == nil || a.token.visible == nil
}

// splitToken splits "user@realm!id=secret" into the token id and secret.
func splitToken(tok string) (id, secret string, err error) {
	id, secret, found := strings.Cut(tok, "=")
	if !found || secret == "" || !strings.Contains(id, "@") || !strings.Contains(id, "!") {
		return "", "", errors.New("pvesim: token must look like user@realm!id=secret")
	}
	return id, secret, nil
}

// AddToken registers another API token. visibleVMIDs nil = sees all VMs;
// otherwise the token lacks cluster-wide VM.Audit and sees only those VMIDs
// (plus VMs it creates itself, as with a pool it owns).
func (s *Server) AddToken(token string, visibleVMIDs []int) {
	ti := &tokenInfo{}
	if visibleVMIDs != nil {
		ti.visible = map[int]bool{}
		for _, id := range visibleVMIDs {
			ti.visible[id] = true
		}
	}
	s.mu.Lock()
	s.tokens[token] = ti
	s.mu.Unlock()
}

func unauthorized(msg string) *resp { return &resp{status: 401, msg: msg, empty: true} }

// delayUnauthorized holds a 401 back until Options.AuthFailureDelay has
// passed since the request came in: pve-http-server APIServer/AnyEvent.pm
// "always delay unauthorized calls by 3 seconds" (3 s from the request's
// start for a handler's 401, handle_api2_request; a flat 3 s when
// auth_handler fails, handle_request).
func (s *Server) delayUnauthorized(res *resp, start time.Time) {
	if res == nil || res.status != 401 || s.opts.AuthFailureDelay <= 0 {
		return
	}
	if d := s.opts.AuthFailureDelay - time.Since(start); d > 0 {
		sleepOrClose(d, s.closing)
	}
}

// authenticate checks the API token header or the ticket cookie (+ CSRF).
// The texts are pve-manager PVE/HTTPServer.pm auth_handler's: since
// 26c10a2e ("unify error message in case of auth failure", in 9.1.5) every
// failed token or ticket is "Authentication failed!"; before, the error of
// pve-access-control AccessControl.pm verify_token or pve-common Ticket.pm
// verify_rsa_ticket came through (authFailure).
func (s *Server) authenticate(hr *http.Request) (*authInfo, *resp) {
	if h := hr.Header.Get("Authorization"); h != "" {
		tok, found := strings.CutPrefix(h, "PVEAPIToken=")
		if !found {
			tok, found = strings.CutPrefix(h, "PVEAPIToken ")
		}
		if !found {
			return nil, unauthorized("No ticket")
		}
		tok = strings.TrimSpace(tok)
		s.mu.Lock()
		defer s.mu.Unlock()
		id, _, err := splitToken(tok)
		if err != nil {
			return nil, s.authFailureLocked("no tokenid specified")
		}
		for known, ti := range s.tokens {
			if subtle.ConstantTimeCompare([]byte(known), []byte(tok)) == 1 {
				return &authInfo{user: id, token: ti, isToken: true}, nil
			}
		}
		for known := range s.tokens {
			if knownID, _, _ := splitToken(known); knownID == id {
				return nil, s.authFailureLocked("invalid token value!")
			}
		}
		user, tokenName, _ := strings.Cut(id, "!")
		return nil, s.authFailureLocked(fmt.Sprintf("no such token '%s' for user '%s'", tokenName, user))
	}
	c, err := hr.Cookie("PVEAuthCookie")
	if err != nil || c.Value == "" {
		return nil, unauthorized("No ticket")
	}
	ticket := c.Value
	// Browsers send the ticket URL-encoded; '+' is literal base64 here.
	if strings.Contains(ticket, "%") {
		if u, err := url.PathUnescape(ticket); err == nil {
			ticket = u
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ti := s.tickets[ticket]
	if ti == nil || time.Now().After(ti.expires) {
		return nil, s.authFailureLocked("permission denied - invalid PVE ticket")
	}
	if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
		if subtle.ConstantTimeCompare([]byte(hr.Header.Get("CSRFPreventionToken")), []byte(ti.csrf)) != 1 {
			return nil, unauthorized("Permission denied - invalid csrf token")
		}
	}
	return &authInfo{user: ti.user}, nil
}

// authFailureLocked is the 401 for a token or ticket that does not verify:
// the release's unified text, or the verifier's own (older releases).
func (s *Server) authFailureLocked(verifierText string) *resp {
	if t := s.version.authFailed; t != "" {
		return unauthorized(t)
	}
	return unauthorized(verifierText)
}

func randB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

var vmPrivs = []string{
	"VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU",
	"VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory",
	"VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.Migrate", "VM.Monitor",
	"VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback",
}

var fullPrivs = append([]string{
	"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
	"Pool.Allocate", "Pool.Audit", "Sys.Audit", "Sys.Console", "Sys.Modify", "Sys.PowerMgmt",
}, vmPrivs...)

func privMap(privs []string) map[string]int {
	m := map[string]int{}
	for _, p := range privs {
		m[p] = 1
	}
	return m
}

// capFor is the "cap" object of /access/ticket.
func capFor() map[string]map[string]int {
	pick := func(prefix ...string) map[string]int {
		m := map[string]int{}
		for _, p := range fullPrivs {
			for _, pre := range prefix {
				if strings.HasPrefix(p, pre) {
					m[p] = 1
				}
			}
		}
		return m
	}
	return map[string]map[string]int{
		"vms":     pick("VM."),
		"storage": pick("Datastore."),
		"nodes":   pick("Sys."),
		"access":  {"Group.Allocate": 1, "Permissions.Modify": 1, "User.Modify": 1},
		"dc":      {"Sys.Audit": 1, "Sys.Modify": 1},
		"sdn":     {"SDN.Allocate": 1, "SDN.Audit": 1, "SDN.Use": 1},
		"mapping": {"Mapping.Audit": 1, "Mapping.Modify": 1, "Mapping.Use": 1},
	}
}

func init() {
	addRoute("/access/ticket", map[string]handlerFunc{
		"GET":  func(s *Server, r *request) *resp { return ok(nil) },
		"POST": (*Server).createTicket,
	})
	addRoute("/access/permissions", map[string]handlerFunc{"GET": (*Server).permissions})
}

func (s *Server) createTicket(r *request) *resp {
	errs := map[string]string{}
	for _, k := range []string{"username", "password"} {
		if r.params[k] == "" {
			errs[k] = "property is missing and it is not optional"
		}
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	user := r.params["username"]
	if realm := r.params["realm"]; realm != "" && !strings.Contains(user, "@") {
		user += "@" + realm
	}
	pw := r.params["password"]

	s.mu.Lock()
	defer s.mu.Unlock()
	valid := s.opts.Password != "" && user == s.opts.User &&
		subtle.ConstantTimeCompare([]byte(pw), []byte(s.opts.Password)) == 1
	// A still valid ticket works as password (ticket renewal).
	if ti := s.tickets[pw]; ti != nil && ti.user == user && time.Now().Before(ti.expires) {
		valid = true
	}
	if !valid {
		// pve-access-control API2/AccessControl.pm create_ticket dies with
		// PVE::Exception "authentication failure\n", code 401: a handler
		// error, so the JSON formatter writes a body, unlike a failed
		// authentication of a protected call.
		return errResp(401, "authentication failure")
	}
	now := time.Now()
	ticket := fmt.Sprintf("PVE:%s:%08X::%s", user, now.Unix(), randB64(192))
	csrf := fmt.Sprintf("%08X:%s", now.Unix(), strings.TrimRight(randB64(32), "="))
	s.tickets[ticket] = &ticketInfo{user: user, csrf: csrf, expires: now.Add(ticketLifetime)}
	data := map[string]any{
		"username":            user,
		"ticket":              ticket,
		"CSRFPreventionToken": csrf,
		"cap":                 capFor(),
	}
	if len(s.nodes) > 1 {
		data["clustername"] = "pvesim"
	}
	return ok(data)
}

// permissions answers GET /access/permissions for the caller.
func (s *Server) permissions(r *request) *resp {
	path := r.params["path"]
	s.mu.Lock()
	defer s.mu.Unlock()
	all := map[string]map[string]int{}
	if r.auth.full() {
		all["/"] = privMap(fullPrivs)
		all["/vms"] = privMap(vmPrivs)
		all["/nodes"] = privMap([]string{"Sys.Audit", "Sys.Console", "Sys.Modify", "Sys.PowerMgmt"})
		all["/storage"] = privMap([]string{"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"})
		for _, id := range s.sortedVMIDs() {
			all["/vms/"+strconv.Itoa(id)] = privMap(vmPrivs)
		}
		if path != "" {
			return ok(map[string]any{path: privMap(fullPrivs)})
		}
		// Like PVE, list only the paths that carry ACLs.
		for k := range all {
			if strings.HasPrefix(k, "/vms/") {
				delete(all, k)
			}
		}
		return ok(all)
	}
	ids := make([]int, 0, len(r.auth.token.visible))
	for id := range r.auth.token.visible {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		all["/vms/"+strconv.Itoa(id)] = privMap(vmPrivs)
	}
	if path != "" {
		if p, okp := all[path]; okp {
			return ok(map[string]any{path: p})
		}
		return ok(map[string]any{path: map[string]int{}})
	}
	return ok(all)
}

// checkVMPriv answers 403 like PVE when the caller lacks priv on /vms/<vmid>.
func (s *Server) checkVMPrivLocked(a *authInfo, vmid int, priv string) *resp {
	if a.canSee(vmid) {
		return nil
	}
	return errResp(403, "Permission check failed (/vms/%d, %s)", vmid, priv)
}
