package pve

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
}

// ClusterNow is a lower bound of the current time on the task node's clock:
// the task's start time plus the time that has passed here since PVE
// answered. Only elapsed time is measured locally, so an offset between our
// clock and the cluster's does not matter. ok is false without a start time.
func (t *StartedTask) ClusterNow() (now time.Time, ok bool) {
	if t == nil || t.StartTime <= 0 {
		return time.Time{}, false
	}
	return time.Unix(t.StartTime, 0).Add(time.Since(t.answered)), true
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
// waiting for it; Wait waits. CreateVM's rules apply: never retried, a
// taken VMID is ErrAlreadyExists.
func (c *Client) StartCreateVM(ctx context.Context, spec CreateSpec) (*StartedTask, error) {
	ctx = c.logCtx(ctx)
	params, err := createParams(spec)
	if err != nil {
		return nil, err
	}
	return c.startOnly(ctx, http.MethodPost, fmt.Sprintf("/nodes/%s/qemu", url.PathEscape(spec.Node)), params, spec.Node)
}

// StartCloneVM sends the clone request and returns its task without waiting.
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
	return newStartedTask(id, node, answered)
}
