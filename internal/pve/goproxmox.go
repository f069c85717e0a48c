package pve

// This file sends every request through go-proxmox (github.com/luthermonson/
// go-proxmox v0.8) and is the one place that corrects what go-proxmox gets
// wrong for us. Each behaviour, where it is corrected, and its test:
//
//   - A failed task is reported as success: Task.Wait ends when the task
//     stops, whatever its exit status. waitTask (tasks.go) polls the status
//     itself and taskSucceeded decides. TestTaskSucceeded,
//     TestFailedTaskIsTaskError.
//   - A nil task: an answer without a task ID ("data": null) to a request
//     that starts a task becomes a nil *Task and no error. postTask makes it
//     an error. TestNullTaskIsAnError.
//   - 5xx read as success: Client.Req checks only 400, 401, 403, 500 and
//     501, so a 502, 503 or 595 with a JSON body is a success. apiTransport
//     records every status and classify makes any non-2xx an *APIError.
//     TestStatusOtherThan500IsAnError.
//   - Error text only in the status line: a 500 or 501 becomes
//     errors.New(res.Status) and the body (newer PVE's "message", parameter
//     errors) is dropped. apiTransport keeps error bodies for newAPIError;
//     parseGoProxmoxError reads go-proxmox's strings as a fallback.
//     TestParseGoProxmoxError.
//   - Retried POSTs: go-proxmox re-sends any request, POSTs included, after
//     a 401 or 403 once it logged in again. ensureSession logs in before the
//     first call, and call retries GETs only. TestPostIsNeverRetried.
//   - Booleans: PVE rejects JSON true/false; call sends every parameter as a
//     string, booleans as "0"/"1" (pveBool). TestBoolsAndBodies.
//   - The ticket cookie is sent unescaped; escapeTicketCookie encodes it.
//     TestEscapeTicketCookie.
//   - go-proxmox logs request and response bodies (secrets included) at
//     debug level; nopLogger silences it and apiTransport logs instead.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// maxErrorBody bounds how much of an error answer the transport keeps.
const maxErrorBody = 1 << 20

// exchange is what the transport saw of the last response to one attempt.
// go-proxmox drops the status of everything but 400/401/403/500/501 (a 503
// or 595 with a JSON body comes back as success), so the status recorded
// here is the authority on whether a request failed.
type exchange struct {
	mu         sync.Mutex
	status     int
	statusLine string
	body       []byte
	// decodeErr is why a successful answer could not be decoded into out.
	decodeErr error
}

func (e *exchange) record(status int, line string, body []byte) {
	e.mu.Lock()
	e.status, e.statusLine, e.body = status, line, body
	e.mu.Unlock()
}

func (e *exchange) decoded(err error) {
	e.mu.Lock()
	e.decodeErr = err
	e.mu.Unlock()
}

func (e *exchange) decodeError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.decodeErr
}

func (e *exchange) snapshot() (int, string, []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status, e.statusLine, e.body
}

type callKey struct{}

// callInfo travels in the request context from call to the transport.
type callInfo struct {
	attempt int
	ex      *exchange
	// out receives the "data" of a successful answer, decoded by the
	// transport straight from the wire.
	out any
}

func withCall(ctx context.Context, attempt int, out any) (context.Context, *exchange) {
	ex := &exchange{}
	return context.WithValue(ctx, callKey{}, &callInfo{attempt: attempt, ex: ex, out: out}), ex
}

// apiTransport logs every request, including the ones go-proxmox
// makes on its own (ticket login), and keeps error answers for call.
type apiTransport struct {
	base   http.RoundTripper
	prefix string // URL path of the API base, trimmed from logged paths
}

var _ http.RoundTripper = (*apiTransport)(nil)

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info, _ := ctx.Value(callKey{}).(*callInfo)
	attempt := 1
	if info != nil {
		attempt = info.attempt
	}
	logPath := strings.TrimPrefix(req.URL.Path, t.prefix)
	if req.URL.RawQuery != "" {
		logPath += "?" + req.URL.RawQuery
	}

	start := time.Now()
	res, err := t.base.RoundTrip(req)
	fields := map[string]any{
		"method":      req.Method,
		"path":        logPath,
		"attempt":     attempt,
		"duration_ms": time.Since(start).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
		logAPICall(ctx, false, fields)
		return nil, err
	}
	fields["status_code"] = res.StatusCode

	var body []byte
	if res.StatusCode < 200 || res.StatusCode > 299 {
		fields["status"] = res.Status
		// Keep the body for the error (400 parameter errors, newer PVE's
		// "message") and hand go-proxmox an identical copy.
		b, readErr := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		_ = res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(b))
		if readErr == nil && !isTicketPath(req.URL.Path) {
			body = b
		}
	}
	if info != nil {
		info.ex.record(res.StatusCode, res.Status, body)
		// A 401 makes go-proxmox log in again inside the same call; the
		// ticket's answer is go-proxmox's to read.
		if info.out != nil && res.StatusCode >= 200 && res.StatusCode <= 299 && !isTicketPath(req.URL.Path) {
			info.ex.decoded(decodeData(res, info.out))
		}
	}
	logAPICall(ctx, res.StatusCode >= 200 && res.StatusCode <= 299, fields)
	return res, nil
}

