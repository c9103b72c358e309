package waiter

import (
	"context"
	"errors"
	"testing"
	"time"
)

func at(d time.Duration) time.Time { return time.Unix(0, 0).Add(d) }

// newest is the most recently seen grid narrow enough to poll on.
func newest(p *Phase) (lo, hi time.Duration, ok bool) {
	if gs := p.Grids(); len(gs) > 0 {
		return gs[0].Lo, gs[0].Hi, true
	}
	return 0, 0, false
}

func TestPhaseLearnsAndNarrows(t *testing.T) {
	p := NewPhase(10 * time.Second)
	if _, ok := p.next(at(0)); ok || p.Known() {
		t.Fatal("a fresh Phase claims to know the phase")
	}
	// A change seen between 23.0 s and 24.0 s: offset 3–4 s.
	p.Observe(at(23*time.Second), at(24*time.Second))
	if got, _ := p.next(at(100 * time.Second)); got != at(104*time.Second+phaseMargin) {
		t.Errorf("next after 100 s = %s, want 104.25 s", got.Sub(at(0)))
	}
	// Another, two periods later, between 43.5 and 44.5: the window
	// narrows to 3.5–4 s.
	p.Observe(at(43500*time.Millisecond), at(44500*time.Millisecond))
	if got, _ := p.next(at(100 * time.Second)); got != at(104*time.Second+phaseMargin) {
		t.Errorf("after narrowing, next = %s, want 104.25 s", got.Sub(at(0)))
	}
	lo, hi, _ := newest(p)
	if lo != 3500*time.Millisecond || hi != 4*time.Second {
		t.Errorf("window %s–%s, want 3.5s–4s", lo, hi)
	}
	// The window wraps around the period's end.
	w := NewPhase(10 * time.Second)
	w.Observe(at(9500*time.Millisecond), at(10500*time.Millisecond))
	w.Observe(at(19800*time.Millisecond), at(20800*time.Millisecond))
	if got, _ := w.next(at(30 * time.Second)); got != at(30500*time.Millisecond+phaseMargin) {
		t.Errorf("wrapped window: next = %s, want 30.75 s", got.Sub(at(0)))
	}
}

// Windows too wide to poll on (a slow API) still narrow each other down.
func TestPhaseNarrowsWideWindows(t *testing.T) {
	p := NewPhase(10 * time.Second)
	p.Observe(at(21*time.Second), at(25*time.Second))
	if p.Known() {
		t.Fatal("a 4 s window is polled on")
	}
	p.Observe(at(33500*time.Millisecond), at(37500*time.Millisecond))
	if !p.Known() {
		t.Fatal("two 4 s windows overlapping by 1.5 s taught nothing")
	}
	if got, _ := p.next(at(100 * time.Second)); got != at(105*time.Second+phaseMargin) {
		t.Errorf("next = %s, want 105.25 s (window 3.5–5 s)", got.Sub(at(0)))
	}
}

