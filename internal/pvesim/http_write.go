package pvesim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Writing a response as pveproxy does: PVE's status line, the JSON
// formatter's body, and dropped connections for fault injection.

func (s *Server) write(w http.ResponseWriter, res *resp, drop bool) {
	if drop {
		if hj, okh := w.(http.Hijacker); okh {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if res.status == 200 {
		b, err := responseBody(res)
		if err != nil {
			res = err500("internal error: %v", err)
		} else {
			h := w.Header()
			h.Set("Content-Type", "application/json;charset=UTF-8")
			h.Set("Cache-Control", "max-age=0")
			h.Set("Pragma", "no-cache")
			h.Set("Server", "pve-api-daemon/3.0")
			h.Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(200)
			_, _ = w.Write(b)
			return
		}
	}
	writeRaw(w, res, s.currentVersion().messageInBody)
}

// responseBody is a 200 answer's body: {"data":...,"total":N}. Data that
// is already encoded is copied as it is (marshalPVE would scan it again).
func responseBody(res *resp) ([]byte, error) {
	if enc, done := res.data.(encodedJSON); done && res.total == nil {
		return append(append(append(make([]byte, 0, len(enc)+10), `{"data":`...), enc...), '}'), nil
	}
	body := map[string]any{"data": res.data}
	if res.total != nil {
		body["total"] = *res.total
	}
	return marshalPVE(body)
}

// errorBody renders PVE's error body for a response: pve-manager
// PVE/HTTPServer.pm rest_handler turns a handler's exception into status,
// message and errors, and the JSON formatter (pve-http-server
// Formatter/Standard.pm prepare_response_data) writes data, errors and,
// from pve-http-server 5.2.0 on, message. Failures before a handler runs
// (authentication, a dead node) have no body (APIServer/AnyEvent.pm).
func errorBody(res *resp, withMessage bool) []byte {
	if res.empty {
		return nil
	}
	body := struct {
		Message *string           `json:"message,omitempty"`
		Errors  map[string]string `json:"errors,omitempty"`
		Data    any               `json:"data"`
	}{Errors: res.errors}
	if withMessage {
		m := strings.TrimRight(res.msg, "\n") + "\n"
		body.Message = &m
	}
	b, _ := marshalPVE(body)
	return b
}

// statusReason is the status line text: PVE's message on one line.
func statusReason(msg string) string {
	msg = strings.TrimRight(msg, "\n")
	msg = strings.ReplaceAll(msg, "\r", " ")
	return strings.ReplaceAll(msg, "\n", " ")
}

// writeRaw hijacks the connection to write PVE's status line verbatim,
// which net/http cannot do (it always uses the standard reason phrase).
func writeRaw(w http.ResponseWriter, res *resp, withMessage bool) {
	body := errorBody(res, withMessage)
	hj, okh := w.(http.Hijacker)
	if !okh {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(res.status)
		_, _ = w.Write(body)
		return
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer func() { _ = conn.Close() }()
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", res.status, statusReason(res.msg))
	fmt.Fprintf(&b, "Cache-Control: max-age=0\r\n")
	fmt.Fprintf(&b, "Connection: close\r\n")
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
	fmt.Fprintf(&b, "Pragma: no-cache\r\n")
	fmt.Fprintf(&b, "Server: pve-api-daemon/3.0\r\n")
	if len(body) > 0 {
		fmt.Fprintf(&b, "Content-Type: application/json;charset=UTF-8\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	fmt.Fprintf(&b, "Expires: %s\r\n\r\n", time.Now().UTC().Format(http.TimeFormat))
	b.Write(body)
	var bw *bufio.Writer
	if bufrw != nil {
		bw = bufrw.Writer
	} else {
		bw = bufio.NewWriter(conn)
	}
	_, _ = bw.Write(b.Bytes())
	_ = bw.Flush()
}

// marshalPVE encodes a response body as pve-http-server's
// Formatter/Standard.pm does with to_json($data, { utf8 => 1,
// allow_nonref => 1 }): Perl's JSON writes "<", ">" and "&" as they are,
// where encoding/json would escape them as \u003c, \u003e and \u0026.
func marshalPVE(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
