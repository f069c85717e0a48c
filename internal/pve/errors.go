package pve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	proxmox "github.com/luthermonson/go-proxmox"
)

// Sentinels for the PVE failures callers act on. Test with errors.Is; the
// error itself is an *APIError or *TaskError with PVE's own words.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrLocked          = errors.New("VM is locked")
	ErrProtected       = errors.New("VM is protected")
	ErrRunning         = errors.New("VM is running")
	ErrPermission      = errors.New("permission denied")
	ErrUnauthorized    = errors.New("authentication failed")
	ErrNodeUnreachable = errors.New("node unreachable")
	// ErrConfigChanged: the digest given with a config update is stale.
	ErrConfigChanged = errors.New("VM config changed since it was read")
)

// APIError is a request that PVE answered with an error status.
type APIError struct {
	Method, Path string
	StatusCode   int
	// Message is PVE's reason, taken from the status line (where PVE puts
	// it) or the body's "message".
	Message string
	// Params holds per-parameter messages of a 400 "Parameter verification
	// failed." answer.
	Params map[string]string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Proxmox VE API %s %s: %d", e.Method, e.Path, e.StatusCode)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if msg != "" {
		b.WriteString(" " + msg)
	}
	if len(e.Params) > 0 {
		keys := make([]string, 0, len(e.Params))
		for k := range e.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+e.Params[k])
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	return b.String()
}

// Is lets errors.Is match the sentinels by status code and PVE's message.
func (e *APIError) Is(target error) bool {
	texts := make([]string, 0, 1+len(e.Params))
	texts = append(texts, e.Message)
	for _, v := range e.Params {
		texts = append(texts, v)
	}
	return matchSentinel(target, e.StatusCode, texts)
}

// TaskError is a PVE task that ended with an error.
type TaskError struct {
	UPID, Node, Type string
	// ExitStatus is the task's error line, e.g. "cannot import 'downloads':
	// no such pool available".
	ExitStatus string
	// Log holds the last lines of the task log.
	Log []string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("Proxmox VE task %s on node %s failed: %s", e.Type, e.Node, e.ExitStatus)
}

// Is matches the sentinels a task can fail with ("VM is locked (clone)"
// inside a start task, for instance).
func (e *TaskError) Is(target error) bool {
	return matchSentinel(target, 0, []string{e.ExitStatus})
}

var (
	reNoSuchVM      = regexp.MustCompile(`(?i)(configuration file .* does not exist|no such vm|unable to find configuration file for vm|no such task)`)
	reAlreadyExists = regexp.MustCompile(`(?i)already exists`)
	reLocked        = regexp.MustCompile(`(?i)\bis locked\b`)
	reProtected     = regexp.MustCompile(`(?i)protection mode enabled`)
	reRunning       = regexp.MustCompile(`(?i)\bis running\b`)
	rePermission    = regexp.MustCompile(`(?i)permission check failed`)
	reUnreachable   = regexp.MustCompile(`(?i)(no route to host|hostname lookup)`)
	reDigest        = regexp.MustCompile(`(?i)(checksum mis+match|detected modified configuration|changed? by other user)`)
)

// matchSentinel decides whether a PVE failure with this status code and
// these texts is the sentinel target.
func matchSentinel(target error, status int, texts []string) bool {
	has := func(re *regexp.Regexp) bool {
		for _, t := range texts {
			if re.MatchString(t) {
				return true
			}
		}
		return false
	}
	switch target {
	case ErrNotFound:
		return status == http.StatusNotFound || has(reNoSuchVM)
	case ErrAlreadyExists:
		return has(reAlreadyExists)
	case ErrLocked:
		return has(reLocked)
	case ErrProtected:
		return has(reProtected)
	case ErrRunning:
		return has(reRunning)
	case ErrPermission:
		return status == http.StatusForbidden || has(rePermission)
	case ErrUnauthorized:
		return status == http.StatusUnauthorized
	case ErrConfigChanged:
		return has(reDigest)
	case ErrNodeUnreachable:
		// 595/596 are pveproxy's codes for a node it cannot reach.
		return status == 595 || status == 596 || has(reUnreachable)
	}
	return false
}

// newAPIError builds the error from what the transport saw: the status line
// (PVE's message) and the body (JSON "message" and "errors").
func newAPIError(method, path string, status int, statusLine string, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status}
	e.Message = reasonFromStatus(status, statusLine)
	var env struct {
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if len(body) > 0 && json.Unmarshal(body, &env) == nil {
		if m := strings.TrimSpace(env.Message); m != "" && (e.Message == "" || e.Message == http.StatusText(status)) {
			e.Message = m
		}
		e.Params = decodeParamErrors(env.Errors)
	}
	return e
}

// reasonFromStatus strips the code from "500 unable to ..." (net/http's
// Response.Status) and returns PVE's reason.
func reasonFromStatus(status int, statusLine string) string {
	s := strings.TrimSpace(statusLine)
	code := strconv.Itoa(status)
	if rest, ok := strings.CutPrefix(s, code); ok {
		s = strings.TrimSpace(rest)
	}
	return s
}

func decodeParamErrors(raw json.RawMessage) map[string]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = strings.TrimSpace(v)
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

var (
	// go-proxmox: fmt.Errorf("bad request: %s - %s", res.Status, errors)
	reGoProxmoxBadRequest = regexp.MustCompile(`(?s)^bad request: (\d{3})\s*(.*?)(?: - (\{.*\}))?$`)
	// go-proxmox: errors.New(res.Status) for 500 and 501
	reGoProxmoxStatus = regexp.MustCompile(`(?s)^(\d{3})(?:\s+(.*))?$`)
)

// parseGoProxmoxError recovers PVE's status and message from the error
// strings go-proxmox builds. It is the fallback when the transport saw no
// response for the request (which should not happen).
func parseGoProxmoxError(method, path string, err error) *APIError {
	if err == nil {
		return nil
	}
	if errors.Is(err, proxmox.ErrNotAuthorized) {
		return &APIError{Method: method, Path: path, StatusCode: http.StatusUnauthorized, Message: err.Error()}
	}
	s := err.Error()
	if m := reGoProxmoxBadRequest.FindStringSubmatch(s); m != nil {
		code, _ := strconv.Atoi(m[1])
		e := &APIError{Method: method, Path: path, StatusCode: code, Message: strings.TrimSpace(m[2])}
		// go-proxmox prints the "errors" object if the body has one, else
		// the whole body ({"data":null}).
		var env map[string]json.RawMessage
		if json.Unmarshal([]byte(m[3]), &env) == nil {
			_, hasData := env["data"]
			errs, hasErrors := env["errors"]
			switch {
			case hasErrors:
				e.Params = decodeParamErrors(errs)
			case !hasData:
				e.Params = decodeParamErrors(json.RawMessage(m[3]))
			}
		}
		return e
	}
	if m := reGoProxmoxStatus.FindStringSubmatch(s); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code >= 400 && code <= 599 {
			return &APIError{Method: method, Path: path, StatusCode: code, Message: strings.TrimSpace(m[2])}
		}
	}
	return nil
}
