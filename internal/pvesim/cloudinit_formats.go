package pvesim

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The formats of qemu-server's cloud-init options and the checks
// $update_vm_api makes before it writes them (cloudinit.go).

// ---- formats (pve-common JSONSchema.pm) ---------------------------------

var urlEncodedRE = regexp.MustCompile(`^[-%a-zA-Z0-9_.!~*'()]*$`)

// verifyURLEncoded is pve_verify_urlencoded: the text it dies with, or "".
func verifyURLEncoded(v string) string {
	if !urlEncodedRE.MatchString(v) {
		return "invalid urlencoded string: " + v + "\n"
	}
	return ""
}

// checkURLEncoded is the urlencoded format of a whole parameter (sshkeys).
// $update_vm_api then decodes the keys (URI::Escape::uri_unescape) and has
// ssh-keygen check each line.
func checkURLEncoded(v string) (string, string) {
	if msg := verifyURLEncoded(v); msg != "" {
		return "", "invalid format - " + msg
	}
	return v, ""
}

// checkAddressList is format 'address-list': split_list, then
// pve_verify_address (an IP address or a DNS name) for each.
func checkAddressList(v string) (string, string) {
	for _, a := range strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(v)) {
		if !isIP(a) && !dnsNameRE.MatchString(a) {
			return "", dieFormat("value does not look like a valid address: " + a)
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

// ipconfigFormat is the pve-qm-ipconfig property string (QemuServer/Network.pm
// $ipconfig_fmt): ip (pve-ipv4-config: dhcp, manual or a CIDR), gw (ipv4),
// ip6 (pve-ipv6-config: auto, dhcp, manual or a CIDR), gw6 (ipv6); gw and
// gw6 require ip and ip6. The verifiers' texts are pve-common JSONSchema.pm
// pve_verify_ipv4_config, pve_verify_ipv6_config, pve_verify_ipv4 and
// pve_verify_ipv6.
var ipconfigFormat = map[string]propFormat{
	"ip": {check: func(v string) string {
		if v != "dhcp" && v != "manual" && !isCIDR4(v) {
			return "value does not look like a valid ipv4 network configuration\n"
		}
		return ""
	}},
	"ip6": {check: func(v string) string {
		if v != "auto" && v != "dhcp" && v != "manual" && !isCIDR6(v) {
			return "value does not look like a valid ipv6 network configuration\n"
		}
		return ""
	}},
	"gw": {requires: "ip", check: func(v string) string {
		if !ipv4RE.MatchString(v) {
			return "value does not look like a valid IPv4 address\n"
		}
		return ""
	}},
	"gw6": {requires: "ip6", check: func(v string) string {
		if !isIPv6(v) {
			return "value does not look like a valid IPv6 address\n"
		}
		return ""
	}},
}

// checkIPConfig checks an ipconfigN value; it is stored as given.
func checkIPConfig(key, v string) (string, string) {
	if _, msg := parsePropertyString(key, v, ipconfigFormat); msg != "" {
		return "", msg
	}
	return v, ""
}

var volumeIDRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]:.+$`)

// checkVolumeID is the pve-volume-id format (pve-storage
// src/PVE/Storage/Plugin.pm parse_volume_id).
func checkVolumeID(v string) string {
	if !volumeIDRE.MatchString(v) {
		return "unable to parse volume ID '" + v + "'\n"
	}
	return ""
}

// cicustomFormat is the pve-qm-cicustom property string (QemuServer.pm
// $cicustom_fmt): meta, network, user and vendor, each a pve-volume-id.
var cicustomFormat = map[string]propFormat{
	"meta": {check: checkVolumeID}, "network": {check: checkVolumeID},
	"user": {check: checkVolumeID}, "vendor": {check: checkVolumeID},
}

func checkCICustom(v string) (string, string) {
	if _, msg := parsePropertyString("cicustom", v, cicustomFormat); msg != "" {
		return "", msg
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
