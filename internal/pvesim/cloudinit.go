package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Cloud-init, as qemu-server 9.2 models it:
//
//   - The drive: a "<storage>:cloudinit" drive value allocates
//     vm-<vmid>-cloudinit (4 MiB) and is written as
//     "<volume>,media=cdrom" (API2/Qemu.pm create_disks). A second one is
//     refused with "<ds> - cloud-init drive is already attached at '<key>'".
//     A clone gets its own vm-<newid>-cloudinit on the clone's target
//     storage (QemuServer.pm clone_disk), full or linked clone alike.
//   - The options ($confdesc_cloudinit in QemuServer.pm, with their
//     formats from pve-common JSONSchema.pm) apply at once even to a running
//     VM ($fast_plug_option). The values the current image was generated
//     from are kept in the config's [special:cloudinit] section
//     (vmconfig_hotplug_pending/vmconfig_apply_pending,
//     $cloudinit_record_changed) until the image is generated again: at
//     every start (vm_start_nolock) or by PUT .../cloudinit
//     (vmconfig_update_cloudinit_drive). Cloudinit.pm apply_cloudinit_config
//     drops the section.
//   - cipassword: an update stores it crypt()ed with SHA-256 ("$5$") unless
//     the OS type is Windows or it is already a hash (API2/Qemu.pm
//     $update_vm_api); create stores it as given. GET config shows
//     "**********" (vm_config), GET .../cloudinit too (cloudinit_pending).

func init() {
	addRoute("/nodes/{node}/qemu/{vmid}/cloudinit", map[string]handlerFunc{
		"GET": (*Server).cloudInitPending,
		"PUT": (*Server).cloudInitUpdate,
	})
	addRoute("/nodes/{node}/qemu/{vmid}/cloudinit/dump", map[string]handlerFunc{"GET": (*Server).cloudInitDump})
	for k, sp := range cloudInitSpecs() {
		qemuConfigSpec[k] = sp
	}
}

// cloudInitSpecs are the formats of $confdesc_cloudinit.
func cloudInitSpecs() map[string]paramSpec {
	specs := map[string]paramSpec{
		"sshkeys":    {check: checkURLEncoded},
		"nameserver": {check: checkAddressList},
		"cicustom":   {check: checkCICustom},
	}
	for i := range 32 {
		key := "ipconfig" + strconv.Itoa(i)
		specs[key] = paramSpec{check: func(v string) (string, string) { return checkIPConfig(key, v) }}
	}
	return specs
}

// cloudInitOptions is API2/Qemu.pm $cloudinitoptions.
var cloudInitOptions = []string{"cicustom", "cipassword", "citype", "ciupgrade", "ciuser", "nameserver", "searchdomain", "sshkeys"}

// cloudInitTracked is QemuServer.pm cloudinit_pending_properties: the
// cloud-init options, ipconfigN, name and netN.
func cloudInitTracked(k string) bool {
	return slices.Contains(cloudInitOptions, k) || ipconfigKeyRE.MatchString(k) || k == "name" || netKeyRE.MatchString(k)
}

const maskedPassword = "**********"

// ---- the drive ----------------------------------------------------------

// cloudInitVolume names a cloud-init volume like create_disks and
// clone_disk: vm-<vmid>-cloudinit, with ".qcow2" on file-based storage.
func cloudInitVolume(sd *storageDef, vmid int) string {
	switch sd.Type {
	case "dir", "nfs", "cifs":
		return fmt.Sprintf("%s:%d/vm-%d-cloudinit.qcow2", sd.ID, vmid, vmid)
	}
	return fmt.Sprintf("%s:vm-%d-cloudinit", sd.ID, vmid)
}

// isCloudInitDrive is Drive.pm drive_is_cloudinit: the volume is named
// vm-<vmid>-cloudinit.
func isCloudInitDrive(val string) bool {
	d := parseDisk(val)
	_, name, _ := strings.Cut(d.volume, ":")
	return regexp.MustCompile(`(^|/)vm-\d+-cloudinit(\.\w+)?$`).MatchString(name)
}

