package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
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
	// what the API wrote first.
	failNow *string
	restore func()
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

func (s *magnumService) castLag() time.Duration { return s.opts.ConductorInterval / 5 }

// picks reports whether the conductor has handled a cast made at `at`.
// Even with no lag the answer is "not yet" at the very instant of the
// request, so a GET right after POST sees stack_id null (FINDINGS #122).
func (s *magnumService) picks(at, now time.Time) (time.Time, bool) {
	t := at.Add(s.castLag())
	return t, now.After(t)
}

// pollAfter is the first periodic-task run at or after t.
func (s *magnumService) pollAfter(op *clusterOp, t time.Time) time.Time {
	iv := s.opts.ConductorInterval
	if iv <= 0 {
		return t
	}
	n := (t.Sub(op.at) + iv - 1) / iv
	if n < 1 {
		n = 1
	}
	return op.at.Add(n * iv)
}

func timePtr(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// sync brings a cluster up to date with the conductor's work at now.
// Callers hold st.mu.
func (s *magnumService) sync(c *clusterRow, now time.Time) {
	defer s.syncNodegroups(c, now)
	for c.op != nil && !c.deleted {
		op := c.op
		if !op.picked {
			at, ok := s.picks(op.at, now)
			if !ok {
				return
			}
			s.pick(c, op, at)
			continue
		}
		if !s.advance(c, op, now) {
			return
		}
	}
}

// pick applies what the conductor writes when it handles the cast.
func (s *magnumService) pick(c *clusterRow, op *clusterOp, at time.Time) {
	op.picked = true
	c.updatedAt = timePtr(at)
	if op.failNow != nil {
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
				s.st.discovery[token] = c.masterCount()
			}
		} else {
			c.stackID = "kube-" + randomBase36(5)
		}
	case actionDelete:
		s.stopKube(c)
		if !op.heat && c.driver == driverHeat {
			// No stack to delete: the conductor destroys the rows at once.
			s.destroy(c)
		}
	}
}