// Each magnum-conductor syncs on a grid of its own: a window that agrees
// with no known grid is another conductor's (or a restarted one's) and is
// polled on too; a window touching two grids says nothing; beyond
// maxGrids, and after a day of changes elsewhere, the least recently seen
// grid goes.
func TestPhaseKeepsOneGridPerConductor(t *testing.T) {
	const s = time.Second
	p := NewPhase(10 * s)
	p.Observe(at(3*s), at(4*s))
	// Too wide to say anything.
	p.Observe(at(10*s), at(16*s))
	if got, _ := p.next(at(20 * s)); got != at(24*s+phaseMargin) {
		t.Errorf("a 6 s window changed the phase: next = %s", got.Sub(at(0)))
	}
	// Another conductor: its changes land at 7–8 s.
	p.Observe(at(27*s), at(28*s))
	for _, tc := range []struct{ from, want time.Duration }{{30 * s, 34*s + phaseMargin}, {35 * s, 38*s + phaseMargin}} {
		if got, _ := p.next(at(tc.from)); got != at(tc.want) {
			t.Errorf("next after %s = %s, want %s (the next sync of either grid)", tc.from, got.Sub(at(0)), tc.want)
		}
	}
	// 3.5–7.5 s touches both grids: it cannot tell which sync made it.
	p.Observe(at(43500*time.Millisecond), at(47500*time.Millisecond))
	if gs := p.Grids(); len(gs) != 2 || gs[0].Lo != 7*s || gs[1].Lo != 3*s {
		t.Errorf("an ambiguous window changed the grids: %+v", gs)
	}
	// Two more conductors: the grid seen longest ago goes.
	p.Observe(at(51*s), at(51500*time.Millisecond))
	p.Observe(at(65*s), at(65500*time.Millisecond))
	gs := p.Grids()
	if len(gs) != maxGrids || gs[0].Lo != 5*s || gs[1].Lo != 1*s || gs[2].Lo != 7*s {
		t.Errorf("grids %+v, want 5 s, 1 s and 7 s (3 s seen longest ago)", gs)
	}
	// A day of changes on one grid drops the others.
	p.Observe(at(gridTTL+105*s), at(gridTTL+105500*time.Millisecond))
	if gs := p.Grids(); len(gs) != 1 || gs[0].Lo != 5*s {
		t.Errorf("after a day of changes on the 5 s grid alone, grids %+v", gs)
	}
}

// A change's stamp (updated_at, on Magnum's clock) bounds the skew between
// the clocks when the change was seen in a narrow window, and then places
// a change seen late, between polls a period apart, on its grid.
func TestPhaseLearnsGridsFromStamps(t *testing.T) {
	const s = time.Second
	const skew = 37300 * time.Millisecond // Magnum's clock ahead
	// Magnum 15 stamps whole seconds.
	stamp := func(visible time.Duration) time.Time { return at(visible + skew).Truncate(s) }
	p := NewPhase(10 * s)
	// Changes on the 3 s grid, each seen within half a second, narrow the
	// skew to below the stamps' second.
	for _, v := range []time.Duration{103200 * time.Millisecond, 223400 * time.Millisecond, 343600 * time.Millisecond, 463900 * time.Millisecond} {
		p.ObserveStamped(at(v-300*time.Millisecond), at(v+200*time.Millisecond), stamp(v))
	}
	lo, hi, ok := p.Skew()
	if !ok || lo > skew || hi < skew || hi-lo >= s {
		t.Fatalf("skew %s..%s (%t), want a bound under a second around %s", lo, hi, ok, skew)
	}
	// Another conductor's change at 6.2 s into the period, seen only by a
	// poll on the known grid a period after the one before: too wide a
	// window, but its stamp places it.
	v := 506200 * time.Millisecond
	p.ObserveStamped(at(503500*time.Millisecond), at(513500*time.Millisecond), stamp(v))
	gs := p.Grids()
	if len(gs) != 2 {
		t.Fatalf("grids %+v, want the 3 s grid and one learnt from the stamp", gs)
	}
	if g := gs[0]; g.Lo > 6200*time.Millisecond || g.Hi < 6200*time.Millisecond {
		t.Errorf("the stamp placed the change at %s..%s, want around 6.2 s", g.Lo, g.Hi)
	}
	// The wait now polls after both grids' syncs.
	for _, tc := range []struct{ from, lo, hi time.Duration }{{600 * s, 603 * s, 604500 * time.Millisecond}, {605 * s, 606 * s, 608 * s}} {
		if got, _ := p.next(at(tc.from)); got.Before(at(tc.lo)) || got.After(at(tc.hi)) {
			t.Errorf("next after %s = %s, want just after the sync of the grid that comes first (%s..%s)", tc.from, got.Sub(at(0)), tc.lo, tc.hi)
		}
	}
	// Without the skew a stamp says nothing.
	q := NewPhase(10 * s)
	q.ObserveStamped(at(503500*time.Millisecond), at(513500*time.Millisecond), stamp(v))
	if q.Known() {
		t.Error("a stamp placed a change with no skew known")
	}
	// A skew the Date headers bounded to a round trip places a whole-second
	// stamp within a second and a little: a grid to poll on.
	d := NewPhase(10 * s)
	d.ObserveSkew(skew-20*time.Millisecond, skew+20*time.Millisecond)
	d.ObserveStamped(at(503500*time.Millisecond), at(513500*time.Millisecond), stamp(506200*time.Millisecond))
	if gs := d.Grids(); len(gs) != 1 || gs[0].Lo > 6200*time.Millisecond || gs[0].Hi < 6200*time.Millisecond || gs[0].Hi-gs[0].Lo > 1100*time.Millisecond {
		t.Errorf("grids %+v, want one around 6.2 s, about a second wide", gs)
	}
	// Microsecond stamps (Magnum 2023.2 on) bound the skew by the poll
	// window alone.
	r := NewPhase(10 * s)
	v = 103200 * time.Millisecond
	r.ObserveStamped(at(v-300*time.Millisecond), at(v+200*time.Millisecond), at(v+skew).Add(-time.Microsecond))
	if lo, hi, _ := r.Skew(); hi-lo > 600*time.Millisecond {
		t.Errorf("a microsecond stamp bounds the skew to %s..%s", lo, hi)
	}
}

