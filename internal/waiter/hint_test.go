package waiter

import (
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
	gets, hints        int
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
	for i := 1; i < len(b.c.polls); i++ {
		if gap := b.c.polls[i] - b.c.polls[i-1]; gap < MinInterval {
			t.Fatalf("polls %d and %d only %s apart", i-1, i, gap)
		}
	}
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
	for _, d := range []time.Duration{3 * time.Second, 8 * time.Second, HintAfter - 3*time.Second} {
		b := &heatBackend{c: newClock(), heatDone: d, reported: d + 2*time.Second, parts: 40}
		if _, err := b.wait(t); err != nil {
			t.Fatal(err)
		}
		if b.hints != 0 {
			t.Errorf("T=%s: %d hint requests; a short wait must not pay for them", d, b.hints)
		}
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
		since   time.Duration
		want    time.Duration
	}{
		{"no sample keeps the schedule", nil, 15 * time.Minute, sched},
		{"one sample has no pace yet", []hintSample{{15 * time.Minute, Hint{Done: 10, Total: 40}}}, 15 * time.Minute, sched},
		// 10 parts in 5 min (30 s each), 19 more to go at the least.
		{"far from the end stretches", []hintSample{{10 * time.Minute, Hint{Done: 10, Total: 40}}, {15 * time.Minute, Hint{Done: 20, Total: 40}}},
			15 * time.Minute, farStretch * sched},
		// 30 s a part, one more besides the running one: look in 15 s.
		{"near the end closes in", []hintSample{{600 * time.Second, Hint{Done: 20, Total: 40}}, {1140 * time.Second, Hint{Done: 38, Total: 40}}},
			1140 * time.Second, 15 * time.Second},
		{"the last part polls often", []hintSample{{600 * time.Second, Hint{Done: 20, Total: 40}}, {1170 * time.Second, Hint{Done: 39, Total: 40}}},
			1170 * time.Second, NearDoneInterval},
		{"finished polls fast", []hintSample{{20 * time.Minute, Hint{Done: 40, Total: 40}}}, 20 * time.Minute, FinishedInterval},
		{"a failed part counts as finished", []hintSample{{20 * time.Minute, Hint{Done: 3, Failed: 1, Total: 40}}}, 20 * time.Minute, FinishedInterval},
		{"before HintAfter the schedule rules", []hintSample{{0, Hint{Done: 0, Total: 40}}, {HintAfter / 2, Hint{Done: 1, Total: 40}}},
			HintAfter / 2, sched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p hintPlan
			for _, s := range tt.samples {
				p.observe(s.at, sched, s.hint)
			}
			if got := p.interval(tt.since, sched); got != tt.want {
				t.Errorf("interval = %s, want %s", got, tt.want)
			}
		})
	}
}
