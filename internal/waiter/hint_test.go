package waiter

import (
	"cmp"
	"context"
	"errors"
	"testing"
	"time"
)

// heatBackend is a cluster whose Heat stack finishes its parts one after
// another at an even pace until heatDone, and whose API reports
// CREATE_COMPLETE at reported (Magnum's conductor lag later).
type heatBackend struct {
	c                  *clock
	heatDone, reported time.Duration
	parts              int
	failAt             time.Duration // 0: never fails
	hintBroken         bool
	// notYetUntil is when Magnum shows the stack's id: before, the hint
	// has nothing to read.
	notYetUntil time.Duration
	gets, hints int
}

func (b *heatBackend) refresh(context.Context) (obj, string, error) {
	b.gets++
	b.c.polls = append(b.c.polls, b.c.elapsed())
	switch now := b.c.elapsed(); {
	case b.failAt > 0 && now >= b.failAt+10*time.Second:
		return obj{State: "CREATE_FAILED"}, "CREATE_FAILED", nil
	case b.failAt == 0 && now >= b.reported:
		return obj{State: "CREATE_COMPLETE"}, "CREATE_COMPLETE", nil
	}
	return obj{State: "CREATE_IN_PROGRESS"}, "CREATE_IN_PROGRESS", nil
}

func (b *heatBackend) hint(context.Context, obj) (Hint, bool) {
	b.hints++
	if b.hintBroken {
		return Hint{}, false
	}
	now := b.c.elapsed()
	if now < b.notYetUntil {
		return Hint{NotYet: true}, true
	}
	if b.failAt > 0 && now >= b.failAt {
		return Hint{Done: 3, Failed: 1, Total: b.parts}, true
	}
	done := min(int(int64(b.parts)*int64(now)/int64(b.heatDone)), b.parts)
	return Hint{Done: done, Total: b.parts}, true
}

func (b *heatBackend) wait(t *testing.T) (time.Duration, error) {
	t.Helper()
	cfg := b.c.config("c1")
	cfg.Timeout = 3 * time.Hour
	_, err := Wait(context.Background(), cfg, b.refresh, Conditions[obj]{
		Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}, Hint: b.hint,
	})
	checkFloor(t, b.c.polls)
	return b.c.elapsed(), err
}

// plainPolls is how many polls the schedule alone makes to notice a
// completion at reported.
func plainPolls(t *testing.T, reported time.Duration) (int, time.Duration) {
	t.Helper()
	o, n := simulate(t, reported)
	return n, o
}

func TestHintFindsTheEndOfLongWaitsSooner(t *testing.T) {
	tests := []struct {
		name               string
		heatDone, reported time.Duration
		// budget bounds Magnum GETs plus hint requests; 0 means "fewer
		// than the schedule alone".
		budget int
		// late bounds the notice delay: the schedule alone polls every
		// 9 to 30 s there.
		late time.Duration
	}{
		// Magnum learns of Heat's outcome on its next 10 s poll, plus 2 s.
		{"90 seconds", 90 * time.Second, 90*time.Second + 4*time.Second, 0, 3 * time.Second},
		{"5 minutes", 5 * time.Minute, 5*time.Minute + 9*time.Second, 0, 3 * time.Second},
		{"10 minutes", 10 * time.Minute, 10*time.Minute + 12*time.Second, 75, 3 * time.Second},
		{"20 minutes", 20 * time.Minute, 20*time.Minute + 7*time.Second, 100, 3 * time.Second},
		{"1 hour", time.Hour, time.Hour + 11*time.Second, 0, 3 * time.Second},
		{"2 hours", 2 * time.Hour, 2*time.Hour + 3*time.Second, 0, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &heatBackend{c: newClock(), heatDone: tt.heatDone, reported: tt.reported, parts: 40}
			end, err := b.wait(t)
			if err != nil {
				t.Fatal(err)
			}
			if end < tt.reported {
				t.Fatalf("the wait ended at %s, before the cluster was complete at %s", end, tt.reported)
			}
			if delay := end - tt.reported; delay > tt.late {
				t.Errorf("noticed %s after completion, want at most %s", delay, tt.late)
			}
			polls, plainDelay := plainPolls(t, tt.reported)
			if budget := tt.budget; (budget == 0 && b.gets+b.hints >= polls) || (budget > 0 && b.gets+b.hints > budget) {
				t.Errorf("%d GETs and %d hints; the schedule alone: %d polls, %s late; budget %d", b.gets, b.hints, polls, plainDelay, budget)
			}
		})
	}
}

