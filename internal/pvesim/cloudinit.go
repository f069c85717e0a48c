package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
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

// ---- formats (pve-common JSONSchema.pm) ---------------------------------

var urlEncodedRE = regexp.MustCompile(`^[-%a-zA-Z0-9_.!~*'()]*$`)

// checkURLEncoded is pve_verify_urlencoded. $update_vm_api then decodes
// the keys (URI::Escape::uri_unescape) and has ssh-keygen check each line.
func checkURLEncoded(v string) (string, string) {
	if !urlEncodedRE.MatchString(v) {
		return "", "invalid format - invalid urlencoded string: " + v
	}
	return v, ""
}

// checkAddressList is format 'address-list': split_list, then
// pve_verify_address (an IP address or a DNS name) for each.
func checkAddressList(v string) (string, string) {
	for _, a := range strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(v)) {
		if !isIP(a) && !dnsNameRE.MatchString(a) {
			return "", "invalid format - value does not look like a valid address: " + a
		}
	}
	return v, ""
}

var (
	ipv4RE = regexp.MustCompile(`^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$`)
	ipv6RE = regexp.MustCompile(`^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$`)
)

func isIP(s string) bool { return ipv4RE.MatchString(s) || isIPv6(s) }

func isIPv6(s string) bool { return ipv6RE.MatchString(s) && strings.Count(s, "::") <= 1 }

// isCIDR4 is pve_verify_cidrv4: a prefix length of 8 to 32.
func isCIDR4(s string) bool {
	addr, bits, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(bits)
	return ok && err == nil && ipv4RE.MatchString(addr) && n > 7 && n <= 32
}

// isCIDR6 is pve_verify_cidrv6: a prefix length of 8 to 128.
func isCIDR6(s string) bool {
	addr, bits, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(bits)
	return ok && err == nil && isIPv6(addr) && n > 7 && n <= 128
}

// checkIPConfig is the pve-qm-ipconfig property string (QemuServer/Network.pm
// $ipconfig_fmt): ip (pve-ipv4-config: dhcp, manual or a CIDR), gw (ipv4),
// ip6 (pve-ipv6-config: auto, dhcp, manual or a CIDR), gw6 (ipv6); gw and gw6
// require ip and ip6.
func checkIPConfig(key, v string) (string, string) {
	opts := map[string]string{}
	for _, p := range strings.Split(v, ",") {
		k, val, has := strings.Cut(p, "=")
		if !has {
			return "", "invalid format - value without key, but schema does not define a default key"
		}
		if _, dup := opts[k]; dup {
			return "", "invalid format - duplicate key in comma-separated list property: " + k
		}
		opts[k] = val
	}
	for _, k := range sortedKeys(opts) {
		val := opts[k]
		var bad string
		switch k {
		case "ip":
			if val != "dhcp" && val != "manual" && !isCIDR4(val) {
				bad = "value does not look like a valid ipv4 network configuration"
			}
		case "ip6":
			if val != "auto" && val != "dhcp" && val != "manual" && !isCIDR6(val) {
				bad = "value does not look like a valid ipv6 network configuration"
			}
		case "gw":
			if !ipv4RE.MatchString(val) {
				bad = "value does not look like a valid IPv4 address"
			} else if _, has := opts["ip"]; !has {
				bad = "property requires 'ip'"
			}
		case "gw6":
			if !isIPv6(val) {
				bad = "value does not look like a valid IPv6 address"
			} else if _, has := opts["ip6"]; !has {
				bad = "property requires 'ip6'"
			}
		default:
			return "", "invalid format - invalid key in comma-separated list property: " + k
		}
		if bad != "" {
			return "", fmt.Sprintf("invalid format - format error %s.%s: %s", key, k, bad)
		}
	}
	return v, ""
}

var volumeIDRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]:.+$`)

// checkCICustom is the pve-qm-cicustom property string: meta, network, user
// and vendor, each a pve-volume-id.
func checkCICustom(v string) (string, string) {
	for _, p := range strings.Split(v, ",") {
		k, val, has := strings.Cut(p, "=")
		if !has {
			return "", "invalid format - value without key, but schema does not define a default key"
		}
		switch k {
		case "meta", "network", "user", "vendor":
		default:
			return "", "invalid format - invalid key in comma-separated list property: " + k
		}
		if !volumeIDRE.MatchString(val) {
			return "", fmt.Sprintf("invalid format - format error cicustom.%s: unable to parse volume ID '%s'", k, val)
		}
	}
	return v, ""
}

// sshKeysProblem is $update_vm_api's check before anything is written: the
// keys must decode (URI::Escape::uri_unescape) to lines that `ssh-keygen -l`
// accepts (PVE::Tools::validate_ssh_public_keys), else a plain 500.
func sshKeysProblem(vals map[string]string) string {
	keys, has := vals["sshkeys"]
	if !has {
		return ""
	}
	if decoded, err := url.PathUnescape(keys); err != nil || !validSSHKeys(decoded) {
		return "SSH public key validation error"
	}
	return ""
}

// hashCloudInitPassword is $update_vm_api's cipassword handling: crypt()
// with SHA-256, not for Windows OS types and not what already is a hash.
func hashCloudInitPassword(conf, vals map[string]string) {
	if pw, has := vals["cipassword"]; has && !isWindows(conf["ostype"], vals["ostype"]) && !cryptHashRE.MatchString(pw) {
		vals["cipassword"] = sha256Crypt(pw, newSalt())
	}
}

var cryptHashRE = regexp.MustCompile(`^\$(?:[156]|2[ay])(\$.+){2}`)

// validSSHKeys stands in for `ssh-keygen -l` on every non-blank line: a key
// type, then base64.
func validSSHKeys(s string) bool {
	keyRE := regexp.MustCompile(`^\s*(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]+=*(\s.*)?$`)
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !keyRE.MatchString(line) {
			return false
		}
	}
	return true
}

// isWindows is Helpers.pm windows_version != 0 for the new or current ostype.
func isWindows(cur, next string) bool {
	os := cur
	if next != "" {
		os = next
	}
	return os == "wxp" || os == "w2k" || os == "w2k3" || os == "w2k8" || os == "wvista" || strings.HasPrefix(os, "win")
}

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
	return s.withConfigLock(vmid, func() *resp {
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

// cloudInitDump is GET .../cloudinit/dump (dump_cloudinit_config) for the
// nocloud format, the default for every non-Windows OS type.
func (s *Server) cloudInitDump(r *request) *resp {
	vmid, res := pathVMID(r)
	if res != nil {
		return res
	}
	vals, errs := checkParams(r.params, map[string]paramSpec{"type": {enum: []string{"user", "network", "meta"}}}, false, "type")
	if len(errs) > 0 {
		return paramErr(errs)
	}
	return s.withGuestID(r, vmid, "qemu", "VM.Audit", func(v *vmState) *resp {
		if format := cloudInitFormat(v.Conf); format != "nocloud" {
			return errResp(501, "the simulator dumps only the nocloud format, not %s", format)
		}
		mask := s.checkVMPrivLocked(r.auth, vmid, "VM.Config.Cloudinit") != nil
		switch vals["type"] {
		case "user":
			return ok(cloudInitUserData(v.Conf, vmid, mask))
		case "network":
			return ok(nocloudNetwork(v.Conf))
		}
		user, network := cloudInitUserData(v.Conf, vmid, false), nocloudNetwork(v.Conf)
		sum := sha1.Sum([]byte(user + network))
		return ok("instance-id: " + hex.EncodeToString(sum[:]) + "\n")
	})
}

// cloudInitFormat is Cloudinit.pm get_cloudinit_format.
func cloudInitFormat(conf map[string]string) string {
	if t := conf["citype"]; t != "" {
		return t
	}
	if isWindows(conf["ostype"], "") {
		return "configdrive2"
	}
	return "nocloud"
}

// cloudInitUserData is Cloudinit.pm cloudinit_userdata.
func cloudInitUserData(conf map[string]string, vmid int, mask bool) string {
	hostname := conf["name"]
	if hostname == "" {
		hostname = fmt.Sprintf("VM%d", vmid)
	}
	fqdn := hostname
	if strings.Contains(hostname, ".") {
		hostname, _, _ = strings.Cut(hostname, ".")
	} else if sd := conf["searchdomain"]; sd != "" {
		fqdn = hostname + "." + sd
	}
	var b strings.Builder
	b.WriteString("#cloud-config\nhostname: " + hostname + "\nmanage_etc_hosts: true\nfqdn: " + fqdn + "\n")
	user, hasUser := conf["ciuser"]
	if hasUser {
		b.WriteString("user: " + user + "\n")
		if user == "root" {
			b.WriteString("disable_root: False\n")
		}
	}
	if pw, has := conf["cipassword"]; has {
		if mask {
			pw = maskedPassword
		}
		b.WriteString("password: " + pw + "\n")
	}
	if keys, has := conf["sshkeys"]; has {
		decoded, _ := url.PathUnescape(keys)
		b.WriteString("ssh_authorized_keys:\n")
		for _, k := range strings.Split(decoded, "\n") {
			if strings.TrimSpace(k) != "" {
				b.WriteString("  - " + k + "\n")
			}
		}
	}
	b.WriteString("chpasswd:\n  expire: False\n")
	if !hasUser || user != "root" {
		b.WriteString("users:\n  - default\n")
	}
	if up, has := conf["ciupgrade"]; !has || up == "1" {
		b.WriteString("package_upgrade: true\n")
	}
	return b.String()
}

// ipv4Masks is PVE::Network's $ipv4_reverse_mask for /8 to /32.
func ipv4Mask(bits int) string {
	m := uint32(0xffffffff) << (32 - bits)
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

// nocloudNetwork is Cloudinit.pm nocloud_network. The simulated nodes'
// resolv.conf has neither search domains nor name servers.
func nocloudNetwork(conf map[string]string) string {
	var b strings.Builder
	b.WriteString("version: 1\nconfig:\n")
	var nets []string
	for k := range conf {
		if netKeyRE.MatchString(k) {
			nets = append(nets, k)
		}
	}
	slices.Sort(nets) // Perl's sort: string order
	for _, iface := range nets {
		id := strings.TrimPrefix(iface, "net")
		ipc := conf["ipconfig"+id]
		if ipc == "" {
			continue
		}
		opts := optsOf(ipc)
		if opts["ip"] == "" && opts["ip6"] == "" {
			opts = map[string]string{"ip": "dhcp", "ip6": "dhcp"} // parse_ipconfig
		}
		mac := ""
		for _, m := range netModels {
			if v, has := optsOf(conf[iface])[m]; has {
				mac = v
			}
		}
		if mac == "" {
			mac = optsOf(conf[iface])["macaddr"]
		}
		i := "    "
		fmt.Fprintf(&b, "%s- type: physical\n%s  name: eth%s\n%s  mac_address: '%s'\n%s  subnets:\n", i, i, id, i, strings.ToLower(mac), i)
		i += "  "
		if ip := opts["ip"]; ip == "dhcp" {
			b.WriteString(i + "- type: dhcp4\n")
		} else if ip != "" {
			addr, bits, _ := strings.Cut(ip, "/")
			n, _ := strconv.Atoi(bits)
			fmt.Fprintf(&b, "%s- type: static\n%s  address: '%s'\n%s  netmask: '%s'\n", i, i, addr, i, ipv4Mask(n))
			if gw := opts["gw"]; gw != "" {
				fmt.Fprintf(&b, "%s  gateway: '%s'\n", i, gw)
			}
		}
		switch ip6 := opts["ip6"]; ip6 {
		case "":
		case "dhcp":
			b.WriteString(i + "- type: dhcp6\n")
		case "auto":
			b.WriteString(i + "- type: ipv6_slaac\n")
		default:
			fmt.Fprintf(&b, "%s- type: static6\n%s  address: '%s'\n", i, i, ip6)
			if gw := opts["gw6"]; gw != "" {
				fmt.Fprintf(&b, "%s  gateway: '%s'\n", i, gw)
			}
		}
	}
	i := "    "
	b.WriteString(i + "- type: nameserver\n")
	if ns := strings.Fields(conf["nameserver"]); len(ns) > 0 {
		b.WriteString(i + "  address:\n")
		for _, n := range ns {
			b.WriteString(i + "  - '" + n + "'\n")
		}
	}
	if sd := strings.Fields(conf["searchdomain"]); len(sd) > 0 {
		b.WriteString(i + "  search:\n")
		for _, d := range sd {
			b.WriteString(i + "  - '" + d + "'\n")
		}
	}
	return b.String()
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
