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

// AlignConductor places the one grid against the next create: a sync the
// given offset after it, and every later cluster on the same grid.
func TestAlignConductorPlacesTheGridAgainstTheNextCreate(t *testing.T) {
	const iv = 10 * time.Second
	e := newClusterEnv(t, Options{ConductorInterval: iv, HeatCreateDuration: 20 * time.Second})
	for _, bad := range []time.Duration{-time.Millisecond, iv} {
		if err := e.s.AlignConductor(bad); err == nil {
			t.Errorf("AlignConductor(%s) accepted an offset outside the period", bad)
		}
	}
	if err := e.s.AlignConductor(3300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(700 * time.Millisecond)
	first := e.create("c1")
	tl, ok := e.s.OperationTimeline(first)
	if !ok {
		t.Fatal("no timeline for c1")
	}
	// Heat is done 20 s in; the sync 23.3 s in sees it, and the status
	// lands a fifth of a period later.
	if got := tl.Reported.Sub(tl.Accepted); got != 25300*time.Millisecond {
		t.Errorf("c1 reported %s after its create, want 25.3s", got)
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
	if d := tl2.Reported.Sub(tl2.BackendDone); d < iv/5 || d >= iv+iv/5 {
		t.Errorf("c2 reported %s after its stack, want within one period", d)
	}

	none := newClusterEnv(t, Options{HeatCreateDuration: time.Second})
	if err := none.s.AlignConductor(0); err == nil {
		t.Error("AlignConductor without a conductor period succeeded")
	}
}
