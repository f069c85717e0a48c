package pvesim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// task is one PVE worker task.
type task struct {
	UPID       string   `json:"upid"`
	Node       string   `json:"node"`
	PID        int      `json:"pid"`
	PStart     int      `json:"pstart"`
	StartTime  int64    `json:"starttime"`
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	User       string   `json:"user"`
	Status     string   `json:"status"` // running | stopped
	ExitStatus string   `json:"exitstatus,omitempty"`
	EndTime    int64    `json:"endtime,omitempty"`
	Log        []string `json:"log"`

	// run does the task's work at its end, under s.mu. A non-empty fail
	// message (FailTasks, task stop) makes it clean up and fail instead.
	run     func(fail string) ([]string, error)
	failMsg string
	preErr  error // a check that failed as the worker started
	stop    chan struct{}
}

// newTaskLocked registers a task and schedules its completion. Callers hold s.mu.
func (s *Server) newTaskLocked(node, typ, id, user string, run func(fail string) ([]string, error), locks ...lockStep) *task {
	return s.newCheckedTaskLocked(node, typ, id, user, nil, run, locks...)
}

// newCheckedTaskLocked is newTaskLocked with checks the worker does first
// (lock, state): when check fails the task fails at once instead of after
// TaskDuration, as PVE workers do. The worker then takes locks in order
// (waiting outside s.mu; a timeout fails the task with PVE's text).
func (s *Server) newCheckedTaskLocked(node, typ, id, user string, check func() error, run func(fail string) ([]string, error), locks ...lockStep) *task {
	w := taskWorker{run: run}
	if check != nil {
		w.check = func(*task) error { return check() }
	}
	return s.newWorkerTaskLocked(node, typ, id, user, w, locks...)
}

// taskWorker is what a task does, in order, once it holds its locks:
//   - check (under s.mu): the worker's first checks; an error fails the
//     task at once;
//   - progress (outside s.mu), when set, replaces the TaskDuration wait: a
//     worker whose steps the API can see while it runs (clone_vm writes the
//     new config after each disk) spends the task's time itself, stops
//     early when stop closes, and fails the task with an error;
//   - run (under s.mu): the effect at the end, or the clean-up with the
//     failure's text.
//
// check and progress may print to the task log as they go (printLocked),
// as PVE's worker output reaches the log while the task runs.
type taskWorker struct {
	check    func(t *task) error
	progress func(t *task, stop <-chan struct{}) error
	run      func(fail string) ([]string, error)
}

// printLocked appends a line to a running task's log. Callers hold s.mu.
func (t *task) printLocked(line string) { t.Log = append(t.Log, line) }

// newWorkerTaskLocked registers a task running w and schedules it. Callers hold s.mu.
func (s *Server) newWorkerTaskLocked(node, typ, id, user string, w taskWorker, locks ...lockStep) *task {
	check := w.check
	s.nextPID += 1 + rand.IntN(50)
	now := time.Now()
	t := &task{
		Node: node, PID: s.nextPID, PStart: 1000000 + s.nextPID*7, StartTime: now.Unix(),
		Type: typ, ID: id, User: user, Status: "running", run: w.run, stop: make(chan struct{}),
	}
	t.UPID = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, t.PID, t.PStart, t.StartTime, typ, id, user)
	if q := s.failTask[typ]; len(q) > 0 {
		t.failMsg = q[0]
		s.failTask[typ] = q[1:]
	}
	if check != nil && t.failMsg == "" && len(locks) == 0 {
		t.preErr = check(t)
	}
	s.tasks[t.UPID] = t
	s.taskList = append(s.taskList, t)
	takeLocks := len(locks) > 0 && t.preErr == nil && t.failMsg == "" && !s.closed
	if !takeLocks {
		defer releaseInherited(locks) // held by the worker until it ends: at once here
	}
	if s.closed {
		s.finishTaskLocked(t)
		return t
	}
	s.taskWG.Add(1)
	hold := s.taskHold[typ+":"+id]
	if hold == nil {
		hold = s.taskHold[typ]
	}
	go func() {
		defer s.taskWG.Done()
		lockFailed := false
		if takeLocks {
			release, msg := s.runLockSteps(locks, t.stop)
			defer release() // after the task's effect below
			s.mu.Lock()
			if msg != "" {
				lockFailed = true
				if t.failMsg == "" {
					t.failMsg = msg
				}
			} else if check != nil && t.failMsg == "" {
				t.preErr = check(t) // the worker checks once it holds its locks
			}
			s.mu.Unlock()
		}
		if hold != nil && t.preErr == nil && !lockFailed {
			select {
			case <-hold:
			case <-s.closing:
			case <-t.stop:
			}
		}
		s.mu.Lock()
		working := t.preErr == nil && !lockFailed && t.failMsg == ""
		s.mu.Unlock()
		switch {
		case w.progress != nil && working:
			if err := w.progress(t, t.stop); err != nil {
				s.mu.Lock()
				if t.failMsg == "" {
					t.failMsg = err.Error()
				}
				s.mu.Unlock()
			}
		case s.opts.TaskDuration > 0 && t.preErr == nil && !lockFailed:
			timer := time.NewTimer(s.opts.TaskDuration)
			select {
			case <-timer.C:
			case <-s.closing:
			case <-t.stop:
			}
			timer.Stop()
		}
		s.mu.Lock()
		s.finishTaskLocked(t)
		s.mu.Unlock()
	}()
	return t
}

