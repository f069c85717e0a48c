package main

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestSubcommand(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"version -json":                 "version",
		"-chdir=/w plan -refresh=false": "plan",
		"":                              "(none)",
	} {
		if got := subcommand(strings.Fields(args)); got != want {
			t.Errorf("subcommand(%q) = %q, want %q", args, got, want)
		}
	}
}

// Test A pauses (t.Parallel) and continues later; B runs in between; C
// waits for its subtests, and D runs while C waits.
func TestAttribute(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return time.Unix(1000+int64(s), 0) }
	// One go test -json line: the second it happened, the action, the test.
	event := func(s int, action, test string) string {
		return fmt.Sprintf(`{"Time":%q,"Action":%q,"Package":"p","Test":%q}`, at(s).Format(time.RFC3339), action, test) + "\n"
	}
	events := strings.Join([]string{
		event(0, "run", "A"),
		event(1, "pause", "A"),
		event(1, "run", "B"),
		event(3, "pass", "B"),
		event(3, "cont", "A"),
		event(5, "fail", "A"),
		event(5, "cont", "C"),
		event(6, "cont", "C/one"),
		event(7, "pass", "C/one"),
		event(7, "cont", "D"),
		event(9, "pass", "D"),
		event(10, "pass", "C"),
		`{"Action":"output","Package":"p","Output":"ok"}`,
	}, "")
	runs, failed, err := readEvents(strings.NewReader(events))
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0] != "A" {
		t.Errorf("failed = %v, want [A]", failed)
	}
	half := func(s int) time.Time { return at(s).Add(500 * time.Millisecond) }
	commands := []command{
		{half(0), "version"}, // A before its pause
		{half(1), "plan"},    // B
		{half(2), "show"},    // B
		{half(3), "apply"},   // A after it continues
		{half(5), "init"},    // C itself
		{half(6), "plan"},    // C/one: counted under C
		{half(7), "apply"},   // D, while C waits
		{half(9), "destroy"}, // C again
		{half(11), "fmt"},    // no test open
	}
	got := map[string]map[string]int{}
	for _, c := range attribute(runs, commands) {
		got[c.test] = c.commands
	}
	want := map[string]map[string]int{
		"A":     {"version": 1, "apply": 1},
		"B":     {"plan": 1, "show": 1},
		"C":     {"init": 1, "plan": 1, "destroy": 1},
		"D":     {"apply": 1},
		outside: {"fmt": 1},
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("attribute = %v, want %v", got, want)
	}

	var out bytes.Buffer
	printTable(&out, attribute(runs, commands))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[1], "3 ") || !strings.Contains(lines[1], "C") ||
		!strings.HasPrefix(lines[len(lines)-1], "9 ") || !strings.Contains(lines[len(lines)-1], "TOTAL") {
		t.Errorf("table:\n%s", out.String())
	}
}
