// Package acctest is the harness of the provider's acceptance tests: it starts
// the Proxmox VE simulator (or points at a real cluster), builds provider
// configurations and serves the provider to terraform-plugin-testing.
//
// By default every test gets its own simulator on a loopback port. With
// PROXMOXSAFE_ACC_TARGET=lab the same tests run against the cluster that the
// PROXMOX_VE_* variables describe; tests that need the simulator's inventory
// or fault injection are skipped there and say why.
package acctest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	sdkacctest "github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/provider"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// ProviderName is the provider's local name in test configurations.
const ProviderName = "proxmoxsafe"

// ProtoV6ProviderFactories serves the provider in-process to terraform.
var ProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	ProviderName: providerserver.NewProtocol6WithError(provider.New("test")()),
}

// SkipUnlessAcceptance skips a test that runs terraform unless TF_ACC is
// set, as resource.Test does: for tests that run terraform themselves or
// start several resource.Test runs at once.
func SkipUnlessAcceptance(t testing.TB) {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1 to run it", resource.EnvTfAcc)
	}
}

// TargetLab reports whether tests run against a real cluster.
func TargetLab() bool { return os.Getenv("PROXMOXSAFE_ACC_TARGET") == "lab" }

// Lab is the Proxmox VE cluster one test talks to.
type Lab struct {
	// Sim is the simulator behind the lab; nil against a real cluster.
	Sim *pvesim.Server
	// Node is a node VMs can be created on (PROXMOXSAFE_ACC_NODE in a lab).
	Node string
	// Storage holds the disks tests create (PROXMOXSAFE_ACC_STORAGE,
	// default local-lvm); OtherStorage is a second storage for replacements
	// (PROXMOXSAFE_ACC_OTHER_STORAGE, default local).
	Storage, OtherStorage string
	// Bridge is the bridge of the NICs tests create (PROXMOXSAFE_ACC_BRIDGE,
	// default vmbr0).
	Bridge string
	// ISO is an ISO image on a storage of Node that CD-ROM drives may hold
	// (PROXMOXSAFE_ACC_ISO, default local:iso/debian-12.iso, which the
	// simulator's local storage holds).
	ISO string

	endpoint string
	token    string
	caPEM    string

	// Against a real cluster: the test, its API client and the names its
	// RandomName handed out, which cleanup removes.
	t     *testing.T
	api   *labAPI
	conn  Connection
	mu    sync.Mutex
	names []string
	// pools maps a test's pool names to the lab's (PoolID); createdPools
	// are the pools AddPool made, which cleanup removes.
	pools        map[string]string
	createdPools []string
}

