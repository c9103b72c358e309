package sim

import (
	"strings"
	"time"
)

// How a cluster row reads through the API: the view GET and list return
// (with the labels and faults Magnum derives on every read), links, and
// times in the database's format.

func (s *magnumService) clusterLink(base, collection, id string) []any {
	return pyList{
		map[string]any{"href": base + magnumPrefix + "/v1/" + collection + "/" + id, "rel": "self"},
		map[string]any{"href": base + magnumPrefix + "/" + collection + "/" + id, "rel": "bookmark"},
	}
}

// fmtTime renders a timestamp as Magnum does (Python's isoformat): with
// microseconds unless they are zero. They come from the database:
// PostgreSQL, which both real stacks here use, keeps them (Magnum 15 and
// 20 alike); MySQL's DATETIME does not, as in the Zed captures.
func (s *magnumService) fmtTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Truncate(time.Microsecond).Format(magnumTimeMicro)
	}
	return t.Truncate(time.Second).Format(magnumTime)
}

func (s *magnumService) fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.fmtTime(*t)
}

func strList(l []string) pyList {
	out := make(pyList, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// faultsVisible reports whether the API shows a faults field (only for
// failed statuses) and what it holds: the nodegroups' Heat reasons, or
// nothing once a delete has put the nodegroups into DELETE_IN_PROGRESS.
func (s *magnumService) faultsOf(c *clusterRow) (*pyDict, bool) {
	if !strings.HasSuffix(c.status, "_FAILED") {
		return nil, false
	}
	out := newPyDict()
	if c.op != nil && c.op.action == actionDelete {
		return out, true
	}
	if c.driver != driverHeat {
		return out, true
	}
	// Magnum's _collect_fault_info: the failed nodegroups' status_reason.
	for _, ng := range c.nodegroups {
		if !strings.HasSuffix(ngStatus(c, ng), "_FAILED") {
			continue
		}
		// A default nodegroup without a Heat reason (a create that failed
		// before its stack existed) stays out, as the simulator always had
		// it; no capture shows that case with nodegroups.
		if _, reason := ngStackAndReason(c, ng); reason != nil || !ng.isDefault {
			out.Set(ng.name, reason)
		}
	}
	return out, true
}

// labelDetails compares the cluster's labels with its template's the way
// Magnum's API does on every read.
func (s *magnumService) labelDetails(c *clusterRow) (overridden, added, skipped *pyDict) {
	overridden, added, skipped = newPyDict(), newPyDict(), newPyDict()
	var parent *pyDict
	if t := s.st.templates[c.templateUUID]; t != nil {
		parent, _ = t.v["labels"].(*pyDict)
	}
	for _, it := range parent.entries() {
		if _, ok := c.labels.Get(it.Key); !ok {
			skipped.Set(it.Key, it.Val)
		}
	}
	for _, it := range c.labels.entries() {
		pv, ok := parent.Get(it.Key)
		switch {
		case !ok:
			added.Set(it.Key, it.Val)
		case pv != it.Val:
			overridden.Set(it.Key, pv)
		}
	}
	return overridden, added, skipped
}

// clusterView renders a row as the Cluster API type. Callers hold st.mu.
func (s *magnumService) clusterView(c *clusterRow, ver apiVersion, base string, detail bool) *pyDict {
	out := newPyDict()
	labels := c.labels
	if labels == nil {
		labels = newPyDict()
	}
	out.Set("uuid", c.uuid)
	out.Set("name", c.name)
	out.Set("cluster_template_id", c.templateUUID)
	out.Set("keypair", c.keypair)
	out.Set("node_count", c.nodeCount())
	out.Set("master_count", c.masterCount())
	out.Set("docker_volume_size", c.dockerVolumeSize)
	out.Set("labels", labels)
	out.Set("master_flavor_id", c.masterFlavorID)
	out.Set("flavor_id", c.flavorID)
	out.Set("create_timeout", c.createTimeout)
	out.Set("links", s.clusterLink(base, "clusters", c.uuid))
	// Magnum ≥ 1.13 renames the column's API name (master only).
	if !ver.less(apiVersion{1, 13}) {
		out.Set("cluster_id", c.stackID)
	} else {
		out.Set("stack_id", c.stackID)
	}
	out.Set("status", c.status)
	if !detail {
		out.Set("health_status", c.healthStatus)
		out.Set("merge_labels", false)
		return out
	}
	out.Set("status_reason", c.statusReason)
	out.Set("health_status", c.healthStatus)
	hr := c.healthReason
	if hr == nil {
		hr = newPyDict()
	}
	out.Set("health_status_reason", hr)
	out.Set("discovery_url", c.discoveryURL)
	out.Set("api_address", c.apiAddress)
	out.Set("coe_version", c.coeVersion)
	out.Set("container_version", c.containerVersion)
	out.Set("project_id", c.projectID)
	out.Set("user_id", c.userID)
	out.Set("node_addresses", strList(c.workerAddresses()))
	out.Set("master_addresses", strList(c.masterAddresses))
	out.Set("fixed_network", c.fixedNetwork)
	out.Set("fixed_subnet", c.fixedSubnet)
	out.Set("floating_ip_enabled", c.floatingIPEnabled)
	out.Set("merge_labels", false)
	ov, ad, sk := s.labelDetails(c)
	out.Set("labels_overridden", ov)
	out.Set("labels_added", ad)
	out.Set("labels_skipped", sk)
	out.Set("master_lb_enabled", c.masterLBEnabled)
	out.Set("created_at", s.fmtTime(c.createdAt))
	out.Set("updated_at", s.fmtTimePtr(c.updatedAt))
	return out
}

// withFaults inserts "faults" where Magnum's GET one puts it: after
// master_addresses.
func withFaults(view *pyDict, key string, faults *pyDict) *pyDict {
	out := newPyDict()
	for _, it := range view.items {
		out.Set(it.Key, it.Val)
		if it.Key == "master_addresses" {
			out.Set(key, faults)
		}
	}
	return out
}
