package provider

import (
	"context"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// waveCache is an inventory cache on an empty simulator.
func waveCache(t *testing.T) (*pvesim.Server, *inventoryCache) {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{PlainHTTP: true, Scenario: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := pve.NewClient(context.Background(), pve.Config{Endpoint: sim.URL(), APIToken: sim.Token(), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return sim, newInventoryCache(client)
}

func clusterReads(sim *pvesim.Server) int {
	return sim.RequestCounts()["GET /cluster/resources"]
}

type joined struct {
	view *clusterView
	err  error
}

// joinAsync runs the uniqueness check's join of cw in the background.
func joinAsync(c *inventoryCache, notBefore time.Time, cw *createUnderWay) <-chan joined {
	out := make(chan joined, 1)
	go func() {
		view, err := c.join(context.Background(), notBefore, cw)
		out <- joined{view, err}
	}()
	return out
}

// waitForJoin returns once the first join asked for a read, so the test
// acts after it, whatever the load.
func waitForJoin(t *testing.T, c *inventoryCache) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		asked := c.next != nil || c.inflight != nil
		c.mu.Unlock()
		if asked {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the first check never asked for a read")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The checks of a wave whose creates' ctimes straddle a second boundary
// need reads a second apart; the early one waits for the late one, and one
// read serves both.
func TestWaveOfCreatesSharesOneUniquenessRead(t *testing.T) {
	sim, cache := waveCache(t)
	early, late := cache.createSent(), cache.createSent()
	first := joinAsync(cache, time.Now(), early)
	waitForJoin(t, cache)
	// Alone, the early check's read starts after gatherWindow; give it ten
	// times that to show it does not.
	time.Sleep(10 * gatherWindow)
	if n := clusterReads(sim); n != 0 {
		t.Fatalf("%d cluster reads before the rest of the wave joined, want none yet", n)
	}
	needSince := time.Now()
	view, err := cache.join(context.Background(), needSince, late)
	if err != nil {
		t.Fatal(err)
	}
	got := <-first
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.view != view {
		t.Error("the two checks of one wave got different reads")
	}
	if view.readAt.Before(needSince) {
		t.Errorf("the shared read started at %s, before the late check needed it (%s)", view.readAt, needSince)
	}
	if n := clusterReads(sim); n != 1 {
		t.Errorf("%d cluster reads for one wave, want 1", n)
	}
}

// A create of the wave that ends without a check (its request failed)
// releases the read at once.
func TestWaveReadStartsWhenTheLastCreateEnds(t *testing.T) {
	sim, cache := waveCache(t)
	checked, failed := cache.createSent(), cache.createSent()
	first := joinAsync(cache, time.Now(), checked)
	waitForJoin(t, cache)
	time.Sleep(10 * gatherWindow)
	endedAt := time.Now()
	cache.createEnded(failed)
	returned := time.Now()
	got := <-first
	if got.err != nil {
		t.Fatal(got.err)
	}
	// createEnded itself starts the read.
	if got.view.readAt.Before(endedAt) || got.view.readAt.After(returned) {
		t.Errorf("the read started at %s, want while the failed create ended (%s to %s)", got.view.readAt, endedAt, returned)
	}
	if n := clusterReads(sim); n != 1 {
		t.Errorf("%d cluster reads, want 1", n)
	}
}

// A create that never gets to its check holds the wave's read for at most
// waveGatherLimit; one sent a second later belongs to the next wave and does
// not hold it at all.
func TestWaveReadWaitsBoundedAndOnlyForItsWave(t *testing.T) {
	t.Run("stuck sibling", func(t *testing.T) {
		_, cache := waveCache(t)
		checked := cache.createSent()
		_ = cache.createSent() // never checked, never ended
		asked := time.Now()
		got := <-joinAsync(cache, asked, checked)
		if got.err != nil {
			t.Fatal(got.err)
		}
		if got.view.readAt.Before(asked.Add(waveGatherLimit)) {
			t.Errorf("the read started %s after it was asked for, want after waveGatherLimit (%s)",
				got.view.readAt.Sub(asked), waveGatherLimit)
		}
	})
	t.Run("next wave", func(t *testing.T) {
		_, cache := waveCache(t)
		checked := cache.createSent()
		next := cache.createSent()
		cache.mu.Lock()
		next.sent = checked.sent.Add(time.Second)
		cache.mu.Unlock()
		asked := time.Now()
		got := <-joinAsync(cache, asked, checked)
		if got.err != nil {
			t.Fatal(got.err)
		}
		if got.view.readAt.After(asked.Add(waveGatherLimit)) {
			t.Errorf("the read waited %s, for a create of the next wave", got.view.readAt.Sub(asked))
		}
	})
}
