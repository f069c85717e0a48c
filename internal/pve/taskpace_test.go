package pve

import (
	"context"
	"testing"
	"time"
)

func TestTaskPace(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	first, _, done := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
	if first != 0 || done == nil {
		t.Fatalf("unknown task type: first poll after %s (scout %v), want at once as the scout", first, done != nil)
	}
	done()
	steps := []struct {
		took        time.Duration
		atFirstPoll bool
		want        time.Duration
	}{
		{2300 * time.Millisecond, false, 2300 * time.Millisecond}, // learned from the first task
		{2300 * time.Millisecond, true, 2277 * time.Millisecond},  // done at the first poll: try 1 % earlier
		{2600 * time.Millisecond, false, 2600 * time.Millisecond}, // too early: wait as long as it took
		{time.Hour, false, maxFirstPoll},                          // a long task does not silence the next wait
	}
	for i, s := range steps {
		_, generation, _ := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
		p.observe("pve", "qmcreate", s.took, s.atFirstPoll, generation, 0)
		got, _, done := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
		if got != s.want || done != nil {
			t.Errorf("step %d: first poll after %s (scout %v), want %s", i, got, done != nil, s.want)
		}
	}
	if d, _, done := p.firstPoll(ctx, "pve2", "qmcreate", time.Now()); d != 0 || done == nil {
		t.Errorf("another node: first poll after %s, want at once as its scout", d)
	}
}

// Waits that begin while the first one of their kind still learns the pace
// do not poll on their own: they poll once, when the scout says the task
// ends.
func TestTaskPaceWaitsForTheScout(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	_, _, scoutDone := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
	got := make(chan time.Duration, 1)
	go func() {
		first, _, done := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
		if done != nil {
			t.Error("a second wait became a scout while the first was out")
		}
		got <- first
	}()
	select {
	case d := <-got:
		t.Fatalf("the second wait returned %s before the scout learned anything", d)
	case <-time.After(50 * time.Millisecond):
	}
	p.observe("pve", "qmdestroy", 1500*time.Millisecond, false, 0, 0)
	scoutDone()
	select {
	case d := <-got:
		if d != 1500*time.Millisecond {
			t.Errorf("second wait: first poll after %s, want the scout's 1.5s", d)
		}
	case <-time.After(time.Minute):
		t.Fatal("the second wait did not learn from the scout")
	}
}

// A scout that ends without learning (its wait failed) hands the scouting
// to the next wait, which polls from the start.
func TestTaskPaceScoutGivesUp(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	_, _, scoutDone := p.firstPoll(ctx, "pve", "qmstart", time.Now())
	type result struct {
		first time.Duration
		scout bool
	}
	got := make(chan result, 1)
	go func() {
		first, _, done := p.firstPoll(ctx, "pve", "qmstart", time.Now())
		if done != nil {
			done()
		}
		got <- result{first, done != nil}
	}()
	scoutDone()
	select {
	case r := <-got:
		if r.first != 0 || !r.scout {
			t.Errorf("after a failed scout: first poll after %s, scout %v; want at once as the new scout", r.first, r.scout)
		}
	case <-time.After(time.Minute):
		t.Fatal("the waiting wait never went on")
	}
	// A wait whose context ends stops waiting for the scout at once.
	_, _, again := p.firstPoll(ctx, "pve", "qmstop", time.Now())
	defer again()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if d, _, done := p.firstPoll(cancelled, "pve", "qmstop", time.Now()); d != 0 || done != nil {
		t.Errorf("cancelled wait: %s, scout %v", d, done != nil)
	}
}

// A wave of parallel waits timed by one estimate steps it down once, not
// once per wait: ten steps of 1 % at once would make the next wave poll
// early.
func TestTaskPaceStepsDownOncePerWave(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	p.observe("pve", "qmdestroy", 2*time.Second, false, 0, 0)
	first, generation, _ := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
	for range 10 { // the wave: each wait's first poll found its task done
		p.observe("pve", "qmdestroy", first, true, generation, 0)
	}
	if got, _, _ := p.firstPoll(ctx, "pve", "qmdestroy", time.Now()); got != 1980*time.Millisecond {
		t.Errorf("after a wave of 10 on time: first poll after %s, want 1.98s (one step of 1 %%)", got)
	}
}

