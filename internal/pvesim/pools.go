package pvesim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Resource pools, as pve-manager PVE/API2/Pool.pm (9.x, nested pools since
// 8.1) serves them from user.cfg (pve-access-control): a pool has a comment
// and members; a guest belongs to at most one pool (usercfg->{vms}). The
// simulator keeps the members here and mirrors a guest's pool in
// vmState.Pool, which /cluster/resources shows.

func init() {
	addRoute("/pools", map[string]handlerFunc{
		"GET": (*Server).listPools, "POST": (*Server).createPool,
		"PUT": (*Server).updatePool, "DELETE": (*Server).deletePool,
	})
	addRoute("/pools/{poolid}", map[string]handlerFunc{
		"GET": (*Server).readPool, "PUT": (*Server).updatePool, "DELETE": (*Server).deletePool,
	})
}

// poolState is one pool of user.cfg.
type poolState struct {
	Comment string       `json:"comment,omitempty"`
	VMs     map[int]bool `json:"vms,omitempty"`
}

// poolIDRE is AccessControl.pm verify_poolname: up to three levels.
var poolIDRE = regexp.MustCompile(`^[A-Za-z0-9.\-_]+(?:/[A-Za-z0-9.\-_]+){0,2}$`)

// checkPoolID is the pve-poolid format check of a parameter.
func checkPoolID(id string) string {
	if len(strings.Split(id, "/")) > 3 {
		return fmt.Sprintf("invalid format - pool name '%s' nested too deeply (max levels = 3)", id)
	}
	if !poolIDRE.MatchString(id) {
		return fmt.Sprintf("invalid format - pool name '%s' contains invalid characters", id)
	}
	return ""
}

// checkPoolParam checks a create's or clone's pool parameter (format
// pve-poolid).
func checkPoolParam(vals, errs map[string]string) {
	if pool, has := vals["pool"]; has {
		if msg := checkPoolID(pool); msg != "" {
			errs["pool"] = msg
		}
	}
}

func (s *Server) poolsLocked() map[string]*poolState {
	if s.pools == nil {
		s.pools = map[string]*poolState{}
	}
	return s.pools
}

// poolParam reads poolid from the path (deprecated form) or the parameters.
func poolParam(r *request, spec map[string]paramSpec) (map[string]string, *resp) {
	params := r.params
	if id, ok := r.vars["poolid"]; ok {
		params = copyConf(r.params)
		params["poolid"] = id
	}
	vals, errs := checkParams(params, spec, false, "poolid")
	if id, has := params["poolid"]; has {
		if msg := checkPoolID(id); msg != "" {
			errs["poolid"] = msg
		}
	}
	if len(errs) > 0 {
		return nil, paramErr(errs)
	}
	return vals, nil
}

// checkPoolExistsLocked is RPCEnvironment.pm check_pool_exist, which
// create_vm and clone_vm call for their pool parameter: a permission
// exception (raise_perm_exc, HTTP 403).
func (s *Server) checkPoolExistsLocked(pool string) *resp {
	if pool == "" || s.poolsLocked()[pool] != nil {
		return nil
	}
	return errResp(403, "Permission check failed (pool '%s' does not exist)", pool)
}

// addVMToPoolLocked is AccessControl.pm add_vm_to_pool, run as a create or
// clone ends: a pool deleted meanwhile is silently skipped.
func (s *Server) addVMToPoolLocked(v *vmState, pool string) {
	p := s.poolsLocked()[pool]
	if pool == "" || p == nil {
		return
	}
	if p.VMs == nil {
		p.VMs = map[int]bool{}
	}
	p.VMs[v.VMID] = true
	v.Pool = pool
}

// removeVMAccessLocked is AccessControl.pm remove_vm_access's pool part,
// run when a VM is destroyed.
func (s *Server) removeVMAccessLocked(vmid int) {
	for _, p := range s.poolsLocked() {
		delete(p.VMs, vmid)
	}
}

func (s *Server) listPools(r *request) *resp {
	vals, errs := checkParams(r.params, map[string]paramSpec{
		"poolid": {}, "type": {enum: []string{"qemu", "lxc", "storage"}},
	}, false)
	if id, has := vals["poolid"]; has {
		if msg := checkPoolID(id); msg != "" {
			errs["poolid"] = msg
		}
	}
	if _, has := vals["type"]; has && vals["poolid"] == "" {
		errs["type"] = "parameter 'type' requires parameter 'poolid'"
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id := vals["poolid"]; id != "" {
		info, res := s.poolInfoLocked(r, id, vals["type"])
		if res != nil {
			return res
		}
		info["poolid"] = id
		return ok([]map[string]any{info})
	}
	out := []map[string]any{}
	for _, id := range sortedKeys(s.poolsLocked()) {
		e := map[string]any{"poolid": id}
		if c := s.pools[id].Comment; c != "" {
			e["comment"] = c
		}
		out = append(out, e)
	}
	return ok(out)
}

func (s *Server) readPool(r *request) *resp {
	vals, res := poolParam(r, map[string]paramSpec{"poolid": {}, "type": {enum: []string{"qemu", "lxc", "storage"}}})
	if res != nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, res := s.poolInfoLocked(r, vals["poolid"], vals["type"])
	if res != nil {
		return res
	}
	return ok(info)
}

// poolInfoLocked is Pool.pm index with a poolid: the comment and the
// members that still exist (PVE::API2Tools::extract_vm_stats entries).
func (s *Server) poolInfoLocked(r *request, id, typ string) (map[string]any, *resp) {
	p := s.poolsLocked()[id]
	if p == nil {
		return nil, err500("pool '%s' does not exist", id)
	}
	members := []map[string]any{}
	for _, vmid := range sortedVMIDSet(p.VMs) {
		v := s.vms[vmid]
		if v == nil || (typ != "" && typ != v.Type) || !r.auth.canSee(vmid) {
			continue
		}
		members = append(members, map[string]any{
			"id": v.Type + "/" + strconv.Itoa(vmid), "vmid": vmid, "node": v.Node, "type": v.Type,
			"name": v.name(), "status": v.status(), "template": boolInt(v.Conf["template"] == "1"),
		})
	}
	info := map[string]any{"members": members}
	if p.Comment != "" {
		info["comment"] = p.Comment
	}
	return info, nil
}

func (s *Server) createPool(r *request) *resp {
	vals, res := poolParam(r, map[string]paramSpec{"poolid": {}, "comment": {}})
	if res != nil {
		return res
	}
	if !r.auth.full() {
		return errResp(403, "Permission check failed (/pool/%s, Pool.Allocate)", vals["poolid"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pools := s.poolsLocked()
	id := vals["poolid"]
	const failed = "create pool failed: "
	if pools[id] != nil {
		return err500(failed+"pool '%s' already exists", id)
	}
	leaf := id
	if i := strings.LastIndex(id, "/"); i >= 0 {
		parent := id[:i]
		leaf = id[i+1:]
		if pools[parent] == nil {
			return err500(failed+"parent '%s' of pool '%s' does not exist", parent, id)
		}
	}
	if c := leaf[0]; (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
		return err500(failed + "pool name must start with a letter")
	}
	pools[id] = &poolState{Comment: vals["comment"], VMs: map[int]bool{}}
	s.persistLocked()
	return ok(nil)
}

// updatePool is Pool.pm update_pool (PUT /pools) and its deprecated form
// PUT /pools/{poolid}: set the comment, add or (delete=1) remove guests.
func (s *Server) updatePool(r *request) *resp {
	vals, res := poolParam(r, map[string]paramSpec{
		"poolid": {}, "comment": {}, "vms": {}, "storage": {}, "allow-move": boolSpec, "delete": boolSpec,
	})
	if res != nil {
		return res
	}
	var vmids []int
	for _, f := range strings.FieldsFunc(vals["vms"], func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\x00' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 100 || n > 999999999 || strconv.Itoa(n) != f {
			return paramErr1("vms", "invalid format - value does not look like a valid VM ID")
		}
		vmids = append(vmids, n)
	}
	if !r.auth.full() {
		return errResp(403, "Permission check failed (/pool/%s, Pool.Allocate)", vals["poolid"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	const failed = "update pools failed: "
	pools := s.poolsLocked()
	id := vals["poolid"]
	p := pools[id]
	if p == nil {
		return err500(failed+"pool '%s' does not exist", id)
	}
	if c, has := vals["comment"]; has {
		p.Comment = c
	}
	remove, move := vals["delete"] == "1", vals["allow-move"] == "1"
	for _, vmid := range vmids {
		if remove {
			if !p.VMs[vmid] {
				return err500(failed+"VM %d is not a pool member", vmid)
			}
			delete(p.VMs, vmid)
			s.setPoolMirrorLocked(vmid, "")
			continue
		}
		if p.VMs[vmid] {
			return err500(failed+"VM %d is already a pool member", vmid)
		}
		for other, op := range pools {
			if !op.VMs[vmid] {
				continue
			}
			if !move {
				return err500(failed+"VM %d belongs already to pool '%s' and 'allow-move' is not set", vmid, other)
			}
			delete(op.VMs, vmid)
		}
		if p.VMs == nil {
			p.VMs = map[int]bool{}
		}
		p.VMs[vmid] = true
		s.setPoolMirrorLocked(vmid, id)
	}
	s.persistLocked()
	return ok(nil)
}

func (s *Server) setPoolMirrorLocked(vmid int, pool string) {
	if v := s.vms[vmid]; v != nil {
		v.Pool = pool
	}
}

// deletePool is Pool.pm delete_pool: only empty pools go; members that no
// longer exist do not count.
func (s *Server) deletePool(r *request) *resp {
	vals, res := poolParam(r, map[string]paramSpec{"poolid": {}})
	if res != nil {
		return res
	}
	if !r.auth.full() {
		return errResp(403, "Permission check failed (/pool/%s, Pool.Allocate)", vals["poolid"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	const failed = "delete pool failed: "
	pools := s.poolsLocked()
	id := vals["poolid"]
	p := pools[id]
	if p == nil {
		return err500(failed+"pool '%s' does not exist", id)
	}
	for _, other := range sortedKeys(pools) {
		if strings.HasPrefix(other, id+"/") && !strings.Contains(other[len(id)+1:], "/") {
			return err500(failed+"pool '%s' is not empty (contains pool '%s')", id, other)
		}
	}
	for _, vmid := range sortedVMIDSet(p.VMs) {
		if s.vms[vmid] != nil {
			return err500(failed+"pool '%s' is not empty (contains VM %d)", id, vmid)
		}
	}
	delete(pools, id)
	s.persistLocked()
	return ok(nil)
}

// AddPool creates a pool out of band with guests as members, as an
// administrator would have (the guests need not exist).
func (s *Server) AddPool(id, comment string, vmids ...int) error {
	if msg := checkPoolID(id); msg != "" {
		return fmt.Errorf("pvesim: %s", msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &poolState{Comment: comment, VMs: map[int]bool{}}
	s.poolsLocked()[id] = p
	for _, vmid := range vmids {
		s.removeVMAccessLocked(vmid)
		p.VMs[vmid] = true
		s.setPoolMirrorLocked(vmid, id)
	}
	s.persistLocked()
	return nil
}

func sortedVMIDSet(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Ints(out)
	return out
}

// PoolOf returns the pool a guest belongs to, "" for none.
func (s *Server) PoolOf(vmid int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sortedKeys(s.poolsLocked()) {
		if s.pools[id].VMs[vmid] {
			return id
		}
	}
	return ""
}
