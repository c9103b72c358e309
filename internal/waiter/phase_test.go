package waiter

import (
	"context"
	"testing"
	"time"
)

func at(d time.Duration) time.Time { return time.Unix(0, 0).Add(d) }

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
	p.mu.Lock()
	lo, hi := p.lo, p.hi
	p.mu.Unlock()
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

func TestPhaseReplacesAContradictedWindowAndIgnoresWideOnes(t *testing.T) {
	p := NewPhase(10 * time.Second)
	p.Observe(at(3*time.Second), at(4*time.Second))
	// Too wide to say anything.
	p.Observe(at(10*time.Second), at(16*time.Second))
	if got, _ := p.next(at(20 * time.Second)); got != at(24*time.Second+phaseMargin) {
		t.Errorf("a 5 s window changed the phase: next = %s", got.Sub(at(0)))
	}
	// The conductor restarted: changes now land at 7–8 s.
	p.Observe(at(27*time.Second), at(28*time.Second))
	if got, _ := p.next(at(30 * time.Second)); got != at(38*time.Second+phaseMargin) {
		t.Errorf("a contradicting window was not taken: next = %s, want 38.25 s", got.Sub(at(0)))
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
			p.Seed(tt.seedLo, tt.seedHi)
			lo, hi, ok := p.Window()
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
	p.Seed(4*time.Second, 4500*time.Millisecond)
	p.Observe(at(8*time.Second), at(8300*time.Millisecond))
	if lo, hi, _ := p.Window(); lo != 8*time.Second || hi != 8300*time.Millisecond {
		t.Errorf("after a contradicting observation the window is %s..%s, want 8s..8.3s", lo, hi)
	}
	var none *Phase
	none.Seed(time.Second, 2*time.Second)
	if _, _, ok := none.Window(); ok {
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
	lo, hi, ok := learnt.Window()
	if !ok {
		t.Fatal("nothing learnt")
	}
	seeded := NewPhase(period)
	seeded.Seed(lo, hi)
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
