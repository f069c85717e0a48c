package pvesim

import "time"

// sleepOrClose waits d, or until the simulator closes.
func sleepOrClose(d time.Duration, closing <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-closing:
	}
}

// waitOrClose waits until ch is closed, d has passed or the simulator
// closes.
func waitOrClose(ch <-chan struct{}, d time.Duration, closing <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-closing:
	}
}
