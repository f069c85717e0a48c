// Command demo replays the incident that motivated terraform-provider-proxmoxsafe
// against the embedded Proxmox VE simulator, with the real Terraform CLI:
// after a state reset, every `terraform apply` created the monitoring VMs
// again, because Proxmox VE does not enforce unique VM names. The provider
// makes Terraform refuse instead.
//
// Usage: go run ./internal/demo [-workdir DIR] [-keep]
//
// It needs Go and a Terraform CLI (>= 1.5) on PATH and no network: the
// provider is built from this module and installed through dev_overrides.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// options are the command-line settings of one demo run.
type options struct {
	workdir  string        // where configurations, state and the provider go; "" = a temp dir
	keep     bool          // keep the work directory
	statsLag time.Duration // the simulator's /cluster/resources refresh lag
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts options
	var timeout time.Duration
	fs.StringVar(&opts.workdir, "workdir", "", "work directory (default: a new temporary directory, removed at the end unless -keep)")
	fs.BoolVar(&opts.keep, "keep", false, "keep the work directory (configurations, state, provider binary)")
	fs.DurationVar(&opts.statsLag, "stats-lag", 10*time.Second,
		"how long a new VM shows no name in the simulator's /cluster/resources (Proxmox VE refreshes it about every 10s)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		printf(stderr, "demo: unexpected arguments: %v\n", fs.Args())
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if err := run(ctx, opts, stdout); err != nil {
		printf(stderr, "\ndemo: %s\n", err)
		return 1
	}
	return 0
}

// run sets the stage up, plays every act and reports whether every
// expectation held.
func run(ctx context.Context, opts options, out io.Writer) (err error) {
	start := time.Now()
	workdir, cleanup, err := prepareWorkdir(opts.workdir, opts.keep)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := cleanup(); cerr != nil && err == nil {
			err = cerr
		}
		if opts.keep {
			printf(out, "\nWork directory kept: %s\n", workdir)
		}
	}()

	printIntro(out)
	d, closeStage, err := setUp(ctx, workdir, opts.statsLag, out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeStage(); cerr != nil && err == nil {
			err = fmt.Errorf("stopping the simulator: %w", cerr)
		}
	}()

	initial := d.sim.VMs()
	for _, a := range d.acts() {
		d.header(a.title)
		if aerr := a.play(ctx); aerr != nil {
			d.fail("%s stopped: %s", a.title, aerr)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() == nil {
		d.header("The cluster after the demo")
		printf(out, "\n")
		d.checkCluster(initial)
	}
	return d.summary(ctx, time.Since(start))
}

func printIntro(out io.Writer) {
	printf(out, "%s", `terraform-provider-proxmoxsafe demo
===================================

The incident: a team's Terraform state was reset. Proxmox VE does not enforce
unique VM names, so every later "terraform apply" created the monitoring VMs
again. They ended up with five "monitoring-prometheus" VMs (VMIDs 108, 112,
116, 121, 123) and six "monitoring-grafana" VMs (110, 111, 115, 117, 122, 126).

This demo starts a simulated cluster in that state and drives the real
Terraform CLI with proxmoxsafe, a provider that refuses to create a VM whose
name already exists.
`)
}
