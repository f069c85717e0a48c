// Package pvesim is an in-memory Proxmox VE API server for tests and local
// development. It reproduces the parts of the PVE HTTP API that the provider
// uses, including PVE's quirks (errors in the status line, stats lag, async
// tasks), so that clients cannot tell it from a real cluster.
//
// Choices worth knowing when writing clients against it:
//   - Errors are written on a hijacked connection ("Connection: close") so the
//     status line carries PVE's message. A handler's error has a JSON body
//     ({"data":null}, "errors" for a 400, and "message" from PVE 9 on);
//     a failed authentication and 595 have none. Options.PVEVersion
//     ("8.2" or "9.2", the default) picks the release's texts and /version
//     (pveversion.go); every 401 waits Options.AuthFailureDelay (PVE: 3 s).
//   - A dead node (SetNodeOffline) answers "595 No route to host", as pveproxy
//     does when it cannot reach the node it proxies to.
//   - While qmcreate runs the config holds only "lock: create" (qemu-server's
//     create_and_lock_config); name and options appear when the task ends.
//   - POST and PUT .../config check parameters (400), then the digest and
//     the lock before forking or locking (qemu-server $update_vm_api's early
//     checks): a stale digest or a locked VM is a synchronous 500, no task.
//     PUT then applies under the config lock; POST's qmconfig worker takes
//     the lock and checks again (a change in between fails the task).
//   - Checks a PVE worker does first (lock, template, already running) fail a
//     task at once; the effect of a successful task lands after TaskDuration.
//   - Tokens added with visible VMIDs also see the VMs they create or clone.
//   - Changes to a running VM that PVE cannot hotplug wait in the pending
//     section until the next stop, start or reboot (pending.go).
//   - Workers take PVE's config and storage locks and give up after PVE's
//     timeouts with PVE's texts; Options.Locks scales them (locks.go,
//     storage_locks.go: destroy only warns, as destroy_vm does).
//   - /cluster/resources takes name, status and template from per-VM
//     statistics, none for StatsLag after a create, then retaken once
//     StatsRefresh old (stats.go); the node's own lists are live.
//   - Clone refuses up front what clone_vm's early checks refuse
//     (clone_checks.go); a broken storage fails create, clone, start,
//     resize with its plugin's activation error (storage_activation.go).
//
// Lab controls for tools outside the process (admin.go): Options.ExtraVMs
// (-extra-vms) adds stopped VMs named other-<i>; /_sim/ serves request
// counters and fault injection with the API's own authentication:
//
//	curl -k -H "Authorization: PVEAPIToken=$TOKEN" https://127.0.0.1:8006/_sim/counters
//	curl -k -H "Authorization: PVEAPIToken=$TOKEN" -X POST https://127.0.0.1:8006/_sim/faults \
//	  -d '{"requests":[{"method":"POST","path":"/nodes/{node}/qemu","status":500,"message":"boom"}],
//	       "offline_nodes":["pve2"],"broken_storages":["local-lvm"]}'
//	curl -k -H "Authorization: PVEAPIToken=$TOKEN" -X DELETE https://127.0.0.1:8006/_sim/faults
package pvesim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DevToken is the API token accepted by default.
const DevToken = "root@pam!proxmoxsafe=00000000-0000-4000-8000-000000000000"

// Options configures a Server.
type Options struct {
	Nodes          []string      // default []string{"pve"}
	Scenario       string        // "" or "empty" | "incident"
	Token          string        // full token "user@realm!id=secret"; default DevToken
	User, Password string        // ticket login; default User "root@pam", Password "" disables ticket login
	PlainHTTP      bool          // default HTTPS with self-signed cert (CN/SAN 127.0.0.1, localhost)
	Latency        time.Duration // per request
	TaskDuration   time.Duration // how long tasks run (default 0: tasks finish "at once" but still async)
	StatsLag       time.Duration // how long a new VM shows no name / status "unknown" in /cluster/resources
	// StatsRefresh is how old a VM's /cluster/resources statistics (name,
	// status, template, usage) may get before they are retaken; PVE's
	// pvestatd refreshes them every 10 s. 0: live (stats.go).
	StatsRefresh time.Duration
	StatePath    string      // JSON file persisted atomically (tmp+rename) on change and on Close
	Locks        LockOptions // config and storage lock timeouts and hold times (locks.go)
	ExtraVMs     int         // stopped VMs named other-<i> added on top of the scenario (extravms.go)
	// AuthFailureDelay holds every 401 back this long after the request
	// came in; PVE waits 3 s (auth.go delayUnauthorized). 0: no delay.
	AuthFailureDelay time.Duration
	PVEVersion       string       // release to pose as, "8.2" or "9.2" (default DefaultPVEVersion; pveversion.go)
	Agent            AgentOptions // guest agent boot delay and ping timeout (agent.go)
}

