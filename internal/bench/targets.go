package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// OverheadBound is the median notice delay allowed for a wait of T: 1 s
// up to a minute, 10 % of T up to 200 s, 20 s beyond.
func OverheadBound(T time.Duration) time.Duration {
	switch {
	case T <= 60*time.Second:
		return time.Second
	case T <= 200*time.Second:
		return T / 10
	default:
		return 20 * time.Second
	}
}

// Request budgets per wait.
var requestBudgets = []struct {
	T      time.Duration
	Budget int
}{{10 * time.Minute, 75}, {time.Hour, 230}}

// SweepChecks judges one strategy's sweep against the polling targets.
func SweepChecks(st Strategy, pts []SweepPoint) []Check {
	var checks []Check
	worst, worstT := 0.0, time.Duration(0)
	overheadOK := true
	early, failed, firstErr := 0, 0, ""
	minGap := time.Duration(0)
	for _, p := range pts {
		ratio := float64(p.MedianOverhead) / float64(OverheadBound(p.T))
		if ratio > worst {
			worst, worstT = ratio, p.T
		}
		overheadOK = overheadOK && p.MedianOverhead <= OverheadBound(p.T)
		early += p.Early
		failed += p.Failed
		if firstErr == "" {
			firstErr = p.FirstErr
		}
		if minGap == 0 || (p.MinGap > 0 && p.MinGap < minGap) {
			minGap = p.MinGap
		}
	}
	if p, ok := pointAt(pts, worstT); ok {
		checks = append(checks, Check{Target: st.Name + ": median overhead ≤ 1 s (T ≤ 60 s), ≤ 10% of T (≤ 200 s), ≤ 20 s beyond, for T = 5 s … 2 h",
			Got: fmt.Sprintf("closest to its bound at T = %s: %s of %s allowed", shortDur(p.T), secs(p.MedianOverhead), secs(OverheadBound(p.T))), Met: overheadOK})
	}
	never := Check{Target: st.Name + ": a wait never ends before the change happened, and every wait succeeds",
		Got: fmt.Sprintf("%d durations × %d phases, none early, none failed", len(pts), Phases), Met: early == 0 && failed == 0}
	if !never.Met {
		never.Got = fmt.Sprintf("of %d waits, %d reported success before Magnum did and %d failed", len(pts)*Phases, early, failed)
		if firstErr != "" {
			never.Got += "; " + firstErr
		}
	}
	checks = append(checks, never)
	checks = append(checks, Check{Target: st.Name + ": never more than 1 request/s per bay",
		Got: fmt.Sprintf("shortest gap between Magnum GETs %s", secs(minGap)), Met: minGap >= waiter.MinInterval})
	for _, b := range requestBudgets {
		if p, ok := pointAt(pts, b.T); ok {
			checks = append(checks, Check{Target: fmt.Sprintf("%s: ≤ %d GETs for T = %s", st.Name, b.Budget, shortDur(b.T)),
				Got: fmt.Sprintf("%d at most (%d Heat), %d median", p.MaxRequests, p.MaxHeatGETs, p.MedianRequests), Met: p.MaxRequests <= b.Budget})
		}
	}
	return checks
}

// Phased-polling targets (issue 16): the notice delay at every T, and the
// request rate once past the first minute.
const (
	PhasedMedianBound = time.Second
	PhasedMaxBound    = 3 * time.Second
)

// PhaseChecks judges a phased strategy's sweep: median ≤ 1 s and max ≤ 3 s
// at every T from 5 s to 2 h, at most one GET per conductor period past
// the first minute, and never an early or failed wait.
func PhaseChecks(st Strategy, pts []SweepPoint) []Check {
	var worstMed, worstMax SweepPoint
	early, failed := 0, 0
	perPeriod := 0
	medOK, maxOK := true, true
	for _, p := range pts {
		if p.MedianOverhead >= worstMed.MedianOverhead {
			worstMed = p
		}
		if p.MaxOverhead >= worstMax.MaxOverhead {
			worstMax = p
		}
		medOK = medOK && p.MedianOverhead <= PhasedMedianBound
		maxOK = maxOK && p.MaxOverhead <= PhasedMaxBound
		early += p.Early
		failed += p.Failed
		perPeriod = max(perPeriod, p.MaxPerPeriod)
	}
	return []Check{
		{Target: st.Name + ": median notice delay ≤ 1 s and max ≤ 3 s at every T from 5 s to 2 h",
			Got: fmt.Sprintf("worst median %s (T = %s), worst max %s (T = %s)", secs(worstMed.MedianOverhead), shortDur(worstMed.T),
				secs(worstMax.MaxOverhead), shortDur(worstMax.T)), Met: medOK && maxOK},
		{Target: st.Name + ": " + perSyncTarget(st),
			Got: fmt.Sprintf("at most %d GET(s) in one %s period", perPeriod, ConductorInterval),
			Met: perPeriod <= max(st.Conductors, 1)},
		{Target: st.Name + ": a wait never ends before the change happened, and every wait succeeds",
			Got: fmt.Sprintf("%d durations × %d phases: %d early, %d failed", len(pts), Phases, early, failed), Met: early == 0 && failed == 0},
	}
}

