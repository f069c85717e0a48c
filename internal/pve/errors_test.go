package pve

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

var allSentinels = map[string]error{
	"NotFound":        ErrNotFound,
	"AlreadyExists":   ErrAlreadyExists,
	"Locked":          ErrLocked,
	"Protected":       ErrProtected,
	"Running":         ErrRunning,
	"Permission":      ErrPermission,
	"Unauthorized":    ErrUnauthorized,
	"NodeUnreachable": ErrNodeUnreachable,
	"ConfigChanged":   ErrConfigChanged,
}

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		name   string
		err    *APIError
		expect string // the only sentinel that must match; "" for none
	}{
		{"missing config", &APIError{StatusCode: 500, Message: "Configuration file 'nodes/pve/qemu-server/100.conf' does not exist"}, "NotFound"},
		{"no such vm", &APIError{StatusCode: 500, Message: "no such VM ('123')"}, "NotFound"},
		{"http 404", &APIError{StatusCode: 404, Message: "Not Found"}, "NotFound"},
		{"no such task", &APIError{StatusCode: 400, Message: "Parameter verification failed.", Params: map[string]string{"upid": "no such task"}}, "NotFound"},
		{"vmid taken on create", &APIError{StatusCode: 500, Message: "unable to create VM 100 - VM 100 already exists on node 'pve1'"}, "AlreadyExists"},
		{"clone target taken", &APIError{StatusCode: 500, Message: "unable to create VM 101: config file already exists"}, "AlreadyExists"},
		{"nextid taken", &APIError{StatusCode: 400, Message: "Parameter verification failed.", Params: map[string]string{"vmid": "VM 100 already exists"}}, "AlreadyExists"},
		{"locked", &APIError{StatusCode: 500, Message: "VM is locked (create)"}, "Locked"},
		{"protected", &APIError{StatusCode: 500, Message: "can't remove VM 100 - protection mode enabled"}, "Protected"},
		{"running", &APIError{StatusCode: 500, Message: "VM 100 is running - destroy failed"}, "Running"},
		{"forbidden", &APIError{StatusCode: 403, Message: "Permission check failed (/vms/100, VM.Allocate)"}, "Permission"},
		{"unauthorized", &APIError{StatusCode: 401, Message: "authentication failure"}, "Unauthorized"},
		{"csrf", &APIError{StatusCode: 401, Message: "Permission denied - invalid csrf token"}, "Unauthorized"},
		{"595", &APIError{StatusCode: 595, Message: "Connection refused"}, "NodeUnreachable"},
		{"no route", &APIError{StatusCode: 500, Message: "no route to host"}, "NodeUnreachable"},
		{"unknown node", &APIError{StatusCode: 500, Message: "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known"}, "NodeUnreachable"},
		{"digest (notes)", &APIError{StatusCode: 500, Message: "checksum mismatch (file change by other user?)"}, "ConfigChanged"},
		{"digest (qemu-server)", &APIError{StatusCode: 500, Message: "detected modified configuration - file changed by other user? Try again."}, "ConfigChanged"},
		{"shrink", &APIError{StatusCode: 500, Message: "shrinking disks is not supported"}, ""},
		{"bad storage is not a missing VM", &APIError{StatusCode: 500, Message: "cannot import 'downloads': no such pool available"}, ""},
		{"param error", &APIError{StatusCode: 400, Message: "Parameter verification failed.", Params: map[string]string{"name": "invalid format - value does not look like a valid DNS name"}}, ""},
		{"not implemented", &APIError{StatusCode: 501, Message: "Method 'GET /x' not implemented"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Through a wrapper, as callers see it.
			err := fmt.Errorf("doing something: %w", tt.err)
			for name, s := range allSentinels {
				if got, want := errors.Is(err, s), name == tt.expect; got != want {
					t.Errorf("errors.Is(%q, Err%s) = %v, want %v", tt.err.Error(), name, got, want)
				}
			}
		})
	}
}

func TestTaskErrorIs(t *testing.T) {
	te := &TaskError{UPID: "UPID:pve:1:2:3:qmstart:100:root@pam:", Node: "pve", Type: "qmstart", ExitStatus: "VM is locked (clone)"}
	if !errors.Is(fmt.Errorf("x: %w", te), ErrLocked) {
		t.Error("task error with a lock message is not ErrLocked")
	}
	if errors.Is(te, ErrNotFound) || errors.Is(te, ErrUnauthorized) {
		t.Error("task error matches unrelated sentinels")
	}
	want := "Proxmox VE task qmstart on node pve failed: VM is locked (clone)"
	if te.Error() != want {
		t.Errorf("Error() = %q, want %q", te.Error(), want)
	}
	var target *TaskError
	if !errors.As(fmt.Errorf("x: %w", te), &target) || target.ExitStatus != te.ExitStatus {
		t.Error("errors.As does not find the task error")
	}
}

func TestNewAPIError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		statusLine string
		body       string
		want       APIError
	}{
		{
			name: "message in status line", status: 500,
			statusLine: "500 unable to create VM 100 - VM 100 already exists on node 'pve1'",
			want:       APIError{Method: "POST", Path: "/p", StatusCode: 500, Message: "unable to create VM 100 - VM 100 already exists on node 'pve1'"},
		},
		{
			name: "parameter errors", status: 400, statusLine: "400 Parameter verification failed.",
			body: `{"errors":{"vmid":"VM 100 already exists","name":"invalid format - value does not look like a valid DNS name"},"data":null}`,
			want: APIError{Method: "POST", Path: "/p", StatusCode: 400, Message: "Parameter verification failed.",
				Params: map[string]string{"vmid": "VM 100 already exists", "name": "invalid format - value does not look like a valid DNS name"}},
		},
		{
			name: "standard reason, message in body", status: 500, statusLine: "500 Internal Server Error",
			body: `{"data":null,"message":"VM is locked (create)\n"}`,
			want: APIError{Method: "POST", Path: "/p", StatusCode: 500, Message: "VM is locked (create)"},
		},
		{
			name: "empty body 401", status: 401, statusLine: "401 authentication failure",
			want: APIError{Method: "POST", Path: "/p", StatusCode: 401, Message: "authentication failure"},
		},
		{
			name: "html body", status: 502, statusLine: "502 Bad Gateway", body: "<html>bad gateway</html>",
			want: APIError{Method: "POST", Path: "/p", StatusCode: 502, Message: "Bad Gateway"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newAPIError("POST", "/p", tt.status, tt.statusLine, []byte(tt.body))
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %#v\nwant %#v", *got, tt.want)
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &APIError{Method: "POST", Path: "/nodes/pve/qemu", StatusCode: 400, Message: "Parameter verification failed.",
		Params: map[string]string{"vmid": "VM 100 already exists", "name": "bad"}}
	want := "Proxmox VE API POST /nodes/pve/qemu: 400 Parameter verification failed. (name: bad; vmid: VM 100 already exists)"
	if e.Error() != want {
		t.Errorf("got %q\nwant %q", e.Error(), want)
	}
	e = &APIError{Method: "GET", Path: "/x", StatusCode: 503}
	if want := "Proxmox VE API GET /x: 503 Service Unavailable"; e.Error() != want {
		t.Errorf("got %q, want %q", e.Error(), want)
	}
}
