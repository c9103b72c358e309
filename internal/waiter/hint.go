package waiter

import (
	"context"
	"time"
)

// HintAfter is how long a wait runs before it consults its Hint: about
// when Magnum's conductor has created the stack, a second or two after the
// POST. From then on the hint tells the wait whether the backend is still
// busy, which the object cannot show (Magnum reports CREATE_IN_PROGRESS
// from the POST until its conductor's first sync after the stack is done):
// while it is, the wait reads the backend's progress instead of the
// object, and polls the object at most once per conductor period; once the
// backend is done, every second. A wait that ends sooner never consults.
const HintAfter = 2 * time.Second

// FinishedInterval is how often a wait polls once its Hint reports that the
// backend has finished (or failed): Magnum copies a Heat outcome onto the
// cluster within one conductor period, 10 s by default, at a moment the
// wait cannot know without the phase, so it looks as often as it may.
const FinishedInterval = MinInterval

// farStretch is how many times sparser than the schedule a wait polls
// while its Hint says the backend cannot be done for more than four
// scheduled intervals: the object cannot reach its target before its
// backend is done, and a failure shows in the hint first.
const farStretch = 4

// hintBackoff spaces consults, in scheduled intervals, after a hint could
// not be read or when the pace estimate proved wrong, so that a cloud whose
// Heat is unreachable costs a request every few polls, not every one.
const hintBackoff = 4

// hintPlan decides when a wait consults its Hint and how the answers bend
// the schedule. From the pace at which the backend has been finishing its
// parts it knows the earliest the backend can be done (every part but the
// running one still to go), and then:
//
//   - consults again halfway to that moment, so consults are sparse while
//     the end is far and close in on it geometrically; these consults run
//     between polls of the object, which they do not need;
//   - while the consults vouch that the backend is busy, polls the object
//     at most once per conductor period (and at most farStretch times as
//     sparsely as the schedule while the end is more than four scheduled
//     intervals away): the object cannot reach its target before its
//     backend is done, and a failure shows in the hint first;
//   - while only the last part runs, consults halfway to when it should
//     end at that pace, then every NearDoneInterval, for at most twice the
//     time a part has been taking;
//   - polls at once, then every FinishedInterval, when a consult finds the
//     backend done, to catch the status flip a moment after it.
//
// When the hint cannot be read, or the pace stops saying anything (a last
// part that runs far longer than the others), the consults back off and
// the object is polled on the schedule again.
//
// A wrong estimate costs requests or delay, never correctness: the target
// is still only accepted from the object itself.
type hintPlan struct {
	first, last hintSample
	sampled     bool
	finished    bool
	// backoff is set while the consults do not vouch for the backend: the
	// hint could not be read, or the last part outran the pace.
	backoff bool
	// lastPartSince is the earliest the last part can have begun: the
	// look before the one that first saw one part left.
	lastPartSince time.Duration
	// next is the elapsed time at which to consult again.
	next time.Duration
	// finishedBy is when the consult that first found the backend finished
	// was answered: the backend was done by then.
	finishedBy time.Duration
}

type hintSample struct {
	at   time.Duration
	hint Hint
}

// finished reports whether a hint says the backend has nothing left to do.
func (h Hint) finished() bool {
	return h.Total > 0 && (h.Failed > 0 || h.Done >= h.Total)
}

func (p *hintPlan) due(since time.Duration) bool {
	return !p.finished && since >= p.nextConsult()
}

// nextConsult is the elapsed time of the next consult.
func (p *hintPlan) nextConsult() time.Duration { return max(p.next, HintAfter) }

// vouching reports whether the consults say the backend is busy and will
// look again soon enough to see it finish: the object need not be polled
// more than once per conductor period meanwhile.
func (p *hintPlan) vouching() bool { return p.sampled && !p.finished && !p.backoff }

// miss records a consult that produced no hint.
func (p *hintPlan) miss(since, scheduled time.Duration) {
	p.next, p.backoff = since+hintBackoff*scheduled, true
}

