package pve

import (
	"sync"
	"time"
)

// maxFirstPoll caps how long a wait stays silent before its first status
// poll, so a task that fails at once is still reported soon.
const maxFirstPoll = 10 * time.Second

// taskPace learns how long each type of task takes on each node during a
// run, so that a wait polls about once, when the task is likely done,
// instead of every few hundred milliseconds: an apply of 100 VMs runs 100
// tasks of one type on one node. It starts knowing nothing (the first task
// of a type is polled from the start), moves its estimate up to what a
// task took when the first poll came too early, and 5 % down when the
// first poll found the task done, so it follows tasks that get faster.
type taskPace struct {
	mu       sync.Mutex
	estimate map[string]time.Duration // node + " " + task type
}

// firstPoll is how long to wait before the first status poll of a task.
func (p *taskPace) firstPoll(node, typ string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.estimate[node+" "+typ]
}

// observe records that a task, waited for since its start was answered,
// was seen stopped after took; atFirstPoll tells whether the first poll,
// made after a non-zero firstPoll delay, already saw it.
func (p *taskPace) observe(node, typ string, took time.Duration, atFirstPoll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.estimate == nil {
		p.estimate = map[string]time.Duration{}
	}
	key := node + " " + typ
	if atFirstPoll {
		p.estimate[key] = p.estimate[key] * 19 / 20
		return
	}
	p.estimate[key] = min(took, maxFirstPoll)
}
