package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// The conductor. Real Magnum's API casts work to magnum-conductor, which
// creates, updates and deletes Heat stacks, and a periodic task copies the
// stacks' state onto clusters every 10 s. Here nothing runs in the
// background: each cluster carries the operation in flight (clusterOp) and
// sync computes, from the clock alone, what the conductor would have
// written by now. Reading a cluster therefore gives the same answer however
// often or rarely it is polled.
//
// Timeline of an operation accepted at time at, with I the
// ConductorInterval:
//
//	at                  API answers; old status still shown
//	at + I/5 (and > at) the conductor has handled the cast: *_IN_PROGRESS,
//	                    stack_id saved (create)
//	first poll >= T     T is when Heat finished; polls fall on at + k*I.
//	                    Failure, or addresses synced on success
//	that poll + I/5     *_COMPLETE with api_address and versions
//
// With I = 0 every step happens as soon as the clock allows.

// conductor is magnum-conductor: it carries out the operations the API
// casts (conductor_ops.go, conductor_nodegroups.go) and, in sync, plays
// its periodic status poll. It shares Magnum's database with the API and
// so its lock: every method but operationTimeline, which takes it, is
// called with st.mu held. It calls Heat
// through orchestrator, as the real conductor calls heatclient, and starts
// and stops the bays' Kubernetes APIs (kubenodes.go).
type conductor struct {
	// opts.ConductorEpoch may be moved by SetConductorEpoch, under st.mu.
	opts    Options
	profile *profile
	now     func() time.Time
	st      *store
	// fx are the Nova, Glance and Neutron lookups of createRefusal.
	fx *fixtures
	// heat and stackFaults are nil in profiles without orchestration;
	// never typed nils.
	heat        orchestrator
	stackFaults stackFaults
	// heatMinute is the length of one of Heat's timeout_mins minutes.
	heatMinute time.Duration
	kube       kubeapi.Backend
	// faults are the tests' armed faults (faults.go), which the conductor
	// hands to Heat, or plays in its Cluster API driver, as an operation
	// starts. They have their own lock.
	faults armedFaults
}

// logf writes to Options.Logf.
func (cd *conductor) logf(format string, args ...any) {
	if cd.opts.Logf != nil {
		cd.opts.Logf(format, args...)
	}
}

const (
	driverHeat = "heat"
	driverCAPI = "capi"

	actionCreate = "CREATE"
	actionUpdate = "UPDATE"
	actionDelete = "DELETE"

	// containerVersion is the Heat drivers' static docker version.
	containerVersion = "1.12.6"
	// capiDefaultKubeTag is vexxhost's fallback when kube_tag is missing.
	capiDefaultKubeTag = "v1.25.3"
)

// clusterOp is the operation the conductor is working on for a cluster.
type clusterOp struct {
	action string
	at     time.Time
	// picked is set once the conductor has handled the cast.
	picked   bool
	duration time.Duration
	// timeout is how long Heat lets the operation run (timeout_mins).
	timeout time.Duration
	// heat reports whether a Heat stack operation backs this op.
	heat bool
	// failNow makes the conductor fail the operation as soon as it handles
	// it, the way an exception inside the conductor does; restore undoes
	// what the API wrote first. stackIDFirst: a Cluster API driver raised
	// after it saved the cluster's stack_id.
	failNow      *string
	stackIDFirst bool
	restore      func()
	// capiFault is an injected failure for a stack-less (Cluster API)
	// operation.
	capiFault *Fault
	// synced is set once a successful stack's outputs were copied.
	synced bool
	// tornDown is when a delete's stack was found gone and the conductor
	// began removing the rows (tearDown); zero before.
	tornDown time.Time
	// onDone runs when the operation completes successfully.
	onDone func(c *clusterRow)
}

func (cd *conductor) castLag() time.Duration { return cd.opts.ConductorInterval / 5 }

// picks reports whether the conductor has handled a cast made at `at`.
// Even with no lag the answer is "not yet" at the very instant of the
// request, so a GET right after POST sees stack_id null (FINDINGS #122).
func (cd *conductor) picks(at, now time.Time) (time.Time, bool) {
	t := at.Add(cd.castLag())
	return t, now.After(t)
}

