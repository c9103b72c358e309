package sim

import (
	"testing"
	"time"
)

// With a conductor epoch, clusters created at different moments all
// change status on the same 10 s grid, as under one real conductor; a
// client can learn the phase from any of them.
func TestConductorEpochPutsEveryClusterOnOneGrid(t *testing.T) {
	const iv = 10 * time.Second
	epoch := newFakeClock().Now().Add(-3 * time.Second)
	e := newClusterEnv(t, Options{ConductorInterval: iv, ConductorEpoch: epoch, HeatCreateDuration: 20 * time.Second})
	var reported []time.Time
	for i, gap := range []time.Duration{0, 3300 * time.Millisecond, 4100 * time.Millisecond} {
		e.clock.Advance(gap)
		id := e.create([]string{"c1", "c2", "c3"}[i])
		tl, ok := e.s.OperationTimeline(id)
		if !ok {
			t.Fatalf("no timeline for %s", id)
		}
		reported = append(reported, tl.Reported)
		// The sync that sees the stack done is the first grid point at or
		// after it; the status lands a fifth of a period later.
		if off := tl.Reported.Sub(epoch) % iv; off != iv/5 {
			t.Errorf("cluster %d reported %s into a period, want %s", i, off, iv/5)
		}
		if d := tl.Reported.Sub(tl.BackendDone); d < iv/5 || d >= iv+iv/5 {
			t.Errorf("cluster %d reported %s after its stack, want within one period", i, d)
		}
	}
	// Without the epoch each operation has a grid of its own.
	f := newClusterEnv(t, Options{ConductorInterval: iv, HeatCreateDuration: 21 * time.Second})
	f.clock.Advance(3300 * time.Millisecond)
	id := f.create("c1")
	tl, _ := f.s.OperationTimeline(id)
	if got := tl.Reported.Sub(tl.Accepted); got != 32*time.Second {
		t.Errorf("per-operation grid: reported %s after the POST, want 32s", got)
	}
}