// A wait that knows the conductor's phase polls once per period after the
// first minute, just after the sync, and notices the change within a
// second; a wait that sees a change teaches the Phase.
func TestWaitPollsOnTheConductorPhase(t *testing.T) {
	const period = 10 * time.Second
	c := newClock()
	off := c.start.Sub(time.Unix(0, 0)) % period
	// Changes become visible 4.3 s into each period (clock offsets).
	done := 5*time.Minute + 4300*time.Millisecond - off
	refresh := scripted(c, step{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, step{done, obj{State: "CREATE_COMPLETE"}, nil})
	phase := NewPhase(period)
	phase.Observe(c.start.Add(-time.Hour+4*time.Second-off), c.start.Add(-time.Hour+4500*time.Millisecond-off))
	cfg := c.config("phased")
	cfg.Phase = phase
	if _, err := Wait(context.Background(), cfg, refresh, Conditions[obj]{Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}}); err != nil {
		t.Fatal(err)
	}
	expectPhasedWait(t, c, done, period)
	// Without the phase the schedule polls every 30 s by then: a change
	// one sync later (it lands between two of those polls) waits long.
	c2 := newClock()
	done += period
	refresh2 := scripted(c2, step{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, step{done, obj{State: "CREATE_COMPLETE"}, nil})
	learn := NewPhase(period)
	cfg2 := c2.config("unphased")
	cfg2.Phase = learn
	if _, err := Wait(context.Background(), cfg2, refresh2, Conditions[obj]{Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}}); err != nil {
		t.Fatal(err)
	}
	if late := c2.elapsed() - done; late <= time.Second {
		t.Errorf("without a known phase the wait noticed within %s: the test shows nothing", late)
	}
	// Its flip was seen between two polls 30 s apart: too wide to learn.
	if learn.Known() {
		t.Error("a 30 s window taught the phase")
	}
}

