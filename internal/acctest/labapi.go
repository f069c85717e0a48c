package acctest

// The lab's API client: the few Proxmox VE calls a lab-mode test needs to
// seed, inspect and remove VMs, through go-proxmox (which handles the token
// or the ticket with its CSRF token). Every call follows qemu-server's
// PVE/API2/Qemu.pm; the function named beside each call is its handler.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

type labAPI struct {
	c *proxmox.Client
}

// Connection is how a test reaches the lab's API: the simulator's address,
// token and certificate, or PROXMOX_VE_* as the provider reads them.
type Connection struct {
	Endpoint           string
	APIToken           string
	Username, Password string
	Insecure           bool
	CACertPEM          []byte
}

// connectionFromEnvironment reads PROXMOX_VE_*: endpoint, api_token or
// username/password, insecure, ca_certificate (PEM or a path to one).
func connectionFromEnvironment() (Connection, error) {
	c := Connection{
		Endpoint: os.Getenv("PROXMOX_VE_ENDPOINT"), APIToken: os.Getenv("PROXMOX_VE_API_TOKEN"),
		Username: os.Getenv("PROXMOX_VE_USERNAME"), Password: os.Getenv("PROXMOX_VE_PASSWORD"),
	}
	if c.Endpoint == "" {
		return c, errors.New("PROXMOX_VE_ENDPOINT is not set")
	}
	c.Insecure, _ = strconv.ParseBool(os.Getenv("PROXMOX_VE_INSECURE"))
	if ca := os.Getenv("PROXMOX_VE_CA_CERTIFICATE"); ca != "" {
		c.CACertPEM = []byte(ca)
		if !strings.Contains(ca, "-----BEGIN") {
			b, err := os.ReadFile(ca)
			if err != nil {
				return c, fmt.Errorf("PROXMOX_VE_CA_CERTIFICATE: %w", err)
			}
			c.CACertPEM = b
		}
	}
	return c, nil
}

func labAPIFromEnvironment() (*labAPI, error) {
	conn, err := connectionFromEnvironment()
	if err != nil {
		return nil, err
	}
	return newLabAPI(conn)
}

