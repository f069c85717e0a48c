package pve

import (
	"context"
	"sync"
	"time"
)

// maxFirstPoll caps how long a wait stays silent before its first status
// poll, so a task that fails at once is still reported soon.
const maxFirstPoll = 10 * time.Second

// paceStepDown is how much earlier the next first poll comes after one that
// found its task done: small, so that a pace that fits costs one poll per
// task for many tasks in a row, and still large enough to follow tasks
// that get faster.
const paceStepDown = 100 // 1 %

// taskPace learns how long each type of task takes on each node during a
// run, so that a wait polls about once, when the task is likely done,
// instead of every few hundred milliseconds: an apply of 100 VMs runs 100
// tasks of one type on one node.
//
// It starts knowing nothing. The first wait of a type polls from the start
// (the scout); waits of that type that begin meanwhile do not poll on their
// own but wait for what the scout learns, so a wave of parallel tasks pays
// the learning once. The estimate moves up to what a task took when the
// first poll came too early, and 1 % down when the first poll found the
// task done, so it follows tasks that get faster.
type taskPace struct {
	mu    sync.Mutex
	kinds map[string]*paceKind // node + " " + task type
}

type paceKind struct {
	estimate time.Duration // 0 until a task of this kind was seen to end
	// scouting is closed when the scout's wait ends; nil while no wait
	// polls from the start.
	scouting chan struct{}
}

func (p *taskPace) kind(node, typ string) *paceKind {
	if p.kinds == nil {
		p.kinds = map[string]*paceKind{}
	}
	key := node + " " + typ
	k := p.kinds[key]
	if k == nil {
		k = &paceKind{}
		p.kinds[key] = k
	}
	return k
}

// firstPoll returns how long after since the first status poll of a task
// of this kind should come. Without an estimate, the first caller becomes
// the scout (0: poll from the start) and must call the returned done when
// its wait ends, however it ends; callers that come while a scout is out
// wait for its result, for at most maxFirstPoll after since.
func (p *taskPace) firstPoll(ctx context.Context, node, typ string, since time.Time) (first time.Duration, done func()) {
	for {
		p.mu.Lock()
		k := p.kind(node, typ)
		if k.estimate > 0 {
			first := k.estimate
			p.mu.Unlock()
			return first, nil
		}
		if k.scouting == nil {
			ch := make(chan struct{})
			k.scouting = ch
			p.mu.Unlock()
			return 0, func() {
				p.mu.Lock()
				if k.scouting == ch {
					k.scouting = nil
				}
				p.mu.Unlock()
				close(ch)
			}
		}
		scout := k.scouting
		p.mu.Unlock()
		timer := time.NewTimer(time.Until(since.Add(maxFirstPoll)))
		select {
		case <-scout:
			timer.Stop()
			// Learned, or the scout gave up: look again.
		case <-timer.C:
			return 0, nil
		case <-ctx.Done():
			timer.Stop()
			return 0, nil // the caller's wait ends on ctx
		}
	}
}

// observe records that a task, waited for since its start was answered,
// was seen stopped after took; atFirstPoll tells whether the first poll,
// made after a non-zero firstPoll delay, already saw it.
func (p *taskPace) observe(node, typ string, took time.Duration, atFirstPoll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.kind(node, typ)
	if atFirstPoll {
		k.estimate -= k.estimate / paceStepDown
		return
	}
	k.estimate = min(took, maxFirstPoll)
}
