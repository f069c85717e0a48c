package pve

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// How often a wave of parallel tasks of one kind polls: the first wait
// polls from the start, the others poll once, when it says the task ends;
// the next waves poll about once per task. The estimate steps down once per
// wave, and when it steps past the task's length, one wait of the wave polls
// early for all of them. How many polls that takes depends on how late a
// loaded CPU lets the simulator end its tasks, so it is a benchmark that
// reports polls per task (make bench-go), not a pass/fail test: the pace
// rules themselves are table-tested in taskpace_test.go.
func BenchmarkSimParallelWaitPolls(b *testing.B) {
	const wave, laterWaves = 8, 4
	var firstPolls, laterPolls int
	for range b.N {
		first, later := parallelWaitPolls(b, wave, laterWaves)
		firstPolls += first
		laterPolls += later
	}
	b.ReportMetric(float64(firstPolls)/float64(b.N*wave), "polls/task(first-wave)")
	b.ReportMetric(float64(laterPolls)/float64(b.N*laterWaves*wave), "polls/task(later-waves)")
}

func parallelWaitPolls(b *testing.B, wave, laterWaves int) (first, later int) {
	b.Helper()
	srv := startSim(b, pvesim.Options{TaskDuration: 400 * time.Millisecond})
	c := simClient(b, srv, func(cfg *Config) { cfg.TaskPollInterval = 100 * time.Millisecond })
	ctx := context.Background()
	var created sync.WaitGroup
	for i := 0; i < (1+laterWaves)*wave; i++ {
		created.Add(1)
		go func() {
			defer created.Done()
			if err := createVM(ctx, c, CreateSpec{VMID: 700 + i, Node: "pve", Name: fmt.Sprintf("pace-%d", i)}); err != nil {
				b.Errorf("create VM %d: %v", 700+i, err)
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
					b.Errorf("DestroyVM(%d): %v", vmid, err)
				}
			}(700 + i)
		}
		wg.Wait()
	}
	srv.ResetRequestCounts()
	destroyWave(0)
	first = polls()
	srv.ResetRequestCounts()
	for w := 1; w <= laterWaves; w++ {
		destroyWave(w * wave)
	}
	return first, polls()
}
