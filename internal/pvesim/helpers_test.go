package pvesim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// startSim starts a simulator on a free port and closes it with the test.
func startSim(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// httpClient trusts the simulator's certificate only.
func httpClient(t *testing.T, s *Server) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	if pem := s.CACertPEM(); pem != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatal("bad CA PEM")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func tokenClient(t *testing.T, s *Server, token string) *proxmox.Client {
	t.Helper()
	id, secret, err := splitToken(token)
	if err != nil {
		t.Fatal(err)
	}
	return proxmox.NewClient(s.URL(), proxmox.WithHTTPClient(httpClient(t, s)), proxmox.WithAPIToken(id, secret))
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitOK waits for a task and requires success (Task.Wait alone returns nil
// for failed tasks).
func waitOK(t *testing.T, ctx context.Context, task *proxmox.Task) {
	t.Helper()
	if task == nil {
		t.Fatal("nil task")
	}
	if err := task.Wait(ctx, 20*time.Millisecond, 10*time.Second); err != nil {
		t.Fatalf("wait %s: %v", task.UPID, err)
	}
	if !task.IsSuccessful {
		t.Fatalf("task %s failed: %q", task.UPID, task.ExitStatus)
	}
}

// waitFailed waits for a task and returns its exit status, requiring failure.
func waitFailed(t *testing.T, ctx context.Context, task *proxmox.Task) string {
	t.Helper()
	if err := task.Wait(ctx, 20*time.Millisecond, 10*time.Second); err != nil {
		t.Fatalf("wait %s: %v", task.UPID, err)
	}
	if !task.IsFailed {
		t.Fatalf("task %s did not fail: %q", task.UPID, task.ExitStatus)
	}
	return task.ExitStatus
}