// cloudInitDriveKey returns the key of the cloud-init drive in conf.
func cloudInitDriveKey(conf map[string]string) string {
	for _, k := range sortedKeys(conf) {
		if isDiskKey(k) && isCloudInitDrive(conf[k]) {
			return k
		}
	}
	return ""
}

// allocCloudInitLocked allocates the cloud-init drive of conf[k]
// ("<storage>:cloudinit") as create_disks does.
func (s *Server) allocCloudInitLocked(vmid int, node, k string, conf map[string]string, d diskSpec) ([]string, error) {
	existing := map[string]string{}
	if v := s.vms[vmid]; v != nil {
		for key, val := range v.Conf {
			existing[key] = val
		}
		for key, val := range v.Pending {
			existing[key] = val
		}
	}
	for key, val := range conf {
		existing[key] = val
	}
	delete(existing, k)
	if at := cloudInitDriveKey(existing); at != "" {
		return nil, fmt.Errorf("%s - cloud-init drive is already attached at '%s'", k, at)
	}
	sd := s.storageLocked(d.store)
	if sd == nil || !sd.onNode(node) {
		return nil, fmt.Errorf("storage '%s' does not exist", d.store)
	}
	if sd.Missing {
		return nil, sd.missingErr()
	}
	delete(d.opts, "format")
	delete(d.opts, "size")
	d.opts["media"] = "cdrom"
	d.volume, d.alloc, d.cloudinit = cloudInitVolume(sd, vmid), false, false
	conf[k] = d.String()
	lines := []string{}
	if l := allocLog(sd, d.volume); l != "" {
		lines = append(lines, l)
	}
	return append(lines, fmt.Sprintf("%s: successfully created disk '%s'", k, conf[k])), nil
}

// cloneCloudInitLocked gives a clone its own cloud-init volume.
func (s *Server) cloneCloudInitLocked(newid int, val, storeOverride string) (string, error) {
	d := parseDisk(val)
	id := d.store
	if storeOverride != "" {
		id = storeOverride
	}
	sd := s.storageLocked(id)
	if sd == nil {
		return "", fmt.Errorf("storage '%s' does not exist", id)
	}
	d.volume = cloudInitVolume(sd, newid)
	return d.String(), nil
}

// ---- the [special:cloudinit] section ------------------------------------

// recordCloudInitChanges is $cloudinit_record_changed for every tracked
// option whose value differs between old and cur.
func recordCloudInitChanges(v *vmState, old, cur map[string]string) {
	if cloudInitDriveKey(cur) == "" && cloudInitDriveKey(old) == "" {
		return
	}
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if !cloudInitTracked(k) || k == "cipassword" {
			// cipassword is written to the config directly, outside the
			// pending machinery, and so is never recorded.
			continue
		}
		o, hadOld := old[k]
		n, hasNew := cur[k]
		if hadOld == hasNew && o == n {
			continue
		}
		if v.CloudInit == nil {
			v.CloudInit = map[string]string{}
		}
		ci := v.CloudInit
		added := map[string]bool{}
		for _, a := range strings.Split(ci["added"], ",") {
			if a != "" {
				added[a] = true
			}
		}
		delete(ci, "added")
		recorded, isRecorded := ci[k]
		switch {
		case hasNew && isRecorded && n == recorded:
			delete(ci, k) // reverted to what the image has
			delete(added, k)
		case hasNew && (isRecorded || added[k]):
		case hasNew && hadOld:
			ci[k] = o
		case hasNew:
			added[k] = true
		case !hadOld:
		case isRecorded:
		case added[k]:
			delete(added, k)
		default:
			ci[k] = o
		}
		if len(added) > 0 {
			ci["added"] = strings.Join(sortedKeys(added), ",")
		}
		if len(ci) == 0 {
			v.CloudInit = nil
		}
	}
}

