package sim

import (
	"net/http"
	"time"
)

// Bays (/v1/bays, zed profile only): the pre-1.2 face of the cluster table,
// with its renamed fields and the bugs Magnum 15 still ships
// (FINDINGS step 5).

// labelsBug is what the conductor raises for a bay POSTed without a
// "labels" key: Magnum reads labels off a None (FINDINGS #204).
const labelsBug = "'NoneType' object has no attribute 'get'"

// bayView renders a row as the Bay API type. Callers hold st.mu.
func (s *magnumService) bayView(c *clusterRow, base string, detail bool) *pyDict {
	out := newPyDict()
	labels := c.labels
	if labels == nil {
		labels = newPyDict()
	}
	out.Set("uuid", c.uuid)
	out.Set("name", c.name)
	out.Set("baymodel_id", c.templateUUID)
	out.Set("node_count", c.nodeCount())
	out.Set("master_count", c.masterCount())
	out.Set("docker_volume_size", c.dockerVolumeSize)
	out.Set("labels", labels)
	out.Set("master_flavor_id", c.masterFlavorID)
	out.Set("flavor_id", c.flavorID)
	out.Set("bay_create_timeout", c.createTimeout)
	out.Set("links", s.clusterLink(base, "bays", c.uuid))
	out.Set("stack_id", c.stackID)
	out.Set("status", c.status)
	if !detail {
		out.Set("floating_ip_enabled", c.floatingIPEnabled)
		return out
	}
	out.Set("status_reason", c.statusReason)
	out.Set("discovery_url", c.discoveryURL)
	out.Set("api_address", c.apiAddress)
	out.Set("coe_version", c.coeVersion)
	out.Set("container_version", c.containerVersion)
	out.Set("node_addresses", strList(c.workerAddresses()))
	out.Set("master_addresses", strList(c.masterAddresses))
	out.Set("fixed_network", c.fixedNetwork)
	out.Set("fixed_subnet", c.fixedSubnet)
	out.Set("floating_ip_enabled", c.floatingIPEnabled)
	out.Set("master_lb_enabled", c.masterLBEnabled)
	out.Set("created_at", s.fmtTime(c.createdAt))
	out.Set("updated_at", s.fmtTimePtr(c.updatedAt))
	return out
}

// bayFaults is what the bay controller collects from Heat for a failed
// bay: the FAILED resources down to nested depth 2, by name.
func (s *magnumService) bayFaults(c *clusterRow) *pyDict {
	out := newPyDict()
	if s.heat == nil || c.heatStackID == "" {
		return out
	}
	st, err := s.heat.Stack(c.heatStackID)
	if err != nil {
		return out
	}
	for _, r := range st.Failed() {
		if r.Depth <= 2 {
			out.Set(r.Name, r.StatusReason)
		}
	}
	return out
}

func (s *magnumService) getBay(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeAdminAllClusters)
	if aerr == nil {
		aerr = apiTypeError(cl, true)
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.writeBay(w, cl, c.base, http.StatusOK)
}

func (s *magnumService) writeBay(w http.ResponseWriter, cl *clusterRow, base string, status int) {
	view := s.bayView(cl, base, true)
	if _, failed := s.faultsOf(cl); failed {
		view = withFaults(view, "bay_faults", s.bayFaults(cl))
	}
	writeMagnumJSON(w, status, view)
}

func (s *magnumService) listBays(detail bool) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		page, next, aerr := s.listClusterRows(r, c, "bays")
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		items := make(pyList, len(page))
		for i, cl := range page {
			if aerr := apiTypeError(cl, true); aerr != nil {
				writeMagnumError(w, aerr)
				return
			}
			items[i] = s.bayView(cl, c.base, detail)
		}
		out := newPyDict()
		out.Set("bays", items)
		if next != "" {
			out.Set("next", next)
		}
		writeMagnumJSON(w, http.StatusOK, out)
	}
}

func (s *magnumService) createBay(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	v, in, aerr := s.parseClusterBody(body, true)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	t, aerr := s.templateForCluster(c.p, v["baymodel_id"].(string), true)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	v["keypair"] = t.v["keypair_id"]
	for _, k := range []string{"docker_volume_size", "master_flavor_id", "flavor_id", "fixed_network", "fixed_subnet"} {
		if v[k] == nil || v[k] == "" || v[k] == int64(0) {
			v[k] = t.v[k]
		}
	}
	check := map[string]any{
		"image_id": t.v["image_id"], "flavor_id": v["flavor_id"], "master_flavor_id": v["master_flavor_id"],
		"external_network_id": t.v["external_network_id"],
	}
	if _, aerr := s.validateOSResources(check); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if v["master_count"].(int64) > 1 {
		// validate_master_count indexes the bay's dict, which has no
		// master_lb_enabled key unless the body set one.
		switch v["master_lb_enabled"] {
		case nil:
			writeMagnumError(w, errf(http.StatusInternalServerError, "'master_lb_enabled'"))
			return
		case false:
			writeMagnumError(w, errf(http.StatusBadRequest, "master_count must be 1 when master_lb_enabled is False"))
			return
		}
	}
	rawLabels, hasLabels := in.Get("labels")
	switch {
	case !hasLabels:
		v["labels"] = newPyDict()
	case rawLabels == nil:
		tl, _ := t.v["labels"].(*pyDict)
		v["labels"] = tl.Clone()
	default:
		stored, aerr := storeLabels(v["labels"].(*pyDict))
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		v["labels"] = stored
	}
	cl := s.newClusterRow(c.p, t, v, v["bay_create_timeout"].(int64), true)
	sync := c.ver.less(apiVersion{1, 2})
	if sync {
		// The synchronous call returns after the conductor inserted the row.
		cl.visibleFrom = time.Time{}
	}
	if refusal := s.cond.createRefusal(c.p, cl); refusal != nil {
		if sync {
			// The conductor saved the failed row: it has an updated_at
			// (seen on real Magnum 15).
			cl.status, cl.statusReason, cl.updatedAt = "CREATE_FAILED", refusal.detail, timePtr(s.now())
			writeMagnumError(w, refusal)
			return
		}
		s.cond.startCreate(cl, createOpts{failNow: reasonOf(refusal)})
		writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": cl.uuid})
		return
	}
	if !hasLabels {
		if sync {
			// The synchronous call fails after the row was inserted, so
			// the client gets the 500 and a CREATE_FAILED bay remains.
			cl.status, cl.statusReason = "CREATE_FAILED", labelsBug
			writeMagnumError(w, errf(http.StatusInternalServerError, "%s", labelsBug))
			return
		}
		reason := labelsBug
		s.cond.startCreate(cl, createOpts{failNow: &reason})
		writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": cl.uuid})
		return
	}
	s.cond.startCreate(cl, createOpts{synchronous: sync})
	if sync {
		s.writeBay(w, cl, c.base, http.StatusCreated)
		return
	}
	writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": cl.uuid})
}
