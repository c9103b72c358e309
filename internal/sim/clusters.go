package sim

import (
	"net/http"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Clusters (/v1/clusters): the row, its routes, and the reads (GET, list,
// DELETE's lookup). Create, update and the actions have files of their own
// (cluster_create.go, cluster_update.go, cluster_actions.go), as does the
// view they all answer with (cluster_view.go). Bays (bays.go) are another
// face of the same table; the conductor (conductor.go, conductor_ops.go)
// moves rows through their statuses.

// clusterRow is one row of Magnum's cluster table plus the conductor's
// private bookkeeping.
type clusterRow struct {
	id           int
	uuid         string
	name         string
	projectID    string
	userID       string
	templateUUID string

	keypair           any // string or nil
	dockerVolumeSize  any // int64 or nil
	labels            *pyDict
	masterFlavorID    any
	flavorID          any
	createTimeout     int64
	discoveryURL      any
	fixedNetwork      any
	fixedSubnet       any
	floatingIPEnabled bool
	masterLBEnabled   bool

	status           string
	statusReason     any
	healthStatus     any
	healthReason     *pyDict
	stackID          any // what the API shows; nil until the conductor saved it
	apiAddress       any
	coeVersion       any
	containerVersion any
	nodeAddresses    []string
	masterAddresses  []string
	createdAt        time.Time
	updatedAt        *time.Time

	nodegroups []*nodegroup

	// Conductor state.
	driver      string // driverHeat or driverCAPI
	coe         string
	tlsDisabled bool
	// heatStackID is the Heat stack, created when the API accepts the
	// cluster; stackID only shows it once the conductor "saved" it.
	heatStackID string
	// ngReason is the Heat stack_status_reason the poller copied onto
	// both default nodegroups (they share the cluster stack).
	ngReason any
	// ownStatus is the status of the cluster's own stack, which its
	// default nodegroups show, once an extra nodegroup's operation has
	// made the cluster's status an aggregate (UPDATE_* while the default
	// nodegroups stay as they were, as Magnum's
	// aggregate_nodegroup_statuses does); empty while the two agree.
	ownStatus string
	op        *clusterOp
	// visibleFrom hides a freshly created row, as the conductor has not
	// inserted it yet (Options.NotFoundAfterCreate).
	visibleFrom time.Time
	deleted     bool

	// capiVersion is a Cluster API cluster's spec.topology.version: the
	// kube_tag of its create, then of its last upgrade, which the driver
	// applies without Magnum saving it into the labels.
	capiVersion string
	// capiFloatingPort is the Neutron port the OpenStackCluster's events
	// name (capiProgressReason).
	capiFloatingPort string

	ca, etcdCA, proxyCA *pki.CA
	kube                kubeapi.Endpoint
}

// nodeCount is what the API reports: every non-master nodegroup.
func (c *clusterRow) nodeCount() int64 {
	var n int64
	for _, ng := range c.nodegroups {
		if ng.role != "master" {
			n += ng.nodeCount
		}
	}
	return n
}

func (c *clusterRow) masterCount() int64 {
	var n int64
	for _, ng := range c.nodegroups {
		if ng.role == "master" {
			n += ng.nodeCount
		}
	}
	return n
}

func (c *clusterRow) defaultNG(role string) *nodegroup {
	for _, ng := range c.nodegroups {
		if ng.isDefault && ng.role == role {
			return ng
		}
	}
	return nil
}

func (c *clusterRow) label(key string) string {
	v, _ := c.labels.getStr(key)
	return v
}

func (d *pyDict) getStr(key string) (string, bool) {
	if d == nil {
		return "", false
	}
	v, ok := d.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

// Cluster statuses that let the conductor accept an update (Magnum's
// allow_update_status).
var updatableStatuses = map[string]bool{
	"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "RESUME_COMPLETE": true, "RESTORE_COMPLETE": true,
	"ROLLBACK_COMPLETE": true, "SNAPSHOT_COMPLETE": true, "CHECK_COMPLETE": true, "ADOPT_COMPLETE": true,
}

// clusterScope says which projects a lookup may see.
type clusterScope int

const (
	scopeOwn clusterScope = iota
	// scopeAdminAllClusters: admins see every project (GET and lists).
	scopeAdminAllClusters
)

// findCluster is get_resource for clusters, after letting the conductor
// catch up with the row. Callers hold st.mu.
func (s *magnumService) findCluster(p *principal, ident string, scope clusterScope) (*clusterRow, *apiError) {
	notFound := errf(http.StatusNotFound, "Cluster %s could not be found.", ident)
	now := s.now()
	visible := func(c *clusterRow) bool {
		if c.deleted || now.Before(c.visibleFrom) {
			return false
		}
		return c.projectID == p.project.id || (scope == scopeAdminAllClusters && p.isAdmin())
	}
	if isUUIDLike(ident) {
		c := s.st.clusters[canonicalUUID(ident)]
		if c == nil {
			return nil, notFound
		}
		s.cond.sync(c, now)
		if !visible(c) {
			return nil, notFound
		}
		return c, nil
	}
	var found *clusterRow
	for _, c := range s.st.clusters {
		if c.name != ident {
			continue
		}
		s.cond.sync(c, now)
		if !visible(c) {
			continue
		}
		if found != nil {
			return nil, errf(http.StatusConflict, "Multiple clusters exist with same name. Please use the cluster uuid instead.")
		}
		found = c
	}
	if found == nil {
		return nil, notFound
	}
	return found, nil
}

func (s *magnumService) getCluster(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeAdminAllClusters)
	if aerr == nil {
		aerr = apiTypeError(cl, false)
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	view := s.clusterView(cl, c.ver, c.base, true)
	if f, ok := s.faultsOf(cl); ok {
		view = withFaults(view, "faults", f)
	}
	writeMagnumJSON(w, http.StatusOK, view)
}

// apiTypeError is the 400 Magnum's API answers when it cannot turn a
// cluster row into its API type: master_count must be at least 1 for a
// cluster, and node_count as well for a bay (checked first). A cluster
// whose nodegroup rows are gone, in the last moments of a delete
// (tearDown), fails so; so does a bay resized to no workers.
func apiTypeError(c *clusterRow, bay bool) *apiError {
	if n := c.nodeCount(); bay && n < 1 {
		return invalidInput("node_count", n, "Value should be greater or equal to 1")
	}
	if n := c.masterCount(); n < 1 {
		return invalidInput("master_count", n, "Value should be greater or equal to 1")
	}
	return nil
}

var clusterSortKeys = map[string]bool{
	"id": true, "uuid": true, "name": true, "cluster_template_id": true, "keypair": true, "node_count": true,
	"master_count": true, "docker_volume_size": true, "create_timeout": true, "stack_id": true, "status": true,
	"project_id": true, "user_id": true, "created_at": true, "updated_at": true, "flavor_id": true,
	"master_flavor_id": true, "health_status": true, "api_address": true, "discovery_url": true,
}

func (s *magnumService) clusterSortValue(c *clusterRow, key string) any {
	switch key {
	case "id":
		return c.id
	case "uuid":
		return c.uuid
	case "name":
		return c.name
	case "cluster_template_id":
		return c.templateUUID
	case "keypair":
		return c.keypair
	case "node_count":
		return c.nodeCount()
	case "master_count":
		return c.masterCount()
	case "docker_volume_size":
		return c.dockerVolumeSize
	case "create_timeout":
		return c.createTimeout
	case "stack_id":
		return c.stackID
	case "status":
		return c.status
	case "project_id":
		return c.projectID
	case "user_id":
		return c.userID
	case "created_at":
		return c.createdAt
	case "updated_at":
		if c.updatedAt != nil {
			return *c.updatedAt
		}
	case "flavor_id":
		return c.flavorID
	case "master_flavor_id":
		return c.masterFlavorID
	case "health_status":
		return c.healthStatus
	case "api_address":
		return c.apiAddress
	case "discovery_url":
		return c.discoveryURL
	}
	return nil
}

// listClusterRows applies the list arguments and returns one page plus the
// next link. Callers hold st.mu.
func (s *magnumService) listClusterRows(r *http.Request, c *magnumCall, collection string) ([]*clusterRow, string, *apiError) {
	if aerr := checkQueryArgs(r, "limit", "marker", "sort_key", "sort_dir"); aerr != nil {
		return nil, "", aerr
	}
	pp, aerr := parsePage(r)
	if aerr != nil {
		return nil, "", aerr
	}
	var marker *clusterRow
	if pp.marker != "" {
		if marker, aerr = s.findCluster(c.p, pp.marker, scopeAdminAllClusters); aerr != nil {
			return nil, "", aerr
		}
	}
	if !clusterSortKeys[pp.sortKey] {
		return nil, "", errf(http.StatusBadRequest, "The sort_key value %q is an invalid field for sorting", pp.sortKey)
	}
	now := s.now()
	var rows []*clusterRow
	for _, cl := range s.st.clusters {
		s.cond.sync(cl, now)
		if cl.deleted || now.Before(cl.visibleFrom) {
			continue
		}
		if cl.projectID == c.p.project.id || c.p.isAdmin() {
			rows = append(rows, cl)
		}
	}
	key := func(cl *clusterRow) (sortValue, int) {
		v := s.clusterSortValue(cl, pp.sortKey)
		return sortValue{null: v == nil, v: v}, cl.id
	}
	var mp **clusterRow
	if marker != nil {
		mp = &marker
	}
	page := paginate(rows, pp, mp, key)
	next := ""
	if len(page) > 0 && len(page) == pp.limit {
		next = nextLink(c.base, collection, pp, page[len(page)-1].uuid)
	}
	return page, next, nil
}

func (s *magnumService) listClusters(detail bool) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		page, next, aerr := s.listClusterRows(r, c, "clusters")
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		items := make(pyList, len(page))
		for i, cl := range page {
			if aerr := apiTypeError(cl, false); aerr != nil {
				writeMagnumError(w, aerr)
				return
			}
			items[i] = s.clusterView(cl, c.ver, c.base, detail)
		}
		out := newPyDict()
		out.Set("clusters", items)
		if next != "" {
			out.Set("next", next)
		}
		writeMagnumJSON(w, http.StatusOK, out)
	}
}

func (s *magnumService) deleteCluster(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.cond.startDelete(cl)
	w.WriteHeader(http.StatusNoContent)
}
