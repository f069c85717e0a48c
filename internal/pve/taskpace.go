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

// paceCloseIn is how much of the distance to the longest wait a poll saw
// its task still running after (paceKind.floor) the next first poll
// closes in by, when that is more than paceStepDown: the scout polls 250 ms
// apart, so the estimate it leaves is up to 250 ms late, and 1 % steps
// (20 ms for a 2 s task) took ten waves to make that up, the whole wave
// waiting each time. A quarter keeps most steps short of the task's end:
// one that passes it costs one wait a second poll, its wave a little wait.
const paceCloseIn = 4

// maxPaceHint caps the first poll a hint (Client.ExpectDestroyLength) sets: a hint
// is a guess from another task, and a poll it times too late costs waiting
// time, one it times too early only a request.
const maxPaceHint = 5 * time.Second

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
	// upper is how long the latest task of this kind seen to end took at
	// most: from the start of its wait to the answer that said it stopped.
	upper time.Duration
	// floor is how long after the start of its wait a poll was sent that
	// found the task running, in the wait that set estimate: a first poll
	// that early would find tasks of that length running too. 0: unknown,
	// or passed by the estimate (tasks got faster).
	floor time.Duration
	// hint is when the scout polls first, while estimate is 0: how long
	// another task suggests this kind takes (Client.ExpectDestroyLength); 0 polls
	// from the start.
	hint time.Duration
	// generation counts the changes of estimate. Parallel waits that
	// timed their first poll by one estimate step it down once between
	// them, not once each: a wave of ten would step it down 10 % at once
	// and poll early every other wave.
	generation int
	// scouting is closed when the scout's wait ends; nil while no wait
	// polls from the start.
	scouting chan struct{}
	// probing is closed when the wait whose first poll, timed by the
	// current generation, found its task running has seen it end; nil
	// while none did. The other waits timed by that generation wait for
	// it rather than poll early too.
	probing chan struct{}
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
// of this kind should come, and the generation of the estimate it used.
// Without an estimate, the first caller becomes the scout (polling first at
// the hint, or at once without one) and must call the returned done when
// its wait ends, however it ends; callers that come while a scout is out
// wait for its result, for at most maxFirstPoll after since.
func (p *taskPace) firstPoll(ctx context.Context, node, typ string, since time.Time) (first time.Duration, generation int, done func()) {
	for {
		p.mu.Lock()
		k := p.kind(node, typ)
		if k.estimate > 0 {
			first, generation := k.estimate, k.generation
			p.mu.Unlock()
			return first, generation, nil
		}
		if k.scouting == nil {
			ch := make(chan struct{})
			k.scouting = ch
			hint := k.hint
			p.mu.Unlock()
			return hint, 0, func() {
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
		if !waitFor(ctx, scout, since.Add(maxFirstPoll)) {
			return 0, 0, nil
		}
		// Learned, or the scout gave up: look again.
	}
}

// beforeFirstPoll is called when a first poll timed by generation is due.
// While another wait timed by the same generation found its task still
// running, it waits for that wait to see its task end (at most
// maxFirstPoll after since), and returns the estimate learned then with its
// generation: the caller polls at since plus that estimate.
func (p *taskPace) beforeFirstPoll(ctx context.Context, node, typ string, first time.Duration, generation int, since time.Time) (time.Duration, int) {
	p.mu.Lock()
	k := p.kind(node, typ)
	probe := k.probing
	if probe == nil || k.generation != generation {
		p.mu.Unlock()
		return first, generation
	}
	p.mu.Unlock()
	if !waitFor(ctx, probe, since.Add(maxFirstPoll)) {
		return first, generation
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k.estimate > first {
		return k.estimate, k.generation
	}
	return first, generation
}

// earlyFirstPoll records that a first poll timed by generation found its
// task running. The first such wait of a generation probes for the others:
// it must call the returned done once its wait ends, however it ends.
func (p *taskPace) earlyFirstPoll(node, typ string, generation int) (done func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.kind(node, typ)
	if k.probing != nil || k.generation != generation {
		return nil
	}
	ch := make(chan struct{})
	k.probing = ch
	return func() {
		p.mu.Lock()
		if k.probing == ch {
			k.probing = nil
		}
		p.mu.Unlock()
		close(ch)
	}
}

// waitFor waits until ch is closed (true), or until deadline or ctx's end.
func waitFor(ctx context.Context, ch <-chan struct{}, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false // the caller's wait ends on ctx
	}
}

// observe records that a task, waited for since its start was answered,
// was seen stopped after took; atFirstPoll tells whether the first poll,
// made after a non-zero firstPoll delay of the given generation, already
// saw it; running is how long after the start a poll that found it
// running was sent, the latest such poll's (0: none).
func (p *taskPace) observe(node, typ string, took time.Duration, atFirstPoll bool, generation int, running time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.kind(node, typ)
	k.upper = took
	if atFirstPoll && k.estimate > 0 {
		if generation == k.generation {
			step := k.estimate / paceStepDown
			if k.floor > 0 && (k.estimate-k.floor)/paceCloseIn > step {
				step = (k.estimate - k.floor) / paceCloseIn
			}
			k.estimate -= step
			if k.estimate <= k.floor {
				k.floor = 0 // tasks got faster than the one that set it
			}
			k.generation++
		}
		return
	}
	k.estimate = min(took, maxFirstPoll)
	k.floor = min(running, k.estimate)
	k.generation++
}

// expect records that tasks of this kind likely take about d, from
// another task's length, while no task of the kind was seen to end: the
// scout polls first then instead of at once. The longest hint wins.
func (p *taskPace) expect(node, typ string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.kind(node, typ)
	if k.estimate == 0 {
		k.hint = max(k.hint, min(d, maxPaceHint))
	}
}

// latestLength returns how long the latest task of this kind seen to end took
// at most; 0 when none was.
func (p *taskPace) latestLength(node, typ string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kind(node, typ).upper
}
