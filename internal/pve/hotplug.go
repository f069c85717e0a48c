package pve

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// This file predicts which parts of a configuration change Proxmox VE
// cannot apply to a running VM, so that a plan can say that the VM will
// restart. It mirrors qemu-server src/PVE/QemuServer.pm
// vmconfig_hotplug_pending (9.2.6; 8.2.4 has the same rules): options in
// $fast_plug_option and the cloud-init options always apply at once; the
// others apply only when hotpluggable, else they wait in the pending section
// until the next stop/start ("skip"). The hotplug option defaults to
// "network,disk,usb" (parse_hotplug_features).

// fastPlugKeys is $fast_plug_option plus every key of $confdesc_cloudinit.
var fastPlugKeys = map[string]bool{
	"description": true, "hookscript": true, "lock": true, "migrate_downtime": true,
	"migrate_speed": true, "name": true, "onboot": true, "protection": true, "shares": true,
	"startup": true, "tags": true, "vmstatestorage": true,
	"citype": true, "ciuser": true, "cipassword": true, "ciupgrade": true, "cicustom": true,
	"searchdomain": true, "nameserver": true, "sshkeys": true,
}

var (
	ipconfigKey       = regexp.MustCompile(`^ipconfig\d+$`)
	netKey            = regexp.MustCompile(`^net\d+$`)
	noHotUnplugDrives = regexp.MustCompile(`^(efidisk|ide|sata|tpmstate)\d+$`)
)

// WaitsForRestart lists the config keys of the change (sorted) that
// Proxmox VE would leave pending on a running VM whose current config is
// current. Disk growth is never pending: a resize acts on the running VM.
func (c ConfigChange) WaitsForRestart(current map[string]string) []string {
	feat := hotplugFeatures(current["hotplug"])
	set, del := c.params()
	var out []string
	for k, v := range set {
		if !hotplugs(current, feat, k, v) {
			out = append(out, k)
		}
	}
	for _, k := range del {
		if !hotUnplugs(current, feat, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// hotplugFeatures is parse_hotplug_features: "0" none, unset or "1" the
// default "network,disk,usb".
func hotplugFeatures(val string) map[string]bool {
	if val == "" || val == "1" {
		val = "network,disk,usb"
	}
	out := map[string]bool{}
	if val == "0" {
		return out
	}
	for _, f := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		out[f] = true
	}
	return out
}

func isFastPlugKey(k string) bool { return fastPlugKeys[k] || ipconfigKey.MatchString(k) }

// hotUnplugs mirrors the delete loop of vmconfig_hotplug_pending for the
// keys this provider removes.
func hotUnplugs(conf map[string]string, feat map[string]bool, k string) bool {
	switch {
	case isFastPlugKey(k):
		return true
	case netKey.MatchString(k):
		return feat["network"]
	case IsDiskInterface(k):
		return feat["disk"] && !noHotUnplugDrives.MatchString(k)
	case k == "memory":
		return memoryHotplugs(conf, feat)
	case k == "cpuunits" || k == "cpulimit":
		return true
	}
	return false
}

// hotplugs mirrors the add/change loop of vmconfig_hotplug_pending and its
// helpers vmconfig_update_net, vmconfig_update_disk and
// vmconfig_update_agent.
func hotplugs(conf map[string]string, feat map[string]bool, k, val string) bool {
	switch {
	case isFastPlugKey(k):
		return true
	case netKey.MatchString(k):
		return netHotplugs(conf[k], val, feat["network"])
	case IsDiskInterface(k) || k == "efidisk0" || k == "tpmstate0":
		return diskHotplugs(k, conf[k], val, feat["disk"])
	case k == "memory":
		return memoryHotplugs(conf, feat)
	case k == "cpuunits" || k == "cpulimit":
		return true
	case k == "agent":
		return agentHotplugs(conf[k], val)
	}
	// cores, sockets, cpu, machine, bios, ostype, scsihw, boot, vga, ...:
	// vmconfig_hotplug_pending dies "skip" and the value waits.
	return false
}

// memoryHotplugs: the memory feature, which QemuServer/Memory.pm allows
// only with NUMA ("NUMA needs to be enabled for memory hotplug").
func memoryHotplugs(conf map[string]string, feat map[string]bool) bool {
	return feat["memory"] && conf["numa"] == "1"
}

func propertyMap(val string) map[string]string {
	out := map[string]string{}
	for i, p := range strings.Split(val, ",") {
		k, v, has := strings.Cut(p, "=")
		if !has {
			if i == 0 {
				out[""] = k
			}
			continue
		}
		out[k] = v
	}
	return out
}

// netHotplugs is vmconfig_update_net: a new device, or a change of model,
// MAC, queues or MTU, re-plugs the device and needs the network feature;
// bridge, tag, firewall, rate and link_down change online.
func netHotplugs(old, val string, network bool) bool {
	if old == "" {
		return network
	}
	o, n := propertyMap(old), propertyMap(val)
	model := func(m map[string]string) (string, string) {
		for k, v := range m {
			if k != "" && slices.Contains(netModels, k) {
				return k, v
			}
		}
		return m["model"], m["macaddr"]
	}
	om, omac := model(o)
	nm, nmac := model(n)
	if om != nm || !strings.EqualFold(omac, nmac) || o["queues"] != n["queues"] || o["mtu"] != n["mtu"] ||
		o["bridge"] == "" || n["bridge"] == "" {
		return network
	}
	return true
}

// netModels are the NIC models of qemu-server's $nic_model_list.
var netModels = []string{"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b",
	"i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}

// diskHotplugs is vmconfig_update_disk: efidisk0 and tpmstate0 always
// wait; a new disk needs the disk feature and a bus that hotplugs (not ide
// or sata); a CD-ROM changes its medium online; a changed volume needs the
// disk feature; aio, discard, iothread, queues, product, cache, ssd, vendor
// and ro changes wait; throttling applies online.
func diskHotplugs(k, old, val string, disk bool) bool {
	if k == "efidisk0" || k == "tpmstate0" {
		return false
	}
	if old == "" {
		return disk && !strings.HasPrefix(k, "ide") && !strings.HasPrefix(k, "sata")
	}
	o, n := propertyMap(old), propertyMap(val)
	if o["media"] == "cdrom" {
		return true
	}
	volume := func(m map[string]string) string {
		if v, ok := m["file"]; ok {
			return v
		}
		return m[""]
	}
	if volume(o) != volume(n) {
		return disk
	}
	for _, opt := range []string{"aio", "discard", "iothread", "queues", "product", "cache", "ssd", "vendor", "ro"} {
		if o[opt] != n[opt] {
			return false
		}
	}
	return true
}

// agentHotplugs is vmconfig_update_agent: nothing changes online without
// a configured agent ("die skip if !$conf->{agent}": unset or "0"); with
// one, only fstrim_cloned_disks does.
func agentHotplugs(old, val string) bool {
	if old == "" || old == "0" {
		return false
	}
	o, n := ParseAgent(old), ParseAgent(val)
	if !o.Enabled && !n.Enabled {
		return true // parse_guest_agent ignores the properties of a disabled agent
	}
	return o.Enabled == n.Enabled && o.Type == n.Type && slices.Equal(o.other, n.other)
}