func TestPhaseSeed(t *testing.T) {
	const period = 10 * time.Second
	at := func(off time.Duration) time.Time { return time.Unix(0, 0).Add(1000*period + off) }
	tests := []struct {
		name           string
		learnt         [][2]time.Duration // observed windows, as offsets
		seedLo, seedHi time.Duration
		wantLo, wantHi time.Duration
		wantKnown      bool
	}{
		{"a seed starts an empty Phase", nil, 4 * time.Second, 4500 * time.Millisecond, 4 * time.Second, 4500 * time.Millisecond, true},
		{"an offset past the period wraps", nil, 14 * time.Second, 14500 * time.Millisecond, 4 * time.Second, 4500 * time.Millisecond, true},
		{"a learnt window is kept", [][2]time.Duration{{7 * time.Second, 7400 * time.Millisecond}}, 4 * time.Second, 4500 * time.Millisecond, 7 * time.Second, 7400 * time.Millisecond, true},
		{"a seed too wide to poll on is ignored", nil, 1 * time.Second, 4 * time.Second, 0, 0, false},
		{"an inverted seed is ignored", nil, 5 * time.Second, 4 * time.Second, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPhase(period)
			for _, w := range tt.learnt {
				p.Observe(at(w[0]), at(w[1]))
			}
			p.SeedGrids([]Grid{{Lo: tt.seedLo, Hi: tt.seedHi}}, 0, 0, false)
			lo, hi, ok := newest(p)
			if ok != tt.wantKnown || lo != tt.wantLo || hi != tt.wantHi {
				t.Errorf("window %s..%s (%t), want %s..%s (%t)", lo, hi, ok, tt.wantLo, tt.wantHi, tt.wantKnown)
			}
			if p.Known() != tt.wantKnown {
				t.Errorf("Known() = %t", p.Known())
			}
		})
	}
	// A seeded window is a guess: a narrow observation elsewhere replaces it.
	p := NewPhase(period)
	p.SeedGrids([]Grid{{Lo: 4 * time.Second, Hi: 4500 * time.Millisecond}}, 0, 0, false)
	p.Observe(at(8*time.Second), at(8300*time.Millisecond))
	if lo, hi, _ := newest(p); lo != 8*time.Second || hi != 8300*time.Millisecond {
		t.Errorf("after a contradicting observation the window is %s..%s, want 8s..8.3s", lo, hi)
	}
	var none *Phase
	none.SeedGrids([]Grid{{Lo: time.Second, Hi: 2 * time.Second}}, 0, 0, false)
	if _, _, ok := newest(none); ok {
		t.Error("a nil Phase has a window")
	}
}

// A window learnt by one wait and seeded into a new Phase (another run of
// the provider) lets a long wait poll once per period just after the sync
// from its first minute on, as the Phase that learnt it would.
func TestWaitPollsOnASeededPhase(t *testing.T) {
	const period = 10 * time.Second
	c := newClock()
	off := c.start.Sub(time.Unix(0, 0)) % period
	done := 3*time.Minute + 4300*time.Millisecond - off
	learnt := NewPhase(period)
	learnt.Observe(c.start.Add(-24*time.Hour+4*time.Second-off), c.start.Add(-24*time.Hour+4500*time.Millisecond-off))
	lo, hi, ok := newest(learnt)
	if !ok {
		t.Fatal("nothing learnt")
	}
	seeded := NewPhase(period)
	seeded.SeedGrids([]Grid{{Lo: lo, Hi: hi}}, 0, 0, false)
	refresh := scripted(c, step{0, obj{State: "UPDATE_IN_PROGRESS"}, nil}, step{done, obj{State: "UPDATE_COMPLETE"}, nil})
	cfg := c.config("seeded")
	cfg.Phase = seeded
	if _, err := Wait(context.Background(), cfg, refresh, Conditions[obj]{Target: []string{"UPDATE_COMPLETE"}, Pending: []string{"UPDATE_IN_PROGRESS"}}); err != nil {
		t.Fatal(err)
	}
	expectPhasedWait(t, c, done, period)
}

// expectPhasedWait checks a wait on a known phase: it noticed the change
// made at done within a second, and past the first minute it polled no
// more than once per period.
func expectPhasedWait(t *testing.T, c *clock, done, period time.Duration) {
	t.Helper()
	if late := c.elapsed() - done; late < 0 || late > time.Second {
		t.Errorf("noticed %s after the change, want within 1 s", late)
	}
	for i := 1; i < len(c.polls); i++ {
		if c.polls[i-1] >= PhaseAfter && c.polls[i]-c.polls[i-1] < period {
			t.Errorf("polls at %s and %s: closer than one period past the first minute", c.polls[i-1], c.polls[i])
		}
	}
}