// pollAfter is the first periodic-task run at or after t, on the one grid
// every cluster shares.
func (cd *conductor) pollAfter(op *clusterOp, t time.Time) time.Time {
	iv := cd.opts.ConductorInterval
	if iv <= 0 {
		return t
	}
	// A sync before the conductor has handled the operation's cast does
	// not see it: the cluster is not in progress yet.
	return syncOnGrid(cd.opts.ConductorEpoch, iv, op.at.Add(cd.castLag()), t)
}

func timePtr(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// sync brings a cluster up to date with the conductor's work at now.
// Callers hold st.mu.
func (cd *conductor) sync(c *clusterRow, now time.Time) {
	defer cd.syncNodegroups(c, now)
	for c.op != nil && !c.deleted {
		op := c.op
		if !op.picked {
			at, ok := cd.picks(op.at, now)
			if !ok {
				return
			}
			cd.pick(c, op, at)
			continue
		}
		if !cd.advance(c, op, now) {
			return
		}
	}
}

// pick applies what the conductor writes when it handles the cast.
func (cd *conductor) pick(c *clusterRow, op *clusterOp, at time.Time) {
	op.picked = true
	c.updatedAt = timePtr(at)
	if op.failNow != nil {
		if op.stackIDFirst {
			c.stackID = "kube-" + randomBase36(5)
		}
		c.status = op.action + "_FAILED"
		c.statusReason = *op.failNow
		if op.restore != nil {
			op.restore()
		}
		c.op = nil
		return
	}
	c.status = op.action + "_IN_PROGRESS"
	c.statusReason = nil
	switch op.action {
	case actionCreate:
		if c.driver == driverHeat {
			c.stackID = c.heatStackID
			if c.discoveryURL == nil && c.coe != heat.COESwarmMode {
				token := randomHex(16)
				c.discoveryURL = etcdDiscovery + token
				cd.st.discovery[token] = c.masterCount()
			}
		} else {
			c.stackID = "kube-" + randomBase36(5)
		}
	case actionDelete:
		cd.stopKube(c)
		if !op.heat && c.driver == driverHeat {
			// No stack to delete: the conductor destroys the rows at once.
			cd.destroy(c)
		}
	}
}

// advance moves a picked operation on; it reports whether it changed
// anything that might let a further step happen.
func (cd *conductor) advance(c *clusterRow, op *clusterOp, now time.Time) bool {
	if !op.heat {
		return cd.advanceCAPI(c, op, now)
	}
	st, err := cd.heat.Stack(c.heatStackID)
	status, reason := "", ""
	var params map[string]string
	var stack *heat.Stack
	switch {
	case err != nil && op.action == actionDelete:
		status = "DELETE_COMPLETE"
	case err != nil:
		status, reason = op.action+"_FAILED", fmt.Sprintf("Stack with id %s not found in Heat.", c.heatStackID)
	default:
		status, reason, params, stack = st.Status, st.StatusReason, st.Parameters, st
	}
	if strings.HasSuffix(status, "_IN_PROGRESS") {
		return false
	}
	// When did Heat finish? The engine only tells the present, but the
	// operation's schedule is known, so the answer does not depend on when
	// somebody happened to look.
	end := op.at.Add(op.duration)
	if strings.Contains(reason, "timed out") {
		end = op.at.Add(op.timeout)
	}
	if end.After(now) {
		end = now
	}
	p1 := cd.pollAfter(op, end)
	if now.Before(p1) {
		return false
	}
	failed := strings.HasSuffix(status, "_FAILED")
	switch {
	case op.action == actionDelete && !failed:
		return cd.tearDown(c, op, p1, now)
	case failed:
		c.status = op.action + "_FAILED"
		c.statusReason = "default-master failed, default-worker failed"
		c.ngReason = reason
		if op.action == actionCreate {
			cd.syncVersions(c, params)
		}
		c.updatedAt = timePtr(p1)
		c.op = nil
	default:
		if !op.synced {
			op.synced = true
			cd.syncAddresses(c, stack)
			cd.refreshKubeNodes(c)
			c.updatedAt = timePtr(p1)
		}
		p2 := p1.Add(cd.opts.ConductorInterval / 5)
		if now.Before(p2) {
			return false
		}
		if ok, err := cd.kubeSettled(c); err != nil {
			cd.failOnKube(c, op, err, p2)
			return true
		} else if !ok {
			return false
		}
		c.status = op.action + "_COMPLETE"
		c.statusReason = nil
		c.ngReason = reason
		cd.syncVersions(c, params)
		cd.syncAPIAddress(c, stack)
		c.updatedAt = timePtr(p2)
		if op.onDone != nil {
			op.onDone(c)
		}
		c.op = nil
	}
	return true
}

// Magnum 15 ends a delete in its periodic status sync (periodic.py,
// ClusterUpdateJob.update_status): the poll that finds the stack gone saves
// the cluster as DELETE_COMPLETE, then destroys its nodegroup rows one at a
// time, the master's first (they are listed by id), then the cluster row,
// each in a transaction of its own. Until the row is gone, the API turns it
// into its Cluster type, whose master_count (the sum over the master
// nodegroups left) must be at least 1: every read of the cluster, alone or
// in a list, answers 400 "Invalid input for field/attribute master_count.
// Value: '0'" (apiTypeError). The durations of the steps are the medians
// measured on real Magnum 15, its database read every 5 ms through 12
// deletes on two busy cores (scripts/real-magnum/transient-probe.py,
// SIMULATOR.md): DELETE_COMPLETE shows for 10-115 ms, the 400 lasts 5-40
// ms (median 11), each nodegroup row takes about 5 ms to go.
//
// magnum-cluster-api's status sync saves DELETE_COMPLETE before the
// trustee, its trust and the certificates are deleted (periodic.py does
// that through Keystone before the rows; the Heat driver does it before it
// saves the status), so there DELETE_COMPLETE shows for seconds: 0.6-5.1 s,
// median 2.1 s, through 10 deletes on the capi stack at load 4-23
// (transient-probe.py --capi). The nodegroups then go as on Magnum 15 (the
// 400 window 5-208 ms, median 10), and 8 of those 10 deletes had a read
// answer the 400.
const (
	// teardownSaved: DELETE_COMPLETE shown, both nodegroups still there.
	teardownSaved = 47 * time.Millisecond
	// teardownSavedCAPI is teardownSaved for magnum-cluster-api's bays.
	teardownSavedCAPI = 2100 * time.Millisecond
	// teardownMasterGone: the master nodegroup destroyed, the worker not.
	teardownMasterGone = 5 * time.Millisecond
	// teardownAllGone: both nodegroups destroyed, the cluster row not yet.
	teardownAllGone = 5 * time.Millisecond
)

// tearDown plays those last moments of a successful delete whose stack (or
// CAPI Cluster) was found gone at done, as of now; with
// Options.TransientDeleteError off the row simply goes at done. It reports
// whether the row is gone.
func (cd *conductor) tearDown(c *clusterRow, op *clusterOp, done, now time.Time) bool {
	if !cd.opts.TransientDeleteError {
		cd.destroy(c)
		return true
	}
	if op.tornDown.IsZero() {
		op.tornDown = done
		c.status, c.statusReason, c.updatedAt = "DELETE_COMPLETE", nil, timePtr(done)
	}
	shown := teardownSaved
	if cd.vexxhost(c) {
		shown = teardownSavedCAPI
	}
	if cd.opts.DeleteCompleteShownFor > 0 {
		shown = cd.opts.DeleteCompleteShownFor
	}
	at := done.Add(shown)
	if !now.Before(at) {
		c.nodegroups = slices.DeleteFunc(c.nodegroups, func(ng *nodegroup) bool { return ng.role == "master" })
	}
	at = at.Add(teardownMasterGone)
	if !now.Before(at) {
		c.nodegroups = nil
	}
	if !now.Before(at.Add(teardownAllGone)) {
		cd.destroy(c)
		return true
	}
	return false
}

// advanceCAPI plays a Cluster API driver: no stack, the operation simply
// takes its duration, and an injected timeout never ends (those drivers
// ignore create_timeout).
func (cd *conductor) advanceCAPI(c *clusterRow, op *clusterOp, now time.Time) bool {
	if (op.capiFault != nil && op.capiFault.Timeout) || cd.capiControlPlaneNeverBoots(c, op) {
		cd.showCAPIProgress(c, op, time.Time{}, now)
		return false
	}
	done := cd.pollAfter(op, op.at.Add(op.duration))
	if now.Before(done) {
		cd.showCAPIProgress(c, op, done, now)
		return false
	}
	c.updatedAt = timePtr(done)
	if f := op.capiFault; f != nil {
		c.status = op.action + "_FAILED"
		c.statusReason = f.Reason
		c.op = nil
		return true
	}
	if op.action == actionDelete {
		return cd.tearDown(c, op, done, now)
	}
	tag := c.capiVersion
	c.coeVersion = tag
	cd.refreshKubeNodes(c)
	if ok, err := cd.kubeSettled(c); err != nil {
		cd.failOnKube(c, op, err, done)
		return true
	} else if !ok {
		return false
	}
	c.status = op.action + "_COMPLETE"
	c.statusReason = nil
	if c.kube != nil {
		c.apiAddress = c.kube.URL()
		c.kube.SetVersion(tag)
	} else {
		c.apiAddress = "https://127.0.0.1:6443"
	}
	if op.onDone != nil {
		op.onDone(c)
	}
	c.op = nil
	return true
}

func outputList(st *heat.Stack, key string) []string {
	if st == nil {
		return nil
	}
	v, _ := st.Output(key)
	switch l := v.(type) {
	case []string:
		return append([]string{}, l...)
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// syncAddresses copies the address outputs the template definitions map
// onto the cluster, public or private depending on floating IPs.
func (cd *conductor) syncAddresses(c *clusterRow, st *heat.Stack) {
	priv := ""
	if !c.floatingIPEnabled {
		priv = "_private"
	}
	switch c.coe {
	case heat.COESwarm:
		c.masterAddresses = outputList(st, "swarm_masters"+priv)
		c.nodeAddresses = outputList(st, "swarm_nodes"+priv)
	case heat.COESwarmMode:
		c.masterAddresses = append(outputList(st, "swarm_primary_master"+priv), outputList(st, "swarm_secondary_masters"+priv)...)
		c.nodeAddresses = outputList(st, "swarm_nodes"+priv)
	default:
		c.masterAddresses = outputList(st, "kube_masters"+priv)
		c.nodeAddresses = outputList(st, "kube_minions"+priv)
	}
	if c.masterAddresses == nil {
		c.masterAddresses = []string{}
	}
	if c.nodeAddresses == nil {
		c.nodeAddresses = []string{}
	}
}

func (cd *conductor) syncVersions(c *clusterRow, params map[string]string) {
	key := "kube_version"
	if c.coe == heat.COESwarm || c.coe == heat.COESwarmMode {
		key = "swarm_version"
	}
	if v := params[key]; v != "" {
		c.coeVersion = v
	}
	c.containerVersion = containerVersion
	if c.kube != nil && c.coeVersion != nil {
		c.kube.SetVersion(pyStr(c.coeVersion))
	}
}

// syncAPIAddress reformats the api_address output as the template
// definitions do, pointing Kubernetes clusters at their simulated
// endpoint.
func (cd *conductor) syncAPIAddress(c *clusterRow, st *heat.Stack) {
	ip := "127.0.0.1"
	if st != nil {
		if v, ok := st.Output("api_address"); ok && fmt.Sprint(v) != "" {
			ip = fmt.Sprint(v)
		}
	}
	switch {
	case c.coe == heat.COESwarm:
		c.apiAddress = "tcp://" + ip + ":2376"
	case c.coe == heat.COESwarmMode:
		c.apiAddress = "tcp://" + ip + ":2375"
	case c.tlsDisabled:
		c.apiAddress = "http://" + ip + ":8080"
	case c.kube != nil:
		c.apiAddress = c.kube.URL()
	default:
		c.apiAddress = "https://" + ip + ":6443"
	}
}

// destroy removes the cluster and everything the conductor cleans up with
// it. Callers hold st.mu.
func (cd *conductor) destroy(c *clusterRow) {
	c.deleted = true
	c.op = nil
	cd.stopKube(c)
	delete(cd.st.clusters, c.uuid)
}

// stopKube stops the cluster's Kubernetes API. A failure to stop leaves
// processes behind, so it goes to the log.
func (cd *conductor) stopKube(c *clusterRow) {
	if c.kube == nil {
		return
	}
	if err := c.kube.Close(); err != nil {
		cd.kubeLogf("cluster %s (%s): stopping its Kubernetes API: %v", c.name, c.uuid, err)
	}
	c.kube = nil
}