// regenerateCloudInitLocked is apply_cloudinit_config: the image is made
// from the current config and the section goes.
func regenerateCloudInitLocked(v *vmState) {
	if cloudInitDriveKey(v.Conf) != "" {
		v.CloudInit = nil
	}
}

// maskCloudInit hides cipassword in a config view (vm_config: only a
// non-empty one).
func maskCloudInit(conf map[string]string) {
	if conf["cipassword"] != "" {
		conf["cipassword"] = maskedPassword
	}
}

// ---- endpoints ----------------------------------------------------------

// cloudInitPending is GET .../cloudinit (cloudinit_pending).
func (s *Server) cloudInitPending(r *request) *resp {
	return s.withGuest(r, "qemu", "VM.Audit", func(v *vmState) *resp {
		conf := copyConf(v.Conf)
		ci := copyConf(v.CloudInit)
		if _, has := conf["cipassword"]; has {
			conf["cipassword"] = maskedPassword
		}
		if _, has := ci["cipassword"]; has {
			ci["cipassword"] = maskedPassword
		}
		perlTrue := func(s string) bool { return s != "" && s != "0" }
		out := []map[string]any{}
		added := ci["added"]
		delete(ci, "added")
		for _, k := range strings.FieldsFunc(added, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			out = append(out, map[string]any{"key": k, "pending": conf[k]})
		}
		for _, k := range cloudInitOptions {
			// "next if $added =~ m/$opt/": a substring match, as PVE has it.
			if !perlTrue(conf[k]) || (added != "" && strings.Contains(added, k)) {
				continue
			}
			item := map[string]any{"key": k}
			if p := ci[k]; perlTrue(p) {
				item["value"], item["pending"] = p, conf[k]
			} else {
				item["value"] = conf[k]
			}
			out = append(out, item)
		}
		for _, k := range sortedKeys(ci) {
			if perlTrue(conf[k]) {
				continue
			}
			out = append(out, map[string]any{"key": k, "delete": 1})
		}
		return ok(out)
	})
}

// cloudInitUpdate is PUT .../cloudinit (cloudinit_update): under the config
// lock, refused on a locked VM, the image is generated again.
func (s *Server) cloudInitUpdate(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	if _, errs := checkParams(r.params, map[string]paramSpec{}, false); len(errs) > 0 {
		return paramErr(errs)
	}
	return s.withLockSteps(s.configLockSteps(vmid), func() *resp { // lock_config
		return s.withGuestID(r, vmid, "qemu", "VM.Config.Cloudinit", func(v *vmState) *resp {
			if err := lockErr(v); err != nil {
				return err500("%s", err.Error())
			}
			regenerateCloudInitLocked(v)
			s.persistLocked()
			return ok(nil)
		})
	})
}

// CloudInitSection returns a VM's [special:cloudinit] section, for
// assertions.
func (s *Server) CloudInitSection(vmid int) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.vms[vmid]; v != nil {
		return copyConf(v.CloudInit)
	}
	return nil
}

// CloudInitTemplate is a fixture: a stopped cloud-init template as the
// Proxmox VE documentation builds one (a cloud image imported to scsi0 of
// 8 GiB, a cloud-init drive on ide2, virtio NIC on vmbr0, serial console
// and the default user "debian"), ready for AddVM.
func CloudInitTemplate(vmid int, node, name string) VM {
	return VM{
		VMID: vmid, Node: node, Name: name, Status: "stopped", Template: true,
		Config: map[string]string{
			"memory": "2048", "cores": "1", "ostype": "l26", "scsihw": "virtio-scsi-pci",
			"scsi0": fmt.Sprintf("local-lvm:base-%d-disk-0,size=8G", vmid),
			"ide2":  fmt.Sprintf("local-lvm:vm-%d-cloudinit,media=cdrom", vmid),
			"net0":  "virtio=BC:24:11:90:00:01,bridge=vmbr0", "serial0": "socket", "vga": "serial0",
			"boot": "order=scsi0", "ciuser": "debian", "ipconfig0": "ip=dhcp",
		},
	}
}
