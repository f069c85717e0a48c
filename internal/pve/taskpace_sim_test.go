package pve

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A wave of parallel tasks of one kind pays the learning of their pace once:
// the first wait polls from the start, the others poll once, when it says
// the task ends; the next waves poll once per task. The estimate steps down
// once per wave, and when it steps past the task's length, one wait of the
// wave polls early for all of them.
func TestSimParallelWaitsPollAboutOnce(t *testing.T) {
	const wave, laterWaves = 8, 4
	srv := startSim(t, pvesim.Options{TaskDuration: 400 * time.Millisecond})
	c := simClient(t, srv, func(cfg *Config) { cfg.TaskPollInterval = 100 * time.Millisecond })
	ctx := context.Background()
	var created sync.WaitGroup
	for i := 0; i < (1+laterWaves)*wave; i++ {
		created.Add(1)
		go func() {
			defer created.Done()
			if err := c.CreateVM(ctx, CreateSpec{VMID: 700 + i, Node: "pve", Name: fmt.Sprintf("pace-%d", i)}); err != nil {
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
	for w := 1; w <= laterWaves; w++ {
		destroyWave(w * wave)
	}
	n = polls()
	t.Logf("next %d waves: %d status polls for %d destroys", laterWaves, n, laterWaves*wave)
	// One poll per task, plus a probe's few polls for a wave that came
	// early, plus one late task on a busy machine.
	if limit := laterWaves*wave + 3 + 1; n > limit {
		t.Errorf("next %d waves: %d status polls for %d destroys, want about one each (at most %d)", laterWaves, n, laterWaves*wave, limit)
	}
}
