package provider

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// gatherWindow is how long a cluster read waits for company before it
// starts: Terraform starts the resources of a wave within a few
// milliseconds, and they can all share the read.
const gatherWindow = 20 * time.Millisecond

// planInventoryMaxAge bounds how old a shared inventory may be for checks that
// only inform the plan.
const planInventoryMaxAge = 2 * time.Minute

// createCheckMaxAge bounds how long before a create the read its name check
// uses may have started. The check after the create (verifyUnique) is what
// keeps a name unique: it sees every VM created up to our own and keeps the
// oldest, so a VM created in these seconds is caught there, as any
// concurrent create is. What the bound buys: the read the previous
// resources made right after their creates serves the next ones, so an
// apply reads the cluster about once per wave of creates, not twice.
const createCheckMaxAge = 2 * time.Second

// providerData is what Configure hands to resources and data sources. One
// instance lives for one Terraform operation (plan, apply, refresh).
type providerData struct {
	client      *pve.Client
	onExisting  guard.Policy
	defaultNode string

	inventory *inventoryCache
	// nodes and storages, read once per run for the placement checks.
	topology *topologyCache
	// names planned by proxmoxsafe_vm instances in this run, to catch two
	// resources with one name before anything is created.
	planned *plannedNames
	// VMIDs that instances of this run hold in their state: a VM with our
	// name that one of them owns is being replaced, not a stranger.
	owned *ownedVMs
	// names whose VM this run's refresh dropped from state as gone.
	vanished *vanishedVMs
	// VMs that creates of this run adopted: a destroy in the same run of
	// another object holding one of them leaves it to its new owner.
	adopted *adoptedVMs
	// clock runs the waits of the create workflow; tests replace it.
	clock clock
}

// clock is the time the create workflow waits on: until every VM created
// in the same second as ours is visible, and between polls of a lock.
type clock interface {
	Now() time.Time
	// SleepUntil returns at t, or with ctx's error when ctx ends first.
	SleepUntil(ctx context.Context, t time.Time) error
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newProviderData(client *pve.Client, s providerSettings) *providerData {
	return &providerData{
		client:      client,
		onExisting:  s.onExisting,
		defaultNode: s.defaultNode,
		inventory:   newInventoryCache(client),
		topology:    &topologyCache{client: client},
		planned:     &plannedNames{byName: map[string][]plannedName{}},
		owned:       &ownedVMs{vmids: map[int]bool{}},
		vanished:    &vanishedVMs{},
		adopted:     &adoptedVMs{uuids: map[int]string{}},
		clock:       wallClock{},
	}
}

// providerDataFrom converts the opaque ProviderData of a Configure request.
// It returns nil without error when the provider is not configured yet, as
// happens during validation.
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}

// inventoryCache shares cluster reads between the resources of one run, so
// the cost of a plan or an apply does not grow with (managed VMs × cluster
// size).
//
// At most one read is under way at a time. A caller that needs a read newer
// than the one under way joins the next read, which starts the moment the
// current one ends: a wave of parallel creates shares one read instead of
// starting one each. Every caller still gets a read that started after it
// asked (or no older than it allows).
type inventoryCache struct {
	client *pve.Client
	names  *nameBook

	mu       sync.Mutex
	last     *clusterView
	inflight *inventoryRead
	next     *inventoryRead // waits for inflight to end; nil if nobody needs it
	// whether the token sees every VM does not change within a run
	visibility *bool
	// underWay holds the creates of this run between their create request
	// and their uniqueness check (inventory_waves.go).
	underWay map[*createUnderWay]struct{}
	// changedAt is when this run last changed the cluster; views for
	// anything but a name check before a create are read after it.
	changedAt time.Time
	// freedAt is when this run last removed a VM or changed a name
	// (destroy, rename, a race loser's removal): a name check before a
	// create must see that. VMs this run creates do not move it: their
	// names differ from every other name this run creates (plannedNames),
	// so no name check of the run can depend on them.
	freedAt time.Time
}

type inventoryRead struct {
	ctx     context.Context // of the caller that asked first, without its cancellation
	asked   time.Time       // when the first caller asked
	started time.Time       // zero until the read starts
	// waveSent is when the earliest create of this run that joined the
	// read sent its request; zero while none did (inventory_waves.go).
	waveSent time.Time
	done     chan struct{}
	view     *clusterView
	err      error
}

func newInventoryCache(client *pve.Client) *inventoryCache {
	return &inventoryCache{client: client, names: newNameBook()}
}

// get returns a view read no earlier than notBefore.
func (c *inventoryCache) get(ctx context.Context, notBefore time.Time) (*clusterView, error) {
	return c.join(ctx, notBefore, nil)
}

