package pve

import (
	"context"
	"testing"
	"time"
)

func TestTaskPace(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	first, done := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
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
		p.observe("pve", "qmcreate", s.took, s.atFirstPoll)
		got, done := p.firstPoll(ctx, "pve", "qmcreate", time.Now())
		if got != s.want || done != nil {
			t.Errorf("step %d: first poll after %s (scout %v), want %s", i, got, done != nil, s.want)
		}
	}
	if d, done := p.firstPoll(ctx, "pve2", "qmcreate", time.Now()); d != 0 || done == nil {
		t.Errorf("another node: first poll after %s, want at once as its scout", d)
	}
}

// Waits that begin while the first one of their kind still learns the pace
// do not poll on their own: they poll once, when the scout says the task
// ends.
func TestTaskPaceWaitsForTheScout(t *testing.T) {
	var p taskPace
	ctx := context.Background()
	_, scoutDone := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
	got := make(chan time.Duration, 1)
	go func() {
		first, done := p.firstPoll(ctx, "pve", "qmdestroy", time.Now())
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
	p.observe("pve", "qmdestroy", 1500*time.Millisecond, false)
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
	_, scoutDone := p.firstPoll(ctx, "pve", "qmstart", time.Now())
	type result struct {
		first time.Duration
		scout bool
	}
	got := make(chan result, 1)
	go func() {
		first, done := p.firstPoll(ctx, "pve", "qmstart", time.Now())
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
	_, again := p.firstPoll(ctx, "pve", "qmstop", time.Now())
	defer again()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if d, done := p.firstPoll(cancelled, "pve", "qmstop", time.Now()); d != 0 || done != nil {
		t.Errorf("cancelled wait: %s, scout %v", d, done != nil)
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
