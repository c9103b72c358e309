package sim

import "time"

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
