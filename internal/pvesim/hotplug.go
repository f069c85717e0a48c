package pvesim

import (
	"regexp"
	"slices"
	"strings"
)

// Which pending changes a running VM takes at once: qemu-server
// PVE/QemuServer.pm vmconfig_hotplug_pending and its helpers.

// fastPlugOptions apply at once even on a running VM (QemuServer.pm
// $fast_plug_option, plus every cloud-init option of $confdesc_cloudinit).
var fastPlugOptions = map[string]bool{
	"description": true, "hookscript": true, "lock": true, "migrate_downtime": true,
	"migrate_speed": true, "name": true, "onboot": true, "protection": true, "shares": true,
	"startup": true, "tags": true, "vmstatestorage": true,
	"citype": true, "ciuser": true, "cipassword": true, "ciupgrade": true, "cicustom": true,
	"searchdomain": true, "nameserver": true, "sshkeys": true,
}

var ipconfigKeyRE = regexp.MustCompile(`^ipconfig\d+$`)

func isFastPlug(k string) bool { return fastPlugOptions[k] || ipconfigKeyRE.MatchString(k) }

// hotplugFeatures parses the hotplug option like QemuServer.pm
// parse_hotplug_features: "0" none, unset or "1" the default
// "network,disk,usb".
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

var noHotUnplugDriveRE = regexp.MustCompile(`^(efidisk|ide|sata|tpmstate)\d+$`)

// canHotUnplug mirrors the delete loop of vmconfig_hotplug_pending.
func canHotUnplug(conf map[string]string, feat map[string]bool, k string) bool {
	switch {
	case k == "hotplug":
		return !strings.Contains(conf["hotplug"], "cpu") && !strings.Contains(conf["hotplug"], "memory")
	case k == "tablet":
		return feat["usb"]
	case strings.HasPrefix(k, "usb"):
		return usbHotplug(conf, feat)
	case k == "vcpus":
		return feat["cpu"]
	case k == "balloon":
		return conf["balloon"] != "0"
	case isFastPlug(k):
		return true
	case netKeyRE.MatchString(k):
		return feat["network"]
	case isDiskKey(k):
		return feat["disk"] && !noHotUnplugDriveRE.MatchString(k)
	case k == "memory":
		return memoryHotplug(conf, feat)
	case k == "cpuunits" || k == "cpulimit":
		return true // cgroup change
	}
	return false
}

// canHotplug mirrors the add/change loop of vmconfig_hotplug_pending and
// its helpers vmconfig_update_net, vmconfig_update_disk and
// vmconfig_update_agent.
func canHotplug(conf map[string]string, feat map[string]bool, k, val string) bool {
	switch {
	case k == "hotplug":
		return !strings.Contains(val, "memory") && !strings.Contains(val, "cpu") &&
			!strings.Contains(conf["hotplug"], "memory") && !strings.Contains(conf["hotplug"], "cpu")
	case k == "tablet":
		return feat["usb"]
	case strings.HasPrefix(k, "usb"):
		return usbHotplug(conf, feat)
	case k == "vcpus":
		return feat["cpu"]
	case k == "balloon":
		return (conf["balloon"] != "0") == (val != "0") // enabling/disabling is not hotpluggable
	case netKeyRE.MatchString(k):
		return netHotplug(conf[k], val, feat["network"])
	case isDiskKey(k):
		return diskHotplug(k, conf[k], val, feat["disk"])
	case k == "memory":
		return memoryHotplug(conf, feat)
	case k == "cpuunits" || k == "cpulimit":
		return true
	case k == "agent":
		return agentHotplug(conf[k], val)
	}
	return false // cores, sockets, cpu, machine, bios, ostype, scsihw, boot, numa, ...: "skip"
}

// memoryHotplug: the memory feature, which Memory.pm only allows with NUMA
// ("NUMA needs to be enabled for memory hotplug").
func memoryHotplug(conf map[string]string, feat map[string]bool) bool {
	return feat["memory"] && conf["numa"] == "1"
}

// usbHotplug: the usb feature with ostype l26 or Windows newer than 7
// (is_usb_hotplug_supported; the simulator's machine is >= 7.1).
func usbHotplug(conf map[string]string, feat map[string]bool) bool {
	return feat["usb"] && slices.Contains([]string{"l26", "win8", "win10", "win11"}, conf["ostype"])
}

func optsOf(val string) map[string]string {
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

// netHotplug is vmconfig_update_net: a model, MAC, queues or MTU change (or
// a missing bridge) re-plugs the device and needs the network feature; a
// new device too; bridge, tag, firewall, rate and link_down change online.
// MACs compare as strings (safe_string_ne): a change of case alone is a
// MAC change.
func netHotplug(old, val string, network bool) bool {
	if old == "" {
		return network
	}
	o, n := optsOf(old), optsOf(val)
	model := func(m map[string]string) (string, string) {
		for _, nm := range netModels {
			if mac, has := m[nm]; has {
				return nm, mac
			}
		}
		return m["model"], m["macaddr"]
	}
	om, omac := model(o)
	nm, nmac := model(n)
	if om != nm || omac != nmac || o["queues"] != n["queues"] || o["mtu"] != n["mtu"] ||
		o["bridge"] == "" || n["bridge"] == "" {
		return network
	}
	return true
}

// diskHotplug is vmconfig_update_disk (efidisk0 and tpmstate0 always wait).
func diskHotplug(k, old, val string, disk bool) bool {
	if k == "efidisk0" || k == "tpmstate0" {
		return false
	}
	if old == "" {
		return disk && !strings.HasPrefix(k, "ide") && !strings.HasPrefix(k, "sata")
	}
	od, nd := parseDisk(old), parseDisk(val)
	if od.opts["media"] == "cdrom" {
		return true // change_medium
	}
	if od.volume != nd.volume {
		return disk
	}
	for _, o := range []string{"aio", "discard", "iothread", "queues", "product", "cache", "ssd", "vendor", "ro"} {
		if od.opts[o] != nd.opts[o] {
			return false
		}
	}
	return true // throttling and the rest apply online
}

// agentHotplug is vmconfig_update_agent: only fstrim_cloned_disks changes
// online, and only when an agent is configured.
func agentHotplug(old, val string) bool {
	if old == "" {
		return false
	}
	o, n := optsOf(old), optsOf(val)
	norm := func(m map[string]string) map[string]string {
		if v, has := m[""]; has {
			m["enabled"] = v
			delete(m, "")
		}
		delete(m, "fstrim_cloned_disks")
		return m
	}
	o, n = norm(o), norm(n)
	if len(o) != len(n) {
		return false
	}
	for k, v := range o {
		if n[k] != v {
			return false
		}
	}
	return true
}
