// Command pvesim runs the in-memory Proxmox VE API simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop() // before os.Exit, which skips deferred calls
	if errors.Is(err, flag.ErrHelp) {
		return // -h printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pvesim:", err)
		os.Exit(1)
	}
}

// run starts the simulator, prints the ready line and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pvesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8006", "listen address")
	plain := fs.Bool("plain-http", false, "serve plain HTTP instead of HTTPS")
	certOut := fs.String("cert-out", "", "write the self-signed certificate (PEM) to this file")
	nodes := fs.String("nodes", "pve", "comma-separated node names")
	token := fs.String("token", pvesim.DevToken, "API token user@realm!id=secret")
	user := fs.String("user", "root@pam", "user for ticket login")
	password := fs.String("password", "", "password for ticket login (empty disables it)")
	scenario := fs.String("scenario", "empty", "empty|incident")
	state := fs.String("state", "", "JSON state file (loaded at start, saved on change)")
	latency := fs.Duration("latency", 0, "added latency per request")
	taskDur := fs.Duration("task-duration", 0, "how long tasks run")
	statsLag := fs.Duration("stats-lag", 10*time.Second, "how long new VMs show no name in /cluster/resources")
	statsRefresh := fs.Duration("stats-refresh", 10*time.Second, "how old a VM's name, status and template in /cluster/resources may get (pvestatd's interval; 0: live)")
	extraVMs := fs.Int("extra-vms", 0, "add N stopped VMs named other-<i> (VMIDs from 1000, spread over the nodes) on top of the scenario")
	faults := fs.String("faults", "", "preload faults: a JSON file, or the JSON itself (the document POST /_sim/faults takes)")
	storageHold := fs.Duration("storage-lock-hold", 500*time.Millisecond, "how long one disk allocation holds its storage lock (parallel creates and clones wait, then time out after 10 s as PVE does)")
	configHold := fs.Duration("config-lock-hold", 0, "how long a config update holds the VM's config lock")
	pveVersion := fs.String("pve-version", pvesim.DefaultPVEVersion, "Proxmox VE release to pose as, for /version and the texts that differ ("+strings.Join(pvesim.PVEVersions(), ", ")+"; also PUT /_sim/version)")
	authDelay := fs.Duration("auth-failure-delay", 0, "hold every 401 back this long (PVE waits 3s)")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(fs.Output(), "Usage: pvesim [flags]\n\nAn in-memory Proxmox VE API server for tests and local development.\n\nFlags:\n")
		fs.PrintDefaults()
		_, _ = fmt.Fprint(fs.Output(), labHelp)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var nodeList []string
	for _, n := range strings.Split(*nodes, ",") {
		if n = strings.TrimSpace(n); n != "" {
			nodeList = append(nodeList, n)
		}
	}
	var lab pvesim.LabFaults
	if *faults != "" {
		doc := []byte(*faults)
		if t := strings.TrimSpace(*faults); !strings.HasPrefix(t, "{") {
			b, err := os.ReadFile(*faults)
			if err != nil {
				return fmt.Errorf("-faults: %w", err)
			}
			doc = b
		}
		var err error
		if lab, err = pvesim.ParseLabFaults(doc); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
	}
	s, err := pvesim.New(pvesim.Options{
		Nodes: nodeList, Scenario: *scenario, Token: *token, User: *user, Password: *password,
		PlainHTTP: *plain, Latency: *latency, TaskDuration: *taskDur, StatsLag: *statsLag, StatsRefresh: *statsRefresh,
		StatePath: *state, ExtraVMs: *extraVMs, PVEVersion: *pveVersion, AuthFailureDelay: *authDelay,
		Locks: pvesim.LockOptions{StorageHold: *storageHold, ConfigHold: *configHold},
	})
	if err != nil {
		return err
	}
	if err := s.ApplyLabFaults(lab); err != nil {
		return fmt.Errorf("-faults: %w", err)
	}
	if *certOut != "" {
		pem := s.CACertPEM()
		if pem == nil {
			return errors.New("-cert-out needs HTTPS (drop -plain-http)")
		}
		if err := os.WriteFile(*certOut, pem, 0o644); err != nil {
			return err
		}
	}
	if err := s.Start(*listen); err != nil {
		return err
	}
	// The ready line is how a caller learns the address: without it the
	// simulator is of no use, so a failed write stops it.
	if _, err := fmt.Fprintf(stdout, "pvesim listening on %s token %s\n", s.URL(), s.Token()); err != nil {
		return errors.Join(fmt.Errorf("writing the ready line: %w", err), s.Close())
	}
	<-ctx.Done()
	return s.Close()
}

// labHelp documents the lab API for -h.
const labHelp = `
Lab API (same token or ticket as /api2/json; not counted, no latency):
  GET    /_sim/counters   request counts {"total":N,"requests":{"GET /cluster/resources":N}}
  DELETE /_sim/counters   reset them
  GET    /_sim/faults     queued request and task faults, offline nodes, broken storages
  POST   /_sim/faults     apply a faults document (JSON body), e.g.
           {"requests":[{"method":"POST","path":"/nodes/{node}/qemu","status":500,"message":"boom","count":1},
                        {"path":"/cluster/resources","delay":"3s"},
                        {"method":"POST","path":"/nodes/{node}/qemu/{vmid}/clone","drop_after_handling":true}],
            "tasks":[{"type":"qmstart","count":1,"message":"start failed: QEMU exited with code 1"}],
            "offline_nodes":["pve2"], "online_nodes":[],
            "broken_storages":["local-lvm"], "repaired_storages":[]}
  DELETE /_sim/faults     clear faults, bring nodes online, repair storages broken this way
  GET    /_sim/version    the release posed as, and the known ones
  PUT    /_sim/version    pose as another release: {"version":"8.2"}
-faults takes the same document (a file, or the JSON inline) at start.

Example:
  curl -k -H 'Authorization: PVEAPIToken=` + pvesim.DevToken + `' https://127.0.0.1:8006/_sim/counters
`
