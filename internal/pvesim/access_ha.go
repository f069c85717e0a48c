package pvesim

import (
	"regexp"
	"sort"
	"strings"
)

func init() {
	addRoute("/access/users", map[string]handlerFunc{"GET": (*Server).listUsers})
	addRoute("/cluster/ha/resources/{sid}", map[string]handlerFunc{"GET": (*Server).haResource})
}

// listUsers is GET /access/users (pve-access-control API2/User.pm index):
// the users the caller may audit (User.Modify or Sys.Audit on
// /access/groups) plus the caller itself, each with enable, expire and
// realm-type; full=1 adds groups and tokens ({tokenid, expire, privsep}).
// The simulator's users are the ticket user and every token's owner;
// a limited token (privilege-separated) sees none, as its user is the
// token ID, not a user.
func (s *Server) listUsers(r *request) *resp {
	if res := checkBoolParams(r, "full", "enabled"); res != nil {
		return res
	}
	full := r.params["full"] == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	type token struct {
		name    string
		privsep int
	}
	users := map[string][]token{s.opts.User: nil}
	for tok, ti := range s.tokens {
		id, _, _ := splitToken(tok)
		user, name, _ := strings.Cut(id, "!")
		users[user] = append(users[user], token{name: name, privsep: boolInt(ti.visible != nil)})
	}
	names := make([]string, 0, len(users))
	for u := range users {
		if r.auth.full() || u == r.auth.user {
			names = append(names, u)
		}
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, u := range names {
		if e, has := r.params["enabled"]; has && e == "0" {
			continue // every simulated user is enabled
		}
		e := map[string]any{"userid": u, "enable": 1, "expire": 0}
		if _, realm, found := strings.Cut(u, "@"); found && (realm == "pam" || realm == "pve") {
			e["realm-type"] = realm // domains.cfg's built-in realms
		}
		if full {
			e["groups"] = ""
			toks := []map[string]any{}
			sort.Slice(users[u], func(i, j int) bool { return users[u][i].name < users[u][j].name })
			for _, t := range users[u] {
				toks = append(toks, map[string]any{"tokenid": t.name, "expire": 0, "privsep": t.privsep})
			}
			e["tokens"] = toks
		}
		out = append(out, e)
	}
	return ok(out)
}

// haSIDRE is pve-ha-manager HA/Tools.pm pve_verify_ha_resource_or_vm_id.
var haSIDRE = regexp.MustCompile(`^([a-z]+:\S+|\d+)$`)

// haResource is GET /cluster/ha/resources/{sid} (pve-ha-manager
// API2/HA/Resources.pm read): Sys.Audit on /, the sid's format (400), then
// HA/Config.pm parse_sid (a bare VMID becomes vm:<id> or ct:<id>, an
// unknown one dies) and $api_copy_config's "no such resource". The
// simulator puts no guest under HA, so every well-formed sid ends there.
func (s *Server) haResource(r *request) *resp {
	if !r.auth.full() {
		return errResp(403, "Permission check failed (/, Sys.Audit)")
	}
	sid := r.vars["sid"]
	if !haSIDRE.MatchString(sid) {
		return paramErr1("sid", "invalid format - value does not look like a valid ha resource id")
	}
	if intRE.MatchString(sid) {
		s.mu.Lock()
		defer s.mu.Unlock()
		n, _ := vmidValue(sid, true)
		v := s.vms[n]
		if v == nil || sid[0] == '0' {
			return err500("unable to detect SID from VMID - VM/CT %s does not exist", sid)
		}
		typ := "vm"
		if v.Type == "lxc" {
			typ = "ct"
		}
		sid = typ + ":" + sid
	}
	return err500("no such resource '%s'", sid)
}
