package pve

import (
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// CloudInit is a VM's cloud-init configuration: qemu-server's
// $confdesc_cloudinit options (QemuServer.pm) and its cloud-init drive.
type CloudInit struct {
	// Drive is the cloud-init drive; nil when the VM has none.
	Drive *CloudInitDrive
	User  string
	// SSHKeys are the public keys, one per entry, as SSHKeyLines normalises
	// them.
	SSHKeys []string
	// SSHKeysText is sshkeys decoded, as stored.
	SSHKeysText string
	// PasswordSet tells whether cipassword is set; its value is never
	// readable (GET config shows "**********").
	PasswordSet  bool
	Nameservers  []string
	SearchDomain string
	// IPConfig is ipconfigN by network interface ("net0").
	IPConfig map[string]IPConfig
	Custom   CloudInitCustom
	// Upgrade is ciupgrade; PVE's default is on.
	Upgrade bool
}

// CloudInitDrive is where the cloud-init drive sits.
type CloudInitDrive struct {
	Interface, Storage string
}

// IPConfig is one ipconfigN (QemuServer/Network.pm $ipconfig_fmt): an
// address is a CIDR or "dhcp" ("auto" too for IPv6); "" leaves it out.
type IPConfig struct {
	IPv4Address, IPv4Gateway, IPv6Address, IPv6Gateway string
}

// CloudInitCustom is cicustom: snippet volumes replacing the generated
// files; "" leaves one out.
type CloudInitCustom struct {
	User, Network, Vendor, Meta string
}

// CloudInitChange changes cloud-init options. A nil field is left as it is;
// an empty value removes the option.
type CloudInitChange struct {
	// Drive adds a cloud-init drive ("<storage>:cloudinit").
	Drive *CloudInitDrive
	// RemoveDrive deletes the cloud-init drive at this interface. PVE
	// frees its volume instead of keeping it as unusedN (QemuServer.pm
	// vmconfig_register_unused_drive: drive_is_cloudinit -> vdisk_free):
	// it holds no data, PVE generates it from the config. Removing one and
	// adding another takes two requests: create_disks refuses a second
	// cloud-init drive while the first is in the config or its pending
	// section (API2/Qemu.pm: "<ds> - cloud-init drive is already attached
	// at '<key>'"), and a delete only becomes pending before the new
	// drive is created.
	RemoveDrive  string
	User         *string
	SSHKeys      *[]string
	Password     *string
	Nameservers  *[]string
	SearchDomain *string
	// IPConfig sets (or, with nil, removes) ipconfigN by network interface.
	IPConfig map[string]*IPConfig
	Custom   *CloudInitCustom
	Upgrade  *bool
}

const cloudInitVolumeSuffix = "cloudinit"

// reCloudInitVolume is qemu-server QemuServer/Drive.pm drive_is_cloudinit's
// test of a drive's file ($QEMU_FORMAT_RE for the format suffix).
var reCloudInitVolume = regexp.MustCompile(`[:/](?:vm-\d+-)?cloudinit(?:\.(?:raw|qcow|qcow2|qed|vmdk|cloop))?$`)

// isCloudInitVolume reports whether a drive's file (a volume ID such as
// "local-lvm:vm-100-cloudinit") is a cloud-init drive.
func isCloudInitVolume(file string) bool { return reCloudInitVolume.MatchString(file) }

// parseCloudInit reads the cloud-init options and drive of a config.
func parseCloudInit(cfg map[string]string) CloudInit {
	ci := CloudInit{
		User:         cfg["ciuser"],
		SSHKeys:      SSHKeyLines(uriUnescape(cfg["sshkeys"])),
		SSHKeysText:  uriUnescape(cfg["sshkeys"]),
		PasswordSet:  cfg["cipassword"] != "",
		Nameservers:  splitList(cfg["nameserver"]),
		SearchDomain: cfg["searchdomain"],
		Upgrade:      cfg["ciupgrade"] != "0",
	}
	for k, v := range cfg {
		if iface, ok := strings.CutPrefix(k, "ipconfig"); ok && v != "" {
			if ci.IPConfig == nil {
				ci.IPConfig = map[string]IPConfig{}
			}
			ci.IPConfig["net"+iface] = IPConfig{
				IPv4Address: propertyValue(v, "ip"), IPv4Gateway: propertyValue(v, "gw"),
				IPv6Address: propertyValue(v, "ip6"), IPv6Gateway: propertyValue(v, "gw6"),
			}
		}
		if IsDiskInterface(k) && ci.Drive == nil {
			first, _, _ := strings.Cut(v, ",")
			first = strings.TrimPrefix(first, "file=")
			if storage, _, ok := strings.Cut(first, ":"); ok && isCloudInitVolume(first) {
				ci.Drive = &CloudInitDrive{Interface: k, Storage: storage}
			}
		}
	}
	c := cfg["cicustom"]
	ci.Custom = CloudInitCustom{
		User: propertyValue(c, "user"), Network: propertyValue(c, "network"),
		Vendor: propertyValue(c, "vendor"), Meta: propertyValue(c, "meta"),
	}
	return ci
}

// Configured reports whether the VM has a cloud-init drive or any
// cloud-init option.
func (ci CloudInit) Configured() bool {
	return ci.Drive != nil || ci.User != "" || len(ci.SSHKeys) > 0 || ci.PasswordSet || len(ci.Nameservers) > 0 ||
		ci.SearchDomain != "" || len(ci.IPConfig) > 0 || ci.Custom != (CloudInitCustom{})
}

// SSHKeyLines normalises public keys for comparison and sending: one key
// per entry, surrounding whitespace and blank lines dropped, runs of
// blanks inside a key made one space (Cloudinit.pm cloudinit_userdata
// itself splits on newlines and drops blank lines).
func SSHKeyLines(keys ...string) []string {
	var out []string
	for _, k := range keys {
		for _, line := range strings.Split(k, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				out = append(out, strings.Join(f, " "))
			}
		}
	}
	return out
}

