package provider

import (
	"context"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// fakeClock decides the create workflow's waits without sleeping: it
// records each wait, jumps to its end and runs onSleep, which plays what
// the cluster does meanwhile.
type fakeClock struct {
	now     time.Time
	waits   []time.Time
	onSleep func(n int)
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.waits = append(c.waits, t)
	if t.After(c.now) {
		c.now = t
	}
	if c.onSleep != nil {
		c.onSleep(len(c.waits))
	}
	return nil
}

// raceCluster holds our new VM 201 named "web", created at ctime, plus
// others; it returns a resource on a fake clock and our VM as read back.
func raceCluster(t *testing.T, ctime int64, others ...pvesim.VM) (*pvesim.Server, *vmResource, *fakeClock, *pve.VM) {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{PlainHTTP: true, Scenario: "empty", StatsLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	for _, vm := range append(others, pvesim.VM{VMID: 201, Node: "pve", Name: "web", Status: "stopped", CTime: ctime}) {
		if err := sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}
	client, err := pve.NewClient(context.Background(), pve.Config{Endpoint: sim.URL(), APIToken: sim.Token(), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Unix(ctime, 0)}
	r := &vmResource{data: newProviderData(client, providerSettings{onExisting: guard.PolicyFail})}
	r.data.clock = clock
	ours, err := client.GetVM(context.Background(), "pve", 201)
	if err != nil {
		t.Fatal(err)
	}
	return sim, r, clock, ours
}

func TestVerifyUniqueWaitsOutTheCreationSecond(t *testing.T) {
	const ctime = 1_800_000_000
	for _, tt := range []struct {
		name   string
		other  pvesim.VM
		winner int
	}{
		{"alone", pvesim.VM{VMID: 150, Node: "pve", Name: "db", CTime: ctime - 60}, 201},
		{"same second, lower VMID wins", pvesim.VM{VMID: 200, Node: "pve", Name: "WEB", CTime: ctime}, 200},
		{"same second, ours has the lower VMID", pvesim.VM{VMID: 202, Node: "pve", Name: "web", CTime: ctime}, 201},
		{"created a second earlier", pvesim.VM{VMID: 300, Node: "pve", Name: "web", CTime: ctime - 1}, 300},
		{"created a second later", pvesim.VM{VMID: 100, Node: "pve", Name: "web", CTime: ctime + 1}, 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.other.Status = "stopped"
			_, r, clock, ours := raceCluster(t, ctime, tt.other)
			winner, err := r.verifyUnique(context.Background(), ours, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if winner.VMID != tt.winner {
				t.Errorf("winner = VM %d, want VM %d", winner.VMID, tt.winner)
			}
			// One wait, to the end of the second after ours was created.
			if want := time.Unix(ctime+2, 0); len(clock.waits) != 1 || !clock.waits[0].Equal(want) {
				t.Errorf("waits = %v, want one until %v", clock.waits, want)
			}
		})
	}
}

func TestVerifyUniqueWaitsForVMsStillBeingCreated(t *testing.T) {
	const ctime = 1_800_000_000
	// VM 200 is still being created: locked, no name yet, and too new for
	// the cluster's statistics to list it with a name.
	pending := pvesim.VM{VMID: 200, Node: "pve", Status: "stopped", Lock: "create", CTime: ctime, CreatedAt: time.Now()}
	sim, r, clock, ours := raceCluster(t, ctime, pending)
	clock.onSleep = func(n int) {
		// The first wait is the creation second; during the second one
		// (a lock poll) the other create task ends with our name.
		if n == 2 {
			if err := sim.SetVMConfig(200, "name", "web"); err != nil {
				t.Error(err)
			}
			if err := sim.SetVMConfig(200, "lock", ""); err != nil {
				t.Error(err)
			}
		}
	}
	winner, err := r.verifyUnique(context.Background(), ours, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if winner.VMID != 200 {
		t.Errorf("winner = VM %d, want VM 200, which was still being created", winner.VMID)
	}
	if len(clock.waits) != 2 || !clock.waits[1].Equal(time.Unix(ctime+2, 0).Add(lockPollInterval)) {
		t.Errorf("waits = %v, want the creation second then one lock poll", clock.waits)
	}
}
