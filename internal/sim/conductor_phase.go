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
// With Options.ConductorEpoch the simulator does the same.

// syncOnGrid is the first sync of the grid epoch + n×iv at or after t that
// is strictly after the operation's start: a sync in the very instant of
// the request does not see it.
func syncOnGrid(epoch time.Time, iv time.Duration, opAt, t time.Time) time.Time {
	from := t
	if !from.After(opAt) {
		from = opAt.Add(time.Nanosecond)
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

// alignConductor is Sim.AlignConductor for the in-process Magnum.
func (cd *conductor) alignConductor(offset time.Duration) error {
	iv := cd.opts.ConductorInterval
	if iv <= 0 {
		return fmt.Errorf("the conductor has no sync period to align (ConductorInterval is 0)")
	}
	if offset < 0 || offset >= iv {
		return fmt.Errorf("offset %s is outside the sync period [0, %s)", offset, iv)
	}
	cd.st.mu.Lock()
	defer cd.st.mu.Unlock()
	cd.alignNext = &offset
	return nil
}