// A wait that knows one conductor's grid sees a flip another conductor
// made only at its own grid's next sync, but the flip's stamp puts that
// conductor's grid in the Phase: the next wait polls after both syncs, and
// no more often.
func TestWaitLearnsAnotherConductorsGridFromTheStamp(t *testing.T) {
	const period = 10 * time.Second
	const skew = 37300 * time.Millisecond
	c := newClock() // starts on a period boundary
	phase := NewPhase(period)
	// Grid A: changes show 2.0–2.5 s into the period; a microsecond stamp
	// (Magnum 2023.2 on) bounds the skew by the window.
	v := c.start.Add(-time.Hour + 2200*time.Millisecond)
	phase.ObserveStamped(v.Add(-200*time.Millisecond), v.Add(300*time.Millisecond), v.Add(skew-time.Microsecond))
	// Magnum 15 stamps whole seconds; obj.Updated carries the stamp as Unix
	// seconds.
	stampOf := func(visible time.Time) int { return int(visible.Add(skew).Unix()) }
	cond := Conditions[obj]{Target: []string{"UPDATE_COMPLETE"}, Pending: []string{"UPDATE_IN_PROGRESS"},
		Stamp: func(o obj) time.Time {
			if o.Updated == 0 {
				return time.Time{}
			}
			return time.Unix(int64(o.Updated), 0)
		}}
	wait := func(done time.Duration) time.Duration {
		t.Helper()
		c.start, c.polls = c.now, nil
		flip := c.start.Add(done)
		refresh := scripted(c, step{0, obj{State: "UPDATE_IN_PROGRESS"}, nil}, step{done, obj{State: "UPDATE_COMPLETE", Updated: stampOf(flip)}, nil})
		cfg := c.config("two conductors")
		cfg.Phase = phase
		if _, err := Wait(context.Background(), cfg, refresh, cond); err != nil {
			t.Fatal(err)
		}
		return c.elapsed() - done
	}
	// Grid B (6.0 s into the period) flips the first bay: the wait polls
	// on grid A and sees it 6.75 s late.
	off := func(d time.Duration) time.Duration { return d - c.now.Sub(time.Unix(0, 0))%period }
	if late := wait(off(5*time.Minute + 6*time.Second)); late < 3*time.Second {
		t.Fatalf("noticed %s after the other conductor's flip: the test shows nothing", late)
	}
	gs := phase.Grids()
	if len(gs) != 2 || gs[0].Lo > 6*time.Second || gs[0].Hi < 6*time.Second {
		t.Fatalf("grids %+v, want grid A and one around 6 s from the stamp", gs)
	}
	// The next wait polls after both grids' syncs. A whole-second stamp
	// places grid B within a second and a half (the stamp's second and the
	// skew's bounds), so the bound is the widest window a wait polls on.
	done := off(7*time.Minute + 6*time.Second)
	if late := wait(done); late < 0 || late > PhasedPollBound {
		t.Errorf("the next flip on grid B noticed %s late, want within %s", late, PhasedPollBound)
	}
	for i := 2; i < len(c.polls); i++ {
		if c.polls[i-2] >= PhaseAfter+period && c.polls[i]-c.polls[i-2] < period {
			t.Errorf("polls at %s, %s and %s: more than two in a period with two grids", c.polls[i-2], c.polls[i-1], c.polls[i])
		}
	}
}