// After a wait that polled more than once (the scout, or one whose first
// poll came early), the next first polls close in on the latest poll that
// found its task running by a quarter of the distance at a time, then by
// 1 %; a first poll past that floor forgets it, and a wait that polls
// again sets a new one.
func TestTaskPaceClosesInOnTheFloor(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	steps := []struct {
		took, running time.Duration
		atFirstPoll   bool
		want          time.Duration
		wantFloor     time.Duration
	}{
		// The scout polled 250 ms apart: running at 2.0 s, stopped at 2.25 s.
		{ms(2271), ms(2000), false, ms(2271), ms(2000)},
		{ms(2203.25), 0, true, ms(2203.25), ms(2000)},     // a quarter of 271 ms earlier
		{ms(2152.4375), 0, true, ms(2152.4375), ms(2000)}, // a quarter of 203 ms
		{ms(2114.328125), 0, true, ms(2114.328125), ms(2000)},
		{ms(2085.746093), 0, true, ms(2085.746093), ms(2000)},
		{ms(2064.309570), 0, true, ms(2064.309570), ms(2000)},
		// A quarter of the 64 ms left is less than 1 %: 1 % steps.
		{ms(2043.666474), 0, true, ms(2043.666474), ms(2000)},
		{ms(2023.229809), 0, true, ms(2023.229809), ms(2000)},
		{ms(2002.997511), 0, true, ms(2002.997511), ms(2000)},
		{ms(1982.967536), 0, true, ms(1982.967536), 0}, // past the floor: forgotten
		// The first poll came early (running at 1.96 s), the next one
		// 100 ms later found the task done.
		{ms(2081), ms(1963), false, ms(2081), ms(1963)},
		{ms(2051.5), 0, true, ms(2051.5), ms(1963)},
	}
	for i, s := range steps {
		_, generation, _ := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
		p.observe("pve", "qmcreate", s.took, s.atFirstPoll, generation, s.running)
		got, _, _ := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
		floor := p.kind("pve", "qmcreate").floor
		if d := got - s.want; d < -time.Microsecond || d > time.Microsecond || floor != s.wantFloor {
			t.Errorf("step %d: first poll after %s with floor %s, want %s and %s", i, got, floor, s.want, s.wantFloor)
		}
	}
}

// When the first poll of one wait of a wave comes early, the other waits
// timed by the same estimate wait for what it learns instead of polling
// early too; a wait timed by a newer estimate does not wait.
func TestTaskPaceEarlyPollProbesForTheWave(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	p.observe("pve", "qmcreate", time.Second, false, 0, 0)
	first, generation, _ := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
	probed := p.earlyFirstPoll("pve", "qmcreate", generation)
	if probed == nil {
		t.Fatal("the first early poll of a generation did not become its probe")
	}
	if again := p.earlyFirstPoll("pve", "qmcreate", generation); again != nil {
		t.Fatal("a second early poll of the same generation became a probe too")
	}
	type result struct {
		first      time.Duration
		generation int
	}
	got := make(chan result, 1)
	go func() {
		f, g := p.beforeFirstPoll(ctx, "pve", "qmcreate", first, generation, time.Now())
		got <- result{f, g}
	}()
	select {
	case r := <-got:
		t.Fatalf("a wait of the wave polled at %s before the probe learned anything", r.first)
	case <-time.After(50 * time.Millisecond):
	}
	p.observe("pve", "qmcreate", 1200*time.Millisecond, false, generation, 0)
	probed()
	select {
	case r := <-got:
		if r.first != 1200*time.Millisecond || r.generation == generation {
			t.Errorf("after the probe: first poll after %s (generation %d), want the probe's 1.2s and a new generation", r.first, r.generation)
		}
	case <-time.After(time.Minute):
		t.Fatal("the wait never learned from the probe")
	}
	// Timed by the new estimate: no probe to wait for.
	newFirst, newGeneration, _ := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
	if f, g := p.beforeFirstPoll(ctx, "pve", "qmcreate", newFirst, newGeneration, time.Now()); f != newFirst || g != newGeneration {
		t.Errorf("a wait of the new generation was moved to %s (generation %d)", f, g)
	}
}

