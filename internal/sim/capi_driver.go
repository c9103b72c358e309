package sim

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// What vexxhost's magnum-cluster-api driver (entry points
// k8s_cluster_api_*) shows through Magnum beyond the shared Cluster API
// behaviour of advanceCAPI, as real Magnum 20 with Debian's
// magnum-cluster-api 0.16.0 did over a real management API
// (scripts/real-magnum/stack capi; SIMULATOR.md lists each point and the
// upstream source it still holds for).

// vexxhostDriverPrefix starts the names of magnum-cluster-api's entry
// points; StackHPC's k8s_capi_helm_v1 is the other Cluster API driver.
const vexxhostDriverPrefix = "k8s_cluster_api_"

// vexxhost reports whether the cluster's template selects
// magnum-cluster-api. Callers hold st.mu.
func (cd *conductor) vexxhost(c *clusterRow) bool {
	t := cd.st.templates[c.templateUUID]
	return c.driver == driverCAPI && t != nil && strings.HasPrefix(t.strField("driver"), vexxhostDriverPrefix)
}

// capiCreateFailure is what magnum-cluster-api's create_cluster raises
// after it saved the cluster's stack_id: building the CAPI Cluster splits
// the template's dns_nameserver unguarded (resources.py, in 0.16.0 and in
// upstream's main alike), so a template without one fails every create.
// The openstack CLI sends 8.8.8.8 when none is given; API clients that
// send nothing hit this. nil when the create goes ahead.
func (cd *conductor) capiCreateFailure(c *clusterRow) *string {
	if !cd.vexxhost(c) {
		return nil
	}
	if t := cd.st.templates[c.templateUUID]; t.v["dns_nameserver"] == nil {
		reason := "'NoneType' object has no attribute 'split'"
		return &reason
	}
	return nil
}

// capiControlPlaneNeverBoots reports a create magnum-cluster-api can
// never finish: with no master_flavor_id on the cluster or its template the
// driver's validation lets None through (utils.validate_flavor_name) and
// the control plane's OpenStackMachineTemplate gets no flavor, so CAPO
// never creates its server ("error getting flavor from flavor name :
// Resource not found", an event on the OpenStackMachine only) and Magnum
// shows CREATE_IN_PROGRESS with the Cluster's progress reason for ever, as
// real 0.16.0 did. Callers hold st.mu.
func (cd *conductor) capiControlPlaneNeverBoots(c *clusterRow, op *clusterOp) bool {
	return op.action == actionCreate && cd.vexxhost(c) && pyStrOrEmpty(c.masterFlavorID) == ""
}

// capiProgressReason is the status_reason magnum-cluster-api's status
// sync writes while an operation is in progress: the latest Event of the
// CAPI Cluster and of its OpenStackCluster (driver.py
// _get_cluster_status_reason). A create that reached the load balancer
// shows the Cluster Provisioned and the floating IP associated; a resize
// or an upgrade shows the topology controller's update of the worker
// MachineDeployment; a delete that outlasts a poll shows the Cluster
// Deleting. The floating IP is the API endpoint's host, and the port id,
// like CAPO's, stays the cluster's own.
func (cd *conductor) capiProgressReason(c *clusterRow, action string) string {
	stack := pyStrOrEmpty(c.stackID)
	var cluster string
	switch action {
	case actionUpdate:
		worker := "default-worker"
		if ng := c.defaultNG("worker"); ng != nil {
			worker = ng.name + "-" + shortHash(ng.uuid)
		}
		cluster = fmt.Sprintf("TopologyUpdate: Updated MachineDeployment \"magnum-system/%s-%s\"", stack, worker)
	case actionDelete:
		cluster = fmt.Sprintf("Deleting: Cluster %s is Deleting", stack)
	default:
		cluster = fmt.Sprintf("Provisioned: Cluster %s is Provisioned", stack)
	}
	if c.capiFloatingPort == "" {
		c.capiFloatingPort = uuid.NewString()
	}
	host := "127.0.0.1"
	if c.kube != nil {
		if u, err := url.Parse(c.kube.URL()); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
	}
	return fmt.Sprintf("CAPI Cluster status: %s. CAPI OpenstackCluster status reason: SuccessfulAssociateFloatingIP: Associated floating IP %s with port %s",
		cluster, host, c.capiFloatingPort)
}

// showCAPIProgress writes capiProgressReason from the first status sync
// after the conductor took the operation on, unless the operation ends at
// that very poll (the sync then completes it instead); a zero done never
// comes. Callers hold st.mu.
func (cd *conductor) showCAPIProgress(c *clusterRow, op *clusterOp, done, now time.Time) {
	if !cd.vexxhost(c) {
		return
	}
	first := cd.pollAfter(op, op.at.Add(cd.castLag()))
	if now.Before(first) || (!done.IsZero() && !first.Before(done)) {
		return
	}
	reason := cd.capiProgressReason(c, op.action)
	if c.statusReason != reason {
		c.statusReason = reason
		c.updatedAt = timePtr(first)
	}
}
