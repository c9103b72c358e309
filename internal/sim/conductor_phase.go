package sim

import (
	"fmt"
	"time"
)

// Real Magnum runs its status sync (service/periodic.py,
// sync_cluster_status) as one periodic task for every cluster, every 10 s
// from when magnum-conductor started: a status lands on that grid whatever
// the cluster, so every change a client sees reveals the same phase
// (magnum-api.md §6, FINDINGS step 10: "GET /stacks/<id> every 10 s").
// The simulator does the same, from Options.ConductorEpoch (by default the
// instant it started). It plays only the runs that are on time: a real run
// can be late, and oslo.service then sleeps the whole period after it, so
// the runs that follow are as late until another periodic task wakes the
// loop first (BENCHMARKS.md, "Late syncs").

// syncOnGrid is the first sync of the grid epoch + n×iv at or after t that
// is strictly after picked, when the conductor handled the operation: a
// sync before, or in that very instant, does not see it.
func syncOnGrid(epoch time.Time, iv time.Duration, picked, t time.Time) time.Time {
	from := t
	if !from.After(picked) {
		from = picked.Add(time.Nanosecond)
	}
	d := from.Sub(epoch)
	n := d / iv
	if d%iv != 0 && d > 0 {
		n++
	}
	if d < 0 {
		n = -((-d) / iv)
	}
	return epoch.Add(n * iv)
}

// setConductorEpoch is Sim.SetConductorEpoch for the in-process Magnum.
func (cd *conductor) setConductorEpoch(t time.Time) error {
	if cd.opts.ConductorInterval <= 0 {
		return fmt.Errorf("the conductor has no sync period to move (ConductorInterval is 0)")
	}
	cd.st.mu.Lock()
	defer cd.st.mu.Unlock()
	cd.opts.ConductorEpoch = t
	return nil
}
