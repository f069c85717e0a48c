package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// timeline records when each API request arrived and when its answer was
// written, for tracing where an operation's wall time goes (flag -timeline).
type timeline struct {
	next http.Handler

	mu      sync.Mutex
	entries []timelineEntry
}

type timelineEntry struct {
	start, end   time.Time
	method, path string
}

func (t *timeline) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	t.next.ServeHTTP(w, req)
	end := time.Now()
	t.mu.Lock()
	t.entries = append(t.entries, timelineEntry{start: start, end: end, method: req.Method, path: req.URL.Path})
	t.mu.Unlock()
}

// take returns the entries so far and forgets them.
func (t *timeline) take() []timelineEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.entries
	t.entries = nil
	return out
}

// write saves the entries as lines of "start end method path", in seconds
// after origin (the start of the terraform command).
func writeTimeline(path string, origin time.Time, entries []timelineEntry, wall time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d requests; command wall %.3fs; seconds after the command started\n", len(entries), wall.Seconds())
	for _, e := range entries {
		fmt.Fprintf(&b, "%7.3f %7.3f %-6s %s\n", e.start.Sub(origin).Seconds(), e.end.Sub(origin).Seconds(), e.method,
			strings.TrimPrefix(e.path, "/api2/json"))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// createPhase splits an apply at its first create request: the time before
// it (Terraform and provider start, plan, placement and name checks) and
// from it to the last answer, the part the go-proxmox baseline, which only
// creates, compares with.
func createPhase(origin time.Time, entries []timelineEntry) (before, creates time.Duration) {
	var first, last time.Time
	for _, e := range entries {
		if e.method == "POST" && strings.HasSuffix(strings.TrimRight(e.path, "/"), "/qemu") && (first.IsZero() || e.start.Before(first)) {
			first = e.start
		}
		if e.end.After(last) {
			last = e.end
		}
	}
	if first.IsZero() {
		return 0, 0
	}
	return first.Sub(origin), last.Sub(first)
}
