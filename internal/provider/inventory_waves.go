package provider

import "time"

// The creates of one wave share the cluster read of their uniqueness check.
//
// Terraform starts the creates of a wave together, and they send their
// create requests within moments of each other, but their checks need reads
// started at different times: each waits until the second of its VM's ctime
// has passed (verifyUnique), and a wave whose requests straddle a second
// boundary needs reads one second apart. Each early check would start a
// read of its own, then the late ones another. Instead, a read joined by a
// check waits, for at most waveGatherLimit, until every create of its wave
// has joined it or ended: one read serves the whole wave, started after
// every one of them needs it. The early checks wait for the late ones, which
// finish no sooner either way, so the wave stays together and the next
// wave's name checks share that read too (createCheckMaxAge).

// waveSpread is how far apart the create requests of one wave may be sent:
// Terraform starts them together, but on a busy machine (load 20 on 2 CPUs)
// their requests went out over 0.6 s. A create that starts once a check of
// the wave finished is at least a second later than the wave's first: a
// check waits until its VM's ctime second has passed.
const waveSpread = 750 * time.Millisecond

// waveGatherLimit bounds how long a read waits for the rest of its wave:
// the checks of a wave that straddles a second boundary come one second
// apart (plus the creation skew the check allows for).
const waveGatherLimit = time.Second + creationSkew

// startNext starts the next read unless one is under way.
func (c *inventoryCache) startNext() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startNextLocked()
}

// startNextLocked starts the next read when none is under way, its
// gatherWindow has passed and no create of its wave is still to join it.
// Callers hold c.mu.
func (c *inventoryCache) startNextLocked() {
	next := c.next
	if next == nil || c.inflight != nil || time.Since(next.asked) < gatherWindow || c.holdsFor(next) {
		return
	}
	c.next = nil
	c.startLocked(next)
}

// createUnderWay is a create of this run between its create request and
// its uniqueness check.
type createUnderWay struct {
	sent time.Time
}

// createSent records a create request about to be sent. Its uniqueness
// check joins a read through join; a create that ends without one (a failed
// or retried request) calls createEnded.
func (c *inventoryCache) createSent() *createUnderWay {
	cw := &createUnderWay{sent: time.Now()}
	c.mu.Lock()
	if c.underWay == nil {
		c.underWay = map[*createUnderWay]struct{}{}
	}
	c.underWay[cw] = struct{}{}
	c.mu.Unlock()
	return cw
}

// createEnded removes a create from those under way; a read that waited
// for it may start. Ending it twice does nothing.
func (c *inventoryCache) createEnded(cw *createUnderWay) {
	if cw == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leaveLocked(cw)
	c.startNextLocked()
}

// leaveLocked removes cw from the creates under way. Callers hold c.mu.
func (c *inventoryCache) leaveLocked(cw *createUnderWay) {
	if cw != nil {
		delete(c.underWay, cw)
	}
}

// joinWave records that the check of cw joined the read.
func (r *inventoryRead) joinWave(cw *createUnderWay) {
	if cw != nil && (r.waveSent.IsZero() || cw.sent.Before(r.waveSent)) {
		r.waveSent = cw.sent
	}
}

// holdsFor reports whether read still waits for a create of its wave: one
// sent within waveSpread of the earliest create that joined it, for at most
// waveGatherLimit after it was asked for. Callers hold c.mu.
func (c *inventoryCache) holdsFor(read *inventoryRead) bool {
	if read.waveSent.IsZero() || time.Since(read.asked) >= waveGatherLimit {
		return false
	}
	for cw := range c.underWay {
		if d := cw.sent.Sub(read.waveSent); d >= -waveSpread && d <= waveSpread {
			return true
		}
	}
	return false
}