// join is get for the uniqueness check of a create of this run (sent; nil
// for any other caller), which leaves the creates under way as it joins.
func (c *inventoryCache) join(ctx context.Context, notBefore time.Time, sent *createUnderWay) (*clusterView, error) {
	c.mu.Lock()
	c.leaveLocked(sent)
	if c.last != nil && !c.last.readAt.Before(notBefore) {
		view := c.last
		c.startNextLocked()
		c.mu.Unlock()
		return view, nil
	}
	var read *inventoryRead
	if c.inflight != nil && !c.inflight.started.Before(notBefore) {
		read = c.inflight
	} else {
		// The next read starts after the current one ends, or after
		// gatherWindow when none is under way: later than notBefore, which
		// has passed, and late enough for the other resources Terraform
		// starts in the same moment to join it. A read a wave of creates
		// waits for starts when the wave has joined it, or at
		// waveGatherLimit (inventory_waves.go).
		if c.next == nil {
			c.next = &inventoryRead{ctx: context.WithoutCancel(ctx), asked: time.Now(), done: make(chan struct{})}
			time.AfterFunc(gatherWindow, c.startNext)
			time.AfterFunc(waveGatherLimit, c.startNext)
		}
		read = c.next
		read.joinWave(sent)
	}
	c.startNextLocked()
	c.mu.Unlock()

	select {
	case <-read.done:
		return read.view, read.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startLocked starts read now. Callers hold c.mu.
func (c *inventoryCache) startLocked(read *inventoryRead) {
	read.started = time.Now()
	c.inflight = read
	go c.fill(read)
}

// fresh returns a view read after the call began.
func (c *inventoryCache) fresh(ctx context.Context) (*clusterView, error) {
	return c.get(ctx, time.Now())
}

// recent returns a view at most planInventoryMaxAge old, read after this
// run's last change.
func (c *inventoryCache) recent(ctx context.Context) (*clusterView, error) {
	c.mu.Lock()
	notBefore := later(time.Now().Add(-planInventoryMaxAge), c.changedAt)
	c.mu.Unlock()
	return c.get(ctx, notBefore)
}

// forNameCheck returns a view for the name check of a create: read at
// most maxAge before now, and after the last removal or rename by this
// run. VMs this run created since may be missing.
func (c *inventoryCache) forNameCheck(ctx context.Context, maxAge time.Duration) (*clusterView, error) {
	c.mu.Lock()
	notBefore := later(time.Now().Add(-maxAge), c.freedAt)
	c.mu.Unlock()
	return c.get(ctx, notBefore)
}

// invalidate records that this run removed a VM or changed one: later
// views, for whatever check, are read after now.
func (c *inventoryCache) invalidate() {
	now := time.Now()
	c.mu.Lock()
	c.changedAt, c.freedAt = now, now
	c.mu.Unlock()
}

// created records that this run created a VM: later views are read after
// now, except those of the name checks before creates (forNameCheck).
func (c *inventoryCache) created() {
	now := time.Now()
	c.mu.Lock()
	c.changedAt = now
	c.mu.Unlock()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *inventoryCache) fill(read *inventoryRead) {
	view, err := c.read(read.ctx, read.started)
	read.view, read.err = view, err

	c.mu.Lock()
	c.inflight = nil
	if err == nil && (c.last == nil || c.last.readAt.Before(view.readAt)) {
		c.last = view
	}
	// The next read was asked for while this one ran: it starts now, or
	// once its wave has joined it.
	if next := c.next; next != nil && !c.holdsFor(next) {
		c.next = nil
		c.startLocked(next)
	}
	c.mu.Unlock()
	close(read.done)
}

func (c *inventoryCache) read(ctx context.Context, started time.Time) (*clusterView, error) {
	// The token's visibility is asked for once per run, alongside the
	// first inventory rather than after it.
	visibility := make(chan visibilityAnswer, 1)
	go func() {
		all, err := c.canSeeAll(ctx)
		visibility <- visibilityAnswer{all, err}
	}()
	inv, err := c.client.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	// One list per node, read after the cluster list: the names the guard
	// decides on come from the configs, not from statistics that may show
	// a recycled VMID's predecessor (pve.Client.ReadLiveNames).
	unresolved, err := c.client.ReadLiveNames(ctx, inv, c.names.lookup)
	if err != nil {
		return nil, err
	}
	seen := <-visibility
	if seen.err != nil {
		return nil, seen.err
	}
	return &clusterView{vms: inv.VMs, unresolved: unresolved, complete: seen.all, readAt: started}, nil
}

type visibilityAnswer struct {
	all bool
	err error
}

func (c *inventoryCache) canSeeAll(ctx context.Context) (bool, error) {
	c.mu.Lock()
	known := c.visibility
	c.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	all, err := c.client.CanSeeAllVMs(ctx)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.visibility = &all
	c.mu.Unlock()
	return all, nil
}