// newLabAPI connects to the API as conn says.
func newLabAPI(conn Connection) (*labAPI, error) {
	endpoint := strings.TrimRight(conn.Endpoint, "/")
	if !strings.HasSuffix(endpoint, "/api2/json") {
		endpoint += "/api2/json"
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if conn.Insecure {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the lab operator asked for it
	}
	if len(conn.CACertPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(conn.CACertPEM) {
			return nil, errors.New("PROXMOX_VE_CA_CERTIFICATE holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	defaultTransport, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("http.DefaultTransport is a %T, not an *http.Transport", http.DefaultTransport)
	}
	transport := defaultTransport.Clone()
	transport.TLSClientConfig = tlsConfig
	opts := []proxmox.Option{proxmox.WithHTTPClient(&http.Client{Transport: transport, Timeout: time.Minute})}
	if conn.APIToken != "" {
		id, secret, ok := strings.Cut(conn.APIToken, "=")
		if !ok {
			return nil, errors.New("PROXMOX_VE_API_TOKEN is not user@realm!tokenid=secret")
		}
		opts = append(opts, proxmox.WithAPIToken(id, secret))
	} else {
		opts = append(opts, proxmox.WithCredentials(&proxmox.Credentials{Username: conn.Username, Password: conn.Password}))
	}
	return &labAPI{c: proxmox.NewClient(endpoint, opts...)}, nil
}

// guest is one row of GET /cluster/resources?type=vm (pve-manager
// PVE/API2/Cluster.pm, resources) with only the fields that are current:
// vmid, node and type come from the cluster's VM list and pool from
// user.cfg. The row's name, status and template are not: they come from
// the statistics (PVE/API2Tools.pm extract_vm_stats), keyed by VMID and
// refreshed every ~10 s, so a VM on a recycled VMID is listed under its
// predecessor's name until the next cycle. Names are read live
// (liveGuests), never from here.
type guest struct {
	VMID int    `json:"vmid"`
	Node string `json:"node"`
	Type string `json:"type"`
	Pool string `json:"pool"`
}

func (a *labAPI) guests(ctx context.Context) ([]guest, error) {
	var out []guest
	if err := a.c.Get(ctx, "/cluster/resources?type=vm", &out); err != nil {
		return nil, fmt.Errorf("GET /cluster/resources: %w", err)
	}
	return out, nil
}

// liveGuest is a VM with the name its config holds now.
type liveGuest struct {
	guest
	Name string
}

// liveGuests lists the VMs of every online node with their live names: GET
// /nodes (pve-manager PVE/API2/Nodes.pm, index), then GET /nodes/{node}/qemu
// (qemu-server PVE/API2/Qemu.pm vmlist), which PVE/QemuServer.pm vmstatus
// builds by loading each VM's config: name is the config's name, or "VM
// <vmid>" when it has none (a clone's config until its task writes it). A
// node that is not online is left out: its VMs cannot be read, changed or
// removed either (the per-VM calls are proxied to the node). Containers
// are left out too: a lab run never creates one (AddVM skips the test).
func (a *labAPI) liveGuests(ctx context.Context) ([]liveGuest, error) {
	var nodes []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
	}
	if err := a.c.Get(ctx, "/nodes", &nodes); err != nil {
		return nil, fmt.Errorf("GET /nodes: %w", err)
	}
	var out []liveGuest
	for _, n := range nodes {
		if n.Status != "online" {
			continue
		}
		path := fmt.Sprintf("/nodes/%s/qemu", url.PathEscape(n.Node))
		var vms []struct {
			VMID int    `json:"vmid"`
			Name string `json:"name"`
		}
		if err := a.c.Get(ctx, path, &vms); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		for _, vm := range vms {
			out = append(out, liveGuest{guest: guest{VMID: vm.VMID, Node: n.Node, Type: "qemu"}, Name: vm.Name})
		}
	}
	return out, nil
}

// named reads every VM whose live name match accepts, sorted by VMID.
func (a *labAPI) named(ctx context.Context, match func(string) bool) ([]pvesim.VM, error) {
	guests, err := a.liveGuests(ctx)
	if err != nil {
		return nil, err
	}
	var out []pvesim.VM
	for _, g := range guests {
		if !match(g.Name) {
			continue
		}
		vm, err := a.read(ctx, g.guest)
		if err != nil {
			return nil, err
		}
		// A rename between the list and the read: the config decides.
		if match(vm.Name) {
			out = append(out, vm)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMID < out[j].VMID })
	return out, nil
}

// read is GET .../config?current=1 (vm_config) and .../status/current
// (vm_status), with config values as strings, as the simulator keeps them:
// the config the VM runs, without its pending changes (vm_config overlays
// them unless current is set: pve-guest-common AbstractConfig.pm
// load_current_config) and without the digest.
func (a *labAPI) read(ctx context.Context, g guest) (pvesim.VM, error) {
	kind := g.Type
	if kind == "" {
		kind = "qemu"
	}
	base := fmt.Sprintf("/nodes/%s/%s/%d", url.PathEscape(g.Node), kind, g.VMID)
	var raw map[string]json.RawMessage
	if err := a.c.Get(ctx, base+"/config?current=1", &raw); err != nil {
		return pvesim.VM{}, fmt.Errorf("GET %s/config: %w", base, err)
	}
	delete(raw, "digest")
	conf := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v) // numbers keep their JSON spelling: 1024, not 1024.0
		}
		conf[k] = s
	}
	var status struct {
		Status string `json:"status"`
	}
	if err := a.c.Get(ctx, base+"/status/current", &status); err != nil {
		return pvesim.VM{}, fmt.Errorf("GET %s/status/current: %w", base, err)
	}
	name := conf["name"]
	if kind == "lxc" {
		name = conf["hostname"]
	}
	vm := pvesim.VM{
		VMID: g.VMID, Node: g.Node, Name: name, Status: status.Status, Type: kind,
		Template: conf["template"] == "1", Lock: conf["lock"], Protection: conf["protection"] == "1",
		Config: conf, UUID: smbiosUUID(conf["smbios1"]),
	}
	if m := metaCTime(conf["meta"]); m > 0 {
		vm.CTime = m
		vm.CreatedAt = time.Unix(m, 0)
	}
	return vm, nil
}

// create is createAt with a VMID from GET /cluster/nextid. It returns the
// VMID.
func (a *labAPI) create(ctx context.Context, vm pvesim.VM) (int, error) {
	return CreateAtFreeVMID(ctx, func(ctx context.Context) (int, error) {
		var next json.Number
		if err := a.c.Get(ctx, "/cluster/nextid", &next); err != nil {
			return 0, fmt.Errorf("GET /cluster/nextid: %w", err)
		}
		vmid, err := strconv.Atoi(next.String())
		if err != nil {
			return 0, fmt.Errorf("GET /cluster/nextid answered %q", next)
		}
		return vmid, nil
	}, func(ctx context.Context, vmid int) error { return a.createAt(ctx, vm, vmid) })
}

