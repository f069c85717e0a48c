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
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
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
	v, err := c.ping(context.Background())
	if err != nil || v != "8.2.4" {
		t.Fatalf("Ping = %q, %v", v, err)
	}
	if got := len(f.log()); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
}

func TestGetRetriesAreBounded(t *testing.T) {
	f, c := newFakePVE(t, func(*http.Request, string) (int, string, string) {
		return 503, "Service Unavailable", `{"data":null}`
	})
	_, err := c.ping(context.Background())
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
			err := createVM(context.Background(), c, CreateSpec{VMID: 100, Node: "pve", Name: "a"})
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
	if err := createVM(ctx, c, CreateSpec{VMID: 100, Node: "pve", OnBoot: true}); err != nil {
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
	err := c.waitTask(ctx, "pve", "UPID:pve:00000001:00000002:00000003:qmstart:100:root@pam:")
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
	err := c.waitTask(context.Background(), "other", "UPID:pve2:00000001:00000002:00000003:qmigrate:100:root@pam:")
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

func TestParseGoProxmoxError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want *APIError
	}{
		{
			name: "500 status line",
			err:  errors.New("500 unable to create VM 100 - VM 100 already exists on node 'pve1'"),
			want: &APIError{Method: "POST", Path: "/p", StatusCode: 500, Message: "unable to create VM 100 - VM 100 already exists on node 'pve1'"},
		},
		{
			name: "501",
			err:  errors.New("501 Method 'GET /x' not implemented"),
			want: &APIError{Method: "POST", Path: "/p", StatusCode: 501, Message: "Method 'GET /x' not implemented"},
		},
		{
			name: "bad request with errors",
			err:  fmt.Errorf("bad request: %s - %s", "400 Parameter verification failed.", `{"vmid":"VM 100 already exists"}`),
			want: &APIError{Method: "POST", Path: "/p", StatusCode: 400, Message: "Parameter verification failed.",
				Params: map[string]string{"vmid": "VM 100 already exists"}},
		},
		{
			name: "bad request with other body",
			err:  fmt.Errorf("bad request: %s - %s", "400 Bad Request", `{"data":null}`),
			want: &APIError{Method: "POST", Path: "/p", StatusCode: 400, Message: "Bad Request"},
		},
		{
			name: "not authorized",
			err:  proxmox.ErrNotAuthorized,
			want: &APIError{Method: "POST", Path: "/p", StatusCode: 401, Message: proxmox.ErrNotAuthorized.Error()},
		},
		{name: "network error", err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), want: nil},
		{name: "json error", err: errors.New("unexpected end of JSON input"), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseGoProxmoxError("POST", "/p", tt.err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
	if e := parseGoProxmoxError("POST", "/p", proxmox.ErrNotAuthorized); !errors.Is(e, ErrUnauthorized) {
		t.Error("go-proxmox ErrNotAuthorized is not ErrUnauthorized")
	}
}

func TestTaskSucceeded(t *testing.T) {
	for exit, want := range map[string]bool{
		"OK": true, "WARNINGS: 2": true, "": false, "unexpected status": false,
		"cannot import 'downloads': no such pool available": false, "VM is locked (clone)": false,
	} {
		if got := taskSucceeded(exit); got != want {
			t.Errorf("taskSucceeded(%q) = %v", exit, got)
		}
	}
}

func TestEscapeTicketCookie(t *testing.T) {
	for _, tt := range []struct{ cookie, want string }{
		// A base64 signature: "+" would turn into a space where the cookie
		// is decoded as a query string.
		{"PVEAuthCookie=PVE:root@pam:65A1B2C3::ab+c/d=", "PVEAuthCookie=PVE%3Aroot%40pam%3A65A1B2C3%3A%3Aab%2Bc%2Fd%3D"},
		{"PVEAuthCookie=PVE%3Aroot", "PVEAuthCookie=PVE%3Aroot"}, // already encoded
		{"PVEAuthCookie=a; other=b", "PVEAuthCookie=a; other=b"}, // not ours alone
		{"", ""},
	} {
		req, err := http.NewRequest(http.MethodGet, "https://pve/api2/json/version", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.cookie != "" {
			req.Header.Set("Cookie", tt.cookie)
		}
		if err := escapeTicketCookie(req); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Cookie"); got != tt.want {
			t.Errorf("escapeTicketCookie(%q) = %q, want %q", tt.cookie, got, tt.want)
		}
	}
}

// decodeData reuses its read buffer from answer to answer: what one answer
// decoded must not change when the next is read into the same buffer, and a
// presized list holds every entry, however many the length suggested.
func TestDecodeDataKeepsNothingOfItsBuffer(t *testing.T) {
	answer := func(body string) *http.Response {
		return &http.Response{Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
	}
	var first nodeVMEntries
	if err := decodeData(answer(`{"data":[{"vmid":100,"name":"first","status":"running","tags":"a;b","lock":"backup"}]}`), &first); err != nil {
		t.Fatal(err)
	}
	var second nodeVMEntries
	if err := decodeData(answer(`{"data":[{"vmid":1,"name":"zzzzz","status":"stopped","tags":"z;z","lock":"zzzzzz"},{"vmid":2},{"vmid":3},{"vmid":4}]}`), &second); err != nil {
		t.Fatal(err)
	}
	if e := first[0]; e.Name != "first" || e.Status != "running" || e.Tags != "a;b" || e.Lock != "backup" {
		t.Errorf("first answer changed by the second: %+v", e)
	}
	if len(second) != 4 || second[3].VMID != 4 {
		t.Errorf("second answer: %+v", second)
	}
}
