package sim

import (
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// POST /v1/clusters (and, through bays.go, POST /v1/bays): the body's
// fields and their checks, the template lookup and quota, and the new row
// the conductor then builds (conductor_ops.go).

var clusterKind = &templateKind{argName: "cluster", collection: "clusters", nameSuffix: "cluster", policy: "cluster"}

var clusterNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]*$`)

// clusterField is one attribute of the Cluster (or Bay) API type.
type clusterField struct {
	fieldSpec
	// accepted but ignored on POST (status and friends)
	ignored bool
}

func clusterPostFields(bay bool) []clusterField {
	name := fieldSpec{name: "name", kind: kindStr, min: 1, max: 242, hasMin: true}
	ro := func(n string) clusterField { return clusterField{fieldSpec: fieldSpec{name: n, kind: kindReadOnly}} }
	ign := func(n string) clusterField { return clusterField{fieldSpec: fieldSpec{name: n}, ignored: true} }
	f := func(s fieldSpec) clusterField { return clusterField{fieldSpec: s} }
	if bay {
		return []clusterField{
			ign("uuid"), f(name),
			f(fieldSpec{name: "baymodel_id", kind: kindStr, mandatory: true}),
			f(fieldSpec{name: "node_count", kind: kindInt, min: 1, hasMin: true, def: int64(1)}),
			f(fieldSpec{name: "master_count", kind: kindInt, min: 1, hasMin: true, def: int64(1)}),
			f(fieldSpec{name: "docker_volume_size", kind: kindInt, min: 1, hasMin: true}),
			f(fieldSpec{name: "labels", kind: kindLabels}),
			f(strField("master_flavor_id")), f(strField("flavor_id")),
			f(fieldSpec{name: "bay_create_timeout", kind: kindInt, min: 0, hasMin: true, def: int64(60)}),
			ign("bay_faults"), ro("links"), ro("stack_id"), ign("status"), ign("status_reason"),
			f(fieldSpec{name: "discovery_url", kind: kindStr}),
			ro("api_address"), ro("coe_version"), ro("container_version"), ro("node_addresses"), ro("master_addresses"),
			f(strField("fixed_network")), f(strField("fixed_subnet")),
			f(boolField("floating_ip_enabled", true)),
			f(fieldSpec{name: "master_lb_enabled", kind: kindBool}),
			ro("created_at"), ro("updated_at"),
		}
	}
	return []clusterField{
		ign("uuid"), f(name),
		f(fieldSpec{name: "cluster_template_id", kind: kindStr, mandatory: true}),
		f(strField("keypair")),
		f(fieldSpec{name: "node_count", kind: kindInt, min: 0, hasMin: true, def: int64(1)}),
		f(fieldSpec{name: "master_count", kind: kindInt, min: 1, hasMin: true, def: int64(1)}),
		f(fieldSpec{name: "docker_volume_size", kind: kindInt, min: 1, hasMin: true}),
		f(fieldSpec{name: "labels", kind: kindLabels}),
		f(strField("master_flavor_id")), f(strField("flavor_id")),
		f(fieldSpec{name: "create_timeout", kind: kindInt, min: 0, hasMin: true, def: int64(60)}),
		ro("links"), ro("stack_id"), ign("status"), ign("status_reason"), ign("health_status"), ign("health_status_reason"),
		f(fieldSpec{name: "discovery_url", kind: kindStr}),
		ro("api_address"), ro("coe_version"), ro("container_version"), ro("project_id"), ro("user_id"),
		ro("node_addresses"), ro("master_addresses"), ign("faults"),
		f(strField("fixed_network")), f(strField("fixed_subnet")),
		f(fieldSpec{name: "floating_ip_enabled", kind: kindBool}),
		f(boolField("merge_labels", false)),
		ro("labels_overridden"), ro("labels_added"), ro("labels_skipped"),
		f(fieldSpec{name: "master_lb_enabled", kind: kindBool}),
		ro("created_at"), ro("updated_at"),
	}
}

// parseClusterBody runs WSME's checks over a cluster or bay POST body and
// returns the converted values of the fields that were set.
func (s *magnumService) parseClusterBody(body any, bay bool) (map[string]any, *pyDict, *apiError) {
	arg := "cluster"
	if bay {
		arg = "bay"
	}
	fields := clusterPostFields(bay)
	in, ok := body.(*pyDict)
	if !ok {
		if body == nil {
			return nil, nil, invalidInput(arg, nil, "Mandatory field missing.")
		}
		return nil, nil, invalidInput(arg, body, "Value not a valid dict: "+pyStr(body))
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
	}
	var unknown []string
	for _, key := range in.Keys() {
		if ks, _ := key.(string); !known[ks] {
			unknown = append(unknown, pyStr(key))
		}
	}
	if len(unknown) > 0 {
		return nil, nil, errf(http.StatusBadRequest, "Unknown attribute for argument %s: %s", arg, strings.Join(unknown, ", "))
	}
	if l, ok := in.Get("labels"); ok && l != nil {
		if _, isDict := l.(*pyDict); !isDict {
			return nil, nil, invalidInput(arg, in, "Value not a valid dict: "+pyStr(l))
		}
	}
	v := map[string]any{}
	for _, f := range fields {
		raw, present := in.Get(f.name)
		if f.ignored {
			continue
		}
		if !present || raw == nil {
			if f.mandatory {
				return nil, nil, invalidInput(f.name, nil, "Mandatory field missing.")
			}
			if f.def != nil {
				v[f.name] = f.def
			}
			continue
		}
		val, aerr := s.convertCreate(clusterKind, f.fieldSpec, raw)
		if aerr != nil {
			return nil, nil, aerr
		}
		if f.name == "name" && !clusterNameRE.MatchString(val.(string)) {
			return nil, nil, invalidInput("name", raw, "Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$")
		}
		v[f.name] = val
	}
	return v, in, nil
}

// templateForCluster looks a template up for a cluster or bay create. Below
// 1.10 (and always for bays) a missing template is a 400.
func (s *magnumService) templateForCluster(p *principal, ident string, notFoundIs400 bool) (*template, *apiError) {
	scope := scopeOwnOrPublic
	if p.isAdmin() {
		scope = scopeAdminAll
	}
	t, aerr := s.st.findTemplate(p, ident, scope)
	if aerr != nil && aerr.status == http.StatusNotFound && notFoundIs400 {
		aerr.status = http.StatusBadRequest
	}
	return t, aerr
}

// quotaLimit is the project's Cluster hard limit. Callers hold st.mu.
func (s *magnumService) quotaLimit(projectID string) int {
	if q := s.st.quotas[projectID]; q != nil {
		return int(q.hardLimit)
	}
	return s.maxClusters()
}

func (s *magnumService) maxClusters() int {
	if s.opts.MaxClustersPerProject > 0 {
		return s.opts.MaxClustersPerProject
	}
	return 20
}

func (s *magnumService) createCluster(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	v, _, aerr := s.parseClusterBody(body, false)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if v["node_count"] == int64(0) && c.ver.less(apiVersion{1, 10}) {
		writeMagnumError(w, errf(http.StatusBadRequest, "Resizing a nodegroup to zero is not supported in the provided microversion."))
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	t, aerr := s.templateForCluster(c.p, v["cluster_template_id"].(string), c.ver.less(apiVersion{1, 10}))
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if ident := v["cluster_template_id"].(string); s.profile.templateByUUIDOnly && ident != t.uuid {
		status := http.StatusNotFound
		if c.ver.less(apiVersion{1, 10}) {
			status = http.StatusBadRequest
		}
		writeMagnumError(w, errf(status, "ClusterTemplate %s could not be found.", ident))
		return
	}
	if n, _ := v["master_count"].(int64); s.profile.evenMastersRefused && (n%2 == 0 || n < 1) {
		// enforce_cluster_master_size_supported: the driver's
		// validate_master_size, a decorator that runs before the body.
		writeMagnumError(w, errf(http.StatusBadRequest, "master nodegroup size of %d is invalid, size cannot be an even number.", n))
		return
	}
	if limit := s.quotaLimit(c.p.project.id); s.projectClusters(c.p.project.id) >= limit {
		writeMagnumError(w, errf(http.StatusForbidden,
			"Resource limit exceeded: You have reached the maximum clusters per project, %d. You may delete a cluster to make room for a new one.", limit))
		return
	}
	// Inheritance, as ClustersController.post does it: unset or falsy
	// values come from the template.
	if v["keypair"] == nil {
		v["keypair"] = t.v["keypair_id"]
	}
	tl, _ := t.v["labels"].(*pyDict)
	given, _ := v["labels"].(*pyDict)
	var labels *pyDict
	switch {
	case given == nil || given.Len() == 0:
		labels = tl.Clone()
	case v["merge_labels"] == true:
		labels = tl.Clone()
		if labels == nil {
			labels = newPyDict()
		}
		for _, it := range given.entries() {
			labels.Set(it.Key, it.Val)
		}
	default:
		labels = given
	}
	if labels == nil {
		labels = newPyDict()
	}
	stored, aerr := storeLabels(labels)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	for _, k := range []string{"docker_volume_size", "master_flavor_id", "flavor_id", "fixed_network", "fixed_subnet"} {
		if v[k] == nil || v[k] == "" || v[k] == int64(0) {
			v[k] = t.v[k]
		}
	}
	if v["floating_ip_enabled"] == nil {
		v["floating_ip_enabled"] = t.boolField("floating_ip_enabled")
	}
	if v["master_lb_enabled"] == nil {
		v["master_lb_enabled"] = t.boolField("master_lb_enabled")
	}
	check := map[string]any{
		"image_id": t.v["image_id"], "flavor_id": v["flavor_id"], "master_flavor_id": v["master_flavor_id"],
		"external_network_id": t.v["external_network_id"],
	}
	if _, aerr := s.validateOSResources(check); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if kp, ok := v["keypair"].(string); ok && !s.fx.keypairExists(kp) {
		writeMagnumError(w, errf(http.StatusNotFound, "Unable to find keypair %s.", kp))
		return
	}
	if s.profile.fixedNetworkAtAPI && t.v["coe"] == "kubernetes" {
		if aerr := s.fx.fixedNetworkRefusal(v["fixed_network"], v["fixed_subnet"]); aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
	}
	if v["master_count"].(int64) > 1 && v["master_lb_enabled"] != true {
		writeMagnumError(w, errf(http.StatusBadRequest, "master_count must be 1 when master_lb_enabled is False"))
		return
	}
	v["labels"] = stored
	// Magnum 15 checks no upper bound: the API answers 202, and its
	// conductor then fails to store a value beyond the database's 32-bit
	// integers (psycopg2 "integer out of range", seen on the real stack).
	// A cluster column that overflows loses the whole row; a node count
	// loses only the worker nodegroup, and the cluster stays
	// CREATE_IN_PROGRESS for ever, showing no workers.
	if overflowsDBInt(v["docker_volume_size"]) || overflowsDBInt(v["create_timeout"]) {
		writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": uuid.NewString()})
		return
	}
	stuck := overflowsDBInt(v["node_count"])
	if stuck {
		v["node_count"] = int64(0)
	}
	cl := s.newClusterRow(c.p, t, v, v["create_timeout"].(int64), false)
	if !stuck {
		s.cond.startCreate(cl, createOpts{failNow: reasonOf(s.cond.createRefusal(c.p, cl))})
	}
	writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": cl.uuid})
}

// overflowsDBInt reports a value Magnum's Integer columns cannot hold.
func overflowsDBInt(v any) bool {
	n, ok := v.(int64)
	return ok && (n > math.MaxInt32 || n < math.MinInt32)
}

// projectClusters counts the rows Magnum's quota check counts: every
// cluster of the project, whatever its status. Callers hold st.mu.
func (s *magnumService) projectClusters(projectID string) int {
	n := 0
	for _, c := range s.st.clusters {
		if !c.deleted && c.projectID == projectID {
			n++
		}
	}
	return n
}

// newClusterRow inserts the row the conductor creates in CREATE_IN_PROGRESS,
// with its two default nodegroups. Callers hold st.mu.
func (s *magnumService) newClusterRow(p *principal, t *template, v map[string]any, timeout int64, bay bool) *clusterRow {
	now := s.now().UTC()
	name, _ := v["name"].(string)
	if name == "" {
		suffix := "cluster"
		if bay {
			suffix = "bay"
		}
		name = generateName(suffix)
	}
	labels, _ := v["labels"].(*pyDict)
	if labels == nil {
		labels = newPyDict()
	}
	cl := &clusterRow{
		id:                s.st.newID(),
		uuid:              uuid.NewString(),
		name:              name,
		projectID:         p.project.id,
		userID:            p.user.id,
		templateUUID:      t.uuid,
		keypair:           v["keypair"],
		dockerVolumeSize:  v["docker_volume_size"],
		labels:            labels,
		masterFlavorID:    v["master_flavor_id"],
		flavorID:          v["flavor_id"],
		createTimeout:     timeout,
		discoveryURL:      nil,
		fixedNetwork:      v["fixed_network"],
		fixedSubnet:       v["fixed_subnet"],
		floatingIPEnabled: v["floating_ip_enabled"] == true,
		masterLBEnabled:   v["master_lb_enabled"] == true,
		status:            "CREATE_IN_PROGRESS",
		createdAt:         now.Truncate(time.Microsecond),
		coe:               t.strField("coe"),
		tlsDisabled:       t.boolField("tls_disabled"),
		driver:            s.driverFor(t),
		visibleFrom:       now.Add(s.opts.NotFoundAfterCreate),
	}
	if d, ok := v["discovery_url"].(string); ok {
		cl.discoveryURL = d
	}
	masterCount, _ := v["master_count"].(int64)
	nodeCount, _ := v["node_count"].(int64)
	for _, role := range []string{"master", "worker"} {
		ng := &nodegroup{
			id: s.st.newID(), uuid: uuid.NewString(), name: "default-" + role, role: role, isDefault: true,
			flavorID: cl.flavorID, imageID: t.v["image_id"], dockerVolumeSize: cl.dockerVolumeSize,
			labels: labels.Clone(), createdAt: cl.createdAt, nodeCount: nodeCount,
		}
		if role == "master" {
			ng.flavorID, ng.nodeCount = cl.masterFlavorID, masterCount
		}
		cl.nodegroups = append(cl.nodegroups, ng)
	}
	s.st.clusters[cl.uuid] = cl
	return cl
}

// driverFor picks the driver the way Magnum does, from the template's
// image distro: the Heat drivers own Fedora and CoreOS images, Cluster API
// drivers everything else. The master profile has no Heat driver at all.
func (s *magnumService) driverFor(t *template) string {
	if s.heat == nil {
		return driverCAPI
	}
	switch t.strField("cluster_distro") {
	case "fedora-coreos", "fedora-atomic", "coreos", "fedora":
		return driverHeat
	}
	return driverCAPI
}