// A create's handler fails at once when it cannot start the stack, off the
// sync's grid; the sync fails a bay only once its stack exists. Updated
// stands in for the stack id here: 0 until the handler saved one.
func TestWaitLearnsNoGridFromAHandlersFailure(t *testing.T) {
	noStackYet := func(prev obj) bool { return prev.Updated == 0 }
	tests := []struct {
		name      string
		steps     []step
		hook      func(obj) bool
		wantKnown bool
	}{
		{
			name:  "the handler fails the create before the stack exists",
			steps: []step{{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, {1500 * time.Millisecond, obj{State: "CREATE_FAILED"}, nil}},
			hook:  noStackYet,
		},
		{
			name: "the sync fails a create whose stack failed",
			steps: []step{{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, {1500 * time.Millisecond, obj{State: "CREATE_IN_PROGRESS", Updated: 1}, nil},
				{4300 * time.Millisecond, obj{State: "CREATE_FAILED", Updated: 2}, nil}},
			hook:      noStackYet,
			wantKnown: true,
		},
		{
			// What the waiter did before the hook: the handler's failure
			// became a grid.
			name:      "without the hook the handler's failure teaches a grid",
			steps:     []step{{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, {1500 * time.Millisecond, obj{State: "CREATE_FAILED"}, nil}},
			wantKnown: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			cfg := c.config("create")
			cfg.Phase = NewPhase(ConductorPeriod)
			_, err := Wait(context.Background(), cfg, scripted(c, tt.steps...), Conditions[obj]{
				Target: []string{"CREATE_COMPLETE"}, HandlerMayFail: tt.hook,
			})
			var fe *FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("Wait = %v, want the failure", err)
			}
			if got := cfg.Phase.Known(); got != tt.wantKnown {
				t.Errorf("phase known = %t after polls at %v, want %t", got, c.polls, tt.wantKnown)
			}
		})
	}
}

// A sync can run late (oslo.service then keeps the following runs as
// late). Once Heat has said the stack is done before a known sync could
// read it, a poll just after that sync that still shows the old status
// means the sync has not run yet: the wait looks again 1.5 s and 3 s
// later instead of a period later, once per wait, and otherwise keeps to
// one poll per known sync.
func TestWaitLooksAgainAfterALateSync(t *testing.T) {
	const period = 10 * time.Second
	const never = 10 * time.Hour
	tests := []struct {
		name     string
		heatDone time.Duration
		// reported is when Magnum shows the flip, as offsets from the
		// start of the wait (syncs become visible 2.0-2.3 s into each
		// period, so the sync after 95 s is at 102 s).
		reported time.Duration
		// looks is how many polls past the first minute are not just
		// after a known sync (2.55 s into the period), the deadline's
		// last look aside.
		looks int
		// late bounds the notice delay; 0 for a wait that times out.
		late time.Duration
	}{
		{"on time", 95 * time.Second, 102 * time.Second, 0, time.Second},
		{"1.2 s late", 95 * time.Second, 103200 * time.Millisecond, 1, 1500 * time.Millisecond},
		{"2.8 s late", 95 * time.Second, 104800 * time.Millisecond, 2, 1500 * time.Millisecond},
		// Past the two looks the wait is back on the grid: a period late.
		{"4 s late", 95 * time.Second, 106 * time.Second, 2, period},
		// Heat finished less than a second before the sync: the sync may
		// have read the busy stack, so no change there says nothing.
		{"stack done just before the sync", 101500 * time.Millisecond, 112 * time.Second, 0, time.Second},
		{"conductor down", 95 * time.Second, never, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			off := c.start.Sub(time.Unix(0, 0)) % period
			phase := NewPhase(period)
			phase.Observe(c.start.Add(-time.Hour+2*time.Second-off), c.start.Add(-time.Hour+2300*time.Millisecond-off))
			reported := tt.reported
			if reported != never {
				reported -= off
			}
			b := &heatBackend{c: c, heatDone: tt.heatDone - off, reported: reported, parts: 40}
			cfg := c.config("late sync")
			cfg.Phase = phase
			cfg.Timeout = 3 * time.Minute
			_, err := Wait(context.Background(), cfg, b.refresh, Conditions[obj]{
				Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}, Hint: b.hint,
			})
			switch {
			case tt.late == 0:
				var te *TimeoutError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a timeout", err)
				}
			case err != nil:
				t.Fatal(err)
			case c.elapsed() < reported:
				t.Fatalf("the wait ended at %s, before Magnum showed the change at %s", c.elapsed(), reported)
			case c.elapsed()-reported > tt.late:
				t.Errorf("noticed %s after the change, want at most %s (polls %v)", c.elapsed()-reported, tt.late, c.polls)
			}
			checkFloor(t, c.polls)
			looks := 0
			for _, p := range c.polls {
				if p >= PhaseAfter && p != cfg.Timeout && (p+off)%period != 2550*time.Millisecond {
					looks++
				}
			}
			if looks != tt.looks {
				t.Errorf("%d polls past the first minute off the known sync, want %d (polls %v)", looks, tt.looks, c.polls)
			}
		})
	}
}

