package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// GET .../cloudinit/dump: the files qemu-server generates for the
// cloud-init drive (src/PVE/QemuServer/Cloudinit.pm).

// cloudInitDump is GET .../cloudinit/dump (dump_cloudinit_config): the
// user data is the same for every format; network and meta data are
// nocloud's for nocloud and configdrive2's for every other format
// (configdrive2, opennebula), as dump_cloudinit_config's else branches
// choose.
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
		network, metadata := configdrive2Network, configdrive2Metadata
		if cloudInitFormat(v.Conf) == "nocloud" {
			network, metadata = nocloudNetwork, nocloudMetadata
		}
		mask := s.checkVMPrivLocked(r.auth, vmid, "VM.Config.Cloudinit") != nil
		switch vals["type"] {
		case "user":
			return ok(cloudInitUserData(v.Conf, vmid, mask))
		case "network":
			return ok(network(v.Conf))
		}
		// The meta data's uuid is the SHA-1 of the unmasked user data and
		// the network config (nocloud_gen_metadata, configdrive2_gen_metadata).
		sum := sha1.Sum([]byte(cloudInitUserData(v.Conf, vmid, false) + network(v.Conf)))
		return ok(metadata(hex.EncodeToString(sum[:])))
	})
}

// nocloudMetadata is Cloudinit.pm nocloud_metadata.
func nocloudMetadata(uuid string) string { return "instance-id: " + uuid + "\n" }

// configdrive2Metadata is Cloudinit.pm configdrive2_metadata.
func configdrive2Metadata(uuid string) string {
	return "{\n     \"uuid\": \"" + uuid + "\",\n     \"network_config\": { \"content_path\": \"/content/0000\" }\n}\n"
}

// configdrive2Network is Cloudinit.pm configdrive2_network: an
// interfaces(5) file, the DNS lines (get_dns_conf; the simulated nodes'
// resolv.conf has neither search domains nor name servers) before the
// interfaces, then each netN with an ipconfigN, in string order.
func configdrive2Network(conf map[string]string) string {
	var b strings.Builder
	b.WriteString("auto lo\niface lo inet loopback\n\n")
	if ns := strings.Fields(conf["nameserver"]); len(ns) > 0 {
		b.WriteString("        dns_nameservers " + strings.Join(ns, " ") + "\n")
	}
	if sd := strings.Fields(conf["searchdomain"]); len(sd) > 0 {
		b.WriteString("        dns_search " + strings.Join(sd, " ") + "\n")
	}
	for _, iface := range sortedNetKeys(conf) {
		id := strings.TrimPrefix(iface, "net")
		ipc := conf["ipconfig"+id]
		if ipc == "" {
			continue
		}
		opts := parseIPConfig(ipc)
		dev := "eth" + id
		b.WriteString("auto " + dev + "\n")
		if ip := opts["ip"]; ip == "dhcp" {
			b.WriteString("iface " + dev + " inet dhcp\n")
		} else if ip != "" {
			addr, bits, _ := strings.Cut(ip, "/")
			n, _ := strconv.Atoi(bits)
			fmt.Fprintf(&b, "iface %s inet static\n        address %s\n        netmask %s\n", dev, addr, ipv4Mask(n))
			if gw := opts["gw"]; gw != "" {
				b.WriteString("        gateway " + gw + "\n")
			}
		}
		if ip6 := opts["ip6"]; ip6 == "auto" || ip6 == "dhcp" {
			b.WriteString("iface " + dev + " inet6 " + ip6 + "\n")
		} else if ip6 != "" {
			addr, bits, _ := strings.Cut(ip6, "/")
			fmt.Fprintf(&b, "iface %s inet6 static\n        address %s\n        netmask %s\n", dev, addr, bits)
			if gw := opts["gw6"]; gw != "" {
				b.WriteString("        gateway " + gw + "\n")
			}
		}
	}
	return b.String()
}

// parseIPConfig is Network.pm parse_ipconfig: neither ip nor ip6 means
// DHCP for both.
func parseIPConfig(v string) map[string]string {
	opts := optsOf(v)
	if opts["ip"] == "" && opts["ip6"] == "" {
		return map[string]string{"ip": "dhcp", "ip6": "dhcp"}
	}
	return opts
}

// sortedNetKeys lists the netN keys in Perl's sort order (strings).
func sortedNetKeys(conf map[string]string) []string {
	var nets []string
	for k := range conf {
		if netKeyRE.MatchString(k) {
			nets = append(nets, k)
		}
	}
	slices.Sort(nets)
	return nets
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
	for _, iface := range sortedNetKeys(conf) {
		id := strings.TrimPrefix(iface, "net")
		ipc := conf["ipconfig"+id]
		if ipc == "" {
			continue
		}
		opts := parseIPConfig(ipc)
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
