package waiter

import (
	"sync"
	"time"
)

// ConductorPeriod is how often Magnum's conductor syncs the status of the
// clusters that are in progress (service/periodic.py, every 10 s). A
// status moves only on that sync, so a client that knows the sync's phase
// can poll once per period, just after the change lands.
const ConductorPeriod = 10 * time.Second

// PhaseAfter is how long a wait runs on its schedule before it polls on
// the conductor's phase instead: within the first minute the schedule's
// dense polls already notice within a second.
const PhaseAfter = time.Minute

// phaseMargin is how long after the end of the learnt window a phased
// poll is sent, so that it lands after the change rather than on its edge.
const phaseMargin = 250 * time.Millisecond

// maxPhaseWidth is the widest window still worth polling on: wider, a
// single poll per period would notice later than the schedule does. Wider
// observations (up to half a period: a slow API, polls far apart) are kept
// all the same, since several of them intersect to a narrow window.
const maxPhaseWidth = 2 * time.Second

// PhasedPollBound is how long after a change shows a phased poll comes at
// the latest: the widest window a wait polls on, then the margin.
const PhasedPollBound = maxPhaseWidth + phaseMargin

// Phase learns when, within each conductor period, changes made by the
// conductor's periodic sync become visible, from the waits that see one:
// a change first seen by a poll answered at `after`, when the poll sent at
// `before` still showed the old state, became visible in (before, after].
// Times are on the waiter's own clock, so the cloud's clock and its skew
// play no part. One Phase is shared by all the waits of a provider
// instance (Magnum runs one periodic task for every cluster), so the first
// wait to see a change tells the others; it is safe for concurrent use.
type Phase struct {
	period time.Duration

	mu sync.Mutex
	// lo and hi bound the window, as offsets into the period counted from
	// the zero time; known is false until an observation.
	lo, hi time.Duration
	known  bool
}

// NewPhase returns a Phase for a conductor that syncs every period.
func NewPhase(period time.Duration) *Phase {
	return &Phase{period: period}
}

// Observe records that a conductor-made change became visible between
// before and after. A window that agrees with what is known narrows it; one
// that contradicts it (a restarted conductor, another conductor's tick)
// replaces it.
func (p *Phase) Observe(before, after time.Time) {
	if p == nil || !after.After(before) || after.Sub(before) > p.period/2 {
		return
	}
	lo := p.offset(before)
	hi := lo + after.Sub(before)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.known {
		p.lo, p.hi, p.known = lo, hi, true
		return
	}
	// Bring the new window next to the old one on the circle.
	for hi < p.lo {
		lo, hi = lo+p.period, hi+p.period
	}
	for lo > p.hi {
		lo, hi = lo-p.period, hi-p.period
	}
	switch {
	case lo <= p.hi && hi >= p.lo:
		// Overlap: the change lands in both windows.
		p.lo, p.hi = max(lo, p.lo), min(hi, p.hi)
	case max(hi, p.hi)-min(lo, p.lo) <= maxPhaseWidth:
		// Close but disjoint: the sync's own duration varies a little.
		p.lo, p.hi = min(lo, p.lo), max(hi, p.hi)
	default:
		p.lo, p.hi = lo, hi
	}
	p.lo, p.hi = p.norm(p.lo), p.norm(p.lo)+(p.hi-p.lo)
}

// Window returns the learnt window, as offsets into the period, when it is
// narrow enough to poll on: what a caller keeps to Seed a later Phase.
func (p *Phase) Window() (lo, hi time.Duration, ok bool) {
	if p == nil {
		return 0, 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.usable() {
		return 0, 0, false
	}
	return p.lo, p.hi, true
}

// Seed starts a Phase that has learnt nothing yet from a window an earlier
// one learnt (Window): the conductor's grid is fixed when it starts, so
// a window learnt by an earlier run holds until it restarts. A Phase that
// already knows a window keeps it, and a seeded window is only a first
// guess: an observation that contradicts it replaces it, as with any.
func (p *Phase) Seed(lo, hi time.Duration) {
	if p == nil || hi < lo || hi-lo > maxPhaseWidth {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known {
		return
	}
	p.lo, p.hi, p.known = p.norm(lo), p.norm(lo)+(hi-lo), true
}

// Known reports whether a window narrow enough to poll on has been learnt.
func (p *Phase) Known() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.usable()
}

func (p *Phase) usable() bool { return p.known && p.hi-p.lo <= maxPhaseWidth }

// next is the first instant at or after t at which a poll sees a change
// made by the sync of that period: the window's end plus a margin.
func (p *Phase) next(t time.Time) (time.Time, bool) {
	if p == nil {
		return time.Time{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.usable() {
		return time.Time{}, false
	}
	target := p.norm(p.hi + phaseMargin)
	d := p.norm(target - p.offset(t))
	return t.Add(d), true
}

func (p *Phase) offset(t time.Time) time.Duration {
	return p.norm(time.Duration(t.UnixNano() % int64(p.period)))
}

func (p *Phase) norm(d time.Duration) time.Duration {
	d %= p.period
	if d < 0 {
		d += p.period
	}
	return d
}