// Within the first minute a create whose Heat stack is read polls on a
// known phase too: while the stack is busy nothing but a sync can flip
// the cluster, so the poll after the first sync that can have seen the
// stack done notices as soon as the schedule's second-by-second polls
// would, for a fraction of the requests. A grid that moved (the conductor
// restarted since it was learnt) shows as a sync that had to flip the
// cluster and did not; past the looks, the wait goes back to the schedule.
func TestWaitPollsShortCreatesOnAKnownPhase(t *testing.T) {
	const period = 10 * time.Second
	tests := []struct {
		name string
		// grid is where the known window starts into the period (it is
		// 300 ms wide); 0 for none known.
		grid               time.Duration
		heatDone, reported time.Duration
		// notYet is when the object first shows what the hint reads.
		notYet     time.Duration
		hintBroken bool
		// gets bounds the polls of the object; late the notice delay.
		gets int
		late time.Duration
	}{
		{"on the known grid", 6 * time.Second, 3 * time.Second, 6200 * time.Millisecond, 0, false, 2, 500 * time.Millisecond},
		{"on the known grid, the stack's id shown late", 6 * time.Second, 3 * time.Second, 6200 * time.Millisecond, 2500 * time.Millisecond, false, 3, 500 * time.Millisecond},
		{"on the known grid, a period on", 6 * time.Second, 5 * time.Second, 16200 * time.Millisecond, 0, false, 3, 500 * time.Millisecond},
		{"the grid moved by 3 s: the looks find it", 6 * time.Second, 3 * time.Second, 9200 * time.Millisecond, 0, false, 4, 500 * time.Millisecond},
		{"the grid moved by 7 s: back to the schedule", 6 * time.Second, 3 * time.Second, 13200 * time.Millisecond, 0, false, 8, time.Second},
		// A grid that moved earlier costs the difference: the flip shows
		// before the known sync, whose poll is the first to see it.
		{"the grid moved 2 s earlier: noticed at the known sync", 6 * time.Second, time.Second, 4200 * time.Millisecond, 0, false, 2, 2500 * time.Millisecond},
		{"no grid known: the schedule", 0, 3 * time.Second, 6200 * time.Millisecond, 0, false, 7, time.Second},
		{"Heat unreadable: the schedule", 6 * time.Second, 3 * time.Second, 6200 * time.Millisecond, 0, true, 7, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			if off := c.start.Sub(time.Unix(0, 0)) % period; off != 0 {
				t.Fatalf("the clock starts %s into a period", off)
			}
			phase := NewPhase(period)
			if tt.grid > 0 {
				phase.Observe(c.start.Add(-time.Hour+tt.grid), c.start.Add(-time.Hour+tt.grid+300*time.Millisecond))
			}
			b := &heatBackend{c: c, heatDone: tt.heatDone, reported: tt.reported, parts: 6, hintBroken: tt.hintBroken, notYetUntil: tt.notYet}
			cfg := c.config("short create")
			cfg.Phase = phase
			cfg.Timeout = 3 * time.Minute
			if _, err := Wait(context.Background(), cfg, b.refresh, Conditions[obj]{
				Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}, Hint: b.hint,
			}); err != nil {
				t.Fatal(err)
			}
			checkNotice(t, c, b.gets, tt.reported, tt.late, tt.gets)
		})
	}
}

// deleteBackend is a delete on a cloud with Heat: the object shows
// DELETE_IN_PROGRESS until the sync after Heat is done removes it (404);
// the hint reads the stack, busy until heatDone.
type deleteBackend struct {
	c                  *clock
	heatDone, reported time.Duration
	hintBroken         bool
	gets               int
}

