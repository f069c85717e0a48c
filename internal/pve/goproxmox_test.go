package pve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePVE answers like pveproxy: the reason goes in the status line, which
// net/http's server cannot do, so replies are written on the raw
// connection.
type fakePVE struct {
	mu       sync.Mutex
	requests []string // "METHOD path?query body"
	handle   func(r *http.Request, body string) (status int, reason, respBody string)
}

func newFakePVE(t *testing.T, handle func(r *http.Request, body string) (int, string, string)) (*fakePVE, *Client) {
	t.Helper()
	f := &fakePVE{handle: handle}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	c, err := NewClient(context.Background(), Config{
		Endpoint: srv.URL, APIToken: "root@pam!tf=secret-0000", MaxRetries: 3,
		TaskPollInterval: time.Millisecond, RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c.retryBackoff = time.Millisecond
	return f, c
}

func (f *fakePVE) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p := strings.TrimPrefix(r.URL.Path, apiPath)
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	f.mu.Lock()
	f.requests = append(f.requests, strings.TrimSpace(r.Method+" "+p+" "+string(b)))
	f.mu.Unlock()
	status, reason, body := f.handle(r, string(b))
	if status == 0 {
		// drop the connection without an answer
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer func() { _ = conn.Close() }()
	writeRaw(buf, status, reason, body)
}

func writeRaw(buf *bufio.ReadWriter, status int, reason, body string) {
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, reason, len(body), body)
	_ = buf.Flush()
}

func (f *fakePVE) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func data(v any) string {
	b, _ := json.Marshal(map[string]any{"data": v})
	return string(b)
}

func TestGetRetriesTransientFailures(t *testing.T) {
	n := 0
	f, c := newFakePVE(t, func(r *http.Request, _ string) (int, string, string) {
		n++
		switch n {
		case 1:
			return 503, "Service Unavailable", `{"data":null}`
		case 2:
			return 0, "", ""
		}
		return 200, "OK", data(map[string]string{"version": "8.2.4"})
	})
	v, err := c.Ping(context.Background())
	if err != nil || v != "8.2.4" {
		t.Fatalf("Ping = %q, %v", v, err)
	}
	if got := len(f.log()); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
	if c.RequestCount() < 3 {
		t.Errorf("RequestCount = %d", c.RequestCount())
	}
}

func TestGetRetriesAreBounded(t *testing.T) {
	f, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 503, "Service Unavailable", `{"data":null}`
	})
	_, err := c.Ping(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("err = %v, want a 503 APIError", err)
	}
	if got := len(f.log()); got != 4 {
		t.Errorf("server saw %d requests, want 1 + 3 retries", got)
	}
}

func TestGetDoesNotRetryPVEErrors(t *testing.T) {
	f, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 500, "Configuration file 'nodes/pve/qemu-server/100.conf' does not exist", `{"data":null}`
	})
	_, err := c.GetVMConfig(context.Background(), "pve", 100)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if got := len(f.log()); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
	if !strings.Contains(err.Error(), "Configuration file 'nodes/pve/qemu-server/100.conf' does not exist") {
		t.Errorf("PVE's message is lost: %v", err)
	}
}

func TestPostIsNeverRetried(t *testing.T) {
	for name, reply := range map[string][3]any{
		"503":     {503, "Service Unavailable", `{"data":null}`},
		"dropped": {0, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
				return reply[0].(int), reply[1].(string), reply[2].(string)
			})
			err := c.CreateVM(context.Background(), CreateSpec{VMID: 100, Node: "pve", Name: "a"})
			if err == nil {
				t.Fatal("want an error")
			}
			if got := len(f.log()); got != 1 {
				t.Errorf("server saw %d requests, want exactly 1: %q", got, f.log())
			}
		})
	}
}

func TestStatusOtherThan500IsAnError(t *testing.T) {
	// go-proxmox decodes a 595 with a JSON body as success.
	_, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 595, "Connection refused", `{"data":{"name":"x"}}`
	})
	_, err := c.GetVMConfig(context.Background(), "pve2", 100)
	if !errors.Is(err, ErrNodeUnreachable) {
		t.Fatalf("err = %v, want ErrNodeUnreachable", err)
	}
}

