package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// testRun is a stretch of time one test ran: from its start or its
// continuation after t.Parallel to its pause or its end.
type testRun struct {
	pkg, test  string
	start, end time.Time
}

// command is one terraform command: when it started and its subcommand.
type command struct {
	at   time.Time
	name string
}

// cost is what one top-level test ran.
type cost struct {
	pkg, test string
	commands  map[string]int // subcommand -> count
}

func (c cost) total() int {
	n := 0
	for _, k := range c.commands {
		n += k
	}
	return n
}

// outside names the commands no test was running for.
const outside = "(outside any test)"

// attribute gives each command to the test that ran it, counted under its
// top-level test. Tests run one at a time, but a test waiting for its
// parallel subtests, or a parent while its subtest runs, is still open:
// the stretch that started last among those open at the command's start
// is the one running.
func attribute(runs []testRun, commands []command) []cost {
	costs := map[string]*cost{}
	for _, c := range commands {
		pkg, test := "", outside
		var latest time.Time
		for _, r := range runs {
			open := !c.at.Before(r.start) && (r.end.IsZero() || c.at.Before(r.end))
			if open && !r.start.Before(latest) {
				pkg, test, latest = r.pkg, r.test, r.start
			}
		}
		test, _, _ = strings.Cut(test, "/")
		key := pkg + " " + test
		if costs[key] == nil {
			costs[key] = &cost{pkg: pkg, test: test, commands: map[string]int{}}
		}
		costs[key].commands[c.name]++
	}
	out := make([]cost, 0, len(costs))
	for _, c := range costs {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b cost) int {
		if d := b.total() - a.total(); d != 0 {
			return d
		}
		return strings.Compare(a.pkg+" "+a.test, b.pkg+" "+b.test)
	})
	return out
}

// printTable prints one line per test, most commands first, then the
// totals.
func printTable(w io.Writer, costs []cost) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "commands\ttest\tpackage\tby subcommand")
	all := map[string]int{}
	total := 0
	for _, c := range costs {
		_, _ = fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.total(), c.test, shortPackage(c.pkg), bySubcommand(c.commands))
		for name, n := range c.commands {
			all[name] += n
		}
		total += c.total()
	}
	_, _ = fmt.Fprintf(tw, "%d\t%s\t\t%s\n", total, "TOTAL", bySubcommand(all))
	_ = tw.Flush()
}

func bySubcommand(counts map[string]int) string {
	names := slices.Sorted(maps.Keys(counts))
	slices.SortStableFunc(names, func(a, b string) int { return counts[b] - counts[a] })
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %d", name, counts[name])
	}
	return strings.Join(parts, ", ")
}

// shortPackage is the import path from internal/ on.
func shortPackage(pkg string) string {
	if i := strings.Index(pkg, "/internal/"); i >= 0 {
		return pkg[i+1:]
	}
	return pkg
}