// New starts a simulator with opts for this test (or uses the real lab) and
// stops it when the test ends.
func New(t *testing.T, opts pvesim.Options) *Lab {
	t.Helper()
	if TargetLab() {
		return fromEnvironment(t)
	}
	sim, err := pvesim.New(withStatsLag(opts))
	if err != nil {
		t.Fatalf("creating the simulator: %s", err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("starting the simulator: %s", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	node := "pve"
	if len(opts.Nodes) > 0 {
		node = opts.Nodes[0]
	}
	return &Lab{
		Sim: sim, Node: node, Storage: "local-lvm", OtherStorage: "local", Bridge: "vmbr0", ISO: defaultISO,
		endpoint: sim.URL(), token: sim.Token(), caPEM: string(sim.CACertPEM()),
	}
}

// defaultStatsLag is how stale the statistics behind /cluster/resources are
// in every acceptance test that does not choose: a new VM shows no name and
// status "unknown" (a recycled VMID its predecessor's) for that long, and
// a start, stop or rename shows that late, as on PVE, where pvestatd
// refreshes them every 10 s (pve-manager PVE/Service/pvestatd.pm;
// PVE/API2Tools.pm extract_vm_stats). Shorter than PVE's cycle to keep
// tests quick; long enough that no test passes by reading fresh statistics.
const defaultStatsLag = 3 * time.Second

// withStatsLag gives opts PVE-like stale statistics unless the test chose:
// a negative StatsLag or StatsRefresh asks for none.
func withStatsLag(opts pvesim.Options) pvesim.Options {
	if opts.StatsLag == 0 {
		opts.StatsLag = defaultStatsLag
	}
	if opts.StatsRefresh == 0 {
		opts.StatsRefresh = defaultStatsLag
	}
	return opts
}

// NewEmpty is New with an empty single-node cluster.
func NewEmpty(t *testing.T) *Lab {
	return New(t, pvesim.Options{Scenario: "empty"})
}

func fromEnvironment(t *testing.T) *Lab {
	t.Helper()
	for _, v := range []string{"PROXMOX_VE_ENDPOINT", "PROXMOXSAFE_ACC_NODE"} {
		if os.Getenv(v) == "" {
			t.Fatalf("PROXMOXSAFE_ACC_TARGET=lab needs %s", v)
		}
	}
	conn, err := connectionFromEnvironment()
	if err != nil {
		t.Fatalf("PROXMOXSAFE_ACC_TARGET=lab: %s", err)
	}
	api, err := newLabAPI(conn)
	if err != nil {
		t.Fatalf("PROXMOXSAFE_ACC_TARGET=lab: %s", err)
	}
	// The provider reads credentials and TLS settings from PROXMOX_VE_*.
	l := &Lab{
		Node:         os.Getenv("PROXMOXSAFE_ACC_NODE"),
		Storage:      envOr("PROXMOXSAFE_ACC_STORAGE", "local-lvm"),
		OtherStorage: envOr("PROXMOXSAFE_ACC_OTHER_STORAGE", "local"),
		Bridge:       envOr("PROXMOXSAFE_ACC_BRIDGE", "vmbr0"),
		ISO:          envOr("PROXMOXSAFE_ACC_ISO", defaultISO),
		t:            t,
		api:          api,
		conn:         conn,
	}
	t.Cleanup(l.cleanUp)
	return l
}

// defaultISO is the ISO image the simulator's local storage holds.
const defaultISO = "local:iso/debian-12.iso"

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// RequireSim returns the simulator, or skips the test against a real
// cluster, naming the lab control the test needs (fault injection, request
// counters, an offline node, a broken storage, the incident scenario...).
func (l *Lab) RequireSim(t *testing.T, control string) *pvesim.Server {
	t.Helper()
	if l.Sim == nil {
		t.Skipf("needs the simulator's %s, which a real cluster does not offer; runs against the simulator only", control)
	}
	return l.Sim
}

// SkipInLab skips a test that needs the simulator before it builds a Lab,
// naming the control it needs.
func SkipInLab(t *testing.T, control string) {
	t.Helper()
	if TargetLab() {
		t.Skipf("needs the simulator's %s, which a real cluster does not offer; runs against the simulator only", control)
	}
}

var (
	runPrefixOnce sync.Once
	runPrefix     string
)

// RunPrefix starts the name of every VM a lab-mode run creates:
// "tfacc-" and five random letters, so that one run's leftovers can be swept
// (SweepLab) without touching another run's or anybody's VMs.
func RunPrefix() string {
	runPrefixOnce.Do(func() {
		runPrefix = SweepPrefix + sdkacctest.RandStringFromCharSet(5, sdkacctest.CharSetAlpha) + "-"
	})
	return runPrefix
}

// SweepPrefix starts the name of every VM any lab-mode run creates.
const SweepPrefix = "tfacc-"

// Connection is how to reach this lab's API.
func (l *Lab) Connection() Connection {
	if l.Sim == nil {
		return l.conn
	}
	return Connection{Endpoint: l.endpoint, APIToken: l.token, CACertPEM: []byte(l.caPEM)}
}

// Endpoint is the API URL tests pass to the provider.
func (l *Lab) Endpoint() string { return l.endpoint }

// Token is the simulator's API token.
func (l *Lab) Token() string { return l.token }

// CACertPEM is the simulator's self-signed certificate.
func (l *Lab) CACertPEM() string { return l.caPEM }

// ProviderBlock is a provider configuration for this lab; extra lines are
// added inside the block.
func (l *Lab) ProviderBlock(extra ...string) string {
	if l.Sim == nil {
		return fmt.Sprintf("provider %q {\n%s\n}\n", ProviderName, strings.Join(extra, "\n"))
	}
	return l.ProviderBlockWithToken(l.token, extra...)
}

// ProviderBlockWithToken is ProviderBlock authenticating with token instead
// of the lab's credentials (against a real cluster the endpoint and the TLS
// settings still come from PROXMOX_VE_*).
func (l *Lab) ProviderBlockWithToken(token string, extra ...string) string {
	if l.Sim == nil {
		return l.ProviderBlock(append([]string{fmt.Sprintf("api_token = %q", token)}, extra...)...)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "provider %q {\n", ProviderName)
	fmt.Fprintf(&b, "  endpoint  = %q\n", l.endpoint)
	fmt.Fprintf(&b, "  api_token = %q\n", token)
	if l.caPEM != "" {
		fmt.Fprintf(&b, "  ca_certificate = <<-EOT\n%s\n  EOT\n", indent(strings.TrimSpace(l.caPEM), "    "))
	}
	for _, line := range extra {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	b.WriteString("}\n")
	return b.String()
}

// Config is a whole configuration: the provider block and body.
func (l *Lab) Config(body string, providerExtra ...string) string {
	return l.ProviderBlock(providerExtra...) + "\n" + body
}

// DataSourceHCL returns a writer of typeName data blocks (a block name and
// its body) and the address of such a block.
func DataSourceHCL(typeName string) (block func(name, body string) string, addr func(name string) string) {
	block = func(name, body string) string {
		return fmt.Sprintf("data %q %q {\n%s\n}\n", typeName, name, body)
	}
	addr = func(name string) string { return "data." + typeName + "." + name }
	return block, addr
}

// RandomName is a VM name no other test uses.
func RandomName(prefix string) string {
	return sdkacctest.RandomWithPrefix(prefix)
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
