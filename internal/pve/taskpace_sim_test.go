package pve

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A wave of parallel tasks of one kind pays the learning of their pace once:
// the first wait polls from the start, the others poll once, when it says
// the task ends; the next wave polls once per task (now and then twice,
// when the estimate steps down past the task's length).
func TestSimParallelWaitsPollAboutOnce(t *testing.T) {
	const wave = 8
	srv := startSim(t, pvesim.Options{TaskDuration: 400 * time.Millisecond})
	c := simClient(t, srv, func(cfg *Config) { cfg.TaskPollInterval = 100 * time.Millisecond })
	ctx := context.Background()
	var created sync.WaitGroup
	for i := 0; i < 2*wave; i++ {
		created.Add(1)
		go func() {
			defer created.Done()
			if err := c.CreateVM(ctx, CreateSpec{VMID: 700 + i, Node: "pve", Name: "pace-" + string(rune('a'+i))}); err != nil {
				t.Errorf("CreateVM(%d): %v", 700+i, err)
			}
		}()
	}
	created.Wait()
	polls := func() int { return srv.RequestCounts()["GET /nodes/{node}/tasks/{upid}/status"] }
	destroyWave := func(first int) {
		var wg sync.WaitGroup
		for i := first; i < first+wave; i++ {
			wg.Add(1)
			go func(vmid int) {
				defer wg.Done()
				if _, err := c.DestroyVM(ctx, "pve", vmid); err != nil {
					t.Errorf("DestroyVM(%d): %v", vmid, err)
				}
			}(700 + i)
		}
		wg.Wait()
	}

	srv.ResetRequestCounts()
	destroyWave(0)
	// The scout polls at 0, 100, 250 and 475 ms for a 400 ms task: 4 polls.
	// Each of the others polls once when the task should have ended, and
	// once more if it had not quite (the simulator runs on a loaded CPU).
	n := polls()
	t.Logf("first wave: %d status polls for %d destroys", n, wave)
	if n > 4+2*(wave-1) {
		t.Errorf("first wave: %d status polls for %d destroys, want at most %d", n, wave, 4+2*(wave-1))
	}
	srv.ResetRequestCounts()
	destroyWave(wave)
	n = polls()
	t.Logf("second wave: %d status polls for %d destroys", n, wave)
	if n > wave+wave/2 {
		t.Errorf("second wave: %d status polls for %d destroys, want about one each (at most %d)", n, wave, wave+wave/2)
	}
}