// A hint (the length of the task that created a VM, for its destroy) times
// the scout's first poll until a task of the kind was seen to end; the
// longest hint wins, and a learned estimate overrides any hint.
func TestTaskPaceHint(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	p.expect("pve", "qmdestroy", 1500*time.Millisecond)
	p.expect("pve", "qmdestroy", 2100*time.Millisecond)
	p.expect("pve", "qmdestroy", time.Second)
	first, _, done := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
	if first != 2100*time.Millisecond || done == nil {
		t.Fatalf("hinted scout: first poll after %s (scout %v), want 2.1s as the scout", first, done != nil)
	}
	// Its first poll found the task done: that is the estimate now.
	p.observe("pve", "qmdestroy", 2130*time.Millisecond, true, 0, 0)
	done()
	if got, _, scout := p.firstPoll(ctx, "pve", "qmdestroy", time.Now()); got != 2130*time.Millisecond || scout != nil {
		t.Errorf("after the hinted scout: first poll after %s (scout %v), want its 2.13s", got, scout != nil)
	}
	p.expect("pve", "qmdestroy", 4*time.Second)
	if got, _, _ := p.firstPoll(ctx, "pve", "qmdestroy", time.Now()); got != 2130*time.Millisecond {
		t.Errorf("a hint moved a learned estimate to %s", got)
	}
	p.expect("pve", "qmstart", time.Hour)
	if got, _, _ := p.firstPoll(ctx, "pve", "qmstart", time.Now()); got != maxPaceHint {
		t.Errorf("an hour's hint: first poll after %s, want the cap %s", got, maxPaceHint)
	}
}

func TestStartedTaskClusterNow(t *testing.T) {
	answered := time.Now().Add(-3 * time.Second)
	task, err := newStartedTask("UPID:pve2:0000A1B2:00C0FFEE:6566C0DE:qmcreate:100:root@pam:", "pve", answered)
	if err != nil {
		t.Fatal(err)
	}
	if task.Node != "pve2" || task.StartTime != 0x6566C0DE {
		t.Fatalf("parsed %+v", task)
	}
	now, ok := task.ClusterNow()
	// At least 3 s after the start by the node's clock, whatever ours says.
	if !ok || now.Before(time.Unix(0x6566C0DE+3, 0)) {
		t.Errorf("ClusterNow = %s, %v; want at least start + 3 s", now, ok)
	}
	if _, ok := (&StartedTask{}).ClusterNow(); ok {
		t.Error("ClusterNow without a start time should not be ok")
	}
}

func TestNodeClocksShareTheBestBound(t *testing.T) {
	var clocks nodeClocks
	now := time.Now()
	// Two tasks started in the same second of the node's clock: the one
	// answered first proves the node's clock is further ahead of ours.
	early := &StartedTask{Node: "pve", StartTime: 1000, answered: now.Add(-2 * time.Second), clocks: &clocks}
	late := &StartedTask{Node: "pve", StartTime: 1000, answered: now.Add(-1 * time.Second), clocks: &clocks}
	clocks.learn(early)
	clocks.learn(late)
	a, _ := early.ClusterNow()
	b, _ := late.ClusterNow()
	if d := a.Sub(b); d < -50*time.Millisecond || d > 50*time.Millisecond {
		t.Errorf("tasks of one node disagree on its time by %s", d)
	}
	if a.Before(time.Unix(1002, 0)) {
		t.Errorf("ClusterNow = %s, want at least 2 s after the start", a)
	}
}