func TestBoolsAndBodies(t *testing.T) {
	f, c := newFakePVE(t, func(r *http.Request, _ string) (int, string, string) {
		switch r.Method {
		case http.MethodDelete:
			return 200, "OK", data("UPID:pve:00000001:00000002:00000003:qmdestroy:100:root@pam!tf:")
		case http.MethodPost:
			return 200, "OK", data("UPID:pve:00000001:00000002:00000003:qmcreate:100:root@pam!tf:")
		}
		return 200, "OK", data(map[string]string{"status": "stopped", "exitstatus": "OK"})
	})
	ctx := context.Background()
	if _, err := c.DestroyVM(ctx, "pve", 100); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateVM(ctx, CreateSpec{VMID: 100, Node: "pve", OnBoot: true}); err != nil {
		t.Fatal(err)
	}
	log := f.log()
	if log[0] != "DELETE /nodes/pve/qemu/100?purge=1" {
		t.Errorf("destroy request %q", log[0])
	}
	if !strings.HasPrefix(log[1], "GET /nodes/pve/tasks/UPID:pve:00000001:00000002:00000003:qmdestroy:100:root@pam!tf:/status") {
		t.Errorf("task poll %q", log[1])
	}
	if want := `POST /nodes/pve/qemu {"onboot":"1","protection":"0","vmid":"100"}`; log[2] != want {
		t.Errorf("create request %q, want %q", log[2], want)
	}
	for _, l := range log {
		if strings.Contains(l, "true") || strings.Contains(l, "false") {
			t.Errorf("boolean sent as true/false: %q", l)
		}
	}
}

func TestNullTaskIsAnError(t *testing.T) {
	_, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 200, "OK", `{"data":null}`
	})
	err := c.StartVM(context.Background(), "pve", 100)
	if err == nil || !strings.Contains(err.Error(), "no task ID") {
		t.Fatalf("err = %v, want a missing task ID error", err)
	}
}

func TestFailedTaskIsTaskError(t *testing.T) {
	const id = "UPID:pve:00000001:00000002:00000003:qmdestroy:100:root@pam!tf:"
	polls := 0
	_, c := newFakePVE(t, func(r *http.Request, _ string) (int, string, string) {
		switch {
		case r.Method == http.MethodDelete:
			return 200, "OK", data(id)
		case strings.HasSuffix(r.URL.Path, "/status"):
			polls++
			if polls < 3 {
				return 200, "OK", data(map[string]string{"status": "running"})
			}
			return 200, "OK", data(map[string]string{"status": "stopped", "exitstatus": "cannot import 'downloads': no such pool available"})
		case strings.HasSuffix(r.URL.Path, "/log"):
			if r.URL.Query().Get("start") != "0" || r.URL.Query().Get("limit") == "" {
				return 400, "bad", `{"errors":{"start":"x"}}`
			}
			return 200, "OK", data([]map[string]any{
				{"n": 1, "t": "trying to acquire lock..."},
				{"n": 2, "t": "TASK ERROR: cannot import 'downloads': no such pool available"},
			})
		}
		return 501, "not implemented", ""
	})
	_, err := c.DestroyVM(context.Background(), "pve", 100)
	var te *TaskError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TaskError", err)
	}
	if te.ExitStatus != "cannot import 'downloads': no such pool available" || te.Type != "qmdestroy" || te.Node != "pve" || te.UPID != id {
		t.Errorf("task error %+v", te)
	}
	if len(te.Log) != 2 || te.Log[1] != "TASK ERROR: cannot import 'downloads': no such pool available" {
		t.Errorf("log %q", te.Log)
	}
	if polls != 3 {
		t.Errorf("%d polls, want 3", polls)
	}
}

func TestWaitTaskStopsOnCancel(t *testing.T) {
	_, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 200, "OK", data(map[string]string{"status": "running"})
	})
	c.cfg.TaskPollInterval = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.WaitTask(ctx, "pve", "UPID:pve:00000001:00000002:00000003:qmstart:100:root@pam:")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("WaitTask returned %v after the deadline", d)
	}
}

func TestTaskErrorFromLog(t *testing.T) {
	// Some failures leave "unexpected status" as exit status; the reason
	// is then only in the log.
	_, c := newFakePVE(t, func(r *http.Request, _ string) (int, string, string) {
		if strings.HasSuffix(r.URL.Path, "/log") {
			lines := []map[string]any{}
			for i := 1; i <= 30; i++ {
				lines = append(lines, map[string]any{"n": i, "t": fmt.Sprintf("line %d", i)})
			}
			lines = append(lines, map[string]any{"n": 31, "t": "TASK ERROR: migration aborted"})
			return 200, "OK", data(lines)
		}
		return 200, "OK", data(map[string]string{"status": "stopped", "exitstatus": "unexpected status"})
	})
	err := c.WaitTask(context.Background(), "other", "UPID:pve2:00000001:00000002:00000003:qmigrate:100:root@pam:")
	var te *TaskError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	if te.ExitStatus != "migration aborted" || te.Node != "pve2" || te.Type != "qmigrate" {
		t.Errorf("task error %+v", te)
	}
	if len(te.Log) != taskLogTail || te.Log[0] != "line 12" {
		t.Errorf("log tail %q", te.Log)
	}
}
