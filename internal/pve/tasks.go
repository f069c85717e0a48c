package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// minLearnedPollInterval is the shortest delay between the polls that
	// follow a first poll timed by taskPace.
	minLearnedPollInterval = 50 * time.Millisecond
	// scoutPollInterval is the shortest delay between the polls of a wait
	// that learns the pace of its kind of task (its first poll comes at
	// once): the waits of the same kind that begin meanwhile poll when it
	// sees its task end, so how late it sees that delays them all. The
	// delay grows to an eighth of the time waited, so a long task costs
	// about 20 polls more per doubling of its length, once per kind and
	// process.
	scoutPollInterval = 250 * time.Millisecond
	// maxTaskPollInterval caps the growing delay between status polls.
	maxTaskPollInterval = 5 * time.Second
	// taskLogTail is how many last log lines a TaskError keeps.
	taskLogTail = 20
	// taskLogPage and taskLogMaxPages bound the log read of a failed task.
	taskLogPage     = 1000
	taskLogMaxPages = 20
)

// upid is the parsed form of
// "UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:".
type upid struct {
	node, typ, id, user string
}

func parseUPID(s string) (upid, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 8 || parts[0] != "UPID" || parts[1] == "" || parts[5] == "" {
		return upid{}, fmt.Errorf("%q is not a Proxmox VE task ID (UPID)", s)
	}
	return upid{node: parts[1], typ: parts[5], id: parts[6], user: parts[7]}, nil
}

type taskStatus struct {
	Status     string `json:"status"`
	ExitStatus string `json:"exitstatus"`
	Type       string `json:"type"`
	Node       string `json:"node"`
}

type taskLogLine struct {
	N flexInt `json:"n"`
	T string  `json:"t"`
}

// waitTask polls the task until it stops. A task that ended with an error
// is a *TaskError carrying its error line and the last log lines; go-proxmox's
// Task.Wait would call it a success. Cancelling ctx stops the wait (not the
// task) at once.
func (c *Client) waitTask(ctx context.Context, node, id string) error {
	_, err := c.waitTaskExit(ctx, node, id)
	return err
}

// waitTaskExit is waitTask that also returns the exit status of a task
// that succeeded: "OK" or "WARNINGS: <n>".
func (c *Client) waitTaskExit(ctx context.Context, node, id string) (string, error) {
	info, err := parseUPID(id)
	if err != nil {
		return "", err
	}
	// A task is only known to the node that runs it, which the UPID names.
	if info.node != "" {
		node = info.node
	}
	statusPath := taskPath(node, id) + "/status"
	interval := c.cfg.TaskPollInterval
	maxInterval := max(maxTaskPollInterval, interval)
	waitStart := time.Now()
	first, generation, scouted := c.pace.firstPoll(ctx, node, info.typ, waitStart)
	if scouted != nil {
		defer scouted()
	}
	if err := sleepCtx(ctx, first-time.Since(waitStart)); err != nil {
		return "", fmt.Errorf("waiting for task %s: %w", id, err)
	}
	if first > 0 {
		// Another wait's first poll by this estimate came early: wait for
		// what it learns instead of polling early too.
		first, generation = c.pace.beforeFirstPoll(ctx, node, info.typ, first, generation, waitStart)
		if err := sleepCtx(ctx, first-time.Since(waitStart)); err != nil {
			return "", fmt.Errorf("waiting for task %s: %w", id, err)
		}
		// The task is expected to end about now: when the first poll comes
		// early, the next ones follow closely (which also tells the pace
		// closely how long the task took), then slow down as usual.
		interval = min(interval, max(first/20, minLearnedPollInterval))
	}
	var running time.Duration // when the latest poll that found the task running was sent
	for polls := 1; ; polls++ {
		var st taskStatus
		sent := time.Since(waitStart)
		// Raw: Task.Ping leaves the UPID unescaped and calls WARNINGS a failure.
		if err := c.get(ctx, statusPath, nil, &st); err != nil {
			return "", fmt.Errorf("waiting for task %s: %w", id, err)
		}
		if polls == 1 && first > 0 && scouted == nil && st.Status != "stopped" {
			if probed := c.pace.earlyFirstPoll(node, info.typ, generation); probed != nil {
				defer probed() // after observe below: the others wait for what it learns
			}
		}
		if st.Status == "stopped" {
			c.pace.observe(node, info.typ, time.Since(waitStart), polls == 1 && first > 0, generation, running)
			if taskSucceeded(st.ExitStatus) {
				return st.ExitStatus, nil
			}
			return "", c.taskError(ctx, node, id, info, st.ExitStatus)
		}
		running = sent
		if first == 0 {
			// Learning the pace from the start: poll often, but less so
			// as the task turns out long.
			interval = min(max(min(c.cfg.TaskPollInterval, scoutPollInterval), time.Since(waitStart)/8), maxInterval)
		}
		if err := sleepCtx(ctx, interval); err != nil {
			return "", fmt.Errorf("waiting for task %s: %w", id, err)
		}
		if first > 0 {
			interval = min(interval*3/2, maxInterval)
		}
	}
}

