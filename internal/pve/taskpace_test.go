package pve

import (
	"testing"
	"time"
)

func TestTaskPace(t *testing.T) {
	var p taskPace
	if d := p.firstPoll("pve", "qmcreate"); d != 0 {
		t.Fatalf("unknown task type: first poll after %s, want at once", d)
	}
	steps := []struct {
		took        time.Duration
		atFirstPoll bool
		want        time.Duration
	}{
		{2300 * time.Millisecond, false, 2300 * time.Millisecond}, // learned from the first task
		{2300 * time.Millisecond, true, 2185 * time.Millisecond},  // done at the first poll: try earlier
		{2600 * time.Millisecond, false, 2600 * time.Millisecond}, // too early: wait as long as it took
		{time.Hour, false, maxFirstPoll},                          // a long task does not silence the next wait
	}
	for i, s := range steps {
		p.observe("pve", "qmcreate", s.took, s.atFirstPoll)
		if got := p.firstPoll("pve", "qmcreate"); got != s.want {
			t.Errorf("step %d: first poll after %s, want %s", i, got, s.want)
		}
	}
	if d := p.firstPoll("pve2", "qmcreate"); d != 0 {
		t.Errorf("another node: first poll after %s, want at once", d)
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