// warnPrefix starts a task log line that counts as a warning.
const warnPrefix = "WARN: "

func (s *Server) finishTaskLocked(t *task) {
	if t.Status != "running" {
		return
	}
	var lines []string
	var err error
	switch {
	case t.preErr != nil:
		err = t.preErr
	case t.run != nil:
		lines, err = t.run(t.failMsg)
	case t.failMsg != "":
		err = errors.New(t.failMsg)
	}
	t.Log = append(t.Log, lines...)
	// pve-common RESTEnvironment.pm: log_warn prints "WARN: <message>" and
	// counts it; fork_worker ends a task that died with "TASK ERROR: <err>",
	// else one with warnings with "TASK WARNINGS: <n>" (exit status
	// "WARNINGS: <n>", still a success), else with "TASK OK".
	warnings := 0
	for _, l := range lines {
		if strings.HasPrefix(l, warnPrefix) {
			warnings++
		}
	}
	switch {
	case err != nil:
		msg := strings.TrimRight(err.Error(), "\n")
		t.ExitStatus = msg
		t.Log = append(t.Log, "TASK ERROR: "+msg)
	case warnings > 0:
		t.ExitStatus = fmt.Sprintf("WARNINGS: %d", warnings)
		t.Log = append(t.Log, fmt.Sprintf("TASK WARNINGS: %d", warnings))
	default:
		t.ExitStatus = "OK"
		t.Log = append(t.Log, "TASK OK")
	}
	t.Status = "stopped"
	t.EndTime = time.Now().Unix()
	t.run = nil
	s.persistLocked()
}

func init() {
	addRoute("/nodes/{node}/tasks", map[string]handlerFunc{"GET": (*Server).listTasks})
	addRoute("/nodes/{node}/tasks/{upid}", map[string]handlerFunc{
		"GET":    (*Server).taskIndex,
		"DELETE": (*Server).stopTask,
	})
	addRoute("/nodes/{node}/tasks/{upid}/status", map[string]handlerFunc{"GET": (*Server).taskStatus})
	addRoute("/nodes/{node}/tasks/{upid}/log", map[string]handlerFunc{"GET": (*Server).taskLog})
}

func (s *Server) lookupTaskLocked(r *request) (*task, *resp) {
	t := s.tasks[r.vars["upid"]]
	if t == nil || t.Node != r.vars["node"] {
		if !strings.HasPrefix(r.vars["upid"], "UPID:") {
			return nil, paramErr1("upid", "unable to parse worker upid '"+r.vars["upid"]+"'")
		}
		return nil, paramErr1("upid", "no such task")
	}
	return t, nil
}

// withTask serves a handler whose whole body runs under s.mu on the task
// named by the path's {upid}.
func (s *Server) withTask(r *request, fn func(t *task) *resp) *resp {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, res := s.lookupTaskLocked(r)
	if res != nil {
		return res
	}
	return fn(t)
}

func taskJSON(t *task) map[string]any {
	m := map[string]any{
		"upid": t.UPID, "node": t.Node, "pid": t.PID, "pstart": t.PStart,
		"starttime": t.StartTime, "type": t.Type, "id": t.ID, "user": t.User,
		"status": t.Status,
	}
	if u, tok, has := strings.Cut(t.User, "!"); has {
		m["user"] = u
		m["tokenid"] = tok
	}
	if t.Status == "stopped" {
		m["exitstatus"] = t.ExitStatus
	}
	return m
}