func taskPath(node, id string) string {
	return fmt.Sprintf("/nodes/%s/tasks/%s", url.PathEscape(node), url.PathEscape(id))
}

// taskError reads the end of the log of a failed task. The log only adds
// detail: when it cannot be read the exit status still makes the error.
func (c *Client) taskError(ctx context.Context, node, id string, info upid, exit string) error {
	te := &TaskError{UPID: id, Node: node, Type: info.typ, ExitStatus: strings.TrimSpace(exit)}
	if ctx.Err() == nil {
		te.Log = c.taskLogTail(ctx, node, id)
	}
	if te.ExitStatus == "" || te.ExitStatus == "unexpected status" {
		for i := len(te.Log) - 1; i >= 0; i-- {
			if msg, ok := strings.CutPrefix(te.Log[i], "TASK ERROR: "); ok {
				te.ExitStatus = msg
				break
			}
		}
	}
	if te.ExitStatus == "" {
		te.ExitStatus = "unknown error"
	}
	return te
}

func (c *Client) taskLogTail(ctx context.Context, node, id string) []string {
	var tail []string
	start := 0
	for page := 0; page < taskLogMaxPages; page++ {
		var lines []taskLogLine
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(taskLogPage)}}
		// Raw: Task.Log returns an unordered map and panics on odd lines.
		if err := c.get(ctx, taskPath(node, id)+"/log", q, &lines); err != nil {
			break
		}
		for _, l := range lines {
			tail = append(tail, l.T)
		}
		if len(tail) > taskLogTail {
			tail = append([]string(nil), tail[len(tail)-taskLogTail:]...)
		}
		if len(lines) < taskLogPage {
			break
		}
		start += len(lines)
	}
	return tail
}

// taskSucceeded: PVE's exit status is "OK", "WARNINGS: <n>" or the error.
func taskSucceeded(exit string) bool {
	return exit == "OK" || strings.HasPrefix(exit, "WARNINGS")
}

// postTask sends a POST that answers with a task ID and waits for the
// task, again while a lock held by another task refuses it. An answer
// without an ID (go-proxmox would hand out a nil task) is an error, not a
// success. Raw: go-proxmox's typed actions (Start, Clone, Delete, ...) need
// a VirtualMachine read first, two GETs per call.
func (c *Client) postTask(ctx context.Context, path string, params url.Values, node string) error {
	return c.retryLocked(ctx, http.MethodPost+" "+path, isLockTimeout, func() error {
		return c.startTaskOnce(ctx, http.MethodPost, path, params, node)
	})
}

func (c *Client) startTaskOnce(ctx context.Context, method, path string, params url.Values, node string) error {
	id, err := c.taskRequest(ctx, method, path, params)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("Proxmox VE API %s %s: the answer has no task ID", method, path) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	return c.waitTask(ctx, node, id)
}

// taskRequest sends the request and returns the task ID it answered with,
// or "" for a synchronous success (data: null).
func (c *Client) taskRequest(ctx context.Context, method, path string, params url.Values) (string, error) {
	var id string
	var err error
	switch method {
	case http.MethodPost:
		err = c.post(ctx, path, params, &id)
	case http.MethodPut:
		err = c.put(ctx, path, params, &id)
	case http.MethodDelete:
		err = c.del(ctx, path, params, &id)
	default:
		err = errors.New("taskRequest: unsupported method " + method)
	}
	return id, err
}