// advance moves a picked operation on; it reports whether it changed
// anything that might let a further step happen.
func (s *magnumService) advance(c *clusterRow, op *clusterOp, now time.Time) bool {
	if !op.heat {
		return s.advanceCAPI(c, op, now)
	}
	st, err := s.heat.Stack(c.heatStackID)
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
	p1 := s.pollAfter(op, end)
	if now.Before(p1) {
		return false
	}
	failed := strings.HasSuffix(status, "_FAILED")
	switch {
	case op.action == actionDelete && !failed:
		return s.tearDown(c, op, p1, now)
	case failed:
		c.status = op.action + "_FAILED"
		c.statusReason = "default-master failed, default-worker failed"
		c.ngReason = reason
		if op.action == actionCreate {
			s.syncVersions(c, params)
		}
		c.updatedAt = timePtr(p1)
		c.op = nil
	default:
		if !op.synced {
			op.synced = true
			s.syncAddresses(c, stack)
			s.refreshKubeNodes(c)
			c.updatedAt = timePtr(p1)
		}
		p2 := p1.Add(s.opts.ConductorInterval / 5)
		if now.Before(p2) {
			return false
		}
		if ok, err := s.kubeSettled(c); err != nil {
			s.failOnKube(c, op, err, p2)
			return true
		} else if !ok {
			return false
		}
		c.status = op.action + "_COMPLETE"
		c.statusReason = nil
		c.ngReason = reason
		s.syncVersions(c, params)
		s.syncAPIAddress(c, stack)
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
const (
	// teardownSaved: DELETE_COMPLETE shown, both nodegroups still there.
	teardownSaved = 47 * time.Millisecond
	// teardownMasterGone: the master nodegroup destroyed, the worker not.
	teardownMasterGone = 5 * time.Millisecond
	// teardownAllGone: both nodegroups destroyed, the cluster row not yet.
	teardownAllGone = 5 * time.Millisecond
)

// tearDown plays those last moments of a successful delete whose stack was
// found gone at done, as of now; with Options.TransientDeleteError off the
// row simply goes at done. It reports whether the row is gone.
func (s *magnumService) tearDown(c *clusterRow, op *clusterOp, done, now time.Time) bool {
	if !s.opts.TransientDeleteError {
		s.destroy(c)
		return true
	}
	if op.tornDown.IsZero() {
		op.tornDown = done
		c.status, c.statusReason, c.updatedAt = "DELETE_COMPLETE", nil, timePtr(done)
	}
	at := done.Add(teardownSaved)
	if !now.Before(at) {
		c.nodegroups = slices.DeleteFunc(c.nodegroups, func(ng *nodegroup) bool { return ng.role == "master" })
	}
	at = at.Add(teardownMasterGone)
	if !now.Before(at) {
		c.nodegroups = nil
	}
	if !now.Before(at.Add(teardownAllGone)) {
		s.destroy(c)
		return true
	}
	return false
}

// advanceCAPI plays a Cluster API driver: no stack, the operation simply
// takes its duration, and an injected timeout never ends (those drivers
// ignore create_timeout).
func (s *magnumService) advanceCAPI(c *clusterRow, op *clusterOp, now time.Time) bool {
	if op.capiFault != nil && op.capiFault.Timeout {
		return false
	}
	done := s.pollAfter(op, op.at.Add(op.duration))
	if now.Before(done) {
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
		s.destroy(c)
		return true
	}
	tag := c.label("kube_tag")
	if tag == "" {
		tag = capiDefaultKubeTag
	}
	c.coeVersion = tag
	s.refreshKubeNodes(c)
	if ok, err := s.kubeSettled(c); err != nil {
		s.failOnKube(c, op, err, done)
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
func (s *magnumService) syncAddresses(c *clusterRow, st *heat.Stack) {
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

func (s *magnumService) syncVersions(c *clusterRow, params map[string]string) {
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
func (s *magnumService) syncAPIAddress(c *clusterRow, st *heat.Stack) {
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
func (s *magnumService) destroy(c *clusterRow) {
	c.deleted = true
	c.op = nil
	s.stopKube(c)
	delete(s.st.clusters, c.uuid)
}

// armStack hands a test's fault to Heat for the stack's operation. Heat
// refuses it only for a stack that is gone; the fault is then lost, and
// the log says so.
func (s *magnumService) armStack(c *clusterRow, stackID string, f *Fault) {
	if err := s.heat.InjectFault(stackID, f.heatFault()); err != nil {
		s.logf("cluster %s (%s): injecting fault into stack %s: %v", c.name, c.uuid, stackID, err)
	}
}

// stopKube stops the cluster's Kubernetes API. A failure to stop leaves
// processes behind, so it goes to the log.
func (s *magnumService) stopKube(c *clusterRow) {
	if c.kube == nil {
		return
	}
	if err := c.kube.Close(); err != nil {
		s.kubeLogf("cluster %s (%s): stopping its Kubernetes API: %v", c.name, c.uuid, err)
	}
	c.kube = nil
}

// createOpts tune startCreate for the bay API's quirks.
type createOpts struct {
	// synchronous: the 1.1 bay POST returns only once the stack exists.
	synchronous bool
	// failNow: the conductor raises before creating a stack.
	failNow *string
}

// trustRefused is the conductor's first step of cluster_create, the
// trustee and trust for the cluster, as Keystone answers it: with an
// application-credential token the trust is refused ("Delegated tokens
// cannot manage trusts") unless Options.AppCredTrusts. It returns the
// status_reason Magnum records, or nil.
func (s *magnumService) trustRefused(p *principal, c *clusterRow) *string {
	if !p.appCred || s.opts.AppCredTrusts {
		return nil
	}
	reason := "Failed to create trustee or trust for Cluster: " + c.uuid
	return &reason
}

// etcdDiscovery is the public etcd discovery service Magnum's default
// etcd_discovery_service_endpoint_format points at.
const etcdDiscovery = "https://discovery.etcd.io/"

// createRefusal is the rest of cluster_create's checks before the Heat
// call, in Magnum 15's order: the trust, then (Heat drivers) the etcd
// discovery URL the cluster brings, then (Kubernetes) its fixed network
// and subnet. It returns the status_reason of the CREATE_FAILED the first
// refusal leaves, with the texts real Magnum 15 gave, as the error the
// synchronous 1.1 bay POST answers with; nil when the create goes ahead.
func (s *magnumService) createRefusal(p *principal, c *clusterRow) *apiError {
	if reason := s.trustRefused(p, c); reason != nil {
		return errf(http.StatusInternalServerError, "%s", *reason)
	}
	if c.driver != driverHeat {
		return nil
	}
	// Magnum's exception classes: the Invalid and NotFound ones are 400,
	// Conflict 409, and GetClusterSizeFailed a plain MagnumException, 500.
	fail := func(status int, format string, args ...any) *apiError { return errf(status, format, args...) }
	if d, ok := c.discoveryURL.(string); ok && d != "" && c.coe != heat.COESwarmMode {
		// Magnum GETs <url>/_config/size and expects etcd's answer with
		// the master count. The simulator reaches no host but its own
		// discovery service, so other hosts fail as unreachable ones do.
		u, err := url.Parse(d)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasPrefix(d, etcdDiscovery):
			return fail(http.StatusInternalServerError, "Failed to get the size of cluster from '%s'.", d)
		default:
			size, known := s.st.discovery[strings.Trim(strings.TrimPrefix(d, etcdDiscovery), "/")]
			if !known {
				return fail(http.StatusBadRequest, "Invalid discovery URL '%s'.", d)
			}
			if size != c.masterCount() {
				return fail(http.StatusBadRequest, "Expected cluster size %d but get cluster size %d from '%s'.", c.masterCount(), size, d)
			}
		}
	}
	if c.coe != heat.COEKubernetes {
		return nil
	}
	// get_fixed_network_name looks a network up only when it is given by
	// id; get_fixed_subnet_id and get_subnet look a subnet up either way.
	if n, ok := c.fixedNetwork.(string); ok && isUUIDLike(n) && !s.fx.fixedNetwork(n) {
		return fail(http.StatusBadRequest, "Unable to find fixed network %s.", n)
	}
	if sn, ok := c.fixedSubnet.(string); ok && sn != "" {
		switch s.fx.subnet(sn) {
		case 0:
			return fail(http.StatusBadRequest, "Unable to find fixed subnet %s.", sn)
		case 1:
		default:
			return fail(http.StatusConflict, "Multiple subnets exist with same name '%s'. Please use the subnet ID instead.", sn)
		}
	}
	return nil
}

// reasonOf is the status_reason a refusal leaves on the cluster.
func reasonOf(aerr *apiError) *string {
	if aerr == nil {
		return nil
	}
	reason := aerr.detail
	return &reason
}

// startCreate does the conductor's cluster_create: certificates, the
// Kubernetes endpoint, and the Heat stack. Callers hold st.mu.
func (s *magnumService) startCreate(c *clusterRow, o createOpts) {
	now := s.now()
	ca, err := pki.NewCA(c.name, now)
	switch {
	case err != nil && o.failNow == nil:
		// Magnum's CertificatesToClusterFailed; the cause goes to the log,
		// as the conductor logs it.
		reason := fmt.Sprintf("Failed to create certificates for Cluster: %s", c.uuid)
		s.logf("cluster %s (%s): %s: %v", c.name, c.uuid, reason, err)
		o.failNow = &reason
	case err != nil:
	default:
		c.ca = ca
		if c.coe == heat.COEKubernetes && !c.tlsDisabled && o.failNow == nil {
			ep, err := s.kube.Start(c.name, ca)
			if err != nil {
				reason := failKube(err)
				s.kubeLogf("cluster %s (%s): %s", c.name, c.uuid, reason)
				o.failNow = &reason
			}
			c.kube = ep
		}
	}
	timeout := c.createTimeout
	if timeout <= 0 {
		timeout = heat.DefaultTimeoutMins
	}
	op := &clusterOp{
		action: actionCreate, at: now, duration: s.heatCreateDuration(),
		timeout: time.Duration(timeout) * s.heatMinute, failNow: o.failNow,
	}
	switch {
	case o.failNow != nil:
	case c.driver == driverHeat:
		st := s.heat.CreateStack(c.projectID, heat.StackSpec{
			Name: heat.StackName(c.name), COE: c.coe, Parameters: s.stackParams(c),
			TimeoutMins: int(timeout), Duration: op.duration,
		})
		c.heatStackID = st.ID
		op.heat = true
		if f := s.takeFault(c, actionCreate); f != nil {
			s.armStack(c, st.ID, f)
		}
	default:
		op.capiFault = s.takeFault(c, actionCreate)
	}
	c.op = op
	if o.synchronous {
		s.pick(c, op, now)
		// The captured 201 carries the new stack_id but no updated_at
		// (FINDINGS #202).
		c.updatedAt = nil
	}
}

func (s *magnumService) stackParams(c *clusterRow) map[string]string {
	p := map[string]string{
		"number_of_masters": strconv.FormatInt(c.masterCount(), 10),
		"master_flavor":     pyStr(c.masterFlavorID),
		"minion_flavor":     pyStr(c.flavorID),
		"tls_disabled":      pyStr(c.tlsDisabled),
	}
	if c.coe == heat.COESwarm || c.coe == heat.COESwarmMode {
		p["number_of_nodes"] = strconv.FormatInt(c.nodeCount(), 10)
	} else {
		p["number_of_minions"] = strconv.FormatInt(c.nodeCount(), 10)
	}
	if kp, ok := c.keypair.(string); ok {
		p["ssh_key_name"] = kp
	}
	// kube_tag is a label parameter, taken from the cluster's own labels
	// only; kube_version (which becomes coe_version) falls back to the
	// template's kube_tag, so a bay created with "labels": {} still shows
	// the template's version, as on real Magnum 15.
	tag := c.label("kube_tag")
	if tag != "" {
		p["kube_tag"] = tag
	}
	if t := s.st.templates[c.templateUUID]; tag == "" && t != nil {
		if l, ok := t.v["labels"].(*pyDict); ok {
			tag, _ = l.getStr("kube_tag")
		}
	}
	if tag != "" {
		p["kube_version"] = tag
	}
	return p
}

// conductorUpdate is cluster_update behind PATCH: refused silently unless
// the cluster is *_COMPLETE, health-only changes are saved without an
// operation, and a node count change updates the stack. Callers hold st.mu.
func (s *magnumService) conductorUpdate(c *clusterRow, p *clusterPatch) {
	if !updatableStatuses[c.status] || (c.op != nil && c.op.action == actionDelete) {
		return
	}
	if p.healthChanged {
		c.healthStatus = p.health
	}
	if p.healthReasonChanged {
		c.healthReason = p.healthReason
	}
	worker := c.defaultNG("worker")
	if !p.nodeCountChanged || worker == nil || worker.nodeCount == p.nodeCount {
		return
	}
	s.startNodeCountUpdate(c, worker, p.nodeCount, nil, c.driver == driverCAPI)
}

// conductorResize is cluster_resize: like an update, but UPDATE_FAILED and
// UPDATE_IN_PROGRESS clusters may be resized too.
func (s *magnumService) conductorResize(c *clusterRow, ng *nodegroup, count int64, remove []string) {
	if !updatableStatuses[c.status] && c.status != "UPDATE_FAILED" && c.status != "UPDATE_IN_PROGRESS" {
		return
	}
	if c.op != nil && c.op.action == actionDelete {
		return
	}
	if !ng.isDefault {
		s.resizeExtraNodegroup(c, ng, count)
		return
	}
	s.startNodeCountUpdate(c, ng, count, remove, false)
}

// startNodeCountUpdate writes the new count at once, as the conductor does
// before it calls the driver, and starts the stack update. notImplemented
// plays vexxhost's update_cluster, which raises with an empty message.
func (s *magnumService) startNodeCountUpdate(c *clusterRow, ng *nodegroup, count int64, remove []string, notImplemented bool) {
	now := s.now()
	old := ng.nodeCount
	ng.nodeCount = count
	if c.op != nil && !c.op.picked && c.op.action == actionUpdate {
		// A second cast before the conductor got to the first: both pass
		// the status gate; the last count wins in the database.
		return
	}
	op := &clusterOp{action: actionUpdate, at: now, duration: s.heatUpdateDuration(), timeout: c.op.timeoutOr(s.heatTimeout(c))}
	op.restore = func() { ng.nodeCount = old }
	switch {
	case notImplemented:
		empty := ""
		op.failNow = &empty
	case c.driver == driverHeat:
		params := map[string]string{}
		if ng.role == "master" {
			params["number_of_masters"] = strconv.FormatInt(c.masterCount(), 10)
		} else if c.coe == heat.COESwarm || c.coe == heat.COESwarmMode {
			params["number_of_nodes"] = strconv.FormatInt(c.nodeCount(), 10)
		} else {
			params["number_of_minions"] = strconv.FormatInt(c.nodeCount(), 10)
		}
		if len(remove) > 0 {
			params["minions_to_remove"] = strings.Join(remove, ",")
		}
		if aerr := s.heatUpdate(c, op, params); aerr != nil {
			msg := aerr.detail
			op.failNow = &msg
		}
	default:
		op.capiFault = s.takeFault(c, actionUpdate)
	}
	c.op = op
}

func (op *clusterOp) timeoutOr(def time.Duration) time.Duration {
	if op != nil && op.timeout > 0 {
		return op.timeout
	}
	return def
}

func (s *magnumService) heatTimeout(c *clusterRow) time.Duration {
	t := c.createTimeout
	if t <= 0 {
		t = heat.DefaultTimeoutMins
	}
	return time.Duration(t) * s.heatMinute
}

// heatUpdate starts a stack update for op and arms an injected fault.
func (s *magnumService) heatUpdate(c *clusterRow, op *clusterOp, params map[string]string) *apiError {
	err := s.heat.UpdateStack(c.heatStackID, params, op.duration)
	switch {
	case errors.Is(err, heat.ErrActionInProgress):
		return errf(http.StatusConflict, "ERROR: Stack %s already has an action in progress.", c.heatStackID)
	case errors.Is(err, heat.ErrNotFound):
		return errf(http.StatusNotFound, "ERROR: The Stack (%s) could not be found.", c.heatStackID)
	case err != nil:
		return errf(http.StatusInternalServerError, "ERROR: %v", err)
	}
	op.heat = true
	if f := s.takeFault(c, actionUpdate); f != nil {
		s.armStack(c, c.heatStackID, f)
	}
	return nil
}

// conductorUpgrade is the synchronous cluster_upgrade call: errors come
// back to the client, and the status changes before the API answers.
func (s *magnumService) conductorUpgrade(c *clusterRow, t *template, ng *nodegroup) *apiError {
	if !updatableStatuses[c.status] || c.op != nil {
		return errf(http.StatusBadRequest, "Upgrading a cluster when status is \"%s\" is not supported.", c.status)
	}
	now := s.now()
	fail := func(aerr *apiError) *apiError {
		c.status, c.statusReason, c.updatedAt = "UPDATE_FAILED", aerr.detail, timePtr(now)
		return aerr
	}
	tl, _ := t.v["labels"].(*pyDict)
	tag, hasTag := tl.getStr("kube_tag")
	if c.driver == driverCAPI {
		if !hasTag {
			// vexxhost reads the label without a default.
			return fail(errf(http.StatusInternalServerError, "'kube_tag'"))
		}
	} else if !hasTag {
		_, commit := tl.getStr("ostree_commit")
		_, remote := tl.getStr("ostree_remote")
		if !commit && !remote {
			return fail(errf(http.StatusConflict,
				"Cluster Template is not valid for upgrade: Cluster template %s does not contain any supported upgrade labels: [kube_tag, ostree_remote, ostree_commit]",
				t.strField("name")))
		}
	}
	op := &clusterOp{action: actionUpdate, at: now, picked: true, duration: s.heatUpdateDuration(), timeout: s.heatTimeout(c)}
	if c.driver == driverHeat {
		params := map[string]string{}
		if hasTag {
			params["kube_tag"], params["kube_version"] = tag, tag
		}
		if aerr := s.heatUpdate(c, op, params); aerr != nil {
			return fail(aerr)
		}
	} else {
		op.capiFault = s.takeFault(c, actionUpdate)
	}
	// The conductor switches the template and copies only kube_tag into
	// the cluster's and nodegroups' labels.
	c.templateUUID = t.uuid
	if hasTag {
		c.labels = c.labels.Clone()
		if c.labels == nil {
			c.labels = newPyDict()
		}
		c.labels.Set("kube_tag", tag)
		for _, g := range c.nodegroups {
			if g.labels == nil {
				g.labels = newPyDict()
			}
			g.labels.Set("kube_tag", tag)
			g.imageID = t.v["image_id"]
		}
	}
	_ = ng
	c.status, c.statusReason, c.updatedAt = "UPDATE_IN_PROGRESS", nil, timePtr(now)
	c.op = op
	return nil
}

// startDelete is cluster_delete. There is no status gate: a failed delete
// can be retried, and a delete already under way is left alone.
func (s *magnumService) startDelete(c *clusterRow) {
	if c.op != nil && c.op.action == actionDelete {
		return
	}
	now := s.now()
	op := &clusterOp{action: actionDelete, at: now, duration: s.heatDeleteDuration()}
	s.deleteNodegroupStacks(c, op.duration)
	switch {
	case c.driver == driverHeat && c.heatStackID != "":
		if err := s.heat.DeleteStack(c.heatStackID, op.duration); err == nil {
			op.heat = true
			if f := s.takeFault(c, actionDelete); f != nil {
				s.armStack(c, c.heatStackID, f)
			}
		}
	case c.driver == driverCAPI:
		op.capiFault = s.takeFault(c, actionDelete)
		if op.capiFault != nil && op.capiFault.Timeout {
			op.capiFault = nil
		}
	}
	c.op = op
}

// rotateCA is the synchronous rotate_ca_certificate call. Callers hold
// st.mu.
func (s *magnumService) rotateCA(c *clusterRow) *apiError {
	t := s.st.templates[c.templateUUID]
	if t != nil && t.boolField("tls_disabled") {
		return errf(http.StatusBadRequest, "Rotating the CA certificate on a non-TLS cluster is not supported")
	}
	now := s.now()
	if c.driver != driverHeat || t == nil || t.strField("cluster_distro") != "fedora-coreos" {
		msg := "'rotate_ca_certificate' is not supported by this driver."
		c.status, c.statusReason, c.updatedAt = "UPDATE_FAILED", msg, timePtr(now)
		return errf(http.StatusBadRequest, "%s", msg)
	}
	ca, err := pki.NewCA(c.name, now)
	if err != nil {
		return errf(http.StatusInternalServerError, "%v", err)
	}
	op := &clusterOp{action: actionUpdate, at: now, picked: true, duration: s.heatUpdateDuration(), timeout: s.heatTimeout(c)}
	if aerr := s.heatUpdate(c, op, map[string]string{"ca_key": randomHex(8)}); aerr != nil {
		c.status, c.statusReason, c.updatedAt = "UPDATE_FAILED", aerr.detail, timePtr(now)
		return aerr
	}
	c.ca = ca
	if c.kube != nil {
		if err := c.kube.RotateCA(ca); err != nil {
			// The stack update goes on in Heat, but the cluster's API no
			// longer matches its CA: the operation has failed.
			reason := "The Kubernetes API server of the cluster did not take the new CA: " + err.Error()
			s.kubeLogf("cluster %s (%s): %s", c.name, c.uuid, reason)
			c.status, c.statusReason, c.updatedAt, c.op = "UPDATE_FAILED", reason, timePtr(now), nil
			return nil
		}
	}
	c.status, c.statusReason, c.updatedAt = "UPDATE_IN_PROGRESS", nil, timePtr(now)
	c.op = op
	return nil
}

func (s *magnumService) heatCreateDuration() time.Duration {
	return durationOr(s.opts.HeatCreateDuration, heat.DefaultCreateDuration)
}

func (s *magnumService) heatUpdateDuration() time.Duration {
	return durationOr(s.opts.HeatUpdateDuration, heat.DefaultUpdateDuration)
}

func (s *magnumService) heatDeleteDuration() time.Duration {
	return durationOr(s.opts.HeatDeleteDuration, heat.DefaultDeleteDuration)
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomBase36(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
