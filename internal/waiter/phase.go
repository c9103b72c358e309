package waiter

import (
	"sync"
	"time"
)

// ConductorPeriod is how often a Magnum conductor syncs the status of the
// clusters that are in progress (service/periodic.py, every 10 s). A
// status moves only on a sync, so a client that knows the syncs' phases
// can poll once per sync, just after the change lands.
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

// maxGrids is how many sync grids a Phase keeps. Every magnum-conductor
// runs the status sync for every cluster in progress, on the grid of its
// own start (service/periodic.py takes no lock), so a cloud with several
// conductors flips clusters on several grids; HA control planes run three.
const maxGrids = 3

// gridTTL is how long a grid is kept without a change landing on it,
// counted from the latest change seen on any grid: a conductor that
// restarted moved its grid, and the old one would cost a poll per period
// for nothing.
const gridTTL = 24 * time.Hour

// Phase learns when, within each conductor period, changes made by the
// conductors' periodic syncs become visible, from the waits that see one:
// a change first seen by a poll answered at `after`, when the poll sent at
// `before` still showed the old state, became visible in (before, after].
// Times are on the waiter's own clock. A change's stamp (the row's
// updated_at, written by the sync on Magnum's clock) tells more: stamps
// of narrow windows bound the skew between the two clocks, and with the
// skew known a stamp places its sync on the waiter's clock however late
// the change was seen, so a wait polling one grid learns the grids of the
// other conductors from the changes they make. One Phase is shared by all
// the waits of a provider instance, so the first wait to see a change
// tells the others; it is safe for concurrent use.
type Phase struct {
	period time.Duration

	mu sync.Mutex
	// grids are the windows learnt, as offsets into the period counted
	// from the zero time, the most recently seen first.
	grids []grid
	// skewLo and skewHi bound Magnum's clock minus the waiter's.
	skewLo, skewHi time.Duration
	skewKnown      bool
}

type grid struct {
	lo, hi time.Duration
	// seen is when a change last landed on it, on the waiter's clock.
	seen time.Time
}

// NewPhase returns a Phase for a conductor that syncs every period.
func NewPhase(period time.Duration) *Phase {
	return &Phase{period: period}
}

// Observe records that a conductor-made change became visible between
// before and after, with no stamp.
func (p *Phase) Observe(before, after time.Time) { p.ObserveStamped(before, after, time.Time{}) }

// ObserveStamped records that a conductor-made change became visible
// between before and after, stamped (Magnum's clock) when the sync wrote
// it; a zero stamp is none. A window that agrees with a known grid
// narrows it; one that agrees with none is another conductor's (or a
// restarted one's) and is added; one that touches two grids says nothing.
func (p *Phase) ObserveStamped(before, after, stamp time.Time) {
	if p == nil || !after.After(before) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	narrow := after.Sub(before) <= p.period/2
	var w grid
	ok := false
	if narrow {
		w, ok = grid{lo: p.offset(before), hi: p.offset(before) + after.Sub(before)}, true
	}
	if !stamp.IsZero() {
		if narrow {
			p.learnSkew(before, after, stamp)
		}
		if sw, good := p.stampWindow(stamp); good {
			if !ok {
				w, ok = sw, true
			} else if x, meets := p.intersect(w, sw); meets {
				w = x
			}
		}
	}
	if !ok {
		return
	}
	w.seen = after
	p.add(w)
}

// stampRes is how finely Magnum stamped: Magnum 15 writes whole seconds,
// later releases microseconds.
func stampRes(stamp time.Time) time.Duration {
	if stamp.Nanosecond() == 0 {
		return time.Second
	}
	return time.Millisecond
}

// learnSkew narrows the skew from a change seen in (before, after] whose
// sync wrote stamp: the write came after the poll at before read the old
// row and before the one at after read the new. Bounds that contradict
// the known ones (a clock that was stepped) replace them.
func (p *Phase) learnSkew(before, after, stamp time.Time) {
	p.mergeSkew(stamp.Sub(after), stamp.Add(stampRes(stamp)).Sub(before))
}