func isTicketPath(p string) bool { return strings.HasSuffix(p, "/access/ticket") }

// get, post, put and del send one API request through go-proxmox. GETs are
// retried; nothing else ever is.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query, out)
}

func (c *Client) post(ctx context.Context, path string, params url.Values, out any) error {
	return c.call(ctx, http.MethodPost, path, params, out)
}

func (c *Client) put(ctx context.Context, path string, params url.Values, out any) error {
	return c.call(ctx, http.MethodPut, path, params, out)
}

func (c *Client) del(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodDelete, path, query, out)
}

// call sends the request. GET and DELETE parameters go in a query string we
// build ourselves, POST and PUT parameters in a JSON object of strings, so
// booleans are always "0"/"1" as PVE wants. out receives "data".
func (c *Client) call(ctx context.Context, method, path string, params url.Values, out any) error {
	target := path
	var body []byte
	switch method {
	case http.MethodGet, http.MethodDelete:
		if len(params) > 0 {
			target += "?" + params.Encode()
		}
	default:
		if len(params) > 0 {
			m := make(map[string]string, len(params))
			for k, v := range params {
				if len(v) > 0 {
					m[k] = v[0]
				}
			}
			var err error
			if body, err = json.Marshal(m); err != nil {
				return err
			}
		}
	}
	// The transport decodes "data" into out as it arrives (decodeData), so
	// go-proxmox is asked for nothing.
	return c.send(ctx, method, path, out, func(actx context.Context) error {
		return c.api.Req(actx, method, target, body, nil)
	})
}

// send makes one API call through go-proxmox, raw (call) or typed, with
// the corrections of this file: a session before the first call, the
// status the transport saw decides failure, and only GETs are retried.
// With a non-nil out, the transport decodes the answer's "data" into it;
// typed go-proxmox calls pass nil and decode themselves.
func (c *Client) send(ctx context.Context, method, path string, out any, request func(context.Context) error) error {
	if err := c.ensureSession(ctx); err != nil {
		return err
	}
	attempts := 1
	if method == http.MethodGet {
		attempts += c.cfg.MaxRetries
	}
	for attempt := 1; ; attempt++ {
		actx, ex := withCall(ctx, attempt, out)
		err := classify(ctx, method, path, ex, request(actx))
		if err == nil {
			if derr := ex.decodeError(); derr != nil {
				return fmt.Errorf("Proxmox VE API %s %s: unexpected answer: %w", method, path, derr) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
			}
			return nil
		}
		if attempt >= attempts || !retryable(ctx, err) {
			return err
		}
		if serr := sleepCtx(ctx, c.backoff(attempt)); serr != nil {
			return fmt.Errorf("%w; retry abandoned: %w", err, serr)
		}
	}
}

// classify turns what go-proxmox returned plus what the transport saw into
// our error: *APIError for every non-2xx answer, the transport error
// otherwise.
func classify(ctx context.Context, method, path string, ex *exchange, err error) error {
	status, line, body := ex.snapshot()
	if status != 0 && (status < 200 || status > 299) {
		return newAPIError(method, path, status, line, body)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		if apiErr := parseGoProxmoxError(method, path, err); apiErr != nil {
			return apiErr
		}
	}
	return fmt.Errorf("Proxmox VE API %s %s: %w", method, path, err) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
}

// retryable reports whether a failed GET may be sent again: the network
// failed or PVE (or a proxy in front) was briefly unavailable.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.retryBackoff << (attempt - 1)
	if d > maxRetryBackoff || d <= 0 {
		d = maxRetryBackoff
	}
	// Up to 50% jitter so parallel resources do not retry in lockstep.
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ensureSession logs in with username and password before the first call,
// instead of letting go-proxmox send it unauthenticated first (which PVE
// answers after a 3 s penalty with 401).
func (c *Client) ensureSession(ctx context.Context) error {
	if c.cfg.APIToken != "" {
		return nil
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.api.Session() != nil {
		return nil
	}
	actx, ex := withCall(ctx, 1, nil)
	err := c.api.CreateSession(actx)
	if err == nil || errors.Is(err, proxmox.ErrSessionExists) {
		return nil
	}
	return classify(ctx, http.MethodPost, "/access/ticket", ex, err)
}

// escapeTicketCookie percent-encodes the ticket in the PVEAuthCookie that
// go-proxmox sends raw, as PVE's own web UI does. pveproxy URI-unescapes
// the value, so both forms work there; the encoded one also survives
// servers that decode the cookie as a query string ("+" becoming a space
// would break the base64 signature).
func escapeTicketCookie(req *http.Request) error {
	const prefix = "PVEAuthCookie="
	v := req.Header.Get("Cookie")
	ticket, ok := strings.CutPrefix(v, prefix)
	if !ok || ticket == "" || strings.Contains(ticket, ";") || strings.Contains(ticket, "%") {
		return nil
	}
	req.Header.Set("Cookie", prefix+url.QueryEscape(ticket))
	return nil
}

// nopLogger silences go-proxmox.
type nopLogger struct{}

var _ proxmox.LeveledLoggerInterface = nopLogger{}

func (nopLogger) Debugf(string, ...any) {}
func (nopLogger) Errorf(string, ...any) {}
func (nopLogger) Infof(string, ...any)  {}
func (nopLogger) Warnf(string, ...any)  {}