func (b *deleteBackend) refresh(context.Context) (obj, string, error) {
	b.gets++
	b.c.polls = append(b.c.polls, b.c.elapsed())
	if b.c.elapsed() >= b.reported {
		return obj{}, "", &httpErr{code: 404}
	}
	return obj{State: "DELETE_IN_PROGRESS"}, "DELETE_IN_PROGRESS", nil
}

func (b *deleteBackend) hint(context.Context, obj) (Hint, bool) {
	if b.hintBroken {
		return Hint{}, false
	}
	if b.c.elapsed() >= b.heatDone {
		return Hint{Done: 1, Total: 1}, true
	}
	return Hint{Total: 1}, true
}

// A delete whose hint says when Heat has deleted the stack polls once per
// known sync while Heat is busy and just after the sync that removes the
// object, and ends on the 404; without a grid, or without Heat, it polls
// on the schedule.
func TestWaitPollsDeletesOnAKnownPhase(t *testing.T) {
	const period = 10 * time.Second
	tests := []struct {
		name               string
		grid               time.Duration // 0: none known
		heatDone, reported time.Duration
		hintBroken         bool
		gets               int
		late               time.Duration
	}{
		{"Heat quick, on the known grid", 6 * time.Second, 1500 * time.Millisecond, 6200 * time.Millisecond, false, 2, 500 * time.Millisecond},
		{"Heat a period long, on the known grid", 6 * time.Second, 14 * time.Second, 16200 * time.Millisecond, false, 3, 500 * time.Millisecond},
		{"the grid moved by 7 s: back to the schedule", 6 * time.Second, 1500 * time.Millisecond, 13200 * time.Millisecond, false, 8, time.Second},
		{"no grid known: the schedule", 0, 1500 * time.Millisecond, 6200 * time.Millisecond, false, 8, time.Second},
		{"Heat unreadable: the schedule", 6 * time.Second, 1500 * time.Millisecond, 6200 * time.Millisecond, true, 8, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			phase := NewPhase(period)
			if tt.grid > 0 {
				phase.Observe(c.start.Add(-time.Hour+tt.grid), c.start.Add(-time.Hour+tt.grid+300*time.Millisecond))
			}
			b := &deleteBackend{c: c, heatDone: tt.heatDone, reported: tt.reported, hintBroken: tt.hintBroken}
			cfg := c.config("delete")
			cfg.Phase = phase
			cfg.Timeout = 3 * time.Minute
			if _, err := Wait(context.Background(), cfg, b.refresh, Conditions[obj]{
				Pending: []string{"DELETE_IN_PROGRESS"}, NotFoundIsTarget: true, Hint: b.hint,
			}); err != nil {
				t.Fatal(err)
			}
			checkNotice(t, c, b.gets, tt.reported, tt.late, tt.gets)
		})
	}
}

// checkNotice checks a wait that ended on a change Magnum showed at
// reported: its polls never closer than MinInterval, its end not before the
// change and at most late after it, and at most maxGets polls of the object.
func checkNotice(t *testing.T, c *clock, gets int, reported, late time.Duration, maxGets int) {
	t.Helper()
	checkFloor(t, c.polls)
	switch d := c.elapsed() - reported; {
	case d < 0:
		t.Fatalf("the wait ended at %s, before Magnum showed the change at %s", c.elapsed(), reported)
	case d > late:
		t.Errorf("noticed %s after the change, want at most %s (polls %v)", d, late, c.polls)
	}
	if gets > maxGets {
		t.Errorf("%d polls of the object, want at most %d (polls %v)", gets, maxGets, c.polls)
	}
}

// checkFloor fails the test if two polls came closer than MinInterval.
func checkFloor(t *testing.T, polls []time.Duration) {
	t.Helper()
	for i := 1; i < len(polls); i++ {
		if gap := polls[i] - polls[i-1]; gap < MinInterval {
			t.Fatalf("polls at %s and %s: %s apart, closer than %s", polls[i-1], polls[i], gap, MinInterval)
		}
	}
}