func TestHintIsNotConsultedOnShortWaits(t *testing.T) {
	// Each is reported before HintAfter; the poll that sees it does not
	// consult either.
	for _, reported := range []time.Duration{500 * time.Millisecond, HintAfter - time.Millisecond, HintAfter} {
		b := &heatBackend{c: newClock(), heatDone: reported / 2, reported: reported, parts: 40}
		if _, err := b.wait(t); err != nil {
			t.Fatal(err)
		}
		if b.hints != 0 {
			t.Errorf("reported at %s: %d hint requests; a short wait must not pay for them", reported, b.hints)
		}
	}
}

// TestHintNotYetCostsNothing: until the backend exists there is nothing to
// read; the wait asks again at its next poll instead of backing off.
func TestHintNotYetCostsNothing(t *testing.T) {
	b := &heatBackend{c: newClock(), heatDone: 90 * time.Second, reported: 96 * time.Second, parts: 40}
	var asked int
	hint := func(ctx context.Context, o obj) (Hint, bool) {
		asked++
		if b.c.elapsed() < 4*time.Second {
			return Hint{NotYet: true}, true
		}
		return b.hint(ctx, o)
	}
	cfg := b.c.config("c1")
	cfg.Timeout = time.Hour
	if _, err := Wait(context.Background(), cfg, b.refresh, Conditions[obj]{
		Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}, Hint: hint,
	}); err != nil {
		t.Fatal(err)
	}
	if asked-b.hints > 3 {
		t.Errorf("asked %d times before the backend existed; want at most once per poll from %s to 4 s", asked-b.hints, HintAfter)
	}
	// The first real consult comes at the first poll after 4 s, not after
	// a backoff of several scheduled intervals.
	var firstBusy time.Duration
	for _, at := range b.c.polls {
		if at > 5*time.Second {
			firstBusy = at
			break
		}
	}
	if firstBusy < 14*time.Second {
		t.Errorf("polled at %s; with Heat read from 4 s on, the next poll comes a conductor period later", firstBusy)
	}
}

func TestHintFailureIsNoticed(t *testing.T) {
	b := &heatBackend{c: newClock(), heatDone: time.Hour, reported: time.Hour, parts: 40, failAt: 20 * time.Minute}
	end, err := b.wait(t)
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FailedError", err)
	}
	// Magnum reports the failure 10 s after Heat. Consults close in on the
	// end the pace predicts and the failure shows in the first one after it.
	if late := end - (b.failAt + 10*time.Second); late < 0 || late > time.Minute {
		t.Errorf("failure noticed %s after Magnum reported it", late)
	}
}

func TestBrokenHintCostsLittle(t *testing.T) {
	b := &heatBackend{c: newClock(), heatDone: time.Hour, reported: time.Hour + 5*time.Second, parts: 40, hintBroken: true}
	end, err := b.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	polls, plainDelay := plainPolls(t, b.reported)
	if b.gets != polls || end-b.reported != plainDelay {
		t.Errorf("with an unreadable hint: %d polls, %s late; the schedule alone: %d, %s", b.gets, end-b.reported, polls, plainDelay)
	}
	if b.hints > polls/hintBackoff+1 {
		t.Errorf("%d failed hint requests over %d polls; want them backed off", b.hints, polls)
	}
}

