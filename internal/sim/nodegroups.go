package sim

import (
	"net/http"
	"time"
)

// Nodegroups (/v1/clusters/{cluster}/nodegroups, 1.9+). Every cluster has
// its default-master and default-worker rows; their status follows the
// cluster's because both share the cluster's stack. Extra nodegroups
// (nodegroup_ops.go) have a stack and a status of their own.

type nodegroup struct {
	id               int
	uuid             string
	name             string
	role             string
	isDefault        bool
	nodeCount        int64
	minNodeCount     int64
	maxNodeCount     any // int64 or nil
	flavorID         any
	imageID          any
	dockerVolumeSize any
	labels           *pyDict
	version          any
	createdAt        time.Time
	updatedAt        *time.Time

	// Extra nodegroups only: their own status, stack and operation.
	status       string
	statusReason any
	heatStackID  string
	stackID      any
	op           *ngOp
	// nodeAddresses are the servers of the nodegroup's own stack, read
	// when its create or update completes.
	nodeAddresses []string
	// nodeLabels and nodeTaints are the 1.14 fields (master profile).
	nodeLabels *pyDict
	nodeTaints pyList
}

// findNodegroup resolves a nodegroup of c by UUID or name.
func findNodegroup(c *clusterRow, ident string) (*nodegroup, *apiError) {
	for _, ng := range c.nodegroups {
		if ng.uuid == ident || ng.name == ident {
			return ng, nil
		}
	}
	return nil, errf(http.StatusNotFound, "Nodegroup %s could not be found.", ident)
}

// ngStatus is a nodegroup's status: a default one shows the cluster's, an
// extra one its own stack's, except that a cluster delete marks every
// nodegroup DELETE_IN_PROGRESS before the cluster.
func ngStatus(c *clusterRow, ng *nodegroup) string {
	if c.op != nil && c.op.action == actionDelete {
		if !c.op.tornDown.IsZero() {
			return "DELETE_COMPLETE"
		}
		return "DELETE_IN_PROGRESS"
	}
	if !ng.isDefault {
		return ng.status
	}
	if c.ownStatus != "" {
		return c.ownStatus
	}
	return c.status
}

// ngStackAndReason are the stack_id and status_reason a nodegroup shows.
func ngStackAndReason(c *clusterRow, ng *nodegroup) (stack, reason any) {
	if ng.isDefault {
		return c.stackID, c.ngReason
	}
	return ng.stackID, ng.statusReason
}

func (s *magnumService) nodegroupView(c *clusterRow, ng *nodegroup, base string, detail bool) *pyDict {
	out := newPyDict()
	link := func() pyList {
		path := "clusters/" + c.uuid + "/nodegroups/" + ng.uuid
		return pyList{
			map[string]any{"href": base + magnumPrefix + "/v1/" + path, "rel": "self"},
			map[string]any{"href": base + magnumPrefix + "/" + path, "rel": "bookmark"},
		}
	}
	if detail {
		out.Set("id", int64(ng.id))
	}
	out.Set("uuid", ng.uuid)
	out.Set("name", ng.name)
	if detail {
		out.Set("cluster_id", c.uuid)
		out.Set("project_id", c.projectID)
		out.Set("docker_volume_size", ng.dockerVolumeSize)
		labels := ng.labels
		if labels == nil {
			labels = newPyDict()
		}
		out.Set("labels", labels)
		out.Set("links", link())
	}
	out.Set("flavor_id", ng.flavorID)
	out.Set("image_id", ng.imageID)
	if detail {
		addrs := c.nodeAddresses
		switch {
		case ng.role == "master":
			addrs = c.masterAddresses
		case !ng.isDefault:
			addrs = ng.nodeAddresses
		}
		out.Set("node_addresses", strList(addrs))
	}
	out.Set("node_count", ng.nodeCount)
	out.Set("role", ng.role)
	out.Set("min_node_count", ng.minNodeCount)
	out.Set("max_node_count", ng.maxNodeCount)
	out.Set("is_default", ng.isDefault)
	stack, reason := ngStackAndReason(c, ng)
	out.Set("stack_id", stack)
	out.Set("status", ngStatus(c, ng))
	if !detail {
		out.Set("merge_labels", false)
		return out
	}
	out.Set("status_reason", reason)
	out.Set("version", ng.version)
	out.Set("merge_labels", false)
	ov, ad, sk := newPyDict(), newPyDict(), newPyDict()
	for _, it := range c.labels.entries() {
		if v, ok := ng.labels.Get(it.Key); !ok {
			sk.Set(it.Key, it.Val)
		} else if v != it.Val {
			ov.Set(it.Key, it.Val)
		}
	}
	for _, it := range ng.labels.entries() {
		if _, ok := c.labels.Get(it.Key); !ok {
			ad.Set(it.Key, it.Val)
		}
	}
	out.Set("labels_overridden", ov)
	out.Set("labels_added", ad)
	out.Set("labels_skipped", sk)
	if s.nodeTaintsServed() {
		out.Set("node_labels", cloneOrEmpty(ng.nodeLabels))
		taints := ng.nodeTaints
		if taints == nil {
			taints = pyList{}
		}
		out.Set("node_taints", taints)
	}
	out.Set("created_at", s.fmtTime(ng.createdAt))
	upd := ng.updatedAt
	if upd == nil {
		upd = c.updatedAt
	}
	out.Set("updated_at", s.fmtTimePtr(upd))
	return out
}

func (s *magnumService) listNodegroups(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if aerr := checkQueryArgs(r, "limit", "marker", "sort_key", "sort_dir", "role"); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeAdminAllClusters)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	role := r.URL.Query().Get("role")
	items := pyList{}
	for _, ng := range cl.nodegroups {
		if role == "" || ng.role == role {
			items = append(items, s.nodegroupView(cl, ng, c.base, false))
		}
	}
	out := newPyDict()
	out.Set("nodegroups", items)
	writeMagnumJSON(w, http.StatusOK, out)
}

func (s *magnumService) getNodegroup(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeAdminAllClusters)
	var ng *nodegroup
	if aerr == nil {
		ng, aerr = findNodegroup(cl, r.PathValue("ng"))
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	writeMagnumJSON(w, http.StatusOK, s.nodegroupView(cl, ng, c.base, true))
}