// ConductorsInfo reports a phased strategy on a cloud with several
// conductors (ThreeConductors), where the grid the phase knows is one of
// several: its notice delay and rate past the first minute, where the
// phase is used, as information against the one-conductor targets; and,
// judged, that no wait ends before the change or fails.
func ConductorsInfo(st Strategy, pts []SweepPoint) []Check {
	from, span := PhasedFrom(st)
	var past []SweepPoint
	for _, p := range pts {
		if p.T >= from {
			past = append(past, p)
		}
	}
	c := PhaseChecks(st, past)
	never := PhaseChecks(st, pts)[2]
	c[0].Info, c[1].Info = true, true
	c[0].Target = st.Name + ": notice delay " + span + " (one conductor's targets: median ≤ 1 s, max ≤ 3 s)"
	c[1].Target = st.Name + ": Magnum GETs per conductor period past the first minute"
	return []Check{c[0], c[1], never}
}

// PhasedFrom is the shortest wait a phased strategy polls on the phase:
// with Heat's progress read, a wait polls just after the known syncs from
// its first seconds (the stack's state says which sync can flip it);
// without, from waiter.PhaseAfter on.
func PhasedFrom(st Strategy) (time.Duration, string) {
	if st.Heat {
		return 0, "from 5 s to 2 h"
	}
	return waiter.PhaseAfter, "from 1 min to 2 h"
}

// LateSyncInfo reports a phased strategy whose flipping sync runs late
// (LateSyncs): its notice delay and rate past the first minute, where the
// phase is used, as information against the on-time targets; and, judged,
// that no wait ends before the change or fails.
func LateSyncInfo(st Strategy, pts []SweepPoint) []Check {
	c := ConductorsInfo(st, pts)
	_, span := PhasedFrom(st)
	c[0].Target = st.Name + ": notice delay " + span + " (the on-time targets: median ≤ 1 s, max ≤ 3 s)"
	return c
}

// perSyncTarget names the rate target: one Magnum GET per sync past the
// first minute, which is one per period with one conductor.
func perSyncTarget(st Strategy) string {
	if st.Conductors > 1 {
		return fmt.Sprintf("at most one Magnum GET per sync past the first minute (%d per conductor period, one per conductor)", st.Conductors)
	}
	return "at most one Magnum GET per conductor period past the first minute"
}

// HeatNoticeCheck judges a wait that reads Heat's progress but does not
// know the conductor's phase (a new provider process on a cloud with Heat)
// against the notice targets: median ≤ 1 s and max ≤ 3 s at every T. The
// stack's end tells it when Magnum's next sync can flip the bay, and it
// polls every second from then on; what it cannot meet without the phase
// is one GET per period in the seconds after the stack is done.
func HeatNoticeCheck(st Strategy, pts []SweepPoint) Check {
	var worstMed, worstMax SweepPoint
	ok := len(pts) > 0
	for _, p := range pts {
		if p.MedianOverhead >= worstMed.MedianOverhead {
			worstMed = p
		}
		if p.MaxOverhead >= worstMax.MaxOverhead {
			worstMax = p
		}
		ok = ok && p.MedianOverhead <= PhasedMedianBound && p.MaxOverhead <= PhasedMaxBound
	}
	return Check{Target: st.Name + ": median notice delay ≤ 1 s and max ≤ 3 s at every T from 5 s to 2 h, without the conductor's phase",
		Got: fmt.Sprintf("worst median %s (T = %s), worst max %s (T = %s)", secs(worstMed.MedianOverhead), shortDur(worstMed.T),
			secs(worstMax.MaxOverhead), shortDur(worstMax.T)), Met: ok}
}

// ScheduleFalls checks that the schedule's interval never shrinks as the
// wait grows, so the request rate only falls.
func ScheduleFalls(s waiter.Schedule) Check {
	prev := time.Duration(0)
	for e := time.Duration(0); e <= 3*time.Hour; e += 100 * time.Millisecond {
		iv := max(s(e), waiter.MinInterval)
		if iv < prev {
			return Check{Target: "request rate falls as the wait grows", Got: fmt.Sprintf("interval shrinks at %s", e)}
		}
		prev = iv
	}
	return Check{Target: "request rate falls as the wait grows (the schedule alone)",
		Got: fmt.Sprintf("interval never shrinks: 1 s at the start, %s after 200 s", secs(s(time.Hour))), Met: true}
}

type statusErr struct {
	code int
	ra   time.Duration
}

func (e *statusErr) Error() string                 { return fmt.Sprintf("HTTP %d", e.code) }
func (e *statusErr) HTTPStatusCode() int           { return e.code }
func (e *statusErr) RetryAfterHint() time.Duration { return e.ra }

// RetryAfterCheck drives the waiter through a 429 with Retry-After and a
// 503 and checks that it waits as told and rides both out.
func RetryAfterCheck() Check {
	c := &synthClock{}
	var polls []time.Duration
	refresh := func(context.Context) (string, string, error) {
		polls = append(polls, c.now)
		switch len(polls) {
		case 1:
			return "", "", &statusErr{code: 429, ra: 45 * time.Second}
		case 2:
			return "", "", &statusErr{code: 503}
		}
		return "CREATE_COMPLETE", "CREATE_COMPLETE", nil
	}
	_, err := waiter.Wait(context.Background(), waiter.Config{Now: c.Now, Sleep: c.Sleep},
		refresh, waiter.Conditions[string]{Target: []string{"CREATE_COMPLETE"}})
	ok := err == nil && len(polls) == 3 && polls[1] >= 45*time.Second && polls[2]-polls[1] >= waiter.MinInterval
	got := fmt.Sprintf("after a 429 with Retry-After: 45 the next poll came %s later; a 503 was retried %s later", secs(polls[1]), secs(polls[len(polls)-1]-polls[1]))
	if err != nil {
		got += fmt.Sprintf("; error: %v", err)
	}
	return Check{Target: "Retry-After and 429/503 honoured (waiter; the API client's own retries are unit-tested in internal/magnum)", Got: got, Met: ok}
}