// splitList is pve-common's split_list: items separated by ',', ';' or
// whitespace.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
}

// uriEscape encodes like Perl's URI::Escape::uri_escape: every byte but
// A-Z a-z 0-9 - . _ ~ as %XX. qemu-server's sshkeys has format
// 'urlencoded' (pve_verify_urlencoded allows only [-%a-zA-Z0-9_.!~*'()])
// and is decoded once with uri_unescape (API2/Qemu.pm $update_vm_api,
// Cloudinit.pm cloudinit_userdata). net/url's escapers leave '+', '/' or
// '=' of base64 keys as they are, which PVE rejects. The request body
// (JSON) adds no second encoding.
func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// uriUnescape is uri_unescape: %XX decoded, everything else (also '+')
// kept.
func uriUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// formatIPConfig is an ipconfigN value: ip=,gw=,ip6=,gw6= (empty ones left
// out).
func formatIPConfig(c IPConfig) string {
	var parts []string
	for _, kv := range [][2]string{{"ip", c.IPv4Address}, {"gw", c.IPv4Gateway}, {"ip6", c.IPv6Address}, {"gw6", c.IPv6Gateway}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ",")
}

func formatCICustom(c CloudInitCustom) string {
	var parts []string
	for _, kv := range [][2]string{{"meta", c.Meta}, {"network", c.Network}, {"user", c.User}, {"vendor", c.Vendor}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ",")
}

// params adds the change's config keys to set and del.
func (c *CloudInitChange) params(set map[string]string, del *[]string) {
	if c == nil {
		return
	}
	setOrDelete := func(key, value string) {
		if value == "" {
			*del = append(*del, key)
		} else {
			set[key] = value
		}
	}
	if c.Drive != nil {
		set[c.Drive.Interface] = c.Drive.Storage + ":" + cloudInitVolumeSuffix
	}
	if c.RemoveDrive != "" {
		*del = append(*del, c.RemoveDrive)
	}
	if c.User != nil {
		setOrDelete("ciuser", *c.User)
	}
	if c.SSHKeys != nil {
		keys := SSHKeyLines(*c.SSHKeys...)
		value := ""
		if len(keys) > 0 {
			value = uriEscape(strings.Join(keys, "\n") + "\n")
		}
		setOrDelete("sshkeys", value)
	}
	if c.Password != nil {
		setOrDelete("cipassword", *c.Password)
	}
	if c.Nameservers != nil {
		setOrDelete("nameserver", strings.Join(*c.Nameservers, " "))
	}
	if c.SearchDomain != nil {
		setOrDelete("searchdomain", *c.SearchDomain)
	}
	ifaces := make([]string, 0, len(c.IPConfig))
	for iface := range c.IPConfig {
		ifaces = append(ifaces, iface)
	}
	sort.Strings(ifaces)
	for _, iface := range ifaces {
		key := "ipconfig" + strings.TrimPrefix(iface, "net")
		if ipc := c.IPConfig[iface]; ipc != nil {
			setOrDelete(key, formatIPConfig(*ipc))
		} else {
			*del = append(*del, key)
		}
	}
	if c.Custom != nil {
		setOrDelete("cicustom", formatCICustom(*c.Custom))
	}
	if c.Upgrade != nil {
		set["ciupgrade"] = pveBool(*c.Upgrade)
	}
}

// Empty reports whether the change touches nothing.
func (c *CloudInitChange) Empty() bool {
	if c == nil {
		return true
	}
	set := map[string]string{}
	var del []string
	c.params(set, &del)
	return len(set) == 0 && len(del) == 0
}

// withPasswordMasked masks the password in everything logged with ctx.
func (c *CloudInitChange) withPasswordMasked(ctx context.Context) context.Context {
	if c == nil || c.Password == nil || *c.Password == "" {
		return ctx
	}
	return tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, *c.Password)
}

// regenerateCloudInit makes PVE build the cloud-init drive again from the
// config (PUT .../cloudinit, API2/Qemu.pm cloudinit_update ->
// vmconfig_update_cloudinit_drive; a running VM gets the new medium at
// once, its guest reads it at the next boot). Cloud-init options are
// applied to the config at once even on a running VM ($fast_plug_option),
// but the drive is otherwise generated only at the next start.
func (c *Client) regenerateCloudInit(ctx context.Context, node string, vmid int) error {
	return c.retryLocked(ctx, "PUT cloudinit", isLockTimeout, func() error {
		return c.put(ctx, vmPath(node, vmid)+"/cloudinit", nil, nil)
	})
}
