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
	s, err := pvesim.New(pvesim.Options{
		Nodes: nodeList, Scenario: *scenario, Token: *token, User: *user, Password: *password,
		PlainHTTP: *plain, Latency: *latency, TaskDuration: *taskDur, StatsLag: *statsLag,
		StatePath: *state,
	})
	if err != nil {
		return err
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
