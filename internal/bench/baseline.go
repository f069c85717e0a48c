package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

// baselineVMID is far from both the managed VMs (allocated from 100 up) and
// the other VMs (100000 up).
const baselineVMID = 900000

// rawCreates creates managed VMs straight through go-proxmox with workers
// goroutines, as a script without any safety check would: one POST per VM
// and go-proxmox's own task wait (a status poll every
// proxmox.DefaultWaitInterval). It is the floor the provider's apply is
// compared with.
func rawCreates(ctx context.Context, cl *cluster, managed, workers int) error {
	id, secret, _ := strings.Cut(cl.sim.Token(), "=")
	client := proxmox.NewClient(cl.url,
		proxmox.WithAPIToken(id, secret),
		proxmox.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	jobs := make(chan int)
	errs := make(chan error, managed)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs <- rawCreate(ctx, client, baselineVMID+i, fmt.Sprintf("raw-%d", i))
			}
		}()
	}
	for i := 0; i < managed; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func rawCreate(ctx context.Context, client *proxmox.Client, vmid int, name string) error {
	var upid proxmox.UPID
	params := map[string]any{"vmid": vmid, "name": name, "memory": 512, "cores": 1}
	if err := client.Post(ctx, "/nodes/"+benchNode+"/qemu", params, &upid); err != nil {
		return fmt.Errorf("raw create of VM %d: %w", vmid, err)
	}
	task := proxmox.NewTask(upid, client)
	if task == nil {
		return fmt.Errorf("raw create of VM %d: no task ID in the answer", vmid)
	}
	if err := task.Wait(ctx, proxmox.DefaultWaitInterval, 5*time.Minute); err != nil {
		return fmt.Errorf("raw create of VM %d: %w", vmid, err)
	}
	if task.IsFailed {
		return fmt.Errorf("raw create of VM %d failed: %s", vmid, task.ExitStatus)
	}
	return nil
}
