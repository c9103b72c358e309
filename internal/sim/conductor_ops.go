package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// The conductor's side of each cluster operation, as Magnum's
// ClusterManager runs it when the API casts: checks made before a stack
// exists (createRefusal), the certificates, Kubernetes API and stack of a
// create, the stack updates of resize, upgrade and CA rotation, and the
// delete. Each leaves a clusterOp that the status loop (conductor.go)
// drives to its end. Callers hold st.mu.

// armStack hands a test's fault to Heat for the stack's operation. Heat
// refuses it only for a stack that is gone; the fault is then lost, and
// the log says so.
func (cd *conductor) armStack(c *clusterRow, stackID string, f *Fault) {
	if err := cd.stackFaults.InjectFault(stackID, f.heatFault()); err != nil {
		cd.logf("cluster %s (%s): injecting fault into stack %s: %v", c.name, c.uuid, stackID, err)
	}
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
func (cd *conductor) trustRefused(p *principal, c *clusterRow) *string {
	if !p.appCred || cd.opts.AppCredTrusts {
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
func (cd *conductor) createRefusal(p *principal, c *clusterRow) *apiError {
	if reason := cd.trustRefused(p, c); reason != nil {
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
			size, known := cd.st.discovery[strings.Trim(strings.TrimPrefix(d, etcdDiscovery), "/")]
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
	return cd.fx.fixedNetworkRefusal(c.fixedNetwork, c.fixedSubnet)
}

// fixedNetworkRefusal is Magnum's answer to a fixed network or subnet that
// Neutron does not have: get_fixed_network_name looks a network up only
// when it is given by id; get_fixed_subnet_id and get_subnet look a subnet
// up either way. Zed's conductor gives it (createRefusal); 2025.1's API
// does, before the row exists.
func (fx *fixtures) fixedNetworkRefusal(network, subnet any) *apiError {
	if n, ok := network.(string); ok && isUUIDLike(n) && !fx.fixedNetwork(n) {
		return errf(http.StatusBadRequest, "Unable to find fixed network %s.", n)
	}
	if sn, ok := subnet.(string); ok && sn != "" {
		switch fx.subnet(sn) {
		case 0:
			return errf(http.StatusBadRequest, "Unable to find fixed subnet %s.", sn)
		case 1:
		default:
			return errf(http.StatusConflict, "Multiple subnets exist with same name '%s'. Please use the subnet ID instead.", sn)
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
func (cd *conductor) startCreate(c *clusterRow, o createOpts) {
	now := cd.now()
	stackIDFirst := false
	if c.driver == driverCAPI {
		c.capiVersion = c.label("kube_tag")
		if c.capiVersion == "" {
			c.capiVersion = capiDefaultKubeTag
		}
		if reason := cd.capiCreateFailure(c); o.failNow == nil && reason != nil {
			o.failNow, stackIDFirst = reason, true
		}
	}
	ca, err := pki.NewCA(c.name, now)
	switch {
	case err != nil && o.failNow == nil:
		// Magnum's CertificatesToClusterFailed; the cause goes to the log,
		// as the conductor logs it.
		reason := fmt.Sprintf("Failed to create certificates for Cluster: %s", c.uuid)
		cd.logf("cluster %s (%s): %s: %v", c.name, c.uuid, reason, err)
		o.failNow = &reason
	case err != nil:
	default:
		c.ca = ca
		if c.coe == heat.COEKubernetes && !c.tlsDisabled && o.failNow == nil {
			ep, err := cd.kube.Start(c.name, ca)
			if err != nil {
				reason := failKube(err)
				cd.kubeLogf("cluster %s (%s): %s", c.name, c.uuid, reason)
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
		action: actionCreate, at: now, duration: cd.heatCreateDuration(),
		timeout: time.Duration(timeout) * cd.heatMinute, failNow: o.failNow, stackIDFirst: stackIDFirst,
	}
	switch {
	case o.failNow != nil:
	case c.driver == driverHeat:
		st := cd.heat.CreateStack(c.projectID, heat.StackSpec{
			Name: heat.StackName(c.name), COE: c.coe, Parameters: cd.stackParams(c),
			TimeoutMins: int(timeout), Duration: op.duration,
		})
		c.heatStackID = st.ID
		op.heat = true
		if f := cd.takeFault(c, actionCreate); f != nil {
			cd.armStack(c, st.ID, f)
		}
	default:
		op.capiFault = cd.takeFault(c, actionCreate)
	}
	c.op, c.ownStatus = op, ""
	if o.synchronous {
		cd.pick(c, op, now)
		// The captured 201 carries the new stack_id but no updated_at
		// (FINDINGS #202).
		c.updatedAt = nil
	}
}

func (cd *conductor) stackParams(c *clusterRow) map[string]string {
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
	if t := cd.st.templates[c.templateUUID]; tag == "" && t != nil {
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
func (cd *conductor) conductorUpdate(c *clusterRow, p *clusterPatch) {
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
	cd.startNodeCountUpdate(c, worker, p.nodeCount, nil, c.driver == driverCAPI)
}

// conductorResize is cluster_resize: like an update, but UPDATE_FAILED and
// UPDATE_IN_PROGRESS clusters may be resized too.
func (cd *conductor) conductorResize(c *clusterRow, ng *nodegroup, count int64, remove []string) {
	if !updatableStatuses[c.status] && c.status != "UPDATE_FAILED" && c.status != "UPDATE_IN_PROGRESS" {
		return
	}
	if c.op != nil && c.op.action == actionDelete {
		return
	}
	if !ng.isDefault {
		cd.resizeExtraNodegroup(c, ng, count)
		return
	}
	cd.startNodeCountUpdate(c, ng, count, remove, false)
}

// startNodeCountUpdate writes the new count at once, as the conductor does
// before it calls the driver, and starts the stack update. notImplemented
// plays vexxhost's update_cluster, which raises with an empty message.
func (cd *conductor) startNodeCountUpdate(c *clusterRow, ng *nodegroup, count int64, remove []string, notImplemented bool) {
	now := cd.now()
	old := ng.nodeCount
	ng.nodeCount = count
	if c.op != nil && !c.op.picked && c.op.action == actionUpdate {
		// A second cast before the conductor got to the first: both pass
		// the status gate; the last count wins in the database.
		return
	}
	op := &clusterOp{action: actionUpdate, at: now, duration: cd.heatUpdateDuration(), timeout: c.op.timeoutOr(cd.heatTimeout(c))}
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
		if aerr := cd.heatUpdate(c, op, params); aerr != nil {
			msg := aerr.detail
			op.failNow = &msg
		}
	default:
		op.capiFault = cd.takeFault(c, actionUpdate)
	}
	c.op, c.ownStatus = op, ""
}

func (op *clusterOp) timeoutOr(def time.Duration) time.Duration {
	if op != nil && op.timeout > 0 {
		return op.timeout
	}
	return def
}

func (cd *conductor) heatTimeout(c *clusterRow) time.Duration {
	t := c.createTimeout
	if t <= 0 {
		t = heat.DefaultTimeoutMins
	}
	return time.Duration(t) * cd.heatMinute
}

// heatUpdate starts a stack update for op and arms an injected fault.
func (cd *conductor) heatUpdate(c *clusterRow, op *clusterOp, params map[string]string) *apiError {
	err := cd.heat.UpdateStack(c.heatStackID, params, op.duration)
	switch {
	case errors.Is(err, heat.ErrActionInProgress):
		return errf(http.StatusConflict, "ERROR: Stack %s already has an action in progress.", c.heatStackID)
	case errors.Is(err, heat.ErrNotFound):
		return errf(http.StatusNotFound, "ERROR: The Stack (%s) could not be found.", c.heatStackID)
	case err != nil:
		return errf(http.StatusInternalServerError, "ERROR: %v", err)
	}
	op.heat = true
	if f := cd.takeFault(c, actionUpdate); f != nil {
		cd.armStack(c, c.heatStackID, f)
	}
	return nil
}

// conductorUpgrade is the synchronous cluster_upgrade call: errors come
// back to the client, and the status changes before the API answers.
func (cd *conductor) conductorUpgrade(c *clusterRow, t *template, ng *nodegroup) *apiError {
	if !updatableStatuses[c.status] || c.op != nil {
		return errf(http.StatusBadRequest, "Upgrading a cluster when status is \"%s\" is not supported.", c.status)
	}
	now := cd.now()
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
	op := &clusterOp{action: actionUpdate, at: now, picked: true, duration: cd.heatUpdateDuration(), timeout: cd.heatTimeout(c)}
	if c.driver == driverHeat {
		params := map[string]string{}
		if hasTag {
			params["kube_tag"], params["kube_version"] = tag, tag
		}
		if aerr := cd.heatUpdate(c, op, params); aerr != nil {
			return fail(aerr)
		}
	} else {
		op.capiFault = cd.takeFault(c, actionUpdate)
	}
	c.templateUUID = t.uuid
	switch {
	case !hasTag:
	case c.driver == driverCAPI:
		// magnum-cluster-api sets kube_tag in the cluster's and the
		// nodegroups' label dicts in place, which oslo.versionedobjects
		// does not see as a change: Magnum saves the template and the
		// nodegroups' image_id, the labels keep the old kube_tag (real
		// 0.16.0; the same code upstream), and the Cluster API cluster
		// runs the new one. The driver compares the template's kube_tag
		// with that stale label, not with what the cluster runs: an
		// upgrade back to the label's release changes nothing in Cluster
		// API, and the cluster completes on the new template still on the
		// newer release (seen with 0.16.0 on the capi stack).
		if cur, _ := c.labels.getStr("kube_tag"); !cd.vexxhost(c) || cur != tag {
			c.capiVersion = tag
		}
		for _, g := range c.nodegroups {
			g.imageID = t.v["image_id"]
		}
	default:
		// The Heat conductor copies only kube_tag into the cluster's and
		// nodegroups' labels.
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
	c.op, c.ownStatus = op, ""
	return nil
}

// startDelete is cluster_delete. There is no status gate: a failed delete
// can be retried, and a delete already under way is left alone.
func (cd *conductor) startDelete(c *clusterRow) {
	if c.op != nil && c.op.action == actionDelete {
		return
	}
	now := cd.now()
	op := &clusterOp{action: actionDelete, at: now, duration: cd.heatDeleteDuration()}
	cd.deleteNodegroupStacks(c, op.duration)
	switch {
	case c.driver == driverHeat && c.heatStackID != "":
		if err := cd.heat.DeleteStack(c.heatStackID, op.duration); err == nil {
			op.heat = true
			if f := cd.takeFault(c, actionDelete); f != nil {
				cd.armStack(c, c.heatStackID, f)
			}
		}
	case c.driver == driverCAPI:
		op.capiFault = cd.takeFault(c, actionDelete)
		if op.capiFault != nil && op.capiFault.Timeout {
			op.capiFault = nil
		}
	}
	c.op, c.ownStatus = op, ""
}

// rotatableStatus are the statuses ca_conductor.py rotate_ca_certificate
// accepts (allow_update_status, Magnum 15 and 20 alike).
var rotatableStatus = map[string]bool{
	"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "RESUME_COMPLETE": true, "RESTORE_COMPLETE": true,
	"ROLLBACK_COMPLETE": true, "SNAPSHOT_COMPLETE": true, "CHECK_COMPLETE": true, "ADOPT_COMPLETE": true,
}

// rotateCA is the synchronous rotate_ca_certificate call. Callers hold
// st.mu.
func (cd *conductor) rotateCA(c *clusterRow) *apiError {
	t := cd.st.templates[c.templateUUID]
	if t != nil && t.boolField("tls_disabled") {
		return errf(http.StatusBadRequest, "Rotating the CA certificate on a non-TLS cluster is not supported")
	}
	if !rotatableStatus[c.status] {
		// ca_conductor.py refuses before it touches anything.
		return errf(http.StatusBadRequest, "Updating a cluster when status is %q is not supported.", c.status)
	}
	now := cd.now()
	// ca_conductor.py regenerates the certificates before it asks the
	// driver, and saves them with the failure too: a refused rotation
	// leaves Magnum a new CA that the cluster's API never took.
	ca, err := pki.NewCA(c.name, now)
	if err != nil {
		return errf(http.StatusInternalServerError, "%v", err)
	}
	if c.driver != driverHeat || t == nil || t.strField("cluster_distro") != "fedora-coreos" {
		msg := "'rotate_ca_certificate' is not supported by this driver."
		c.ca, c.status, c.statusReason, c.updatedAt = ca, "UPDATE_FAILED", msg, timePtr(now)
		return errf(http.StatusBadRequest, "%s", msg)
	}
	op := &clusterOp{action: actionUpdate, at: now, picked: true, duration: cd.heatUpdateDuration(), timeout: cd.heatTimeout(c)}
	c.ca = ca
	if aerr := cd.heatUpdate(c, op, map[string]string{"ca_key": randomHex(8)}); aerr != nil {
		c.status, c.statusReason, c.updatedAt = "UPDATE_FAILED", aerr.detail, timePtr(now)
		return aerr
	}
	if c.kube != nil {
		if err := c.kube.RotateCA(ca); err != nil {
			// The stack update goes on in Heat, but the cluster's API no
			// longer matches its CA: the operation has failed.
			reason := "The Kubernetes API server of the cluster did not take the new CA: " + err.Error()
			cd.kubeLogf("cluster %s (%s): %s", c.name, c.uuid, reason)
			c.status, c.statusReason, c.updatedAt, c.op = "UPDATE_FAILED", reason, timePtr(now), nil
			return nil
		}
	}
	c.status, c.statusReason, c.updatedAt = "UPDATE_IN_PROGRESS", nil, timePtr(now)
	c.op, c.ownStatus = op, ""
	return nil
}

func (cd *conductor) heatCreateDuration() time.Duration {
	return durationOr(cd.opts.HeatCreateDuration, heat.DefaultCreateDuration)
}

func (cd *conductor) heatUpdateDuration() time.Duration {
	return durationOr(cd.opts.HeatUpdateDuration, heat.DefaultUpdateDuration)
}

func (cd *conductor) heatDeleteDuration() time.Duration {
	return durationOr(cd.opts.HeatDeleteDuration, heat.DefaultDeleteDuration)
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

// takeFault consumes the first fault armed for c and action.
func (cd *conductor) takeFault(c *clusterRow, action string) *Fault {
	if f, ok := cd.faults.take(c.projectID, c.name, action); ok {
		return &f
	}
	return nil
}