// Server is the simulator. All exported methods are safe for concurrent use.
type Server struct {
	opts Options

	mu       sync.Mutex
	version  pveVersion
	nodes    []string
	offline  map[string]bool
	vms      map[int]*vmState
	tasks    map[string]*task
	taskList []*task // creation order
	nextPID  int
	tokens   map[string]*tokenInfo // full token string -> info
	tickets  map[string]*ticketInfo
	faults   []*faultState
	failTask map[string][]string      // task type -> queued failure messages
	taskHold map[string]chan struct{} // task type, or type:ID -> held until closed (HoldTasks, HoldTask)
	counts   map[string]int
	total    int
	reqLog   requestLog // requests in arrival order (requestlog.go)
	storages []storageDef
	pools    map[string]*poolState // user.cfg pools (pools.go)
	bridges  map[string][]string   // node -> Linux bridges; unset: vmbr0
	vnets    map[string][]string   // node -> SDN vnets of its zones
	locks    lockTable
	stats    map[int]*vmStats // /cluster/resources statistics per VM (stats.go)
	// labBroken names storages broken through the lab API, which
	// DELETE /_sim/faults repairs.
	labBroken map[string]bool
	// leftoverVolumes are volumes a destroy could not free (their storage
	// was broken), as PVE leaves them behind.
	leftoverVolumes []string
	leftoverSizes   map[string]int64 // their sizes, for volume info once repaired
	// freedVolumes are volumes DELETE .../content/{volume} freed while a
	// config may still name them (PVE does not check; storage_content.go).
	freedVolumes map[string]bool

	certPEM []byte
	tlsCert *tls.Certificate

	ln       net.Listener
	httpSrv  *http.Server
	baseURL  string
	closing  chan struct{}
	closed   bool
	taskWG   sync.WaitGroup
	serveErr chan error
}

// New builds a server from opts, seeding the scenario or loading the state file.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = DevToken
	}
	if opts.User == "" {
		opts.User = "root@pam"
	}
	if _, _, err := splitToken(opts.Token); err != nil {
		return nil, err
	}
	version, err := lookupPVEVersion(opts.PVEVersion)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		version:  version,
		offline:  map[string]bool{},
		vms:      map[int]*vmState{},
		tasks:    map[string]*task{},
		nextPID:  10000,
		tokens:   map[string]*tokenInfo{},
		tickets:  map[string]*ticketInfo{},
		failTask: map[string][]string{},
		counts:   map[string]int{},
		closing:  make(chan struct{}),
	}
	s.tokens[opts.Token] = &tokenInfo{}
	nodes := opts.Nodes
	if len(nodes) == 0 {
		nodes = []string{"pve"}
	}
	switch opts.Scenario {
	case "", "empty":
	case "incident":
		nodes = mergeNodes([]string{"pve", "pve2"}, opts.Nodes)
	default:
		return nil, fmt.Errorf("pvesim: unknown scenario %q", opts.Scenario)
	}
	for _, n := range nodes {
		if !validNodeName(n) {
			return nil, fmt.Errorf("pvesim: invalid node name %q", n)
		}
	}
	s.nodes = nodes
	s.storages = defaultStorages()

	loaded := false
	if opts.StatePath != "" {
		ok, err := s.loadState()
		if err != nil {
			return nil, err
		}
		loaded = ok
	}
	if !loaded && opts.Scenario == "incident" {
		if err := s.seedIncident(); err != nil {
			return nil, err
		}
	}
	if !loaded {
		if err := s.seedExtraVMsLocked(opts.ExtraVMs); err != nil {
			return nil, err
		}
	}
	if !opts.PlainHTTP {
		certPEM, cert, err := selfSignedCert()
		if err != nil {
			return nil, err
		}
		s.certPEM, s.tlsCert = certPEM, cert
	}
	return s, nil
}

func mergeNodes(first, more []string) []string {
	out := append([]string(nil), first...)
	for _, n := range more {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Start listens on addr ("127.0.0.1:0" for a free port) and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	scheme := "http"
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		// pveproxy speaks HTTP/1.1 only, and hijacking needs it.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Clients hanging up mid-handshake are normal in tests.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if !s.opts.PlainHTTP {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{*s.tlsCert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		})
	}
	s.mu.Lock()
	s.ln = ln
	s.httpSrv = srv
	s.baseURL = fmt.Sprintf("%s://%s/api2/json", scheme, ln.Addr().String())
	s.serveErr = make(chan error, 1)
	s.mu.Unlock()
	go func() { s.serveErr <- srv.Serve(ln) }()
	return nil
}

// URL is the API base URL, e.g. "https://127.0.0.1:41234/api2/json".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Token returns the full default API token.
func (s *Server) Token() string { return s.opts.Token }

// CACertPEM returns the self-signed certificate (nil for plain HTTP).
func (s *Server) CACertPEM() []byte {
	if s.certPEM == nil {
		return nil
	}
	return append([]byte(nil), s.certPEM...)
}

// Close stops serving, lets running tasks finish at once and saves the state.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	srv := s.httpSrv
	s.mu.Unlock()

	var errs []error
	if srv != nil {
		if err := srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.taskWG.Wait()
	if s.opts.StatePath != "" {
		s.mu.Lock()
		err := s.saveStateLocked()
		s.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// nodeKnown reports whether node is a cluster member. Callers hold s.mu.
func (s *Server) nodeKnown(node string) bool {
	return slices.Contains(s.nodes, node)
}

func (s *Server) sortedVMIDs() []int {
	ids := make([]int, 0, len(s.vms))
	for id := range s.vms {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

func validNodeName(n string) bool {
	return n != "" && dnsLabelRE.MatchString(n) && !strings.Contains(n, ".")
}
