package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// VM is a guest as seen from outside the API, for assertions and seeding.
type VM struct {
	VMID       int
	Node, Name string
	Status     string // running|stopped
	Template   bool
	Lock       string
	Protection bool
	Config     map[string]string // raw PVE config keys, as strings
	CTime      int64
	UUID       string // smbios1 uuid
	CreatedAt  time.Time
	Type       string // "qemu" (default) | "lxc"
}

func (v *vmState) export() VM {
	name := v.Conf["name"]
	if v.Type == "lxc" {
		name = v.Conf["hostname"]
	}
	return VM{
		VMID: v.VMID, Node: v.Node, Name: name, Status: v.status(),
		Template: v.Conf["template"] == "1", Lock: v.Conf["lock"],
		Protection: v.Conf["protection"] == "1", Config: copyConf(v.Conf),
		CTime: parseMeta(v.Conf["meta"]), UUID: parseSMBIOSUUID(v.Conf["smbios1"]),
		CreatedAt: v.CreatedAt, Type: v.Type,
	}
}

// VMs returns every guest sorted by VMID.
func (s *Server) VMs() []VM {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]VM, 0, len(s.vms))
	for _, id := range s.sortedVMIDs() {
		out = append(out, s.vms[id].export())
	}
	return out
}

// VM returns one guest.
func (s *Server) VM(vmid int) (VM, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vms[vmid]
	if v == nil {
		return VM{}, false
	}
	return v.export(), true
}

// VMsNamed returns guests whose name matches case-insensitively.
func (s *Server) VMsNamed(name string) []VM {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []VM
	for _, id := range s.sortedVMIDs() {
		e := s.vms[id].export()
		if strings.EqualFold(e.Name, name) {
			out = append(out, e)
		}
	}
	return out
}

// AddVM seeds a guest out of band, filling PVE's defaults (meta with ctime,
// smbios1 uuid, vmgenid). A zero CreatedAt means "long ago" (past the stats
// lag); set CreatedAt to time.Now() to simulate a VM made a moment ago.
func (s *Server) AddVM(vm VM) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addVMLocked(vm); err != nil {
		return err
	}
	s.persistLocked()
	return nil
}

func (s *Server) addVMLocked(vm VM) error {
	if vm.VMID < 100 || vm.VMID > 999999999 {
		return fmt.Errorf("pvesim: vmid %d out of range", vm.VMID)
	}
	if ex := s.vms[vm.VMID]; ex != nil {
		return fmt.Errorf("pvesim: VM %d already exists on node '%s'", vm.VMID, ex.Node)
	}
	if vm.Node == "" {
		vm.Node = s.nodes[0]
	}
	if !s.nodeKnown(vm.Node) {
		return fmt.Errorf("pvesim: unknown node %q", vm.Node)
	}
	typ := vm.Type
	if typ == "" {
		typ = "qemu"
	}
	if typ != "qemu" && typ != "lxc" {
		return fmt.Errorf("pvesim: unknown guest type %q", typ)
	}
	conf := copyConf(vm.Config)
	if conf == nil {
		conf = map[string]string{}
	}
	nameKey := "name"
	if typ == "lxc" {
		nameKey = "hostname"
	}
	if vm.Name != "" {
		conf[nameKey] = vm.Name
	}
	if vm.Template {
		conf["template"] = "1"
	}
	if vm.Lock != "" {
		conf["lock"] = vm.Lock
	}
	if vm.Protection {
		conf["protection"] = "1"
	}
	created := vm.CreatedAt
	if created.IsZero() {
		created = time.Now().Add(-24 * time.Hour)
	}
	if typ == "qemu" {
		ctime := vm.CTime
		if ctime == 0 {
			ctime = parseMeta(conf["meta"])
		}
		if ctime == 0 {
			ctime = created.Unix()
		}
		if conf["meta"] == "" {
			conf["meta"] = metaFor(ctime)
		}
		if parseSMBIOSUUID(conf["smbios1"]) == "" {
			uuid := vm.UUID
			if uuid == "" {
				uuid = newUUID()
			}
			conf["smbios1"] = replaceSMBIOSUUID(conf["smbios1"], uuid)
		}
		if conf["vmgenid"] == "" {
			conf["vmgenid"] = newUUID()
		}
		for k, val := range conf {
			if netKeyRE.MatchString(k) {
				if nv, msg := normalizeNet(k, val); msg == "" {
					conf[k] = nv
				}
			}
		}
	} else {
		if conf["memory"] == "" {
			conf["memory"] = "512"
		}
		if conf["ostype"] == "" {
			conf["ostype"] = "debian"
		}
		if conf["arch"] == "" {
			conf["arch"] = "amd64"
		}
	}
	v := &vmState{VMID: vm.VMID, Node: vm.Node, Type: typ, Conf: conf, CreatedAt: created}
	if vm.Status == "running" {
		v.Running = true
		v.StartedAt = time.Now().Add(-time.Hour)
		s.nextPID++
		v.PID = s.nextPID
	}
	s.vms[vm.VMID] = v
	return nil
}

// RemoveVM deletes a guest out of band (someone used the GUI).
func (s *Server) RemoveVM(vmid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vms[vmid] == nil {
		return false
	}
	s.statsGoneLocked(s.vms[vmid])
	delete(s.vms, vmid)
	s.persistLocked()
	return true
}

// editVM runs an out-of-band edit on guest vmid under s.mu and persists the
// state unless edit fails.
func (s *Server) editVM(vmid int, edit func(v *vmState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vms[vmid]
	if v == nil {
		return fmt.Errorf("pvesim: no VM %d", vmid)
	}
	if err := edit(v); err != nil {
		return err
	}
	s.persistLocked()
	return nil
}

// MoveVM migrates a guest out of band.
func (s *Server) MoveVM(vmid int, node string) error {
	return s.editVM(vmid, func(v *vmState) error {
		if !s.nodeKnown(node) {
			return fmt.Errorf("pvesim: unknown node %q", node)
		}
		v.Node = node
		return nil
	})
}

// SetVMConfig edits one raw config key out of band; an empty value deletes it.
func (s *Server) SetVMConfig(vmid int, key, value string) error {
	return s.editVM(vmid, func(v *vmState) error {
		if value == "" {
			delete(v.Conf, key)
		} else {
			v.Conf[key] = value
		}
		return nil
	})
}

// SetVMStatus starts or stops a guest out of band ("running" | "stopped").
func (s *Server) SetVMStatus(vmid int, status string) error {
	return s.editVM(vmid, func(v *vmState) error {
		switch status {
		case "running":
			if !v.Running {
				v.Running = true
				v.StartedAt = time.Now()
				s.nextPID++
				v.PID = s.nextPID
			}
		case "stopped":
			v.Running = false
			v.PID = 0
		default:
			return fmt.Errorf("pvesim: bad status %q", status)
		}
		return nil
	})
}