func TestHintPlanInterval(t *testing.T) {
	const sched = 30 * time.Second
	tests := []struct {
		name    string
		samples []hintSample
		miss    bool // a consult after the samples could not read the hint
		since   time.Duration
		sched   time.Duration // 0: sched
		// want is the interval to the next poll of the object, consult
		// the one to the next consult.
		want, consult time.Duration
	}{
		{name: "no sample keeps the schedule", since: 15 * time.Minute, want: sched},
		{name: "one sample has no pace yet", samples: []hintSample{{15 * time.Minute, Hint{Done: 10, Total: 40}}}, since: 15 * time.Minute,
			want: sched, consult: 2 * sched},
		// 10 parts in 5 min (30 s each), 19 more to go at the least.
		{name: "far from the end stretches", samples: []hintSample{{10 * time.Minute, Hint{Done: 10, Total: 40}}, {15 * time.Minute, Hint{Done: 20, Total: 40}}},
			since: 15 * time.Minute, want: farStretch * sched, consult: 19 * 30 * time.Second / 2},
		// 30 s a part, one more besides the running one: look in 15 s,
		// without polling the object before its schedule.
		{name: "near the end the consults close in", samples: []hintSample{{600 * time.Second, Hint{Done: 20, Total: 40}}, {1140 * time.Second, Hint{Done: 38, Total: 40}}},
			since: 1140 * time.Second, want: sched, consult: 15 * time.Second},
		{name: "the last part is consulted often", samples: []hintSample{{600 * time.Second, Hint{Done: 20, Total: 40}}, {1170 * time.Second, Hint{Done: 39, Total: 40}}},
			since: 1170 * time.Second, want: sched, consult: NearDoneInterval},
		// Early in a wait the schedule polls every 1.5 s; while Heat is busy
		// the object is polled once per conductor period.
		{name: "a busy backend early in the wait spares the object", samples: []hintSample{{5 * time.Second, Hint{Done: 1, Total: 40}}, {8 * time.Second, Hint{Done: 2, Total: 40}}},
			since: 8 * time.Second, sched: 1500 * time.Millisecond, want: ConductorPeriod, consult: 37 * 3 * time.Second / 2},
		{name: "an unreadable hint returns to the schedule", samples: []hintSample{{5 * time.Second, Hint{Done: 1, Total: 40}}, {8 * time.Second, Hint{Done: 2, Total: 40}}}, miss: true,
			since: 8 * time.Second, sched: 1500 * time.Millisecond, want: 1500 * time.Millisecond, consult: hintBackoff * 1500 * time.Millisecond},
		{name: "finished polls fast", samples: []hintSample{{20 * time.Minute, Hint{Done: 40, Total: 40}}}, since: 20 * time.Minute, want: FinishedInterval},
		{name: "a failed part counts as finished", samples: []hintSample{{20 * time.Minute, Hint{Done: 3, Failed: 1, Total: 40}}}, since: 20 * time.Minute, want: FinishedInterval},
		{name: "before HintAfter the schedule rules", samples: []hintSample{{0, Hint{Done: 0, Total: 40}}, {HintAfter / 2, Hint{Done: 1, Total: 40}}},
			since: HintAfter / 2, want: sched, consult: 38 * HintAfter / 2 / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := cmp.Or(tt.sched, sched)
			var p hintPlan
			for _, s := range tt.samples {
				p.observe(s.at, sc, s.hint)
			}
			if tt.miss {
				p.miss(tt.since, sc)
			}
			if got := p.interval(tt.since, sc); got != tt.want {
				t.Errorf("interval = %s, want %s", got, tt.want)
			}
			if p.finished {
				if p.due(tt.since + time.Hour) {
					t.Errorf("a finished plan still consults")
				}
				return
			}
			if got := max(p.nextConsult()-tt.since, 0); got != tt.consult {
				t.Errorf("next consult in %s, want %s", got, tt.consult)
			}
		})
	}
}

// TestHintSparesTheObjectWhileTheBackendIsBusy: while Heat's progress says
// the stack is busy, the cluster is polled at most once per conductor
// period, and from the stack's end every second until Magnum reports it.
func TestHintSparesTheObjectWhileTheBackendIsBusy(t *testing.T) {
	for _, heatDone := range []time.Duration{90 * time.Second, 20 * time.Minute} {
		t.Run(heatDone.String(), func(t *testing.T) {
			b := &heatBackend{c: newClock(), heatDone: heatDone, reported: heatDone + 6*time.Second, parts: 40}
			end, err := b.wait(t)
			if err != nil {
				t.Fatal(err)
			}
			if late := end - b.reported; late < 0 || late > 3*time.Second {
				t.Errorf("noticed %s after Magnum reported it", late)
			}
			var busy []time.Duration
			for _, at := range b.c.polls {
				// From the first consult with a pace (two consults, two
				// scheduled seconds apart) until Heat is done.
				if at > HintAfter+2*time.Second && at < heatDone {
					busy = append(busy, at)
				}
			}
			for i := 1; i < len(busy); i++ {
				if gap := busy[i] - busy[i-1]; gap < ConductorPeriod {
					t.Errorf("polls at %s and %s, %s apart while Heat was busy; want at most one per %s", busy[i-1], busy[i], gap, ConductorPeriod)
				}
			}
			if b.hints == 0 {
				t.Error("Heat was never consulted")
			}
			t.Logf("%d polls (%d while Heat was busy), %d consults, noticed %s late", b.gets, len(busy), b.hints, end-b.reported)
		})
	}
}