// CreateAtFreeVMID creates a VM at the VMID next proposes, and asks again
// when a parallel create took that VMID first: /cluster/nextid only proposes
// a free VMID, and create_vm refuses a taken one synchronously (qemu-server
// src/PVE/API2/Qemu.pm create_vm: "unable to create VM <id> -" and the
// error of PVE::QemuConfig->create_and_lock_config, which pve-cluster
// src/PVE/Cluster.pm check_vmid_unused words "VM <id> already exists on
// node '<node>'"). The tests of a lab share its VMIDs.
func CreateAtFreeVMID(ctx context.Context, next func(context.Context) (int, error), create func(context.Context, int) error) (int, error) {
	for attempt := 1; ; attempt++ {
		vmid, err := next(ctx)
		if err != nil {
			return 0, err
		}
		err = create(ctx, vmid)
		if err == nil {
			return vmid, nil
		}
		if attempt >= 20 || !strings.Contains(err.Error(), "already exists") {
			return 0, err
		}
	}
}

// createAt is POST /nodes/{node}/qemu (create_vm) with vmid, which must be
// free, then POST .../template (template) or .../status/start (vm_start) as
// vm asks.
func (a *labAPI) createAt(ctx context.Context, vm pvesim.VM, vmid int) error {
	base := fmt.Sprintf("/nodes/%s/qemu", url.PathEscape(vm.Node))
	params := map[string]any{"vmid": vmid, "name": vm.Name}
	for k, v := range vm.Config {
		params[k] = v
	}
	if err := a.task(ctx, "POST", base, params); err != nil {
		return err
	}
	base = fmt.Sprintf("%s/%d", base, vmid)
	switch {
	case vm.Template:
		return a.task(ctx, "POST", base+"/template", nil)
	case vm.Status == "running":
		return a.task(ctx, "POST", base+"/status/start", nil)
	}
	return nil
}

// setConfig is PUT .../config (update_vm, synchronous); an empty value
// deletes the key.
func (a *labAPI) setConfig(ctx context.Context, vm pvesim.VM, key, value string) error {
	params := map[string]any{key: value}
	if value == "" {
		params = map[string]any{"delete": key}
	}
	path := fmt.Sprintf("/nodes/%s/qemu/%d/config", url.PathEscape(vm.Node), vm.VMID)
	if err := a.c.Put(ctx, path, params, nil); err != nil {
		return fmt.Errorf("PUT %s: %w", path, err)
	}
	return nil
}

// destroy removes a VM whatever state a failed test left it in. destroy_vm
// refuses a protected VM (check_protection) and a running one ("VM is
// running - destroy failed"), and every config change fails while a task
// holds the VM's lock (check_lock), so: wait for the lock, clear protection,
// stop, then DELETE with purge and destroy-unreferenced-disks.
func (a *labAPI) destroy(ctx context.Context, vm pvesim.VM) error {
	kind := vm.Type
	if kind == "" {
		kind = "qemu"
	}
	base := fmt.Sprintf("/nodes/%s/%s/%d", url.PathEscape(vm.Node), kind, vm.VMID)
	g := guest{VMID: vm.VMID, Node: vm.Node, Type: kind}
	for vm.Lock != "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("VM %d stays locked (%s): %w", vm.VMID, vm.Lock, ctx.Err())
		case <-time.After(time.Second):
		}
		var err error
		if vm, err = a.read(ctx, g); err != nil {
			return err
		}
	}
	if vm.Protection {
		if err := a.c.Put(ctx, base+"/config", map[string]any{"protection": 0}, nil); err != nil {
			return fmt.Errorf("clearing protection: %w", err)
		}
	}
	if vm.Status == "running" {
		if err := a.task(ctx, "POST", base+"/status/stop", nil); err != nil {
			return err
		}
	}
	return a.task(ctx, "DELETE", base+"?purge=1&destroy-unreferenced-disks=1", nil)
}

// task sends a call that answers with a task UPID and waits for the task.
func (a *labAPI) task(ctx context.Context, method, path string, params map[string]any) error {
	var upid proxmox.UPID
	var err error
	switch method {
	case "POST":
		err = a.c.Post(ctx, path, params, &upid)
	case "DELETE":
		err = a.c.Delete(ctx, path, &upid)
	default:
		return fmt.Errorf("task: method %s", method)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	task := proxmox.NewTask(upid, a.c)
	if err := task.Wait(ctx, 500*time.Millisecond, labOpTimeout); err != nil {
		return fmt.Errorf("%s %s: waiting for task %s: %w", method, path, upid, err)
	}
	if task.IsFailed {
		return fmt.Errorf("%s %s: task %s failed: %s", method, path, upid, task.ExitStatus)
	}
	return nil
}

// smbiosUUID is the uuid= field of smbios1.
func smbiosUUID(smbios string) string {
	for _, f := range strings.Split(smbios, ",") {
		if v, ok := strings.CutPrefix(f, "uuid="); ok {
			return v
		}
	}
	return ""
}

// metaCTime is the ctime= field of meta (qemu-server
// PVE/QemuServer.pm, meta_info).
func metaCTime(meta string) int64 {
	for _, f := range strings.Split(meta, ",") {
		if v, ok := strings.CutPrefix(f, "ctime="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
