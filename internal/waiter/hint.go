package waiter

import "time"

// HintAfter is how long a wait runs before it consults its Hint. Shorter
// waits are over before the backend's pace says anything, and the first
// polls are dense anyway; from here on the hint tells the wait when the
// backend has finished, so it can poll at MinInterval just then instead of
// every 9 to 30 s. Without it a wait on a cloud with Heat that does not know
// the conductor's phase noticed a 90 s to 10 min create 7.6 to 15.8 s late
// at the median (the synthetic sweep in BENCHMARKS.md); with it, within 1 s.
const HintAfter = 15 * time.Second

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
//     the end is far and close in on it geometrically;
//   - polls at most farStretch times as sparsely as the schedule while
//     that moment is more than four scheduled intervals away, since the
//     object cannot reach its target before its backend is done;
//   - while only the last part runs, consults and polls every
//     NearDoneInterval, for at most twice the time a part has been taking;
//   - polls every FinishedInterval once the backend is done, to catch the
//     status flip a moment after it.
//
// A wrong estimate costs requests or delay, never correctness: the target
// is still only accepted from the object itself.
type hintPlan struct {
	first, last hintSample
	sampled     bool
	finished    bool
	// lastPartSince is when the wait first saw one part left.
	lastPartSince time.Duration
	// next is the elapsed time at which to consult again.
	next time.Duration
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
	return !p.finished && since >= HintAfter && since >= p.next
}

// miss records a consult that produced no hint.
func (p *hintPlan) miss(since, scheduled time.Duration) {
	p.next = since + hintBackoff*scheduled
}

func (p *hintPlan) observe(since, scheduled time.Duration, h Hint) {
	if h.Total <= 0 {
		p.next = since + hintBackoff*scheduled
		return
	}
	if h.finished() {
		p.finished = true
		return
	}
	s := hintSample{at: since, hint: h}
	// A new total (Heat lists more resources as nested stacks appear) or a
	// count going back restarts the estimate rather than skewing the pace.
	if !p.sampled || h.Total != p.first.hint.Total || h.Done < p.last.hint.Done {
		p.first, p.sampled, p.lastPartSince = s, true, -1
	}
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
			p.lastPartSince = since
		}
		if since-p.lastPartSince <= 2*perPart {
			p.next = since + NearDoneInterval
		} else {
			// The last part runs far longer than the others did (a wait
			// condition, say): the pace says nothing more.
			p.next = since + hintBackoff*scheduled
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

// far reports whether, at the pace so far, the backend cannot be done
// within the next d: the wait need not look at the object before then.
func (p *hintPlan) far(since, d time.Duration) bool {
	if p.finished {
		return false
	}
	if _, ok := p.perPart(); !ok {
		return false
	}
	return p.earliest()-(since-p.last.at) > d
}

// interval bends the scheduled interval for the poll after one made
// `since` into the wait.
func (p *hintPlan) interval(since, scheduled time.Duration) time.Duration {
	if p.finished {
		return max(min(scheduled, FinishedInterval), MinInterval)
	}
	if _, ok := p.perPart(); !ok || since < HintAfter {
		return scheduled
	}
	iv := scheduled
	if p.earliest() > 4*scheduled {
		iv = farStretch * scheduled
	}
	if until := p.next - since; until < iv {
		iv = until
	}
	return max(iv, MinInterval)
}
