package sim

import "time"

// Timeline is when the operation a cluster is running reaches each of its
// milestones. Every state is a function of the clock, so the simulator can
// say in advance, to the nanosecond, when Magnum's API will first report
// the outcome; benchmarks measure a client's notice delay against it.
type Timeline struct {
	// Action is CREATE, UPDATE or DELETE.
	Action string
	// Accepted is when the API accepted the request (the conductor's cast).
	Accepted time.Time
	// BackendDone is when Heat (or the Cluster API driver) finishes.
	BackendDone time.Time
	// Reported is the first instant a GET of the cluster shows the
	// outcome: *_COMPLETE for creates and updates, 404 for deletes. It
	// trails BackendDone by up to ConductorInterval plus a fifth of it,
	// the lag of Magnum's periodic status sync.
	Reported time.Time
}

// operationTimeline is Sim.OperationTimeline for the in-process Magnum.
func (cd *conductor) operationTimeline(uuid string) (Timeline, bool) {
	cd.st.mu.Lock()
	defer cd.st.mu.Unlock()
	c := cd.st.clusters[uuid]
	if c == nil || c.deleted {
		return Timeline{}, false
	}
	cd.sync(c, cd.now())
	op := c.op
	if op == nil || op.failNow != nil || op.capiFault != nil {
		return Timeline{}, false
	}
	tl := Timeline{Action: op.action, Accepted: op.at, BackendDone: op.at.Add(op.duration)}
	p1 := cd.pollAfter(op, tl.BackendDone)
	switch {
	case !op.heat && c.driver == driverHeat:
		// No stack to delete: the rows go when the conductor picks the cast.
		tl.BackendDone = op.at
		tl.Reported = op.at.Add(cd.castLag())
	case !op.heat:
		// Cluster API drivers settle on the poll itself.
		tl.Reported = p1
	case op.action == actionDelete:
		tl.Reported = p1
	default:
		tl.Reported = p1.Add(cd.opts.ConductorInterval / 5)
	}
	return tl, true
}
