package pvesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const apiPrefix = "/api2/json"

// resp is what a handler produces; writing it is separate so that
// DropAfterHandling can do the work and then drop the connection.
type resp struct {
	status int
	msg    string            // status line reason for errors
	data   any               // for 200
	errors map[string]string // for 400
	total  *int              // optional "total" for lists
	empty  bool              // error without body (401, 595)
}

func ok(data any) *resp { return &resp{status: 200, data: data} }

func errResp(status int, format string, a ...any) *resp {
	return &resp{status: status, msg: fmt.Sprintf(format, a...)}
}

// err500 is PVE's generic failure: "die" inside an API handler.
func err500(format string, a ...any) *resp { return errResp(500, format, a...) }

func paramErr(errs map[string]string) *resp {
	return &resp{status: 400, msg: "Parameter verification failed.", errors: errs}
}

func paramErr1(param, msg string) *resp { return paramErr(map[string]string{param: msg}) }

// dirIndex is a directory listing as PVE's index endpoints answer it.
func dirIndex(key string, names ...string) *resp {
	out := make([]map[string]string, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]string{key: n})
	}
	return ok(out)
}

func notImplemented(method, rel string) *resp {
	return errResp(501, "Method '%s %s' not implemented", method, rel)
}

// request is the parsed call handed to handlers.
type request struct {
	method  string
	rel     string            // path below /api2/json
	pattern string            // route pattern, e.g. /nodes/{node}/qemu
	vars    map[string]string // pattern variables
	params  map[string]string // query + body, PVE style strings
	auth    *authInfo
}

type handlerFunc func(s *Server, r *request) *resp

type route struct {
	pattern  string
	segs     []string
	handlers map[string]handlerFunc
}

var routes []*route

func addRoute(pattern string, handlers map[string]handlerFunc) {
	routes = append(routes, &route{pattern: pattern, segs: splitPath(pattern), handlers: handlers})
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchRoute(rel string) (*route, map[string]string) {
	segs := splitPath(rel)
	for _, rt := range routes {
		// A last segment "{name*}" takes the rest of the path, slashes
		// included (pve-common RESTHandler.pm map_path_to_methods with a
		// subclass's fragmentDelimiter '', as for storage volume IDs).
		rest := strings.HasSuffix(rt.pattern, "*}")
		if len(rt.segs) != len(segs) && (!rest || len(segs) < len(rt.segs)) {
			continue
		}
		vars := map[string]string{}
		okm := true
		for i, ps := range rt.segs {
			if rest && i == len(rt.segs)-1 {
				vars[strings.Trim(ps, "{}*")] = strings.Join(segs[i:], "/")
				break
			}
			if strings.HasPrefix(ps, "{") {
				if segs[i] == "" {
					okm = false
					break
				}
				vars[strings.Trim(ps, "{}")] = segs[i]
				continue
			}
			if ps != segs[i] {
				okm = false
				break
			}
		}
		if okm {
			return rt, vars
		}
	}
	return nil, nil
}

// ServeHTTP implements the PVE API front end (pveproxy).
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if strings.HasPrefix(hr.URL.Path, adminPrefix) {
		s.serveAdmin(w, hr) // the lab API (admin.go): no latency, not counted
		return
	}
	if s.opts.Latency > 0 {
		sleepOrClose(s.opts.Latency, s.closing)
	}
	start := time.Now()
	method := hr.Method
	rel, isAPI := strings.CutPrefix(hr.URL.Path, apiPrefix)
	if rel == "" {
		rel = "/"
	}
	if len(rel) > 1 {
		rel = strings.TrimRight(rel, "/")
	}
	var rt *route
	var vars map[string]string
	if isAPI {
		rt, vars = matchRoute(rel)
	}
	pattern := rel
	if rt != nil {
		pattern = rt.pattern
	}

	params, perr := parseParams(hr)

	s.countRequest(method, pattern, rel, vars, params)

	if perr != nil {
		s.write(w, errResp(400, "%s", perr.Error()), false)
		return
	}
	r := &request{method: method, rel: rel, pattern: pattern, vars: vars, params: params}

	// Authentication comes first, as in pveproxy; /access/ticket is open.
	if rt == nil || rt.pattern != "/access/ticket" {
		a, res := s.authenticate(hr)
		if res != nil {
			s.delayUnauthorized(res, start)
			s.write(w, res, false)
			return
		}
		r.auth = a
	}

	fault, gathered := s.takeFault(method, pattern, rel)
	if fault != nil && fault.Gather > 1 {
		waitOrClose(gathered, gatherTimeout, s.closing)
	}
	if fault != nil && fault.Delay > 0 {
		sleepOrClose(fault.Delay, s.closing)
	}
	if fault != nil && fault.Status != 0 {
		s.write(w, errResp(fault.Status, "%s", fault.Message), false)
		return
	}

	var res *resp
	switch {
	case rt == nil:
		res = notImplemented(method, rel)
	case rt.handlers[method] == nil:
		res = notImplemented(method, rel)
	default:
		res = s.precheckNode(r)
		if res == nil {
			res = rt.handlers[method](s, r)
		}
	}
	s.delayUnauthorized(res, start)
	if fault != nil && fault.HoldAnswer > 0 {
		holdAnswer(fault.HoldAnswer, hr.Context().Done(), s.closing)
	}
	s.write(w, res, fault != nil && fault.DropAfterHandling)
}

// holdAnswer waits d, or until the client has gone or the simulator closes.
func holdAnswer(d time.Duration, gone, closing <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-gone:
	case <-closing:
	}
}

// precheckNode mimics pveproxy's proxying to {node}: unknown names fail the
// address lookup, dead nodes fail the connection.
func (s *Server) precheckNode(r *request) *resp {
	node, has := r.vars["node"]
	if !has {
		return nil
	}
	s.mu.Lock()
	known := s.nodeKnown(node)
	off := s.offline[node]
	s.mu.Unlock()
	if !known {
		if !validNodeName(node) {
			return paramErr1("node", "invalid format - value does not look like a valid node name")
		}
		return err500("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", node, node)
	}
	if off {
		return &resp{status: 595, msg: "No route to host", empty: true}
	}
	return nil
}

// parseParams merges the query string and a form or JSON body into PVE's
// string parameters. JSON booleans become 0/1, numbers their decimal text.
func parseParams(hr *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range hr.URL.Query() {
		if len(v) > 0 {
			out[k] = v[len(v)-1]
		}
	}
	if hr.Body == nil {
		return out, nil
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("unable to read request body: %v", err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return out, nil
	}
	ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	if ct == "application/json" || (ct == "" && body[0] == '{') {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("unable to parse JSON body: %v", err)
		}
		for k, v := range m {
			switch x := v.(type) {
			case nil:
			case string:
				out[k] = x
			case bool:
				if x {
					out[k] = "1"
				} else {
					out[k] = "0"
				}
			case json.Number:
				out[k] = x.String()
			default:
				b, _ := json.Marshal(x)
				out[k] = string(b)
			}
		}
		return out, nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("unable to parse form body: %v", err)
	}
	for k, v := range vals {
		if len(v) > 0 {
			out[k] = v[len(v)-1]
		}
	}
	return out, nil
}
