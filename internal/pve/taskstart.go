package pve

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StartedTask is a task PVE accepted, with what it tells about the clock of
// the node that runs it.
type StartedTask struct {
	UPID, Node string
	// StartTime is when the task started by its node's clock, in unix
	// seconds: the UPID's starttime field, hex (pve-common PVE/UPID.pm
	// encode), 0 if the UPID had none.
	StartTime int64
	// answered is when PVE's answer with the UPID arrived, by our
	// monotonic clock. The start time was taken before that: fork_worker
	// (pve-common PVE/RESTEnvironment.pm) sets starttime = time() before it
	// forks and returns the UPID only once the worker runs.
	answered time.Time
	clocks   *nodeClocks
}

// ClusterNow is a lower bound of the current time on the task node's clock:
// our clock plus the largest offset that any task this client started on
// that node proves (its start time minus when we got its answer; this
// task's own start plus the time passed since its answer at the least).
// Only differences of our monotonic clock are used, so our clock's offset
// from the cluster's does not matter; the node's clock must not step
// backwards meanwhile. ok is false without a start time.
func (t *StartedTask) ClusterNow() (now time.Time, ok bool) {
	if t == nil || t.StartTime <= 0 {
		return time.Time{}, false
	}
	now = time.Unix(t.StartTime, 0).Add(time.Since(t.answered))
	if t.clocks != nil {
		if bound, ok := t.clocks.now(t.Node); ok && bound.After(now) {
			now = bound
		}
	}
	return now, true
}

// nodeClocks keeps, per node, the largest lower bound of (node clock - our
// clock) that the tasks started there prove. The tasks of one apply then
// agree on the node's time, and their waits for it end together.
type nodeClocks struct {
	mu     sync.Mutex
	offset map[string]time.Duration
	// base anchors monotonic readings: offsets are kept against it.
	base time.Time
}

func (c *nodeClocks) learn(t *StartedTask) {
	if t.StartTime <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.offset == nil {
		c.offset, c.base = map[string]time.Duration{}, time.Now()
	}
	// The node's clock read StartTime no later than t.answered.
	off := time.Unix(t.StartTime, 0).Sub(c.wall(t.answered))
	if cur, ok := c.offset[t.Node]; !ok || off > cur {
		c.offset[t.Node] = off
	}
}

func (c *nodeClocks) now(node string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	off, ok := c.offset[node]
	if !ok {
		return time.Time{}, false
	}
	return c.wall(time.Now()).Add(off), true
}

// wall maps a monotonic reading onto base's wall clock, so a step of our
// wall clock during the run changes nothing.
func (c *nodeClocks) wall(t time.Time) time.Time {
	return c.base.Round(0).Add(t.Sub(c.base))
}

func newStartedTask(id, node string, answered time.Time) (*StartedTask, error) {
	info, err := parseUPID(id)
	if err != nil {
		return nil, err
	}
	if info.node != "" {
		node = info.node
	}
	t := &StartedTask{UPID: id, Node: node, answered: answered}
	if parts := strings.Split(id, ":"); len(parts) > 4 {
		if start, err := strconv.ParseInt(parts[4], 16, 64); err == nil {
			t.StartTime = start
		}
	}
	return t, nil
}

// StartCreateVM sends the create request and returns its task without
// waiting for it; Wait waits. The request is never retried: if its answer
// is lost, look the VMID up before trying again. A taken VMID is
// ErrAlreadyExists.
func (c *Client) StartCreateVM(ctx context.Context, spec CreateSpec) (*StartedTask, error) {
	ctx = c.logCtx(ctx)
	params, err := createParams(spec)
	if err != nil {
		return nil, err
	}
	return c.startOnly(ctx, http.MethodPost, fmt.Sprintf("/nodes/%s/qemu", url.PathEscape(spec.Node)), params, spec.Node)
}

// StartCloneVM sends the clone request and returns its task without
// waiting; the qmclone task runs on the source node. Like a create, it is
// never retried here: a source another clone holds is IsTransientLock, for
// the caller to try again.
func (c *Client) StartCloneVM(ctx context.Context, spec CloneSpec) (*StartedTask, error) {
	ctx = c.logCtx(ctx)
	params, err := cloneParams(spec)
	if err != nil {
		return nil, err
	}
	return c.startOnly(ctx, http.MethodPost, vmPath(spec.SourceNode, spec.SourceVMID)+"/clone", params, spec.SourceNode)
}

// Wait waits for a started task as WaitTask does.
func (c *Client) Wait(ctx context.Context, t *StartedTask) error {
	ctx = c.logCtx(ctx)
	return c.waitTask(ctx, t.Node, t.UPID)
}

func (c *Client) startOnly(ctx context.Context, method, path string, params url.Values, node string) (*StartedTask, error) {
	id, err := c.taskRequest(ctx, method, path, params)
	answered := time.Now()
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("Proxmox VE API %s %s: the answer has no task ID", method, path) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	t, err := newStartedTask(id, node, answered)
	if err != nil {
		return nil, err
	}
	t.clocks = &c.clocks
	c.clocks.learn(t)
	return t, nil
}
