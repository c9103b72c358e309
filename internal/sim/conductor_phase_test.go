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
	for i, gap := range []time.Duration{0, 3300 * time.Millisecond, 4100 * time.Millisecond} {
		e.clock.Advance(gap)
		id := e.create([]string{"c1", "c2", "c3"}[i])
		tl, ok := e.s.OperationTimeline(id)
		if !ok {
			t.Fatalf("no timeline for %s", id)
		}
		// The sync that sees the stack done is the first grid point at or
		// after it; the status lands a fifth of a period later.
		if off := tl.Reported.Sub(epoch) % iv; off != iv/5 {
			t.Errorf("cluster %d reported %s into a period, want %s", i, off, iv/5)
		}
		if d := tl.Reported.Sub(tl.BackendDone); d < iv/5 || d >= iv+iv/5 {
			t.Errorf("cluster %d reported %s after its stack, want within one period", i, d)
		}
	}
	// Without an epoch the grid starts with the simulator, not with the
	// operation: a create 3.3 s in whose stack ends 24.3 s in is seen by
	// the sync at 30 s.
	f := newClusterEnv(t, Options{ConductorInterval: iv, HeatCreateDuration: 21 * time.Second})
	f.clock.Advance(3300 * time.Millisecond)
	id := f.create("c1")
	tl, _ := f.s.OperationTimeline(id)
	if got := tl.Reported.Sub(tl.Accepted); got != 28700*time.Millisecond {
		t.Errorf("default grid: reported %s after the POST, want 28.7s (the sync 30 s after the start, then 2 s)", got)
	}
}

// SetConductorEpoch moves the one grid while a create is in progress: the
// create is reported on the new grid, and so is every later one.
func TestSetConductorEpochMovesTheGrid(t *testing.T) {
	const iv = 10 * time.Second
	e := newClusterEnv(t, Options{ConductorInterval: iv, HeatCreateDuration: 20 * time.Second})
	start := e.clock.Now()
	first := e.create("c1")
	e.clock.Advance(12 * time.Second)
	if err := e.s.SetConductorEpoch(start.Add(3300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	tl, ok := e.s.OperationTimeline(first)
	if !ok {
		t.Fatal("no timeline for c1")
	}
	// Heat is done 20 s in; the sync 23.3 s in sees it, and the status
	// lands a fifth of a period later.
	if got := tl.Reported.Sub(tl.Accepted); got != 25300*time.Millisecond {
		t.Errorf("c1 reported %s after its create, want 25.3s", got)
	}
	e.until(tl.Reported, -time.Nanosecond)
	if st := e.cluster(first)["status"]; st != "CREATE_IN_PROGRESS" {
		t.Errorf("just before the new grid's report: %v", st)
	}
	e.until(tl.Reported, 0)
	if st := e.cluster(first)["status"]; st != "CREATE_COMPLETE" {
		t.Errorf("at the new grid's report: %v", st)
	}
	e.clock.Advance(4100 * time.Millisecond)
	second := e.create("c2")
	tl2, ok := e.s.OperationTimeline(second)
	if !ok {
		t.Fatal("no timeline for c2")
	}
	if off := tl2.Reported.Sub(tl.Reported) % iv; off != 0 {
		t.Errorf("c2 reported %s off c1's grid, want on it", off)
	}

	none := newClusterEnv(t, Options{HeatCreateDuration: time.Second})
	if err := none.s.SetConductorEpoch(start); err == nil {
		t.Error("SetConductorEpoch without a conductor period succeeded")
	}
}