func (p *hintPlan) observe(since, scheduled time.Duration, h Hint) {
	if h.NotYet {
		p.next = since + scheduled
		return
	}
	if h.Total <= 0 {
		p.next, p.backoff = since+hintBackoff*scheduled, true
		return
	}
	if h.finished() {
		p.finished = true
		return
	}
	p.backoff = false
	s := hintSample{at: since, hint: h}
	// A new total (Heat lists more resources as nested stacks appear) or a
	// count going back restarts the estimate rather than skewing the pace.
	if !p.sampled || h.Total != p.first.hint.Total || h.Done < p.last.hint.Done {
		p.first, p.sampled, p.lastPartSince = s, true, -1
	}
	prev := p.last
	p.last = s
	perPart, ok := p.perPart()
	switch {
	case !ok:
		// No pace yet: the backend has not finished a part since the first
		// look, so the next one is unlikely before two intervals.
		p.next = since + 2*scheduled
	case h.Total-h.Done > 1:
		p.next = since + max(p.earliest()/2, NearDoneInterval)
	default:
		if p.lastPartSince < 0 {
			// The part began after the previous look, which saw more
			// parts left, and (at the pace so far) within a part's time.
			p.lastPartSince = min(max(prev.at, since-perPart), since)
		}
		if el := since - p.lastPartSince; el <= 2*perPart {
			// Halfway to when the part should end at the pace so far,
			// then every NearDoneInterval.
			p.next = since + max((perPart-el)/2, NearDoneInterval)
		} else {
			// The last part runs far longer than the others did (a wait
			// condition, say): the pace says nothing more.
			p.next, p.backoff = since+hintBackoff*scheduled, true
		}
	}
}

// perPart is the average time a part has taken since the first sample.
func (p *hintPlan) perPart() (time.Duration, bool) {
	if !p.sampled {
		return 0, false
	}
	done := p.last.hint.Done - p.first.hint.Done
	dt := p.last.at - p.first.at
	if done <= 0 || dt <= 0 {
		return 0, false
	}
	return dt / time.Duration(done), true
}

// earliest is how long at the least until the backend is done, at the
// pace so far: every part but the running one.
func (p *hintPlan) earliest() time.Duration {
	perPart, _ := p.perPart()
	return perPart * time.Duration(max(p.last.hint.Total-p.last.hint.Done-1, 0))
}

// interval bends the scheduled interval for the poll of the object after
// one made `since` into the wait.
func (p *hintPlan) interval(since, scheduled time.Duration) time.Duration {
	if p.finished {
		return max(min(scheduled, FinishedInterval), MinInterval)
	}
	if !p.vouching() || since < HintAfter {
		return scheduled
	}
	iv := scheduled
	if _, ok := p.perPart(); ok && p.earliest() > 4*scheduled {
		iv = farStretch * scheduled
	}
	return max(iv, ConductorPeriod)
}

// consultBetween runs the consults due before the next poll of the object,
// d from now, and returns how long to wait for that poll: less when a
// consult finds the backend done or stops vouching for it (back to the
// schedule). A consult never runs past the wait's deadline. With phased
// set and the conductor's phase known, the poll after the backend is done
// comes just after the first sync that can have seen it: the one after
// both the poll at pollAt and the last consult that found it busy.
func consultBetween[T any](ctx context.Context, cfg Config, hint func(context.Context, T) (Hint, bool), plan *hintPlan,
	start time.Time, obj T, pollAt, answeredAt time.Time, d time.Duration, phased bool) (time.Duration, error) {
	pollDue := cfg.Now().Add(d)
	floor := answeredAt.Add(MinInterval)
	busySince := pollAt
	for !plan.finished {
		at := start.Add(plan.nextConsult())
		if !at.Before(pollDue) || (cfg.Timeout > 0 && !at.Before(start.Add(cfg.Timeout))) {
			break
		}
		if err := cfg.Sleep(ctx, max(at.Sub(cfg.Now()), 0)); err != nil {
			return 0, err
		}
		consultAt := cfg.Now()
		since := consultAt.Sub(start)
		consult(ctx, cfg, hint, plan, obj, since)
		switch now := cfg.Now(); {
		case plan.finished:
			pollDue = later(now, floor)
			if phased {
				if at, ok := cfg.Phase.next(busySince.Add(time.Nanosecond)); ok {
					pollDue = later(at, floor)
				}
			}
		case !plan.vouching():
			pollDue = earlier(pollDue, later(pollAt.Add(max(cfg.Schedule(since), MinInterval)), floor))
		default:
			busySince = later(busySince, consultAt)
		}
	}
	return max(pollDue.Sub(cfg.Now()), 0), nil
}

// consult asks hint about obj, `since` into the wait, and records the
// answer in plan: the one way a wait reads its hint, at a poll or between
// polls.
func consult[T any](ctx context.Context, cfg Config, hint func(context.Context, T) (Hint, bool), plan *hintPlan, obj T, since time.Duration) (Hint, bool) {
	scheduled := max(cfg.Schedule(since), MinInterval)
	sent, wasFinished := cfg.Now(), plan.finished
	h, ok := hint(ctx, obj)
	if !ok {
		plan.miss(since, scheduled)
		return h, false
	}
	plan.observe(since, scheduled, h)
	if plan.finished && !wasFinished {
		plan.finishedBy = since + cfg.Now().Sub(sent)
	}
	if !h.NotYet {
		cfg.logf("%s: progress at %s: %d of %d parts done, %d failed", cfg.What, since.Round(time.Millisecond), h.Done, h.Total, h.Failed)
	}
	return h, true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
