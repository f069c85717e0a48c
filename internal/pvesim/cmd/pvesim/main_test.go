package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestRunPrintsReadyLineAndSavesState(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-plain-http", "-scenario", "incident",
			"-nodes", "pve,pve3", "-state", state, "-stats-lag", "0"}, pw, io.Discard)
		_ = pw.Close() // always nil for an io.PipeWriter
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	rest, found := strings.CutPrefix(line, "pvesim listening on ")
	if !found {
		t.Fatalf("line = %q", line)
	}
	base, tok, found := strings.Cut(strings.TrimSpace(rest), " token ")
	if !found || !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/api2/json") || tok != pvesim.DevToken {
		t.Fatalf("line = %q", line)
	}
	req, _ := http.NewRequest("GET", base+"/cluster/status", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+tok)
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"name":"pve3"`) || !strings.Contains(string(b), `"name":"pve2"`) {
		t.Fatalf("%s %s", res.Status, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("state not saved: %v", err)
	}
}

func TestRunCertOut(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-cert-out", cert}, pw, io.Discard)
		_ = pw.Close() // always nil for an io.PipeWriter
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(line, "pvesim listening on https://127.0.0.1:") {
		t.Fatal(line)
	}
	b, err := os.ReadFile(cert)
	if err != nil || !strings.HasPrefix(string(b), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("cert: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"-scenario", "nope"}, io.Discard, io.Discard); err == nil {
		t.Fatal("bad scenario accepted")
	}
}