func (s *Server) taskStatus(r *request) *resp {
	return s.withTask(r, func(t *task) *resp {
		return ok(taskJSON(t))
	})
}

func (s *Server) taskIndex(r *request) *resp {
	return s.withTask(r, func(*task) *resp {
		return dirIndex("name", "log", "status")
	})
}

func (s *Server) stopTask(r *request) *resp {
	return s.withTask(r, func(t *task) *resp {
		if t.Status == "running" {
			if t.failMsg == "" {
				t.failMsg = "interrupted by signal"
			}
			select {
			case <-t.stop:
			default:
				close(t.stop)
			}
		}
		return ok(nil)
	})
}

func optInt(r *request, key string, def int) (int, *resp) {
	v, has := r.params[key]
	if !has || v == "" {
		return def, nil
	}
	if !intRE.MatchString(v) {
		return 0, paramErr1(key, fmt.Sprintf("type check ('integer') failed - got '%s'", v))
	}
	n, _ := strconv.Atoi(v)
	if n < 0 {
		return 0, paramErr1(key, "value must have a minimum value of 0")
	}
	return n, nil
}

// pageParams reads the start/limit paging parameters of the task endpoints.
func pageParams(r *request) (start, limit int, res *resp) {
	if start, res = optInt(r, "start", 0); res != nil {
		return 0, 0, res
	}
	if limit, res = optInt(r, "limit", 50); res != nil {
		return 0, 0, res
	}
	return start, limit, nil
}

func (s *Server) taskLog(r *request) *resp {
	start, limit, res := pageParams(r)
	if res != nil {
		return res
	}
	return s.withTask(r, func(t *task) *resp {
		lines := []map[string]any{}
		for i := start; i < len(t.Log) && len(lines) < limit; i++ {
			lines = append(lines, map[string]any{"n": i + 1, "t": t.Log[i]})
		}
		total := len(t.Log)
		out := ok(lines)
		out.total = &total
		return out
	})
}

func (s *Server) listTasks(r *request) *resp {
	if res := checkBoolParams(r, "errors"); res != nil {
		return res
	}
	start, limit, res := pageParams(r)
	if res != nil {
		return res
	}
	node := r.vars["node"]
	typ, vmid, user, source := r.params["typefilter"], r.params["vmid"], r.params["userfilter"], r.params["source"]
	onlyErrors := r.params["errors"] == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []*task
	for _, t := range s.taskList {
		if t.Node != node || (typ != "" && t.Type != typ) || (vmid != "" && t.ID != vmid) ||
			(user != "" && !strings.Contains(t.User, user)) {
			continue
		}
		if source == "active" && t.Status != "running" || source == "archive" && t.Status == "running" {
			continue
		}
		if onlyErrors && (t.Status == "running" || t.ExitStatus == "OK") {
			continue
		}
		sel = append(sel, t)
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].StartTime > sel[j].StartTime })
	total := len(sel)
	out := []map[string]any{}
	for i := start; i < len(sel) && len(out) < limit; i++ {
		t := sel[i]
		m := taskJSON(t)
		delete(m, "exitstatus")
		if t.Status == "stopped" {
			m["status"] = t.ExitStatus
			m["endtime"] = t.EndTime
		} else {
			delete(m, "status")
		}
		out = append(out, m)
	}
	res = ok(out)
	res.total = &total
	return res
}

// HoldTasks makes the tasks of a type started from now on wait, once their
// worker has taken its locks and done its first checks, until release is
// called: a test can then look at what a running worker has written
// without depending on timing.
func (s *Server) HoldTasks(taskType string) (release func()) { return s.holdTasks(taskType) }

// HoldTask is HoldTasks for the tasks of one type on one object, the ID
// of their UPID (a VMID for qmcreate): a test holds one VM's create while
// the other creates of the same apply run as usual.
func (s *Server) HoldTask(taskType, id string) (release func()) {
	return s.holdTasks(taskType + ":" + id)
}

func (s *Server) holdTasks(key string) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	if s.taskHold == nil {
		s.taskHold = map[string]chan struct{}{}
	}
	s.taskHold[key] = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.taskHold[key] == ch {
				delete(s.taskHold, key)
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}
