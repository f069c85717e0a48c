package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// startRun runs the command with args on a free port and returns the API
// base URL; the command stops with the test.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0", "-plain-http"}, args...), pw, io.Discard)
		_ = pw.Close() // always nil for an io.PipeWriter
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no ready line: %v (run: %v)", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	rest, _ := strings.CutPrefix(line, "pvesim listening on ")
	base, _, _ := strings.Cut(strings.TrimSpace(rest), " token ")
	return base
}

func get(t *testing.T, url string) (string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.DevToken)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return res.Status, string(b)
}

func TestRunExtraVMsAndFaultsFile(t *testing.T) {
	faults := filepath.Join(t.TempDir(), "faults.json")
	if err := os.WriteFile(faults, []byte(`{"offline_nodes":["pve2"],"requests":[{"path":"/cluster/nextid","status":500,"message":"boom","count":2}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startRun(t, "-nodes", "pve,pve2", "-extra-vms", "4", "-faults", faults)
	// pve2 is offline: its two extra VMs are listed without name.
	if st, b := get(t, base+"/cluster/resources?type=vm"); st != "200 OK" || strings.Count(b, `"id":"qemu/100`) != 4 ||
		!strings.Contains(b, `"name":"other-3"`) || strings.Contains(b, `"name":"other-2"`) {
		t.Fatalf("%s %s", st, b)
	}
	if st, _ := get(t, base+"/cluster/nextid"); st != "500 boom" {
		t.Fatal(st)
	}
	if st, _ := get(t, base+"/nodes/pve2/qemu"); st != "595 No route to host" {
		t.Fatal(st)
	}
	lab := strings.TrimSuffix(base, "/api2/json") + "/_sim/"
	if st, b := get(t, lab+"counters"); st != "200 OK" || !strings.Contains(b, `"GET /cluster/nextid":1`) {
		t.Fatalf("%s %s", st, b)
	}
	if st, b := get(t, lab+"faults"); !strings.Contains(b, `"count":1`) {
		t.Fatalf("%s %s", st, b)
	}
}

func TestRunFaultsInlineAndErrors(t *testing.T) {
	base := startRun(t, "-faults", `{"broken_storages":["local-lvm"]}`)
	if _, b := get(t, base+"/nodes/pve/storage?storage=local-lvm"); !strings.Contains(b, `"active":0`) {
		t.Fatal(b)
	}
	for args, want := range map[string]string{
		`-faults={"nope":1}`:                      `-faults: pvesim: faults document: json: unknown field "nope"`,
		`-faults={"offline_nodes":["pve9"]}`:      `-faults: pvesim: no node "pve9"`,
		`-faults=/nonexistent/faults.json`:        "-faults: open /nonexistent/faults.json: no such file or directory",
		`-extra-vms=-3`:                           "pvesim: extra VMs must be >= 0, got -3",
		`-faults={"requests":[{"delay":"soon"}]}`: `-faults: pvesim: requests[0].delay "soon": not a duration like "2s"`,
		`-pve-version=7.4`:                        `pvesim: unknown PVE version "7.4" (known: 8.2, 9.2)`,
	} {
		err := run(context.Background(), []string{"-listen", "127.0.0.1:0", args}, io.Discard, io.Discard)
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", args, err, want)
		}
	}
}

func TestRunHelpDocumentsTheLab(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-h"}, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"-extra-vms", "-faults", "-storage-lock-hold", "/_sim/counters", "POST   /_sim/faults", "curl", "-pve-version", "PUT    /_sim/version", "-auth-failure-delay"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
