package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// row is one measured operation of one cell.
type row struct {
	cell     cell
	op       string
	wall     time.Duration
	counts   counters
	baseline time.Duration // apply rows: the raw go-proxmox creates of the cell
	// apply rows: time before the first create request, and from it to
	// the last answer (timeline.go createPhase)
	beforeCreates, createPhase time.Duration
	note                       string // a cell left out, and why
}

type report struct {
	opts    options
	rows    []row
	started time.Time
}

func newReport(o options) *report { return &report{opts: o, started: time.Now()} }

const tableFormat = "%-6s %-7s %-5s %-18s %9s %9s %8s %11s %9s %7s %7s %10s %7s\n"

func (r *report) header(w io.Writer) {
	_, _ = fmt.Fprintf(w, "proxmoxsafe benchmark: %s, %d CPUs, load %s; simulator tasks %s, stats lag %s, -parallelism=%d\n\n",
		runtime.Version(), runtime.NumCPU(), loadAverage(), r.opts.taskDuration, r.opts.statsLag, r.opts.parallelism)
	_, _ = fmt.Fprintf(w, tableFormat, "M", "K", "lat", "operation", "wall", "requests", "req/VM", "KiB", "KiB/VM",
		"cl.reads", "configs", "go-proxmox", "ratio")
}

func (r *report) add(w io.Writer, x row) {
	r.rows = append(r.rows, x)
	m := float64(x.cell.managed)
	base, ratio := "", ""
	if x.baseline > 0 {
		base = seconds(x.baseline)
		ratio = fmt.Sprintf("%.2f", x.wall.Seconds()/x.baseline.Seconds())
	}
	_, _ = fmt.Fprintf(w, tableFormat, strconv.Itoa(x.cell.managed), strconv.Itoa(x.cell.others), latency(x.cell.latency), x.op,
		seconds(x.wall), strconv.Itoa(x.counts.requests), fmt.Sprintf("%.1f", float64(x.counts.requests)/m),
		fmt.Sprintf("%.0f", float64(x.counts.bytes)/1024), fmt.Sprintf("%.1f", float64(x.counts.bytes)/1024/m),
		strconv.Itoa(x.counts.clusterReads), strconv.Itoa(x.counts.configReads), base, ratio)
	if x.createPhase > 0 && x.baseline > 0 {
		_, _ = fmt.Fprintf(w, "    first create request to last answer %s (%.2f x go-proxmox); before it %s (terraform, plan, checks)\n",
			seconds(x.createPhase), x.createPhase.Seconds()/x.baseline.Seconds(), seconds(x.beforeCreates))
	}
	if r.opts.endpoints {
		endpoints := make([]string, 0, len(x.counts.perEndpoint))
		for e := range x.counts.perEndpoint {
			endpoints = append(endpoints, e)
		}
		sort.Strings(endpoints)
		for _, e := range endpoints {
			_, _ = fmt.Fprintf(w, "    %-48s %6d %7.2f/VM\n", e, x.counts.perEndpoint[e], float64(x.counts.perEndpoint[e])/m)
		}
	}
}

func (r *report) skip(w io.Writer, c cell, why string) {
	r.rows = append(r.rows, row{cell: c, note: why})
	_, _ = fmt.Fprintf(w, "%-6d %-7d %-5s %s\n", c.managed, c.others, latency(c.latency), why)
}

func (r *report) writeCSV() (string, error) {
	if err := os.MkdirAll(r.opts.outDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(r.opts.outDir, "bench-"+r.started.UTC().Format("20060102-150405")+".csv")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"managed", "others", "latency_ms", "operation", "wall_s", "requests", "requests_per_vm",
		"bytes", "bytes_per_vm", "cluster_reads", "config_reads", "baseline_s", "ratio", "before_creates_s", "create_phase_s", "create_phase_ratio", "note"})
	for _, x := range r.rows {
		rec := []string{strconv.Itoa(x.cell.managed), strconv.Itoa(x.cell.others),
			strconv.FormatInt(x.cell.latency.Milliseconds(), 10), x.op}
		if x.note != "" {
			rec = append(rec, "", "", "", "", "", "", "", "", "", "", "", "", x.note)
		} else {
			m := float64(x.cell.managed)
			base, ratio, before, phase, phaseRatio := "", "", "", "", ""
			if x.baseline > 0 {
				base = fmt.Sprintf("%.3f", x.baseline.Seconds())
				ratio = fmt.Sprintf("%.3f", x.wall.Seconds()/x.baseline.Seconds())
			}
			if x.createPhase > 0 && x.baseline > 0 {
				before = fmt.Sprintf("%.3f", x.beforeCreates.Seconds())
				phase = fmt.Sprintf("%.3f", x.createPhase.Seconds())
				phaseRatio = fmt.Sprintf("%.3f", x.createPhase.Seconds()/x.baseline.Seconds())
			}
			rec = append(rec, fmt.Sprintf("%.3f", x.wall.Seconds()), strconv.Itoa(x.counts.requests),
				fmt.Sprintf("%.2f", float64(x.counts.requests)/m), strconv.FormatInt(x.counts.bytes, 10),
				fmt.Sprintf("%.0f", float64(x.counts.bytes)/m), strconv.Itoa(x.counts.clusterReads),
				strconv.Itoa(x.counts.configReads), base, ratio, before, phase, phaseRatio, "")
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		_ = f.Close()
		return "", err
	}
	return path, f.Close()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func latency(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// loadAverage is the 1-minute load when the system tells it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