// ObserveSkew narrows the skew (Magnum's clock minus the waiter's) with
// bounds learnt elsewhere: the Date headers of Magnum's answers, which
// bound it to about a round trip once their seconds have turned over at
// different moments of ours.
func (p *Phase) ObserveSkew(lo, hi time.Duration) {
	if p == nil || hi < lo {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mergeSkew(lo, hi)
}

func (p *Phase) mergeSkew(lo, hi time.Duration) {
	if p.skewKnown && lo <= p.skewHi && hi >= p.skewLo {
		p.skewLo, p.skewHi = max(lo, p.skewLo), min(hi, p.skewHi)
		return
	}
	p.skewLo, p.skewHi, p.skewKnown = lo, hi, true
}

// stampWindow is where on the waiter's clock a change stamped stamp became
// visible, as far as the skew is known.
func (p *Phase) stampWindow(stamp time.Time) (grid, bool) {
	if !p.skewKnown {
		return grid{}, false
	}
	width := stampRes(stamp) + p.skewHi - p.skewLo
	if width > p.period/2 {
		return grid{}, false
	}
	lo := p.offset(stamp.Add(-p.skewHi))
	return grid{lo: lo, hi: lo + width}, true
}

// add merges w into the grid it agrees with, or keeps it as a new one.
func (p *Phase) add(w grid) {
	match := -1
	var merged grid
	for i, g := range p.grids {
		if m, ok := p.meet(g, w); ok {
			if match >= 0 {
				// It touches two grids: it cannot say which sync made it.
				return
			}
			match, merged = i, m
		}
	}
	if match >= 0 {
		merged.seen = later(w.seen, p.grids[match].seen)
		p.grids = append(p.grids[:match], p.grids[match+1:]...)
		w = merged
	}
	p.grids = append([]grid{w}, p.grids...)
	// Drop the grids no change landed on for a day of changes on the
	// others, then the least recently seen beyond maxGrids.
	kept := p.grids[:0]
	for _, g := range p.grids {
		if p.grids[0].seen.Sub(g.seen) <= gridTTL {
			kept = append(kept, g)
		}
	}
	p.grids = kept[:min(len(kept), maxGrids)]
}

// meet combines two windows of one grid: their intersection when they
// overlap on the circle, their union when they are close (the sync's own
// duration varies a little); ok is false for windows of different grids.
func (p *Phase) meet(g, w grid) (grid, bool) {
	if x, ok := p.intersect(g, w); ok {
		return x, true
	}
	lo, hi := p.near(g, w)
	if max(hi, g.hi)-min(lo, g.lo) <= maxPhaseWidth {
		lo, hi = min(lo, g.lo), max(hi, g.hi)
		return grid{lo: p.norm(lo), hi: p.norm(lo) + (hi - lo)}, true
	}
	return grid{}, false
}

// intersect is the overlap of two windows on the circle.
func (p *Phase) intersect(g, w grid) (grid, bool) {
	lo, hi := p.near(g, w)
	if lo > g.hi || hi < g.lo {
		return grid{}, false
	}
	lo, hi = max(lo, g.lo), min(hi, g.hi)
	return grid{lo: p.norm(lo), hi: p.norm(lo) + (hi - lo)}, true
}

// near brings w next to g on the circle: the copy of w whose middle is
// within half a period of g's.
func (p *Phase) near(g, w grid) (lo, hi time.Duration) {
	lo, hi = w.lo, w.hi
	mid := (g.lo + g.hi) / 2
	for (lo+hi)/2-mid > p.period/2 {
		lo, hi = lo-p.period, hi-p.period
	}
	for mid-(lo+hi)/2 > p.period/2 {
		lo, hi = lo+p.period, hi+p.period
	}
	return lo, hi
}

// Grid is a learnt window, what a caller keeps to seed a later Phase:
// offsets into the period, and when a change last landed on it.
type Grid struct {
	Lo, Hi time.Duration
	Seen   time.Time
}

// Grids returns the windows narrow enough to poll on, the most recently
// seen first.
func (p *Phase) Grids() []Grid {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Grid
	for _, g := range p.grids {
		if g.hi-g.lo <= maxPhaseWidth {
			out = append(out, Grid{Lo: g.lo, Hi: g.hi, Seen: g.seen})
		}
	}
	return out
}

// Skew returns the bounds learnt on Magnum's clock minus the waiter's.
func (p *Phase) Skew() (lo, hi time.Duration, ok bool) {
	if p == nil {
		return 0, 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skewLo, p.skewHi, p.skewKnown
}

// SeedGrids starts a Phase that has learnt nothing yet from the grids and
// the skew an earlier one learnt (Grids, Skew): a conductor's grid is fixed
// when it starts, so grids learnt by an earlier run hold until it
// restarts. A Phase that already knows a grid keeps what it knows, and a
// seeded grid is only a first guess: changes that land elsewhere add
// grids, and a grid no change lands on for a day of changes is dropped.
func (p *Phase) SeedGrids(gs []Grid, skewLo, skewHi time.Duration, skewKnown bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.grids) > 0 {
		return
	}
	for i := len(gs) - 1; i >= 0; i-- {
		g := gs[i]
		if g.Hi < g.Lo || g.Hi-g.Lo > maxPhaseWidth {
			continue
		}
		p.add(grid{lo: p.norm(g.Lo), hi: p.norm(g.Lo) + (g.Hi - g.Lo), seen: g.Seen})
	}
	if skewKnown && !p.skewKnown && skewLo <= skewHi {
		p.skewLo, p.skewHi, p.skewKnown = skewLo, skewHi, true
	}
}

// Known reports whether a window narrow enough to poll on has been learnt.
func (p *Phase) Known() bool { return len(p.Grids()) > 0 }

// next is the first instant at or after t at which a poll sees a change
// made by the next sync of any known grid: its window's end plus a margin.
func (p *Phase) next(t time.Time) (time.Time, bool) {
	var best time.Duration
	found := false
	for _, g := range p.Grids() {
		d := p.norm(p.norm(g.Hi+phaseMargin) - p.offset(t))
		if !found || d < best {
			best, found = d, true
		}
	}
	if !found {
		return time.Time{}, false
	}
	return t.Add(best), true
}

// justAfter reports whether a poll sent at t is a phased poll of a known
// sync: its window's end plus the margin came at most slack before t. It
// returns the latest such window's start, the earliest instant that sync
// can have made its change visible.
func (p *Phase) justAfter(t time.Time, slack time.Duration) (time.Time, bool) {
	var from time.Time
	found := false
	for _, g := range p.Grids() {
		// How long ago, within the last period, the poll instant of this
		// grid's latest sync was.
		ago := p.norm(p.offset(t) - p.norm(g.Hi+phaseMargin))
		if ago > slack {
			continue
		}
		if lo := t.Add(-ago - phaseMargin - (g.Hi - g.Lo)); !found || lo.After(from) {
			from, found = lo, true
		}
	}
	return from, found
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
