// Command bench measures what the provider costs against the Proxmox VE
// simulator: apply, no-change plan, refresh and destroy of M managed VMs in
// clusters of K other VMs, each in wall time, requests, bytes on the wire
// and cluster reads, next to the same creates issued straight through
// go-proxmox. It prints one table and writes it as CSV. `make bench` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type options struct {
	managed, others []int
	latencies       []time.Duration
	taskDuration    time.Duration
	statsLag        time.Duration
	parallelism     int
	timeout         time.Duration
	short           bool
	outDir          string
	provider        string
	autoVMID        bool
	endpoints       bool
	logDir          string
	timelineDir     string
}

func main() {
	var o options
	var managed, others, latencies string
	flag.StringVar(&managed, "managed", "10,100", "managed VMs M per cell, comma-separated")
	flag.StringVar(&others, "others", "0,1000,10000", "other VMs K in the cluster, comma-separated")
	flag.StringVar(&latencies, "latency", "0,20ms", "simulated latency per request, comma-separated")
	flag.DurationVar(&o.taskDuration, "task", 2*time.Second, "how long every simulated task runs")
	flag.DurationVar(&o.statsLag, "stats-lag", 10*time.Second, "how long a new VM has no name in /cluster/resources")
	flag.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism and raw go-proxmox workers")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit per terraform command")
	flag.BoolVar(&o.short, "short", false, "skip the cells that take longest (M=100, K=10000, 20ms)")
	flag.StringVar(&o.outDir, "out", "bench-results", "folder for the CSV file")
	flag.StringVar(&o.provider, "provider", "", "provider binary (default: go build into a temporary folder)")
	flag.BoolVar(&o.autoVMID, "auto-vmid", false, "let the provider allocate VMIDs instead of vmid = 20000 + index")
	flag.StringVar(&o.logDir, "log", "", "folder for the provider's TRACE log of every operation (slows it down)")
	flag.StringVar(&o.timelineDir, "timeline", "", "folder for the request timeline of every operation (arrival and answer times)")
	flag.BoolVar(&o.endpoints, "endpoints", false, "print the requests of every operation per endpoint, under its row")
	flag.Parse()
	var err error
	if o.managed, err = parseInts(managed); err == nil {
		if o.others, err = parseInts(others); err == nil {
			o.latencies, err = parseDurations(latencies)
		}
	}
	if err == nil {
		err = run(context.Background(), o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	work, err := os.MkdirTemp("", "proxmoxsafe-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	providerDir, err := installProvider(ctx, o.provider, work)
	if err != nil {
		return err
	}
	rep := newReport(o)
	rep.header(os.Stdout)
	for _, m := range o.managed {
		for _, k := range o.others {
			for _, lat := range o.latencies {
				c := cell{managed: m, others: k, latency: lat}
				if o.short && m >= 100 && k >= 10000 && lat > 0 {
					rep.skip(os.Stdout, c, "skipped (flag -short)")
					continue
				}
				rows, err := measureCell(ctx, o, c, providerDir, filepath.Join(work, fmt.Sprintf("m%d-k%d-l%s", m, k, lat)))
				for _, r := range rows {
					rep.add(os.Stdout, r)
				}
				if err != nil {
					rep.skip(os.Stdout, c, "failed: "+firstLine(err.Error()))
					fmt.Fprintf(os.Stderr, "bench: %s: %v\n", c, err)
				}
			}
		}
	}
	path, err := rep.writeCSV()
	if err != nil {
		return err
	}
	fmt.Printf("\nCSV: %s\n", path)
	return nil
}

// measureCell runs apply, no-change plan, refresh and destroy of c.managed
// VMs, then the raw go-proxmox creates, on one fresh simulator.
func measureCell(ctx context.Context, o options, c cell, providerDir, dir string) ([]row, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cl, err := startCluster(c, o.taskDuration, o.statsLag)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	tf, err := newTerraform(providerDir, dir)
	if err != nil {
		return nil, err
	}
	if err := tf.writeConfig(cl.url, cl.sim.Token(), c.managed, o.autoVMID); err != nil {
		return nil, err
	}
	par := "-parallelism=" + strconv.Itoa(o.parallelism)
	steps := []struct {
		op   string
		ok   []int
		args []string
	}{
		{"apply", []int{0}, []string{"apply", "-auto-approve", "-input=false", par}},
		// -detailed-exitcode: 2 would mean the plan is not empty.
		{"plan (no change)", []int{0}, []string{"plan", "-detailed-exitcode", "-input=false", par}},
		{"refresh", []int{0}, []string{"apply", "-refresh-only", "-auto-approve", "-input=false", par}},
		// The refresh that destroy would start with is the row above.
		{"destroy", []int{0}, []string{"destroy", "-refresh=false", "-auto-approve", "-input=false", par}},
	}
	var rows []row
	for _, s := range steps {
		before := cl.counters()
		cl.times.take()
		start := time.Now()
		if o.logDir != "" {
			tf.logTo(filepath.Join(o.logDir, strings.ReplaceAll(fmt.Sprintf("%s-%s.log", filepath.Base(dir), s.op), " ", "-")))
		}
		if err := tf.run(ctx, o.timeout, s.ok, s.args...); err != nil {
			return rows, fmt.Errorf("%s: %w", s.op, err)
		}
		wall := time.Since(start)
		entries := cl.times.take()
		r := row{cell: c, op: s.op, wall: wall, counts: cl.counters().minus(before)}
		if s.op == "apply" {
			r.beforeCreates, r.createPhase = createPhase(start, entries)
		}
		rows = append(rows, r)
		if err := saveTimeline(o.timelineDir, dir, s.op, start, entries, wall); err != nil {
			return rows, err
		}
	}
	before := cl.counters()
	cl.times.take()
	start := time.Now()
	if err := rawCreates(ctx, cl, c.managed, o.parallelism); err != nil {
		return rows, err
	}
	raw := row{cell: c, op: "go-proxmox create", wall: time.Since(start), counts: cl.counters().minus(before)}
	if err := saveTimeline(o.timelineDir, dir, raw.op, start, cl.times.take(), raw.wall); err != nil {
		return rows, err
	}
	rows[0].baseline = raw.wall
	return append(rows, raw), nil
}

// saveTimeline writes one operation's request timeline under folder, when
// one is given.
func saveTimeline(folder, cellDir, op string, start time.Time, entries []timelineEntry, wall time.Duration) error {
	if folder == "" {
		return nil
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	name := strings.ReplaceAll(fmt.Sprintf("%s-%s.txt", filepath.Base(cellDir), op), " ", "-")
	return writeTimeline(filepath.Join(folder, name), start, entries, wall)
}

// installProvider returns the folder holding the provider binary for
// dev_overrides, building it when no binary is given.
func installProvider(ctx context.Context, binary, work string) (string, error) {
	dir := filepath.Join(work, "provider")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(dir, "terraform-provider-proxmoxsafe")
	if binary != "" {
		abs, err := filepath.Abs(binary)
		if err != nil {
			return "", err
		}
		return dir, os.Symlink(abs, target)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", target, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the provider (run from the repository root): %w\n%s", err, out)
	}
	return dir, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "0" {
			out = append(out, 0)
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, errors.New("latency: " + err.Error())
		}
		out = append(out, d)
	}
	return out, nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
