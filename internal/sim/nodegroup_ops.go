package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Creating, patching, resizing, upgrading and deleting nodegroups other
// than the two defaults, as Magnum 15 does it (FINDINGS step 9):
//
//   - POST answers 202 with the new object; the row shows CREATE_IN_PROGRESS
//     at once and the cluster goes UPDATE_IN_PROGRESS when the conductor
//     handles the cast. The Heat drivers give every extra nodegroup a stack
//     of its own, so its status follows that stack, not the cluster's.
//   - PATCH changes min/max (and, from the master profile, node_labels and
//     node_taints) synchronously, with no status change.
//   - DELETE answers 204; the row goes DELETE_IN_PROGRESS and disappears
//     once its stack is gone. Options.NodegroupDeleteStuck replays Zed's bug
//     instead, where the status is never saved and the row stays for ever.
//
// Each extra nodegroup carries its own operation, so several can be created
// at once, as Heat would allow; the cluster shows UPDATE_IN_PROGRESS while
// any of them is busy.

// nodegroupCreateFields is the NodeGroup API type as POST reads it.
func (s *magnumService) nodegroupCreateFields() []fieldSpec {
	fields := []fieldSpec{
		{name: "name", kind: kindStr, min: 1, max: 255, hasMin: true},
		{name: "docker_volume_size", kind: kindInt, min: 1, hasMin: true},
		{name: "labels", kind: kindLabels},
		{name: "flavor_id", kind: kindStr, min: 1, max: 255, hasMin: true},
		{name: "image_id", kind: kindStr, min: 1, max: 255, hasMin: true},
		{name: "node_count", kind: kindInt, min: 0, hasMin: true},
		{name: "role", kind: kindStr, min: 1, max: 255, hasMin: true},
		{name: "min_node_count", kind: kindInt, min: 0, hasMin: true},
		{name: "max_node_count", kind: kindInt, min: 0, hasMin: true},
		{name: "merge_labels", kind: kindBool},
	}
	if s.nodeTaintsServed() {
		fields = append(fields, fieldSpec{name: "node_labels", kind: kindLabels}, fieldSpec{name: "node_taints"})
	}
	return fields
}

// nodeTaintsServed reports whether the release has the 1.14 fields. Magnum
// master accepts them at every version from 1.9 (magnum-api.md §2).
func (s *magnumService) nodeTaintsServed() bool {
	return !s.profile.maxVersion.less(apiVersion{1, 14})
}

// validateNodeCounts is _validate_node_count: the 409 NodeGroupInvalidInput
// messages of FINDINGS #335/#336/#341.
func validateNodeCounts(name string, count, minN int64, maxN any) *apiError {
	invalid := func(attr, expl string) *apiError {
		return errf(http.StatusConflict, "%s for %s is invalid (%s).", attr, name, expl)
	}
	if mx, ok := maxN.(int64); ok && mx != 0 {
		if mx < minN {
			return invalid("max_node_count", fmt.Sprintf("min_node_count (%d) should be less or equal to max_node_count (%d)", minN, mx))
		}
		if count > mx {
			return invalid("max_node_count", fmt.Sprintf("node_count (%d) should be less or equal to max_node_count (%d)", count, mx))
		}
	}
	if minN > count {
		return invalid("min_node_count", fmt.Sprintf("min_node_count (%d) should be less or equal to node_count (%d)", minN, count))
	}
	return nil
}

// parseTaints checks node_taints as Magnum master's API type does: a list
// of {key, value, effect} with a known effect.
func parseTaints(raw any) (pyList, *apiError) {
	l, ok := raw.(pyList)
	if !ok {
		return nil, invalidInput("node_taints", raw, "Value not a valid list: "+pyStr(raw))
	}
	for _, item := range l {
		d, ok := item.(*pyDict)
		if !ok {
			return nil, invalidInput("node_taints", raw, "Value not a valid dict: "+pyStr(item))
		}
		effect, _ := d.getStr("effect")
		switch effect {
		case "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			return nil, invalidInput("node_taints", raw, "Value should be one of: NoSchedule, PreferNoSchedule, NoExecute")
		}
		if k, _ := d.getStr("key"); k == "" {
			return nil, invalidInput("node_taints", raw, "Mandatory field missing.")
		}
	}
	return l, nil
}

func (s *magnumService) createNodegroup(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	v, aerr := s.readActionBody(r, "nodegroup", s.nodegroupCreateFields())
	var taints pyList
	if aerr == nil && v["node_taints"] != nil {
		taints, aerr = parseTaints(v["node_taints"])
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if cl.apiAddress == nil {
		// Not captured (the captured cluster was ready); wording from
		// Magnum's ClusterAPIAddressUnavailable.
		writeMagnumError(w, errf(http.StatusConflict, "The Cluster API address is not available yet. Please try again later."))
		return
	}
	name, hasName := v["name"].(string)
	if hasName {
		if _, err := findNodegroup(cl, name); err == nil {
			writeMagnumError(w, errf(http.StatusConflict, "A node group with name %s already exists in the cluster %s.", name, cl.name))
			return
		}
	}
	count := int64(1)
	if n, ok := v["node_count"].(int64); ok {
		count = n
	}
	if count == 0 && c.ver.less(apiVersion{1, 10}) {
		writeMagnumError(w, errf(http.StatusBadRequest, "Resizing a nodegroup to zero is not supported in the provided microversion."))
		return
	}
	minN, _ := v["min_node_count"].(int64)
	if aerr := validateNodeCounts(pyStr(v["name"]), count, minN, v["max_node_count"]); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if role, _ := v["role"].(string); role == "master" {
		writeMagnumError(w, errf(http.StatusBadRequest, "Creating master nodegroups is currently not supported."))
		return
	}
	if !hasName {
		// The object layer refuses the None name only now (FINDINGS #338).
		writeMagnumError(w, errf(http.StatusInternalServerError, "Field `name' cannot be None"))
		return
	}
	labels := cl.labels.Clone()
	if given, ok := v["labels"].(*pyDict); ok {
		stored, aerr := storeLabels(given)
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		if v["merge_labels"] == true {
			for _, it := range stored.entries() {
				labels.Set(it.Key, it.Val)
			}
		} else {
			labels = stored
		}
	}
	t := s.st.templates[cl.templateUUID]
	ng := &nodegroup{
		id: s.st.newID(), uuid: uuid.NewString(), name: name, role: "worker",
		nodeCount: count, minNodeCount: minN, maxNodeCount: v["max_node_count"],
		flavorID: cl.flavorID, dockerVolumeSize: v["docker_volume_size"], labels: labels,
		createdAt: s.now().UTC().Truncate(time.Microsecond), status: "CREATE_IN_PROGRESS",
		nodeTaints: taints,
	}
	if role, ok := v["role"].(string); ok {
		ng.role = role
	}
	if t != nil {
		ng.imageID = t.v["image_id"]
	}
	if img, ok := v["image_id"].(string); ok {
		ng.imageID = img
	}
	if fl, ok := v["flavor_id"].(string); ok {
		ng.flavorID = fl
	}
	if nl, ok := v["node_labels"].(*pyDict); ok {
		ng.nodeLabels, _ = storeLabels(nl)
	}
	cl.nodegroups = append(cl.nodegroups, ng)
	s.cond.startNodegroupOp(cl, ng, actionCreate, nil)
	writeMagnumJSON(w, http.StatusAccepted, s.nodegroupPostView(cl, ng, c.base))
}

// nodegroupPostView is NodeGroup.convert on an object not yet saved: the
// captured 202 (#325) has no id, status, stack, addresses or timestamps.
func (s *magnumService) nodegroupPostView(c *clusterRow, ng *nodegroup, base string) *pyDict {
	full := s.nodegroupView(c, ng, base, true)
	out := newPyDict()
	for _, k := range []string{"uuid", "name", "cluster_id", "project_id", "docker_volume_size", "labels", "links",
		"flavor_id", "image_id", "node_count", "role", "min_node_count", "max_node_count", "merge_labels",
		"labels_overridden", "labels_added", "labels_skipped", "node_labels", "node_taints"} {
		if val, ok := full.Get(k); ok {
			if k == "docker_volume_size" && val == nil {
				continue
			}
			out.Set(k, val)
		}
	}
	return out
}

func (s *magnumService) patchNodegroup(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	ops, aerr := parsePatch(body, func(string) bool { return false })
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	allowed := map[string]bool{"/min_node_count": true, "/max_node_count": true}
	if s.nodeTaintsServed() {
		allowed["/node_labels"], allowed["/node_taints"] = true, true
	}
	for _, op := range ops {
		if !allowed[op.path] && !strings.HasPrefix(op.path, "/node_labels/") {
			writeMagnumError(w, errf(http.StatusBadRequest, "'%s' is an internal attribute and can not be updated", op.path))
			return
		}
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	var ng *nodegroup
	if aerr == nil {
		ng, aerr = findNodegroup(cl, r.PathValue("ng"))
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	minN, maxN := ng.minNodeCount, ng.maxNodeCount
	nodeLabels, taints := ng.nodeLabels, ng.nodeTaints
	for _, op := range ops {
		switch {
		case op.path == "/min_node_count":
			if op.op == "remove" {
				minN = 0
				continue
			}
			n, err := patchInt(op)
			if err != nil {
				writeMagnumError(w, err)
				return
			}
			minN = n
		case op.path == "/max_node_count":
			if op.op == "remove" {
				maxN = nil
				continue
			}
			n, err := patchInt(op)
			if err != nil {
				writeMagnumError(w, err)
				return
			}
			maxN = n
		case op.path == "/node_taints":
			if op.op == "remove" {
				taints = nil
				continue
			}
			l, err := parseTaints(literal(op.value))
			if err != nil {
				writeMagnumError(w, err)
				return
			}
			taints = l
		case op.path == "/node_labels":
			if op.op == "remove" {
				nodeLabels = nil
				continue
			}
			d, ok := literal(op.value).(*pyDict)
			if !ok {
				writeMagnumError(w, patchError(ops, "invalid syntax (<unknown>, line 1)"))
				return
			}
			stored, err := storeLabels(d)
			if err != nil {
				writeMagnumError(w, err)
				return
			}
			nodeLabels = stored
		default: // /node_labels/<key>
			key := strings.TrimPrefix(op.path, "/node_labels/")
			nodeLabels = cloneOrEmpty(nodeLabels)
			if op.op == "remove" {
				nodeLabels.Delete(key)
			} else {
				nodeLabels.Set(key, pyStr(op.value))
			}
		}
	}
	if aerr := validateNodeCounts(ng.name, ng.nodeCount, minN, maxN); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	ng.minNodeCount, ng.maxNodeCount, ng.nodeLabels, ng.nodeTaints = minN, maxN, nodeLabels, taints
	ng.updatedAt = timePtr(s.now())
	view := s.nodegroupView(cl, ng, c.base, true)
	// The answer is the row as patched; then the conductor's
	// nodegroup_update applies it to the nodegroup's stack, and the
	// nodegroup and its cluster go UPDATE_IN_PROGRESS and back (seen
	// against real Magnum 15). Default nodegroups share the cluster's
	// stack and are not modelled.
	if !ng.isDefault && ng.op == nil && ng.heatStackID != "" {
		maxParam := ""
		if n, ok := maxN.(int64); ok {
			maxParam = strconv.FormatInt(n, 10)
		}
		s.cond.startNodegroupOp(cl, ng, actionUpdate, map[string]string{"min_node_count": strconv.FormatInt(minN, 10), "max_node_count": maxParam})
	}
	writeMagnumJSON(w, http.StatusAccepted, view)
}

// literal is ast.literal_eval on a patch value: dicts and lists travel in
// JSON-patch as their Python repr, as labels do.
func literal(v any) any {
	str, ok := v.(string)
	if !ok {
		return v
	}
	out, err := pyLiteralEval(str)
	if err != nil {
		return v
	}
	return out
}

func cloneOrEmpty(d *pyDict) *pyDict {
	if d == nil {
		return newPyDict()
	}
	return d.Clone()
}

func patchInt(op patchOp) (int64, *apiError) {
	switch n := op.value.(type) {
	case int64:
		if n < 0 {
			return 0, invalidInput(strings.TrimPrefix(op.path, "/"), n, "Value should be greater or equal to 0")
		}
		return n, nil
	case bool:
		if n {
			return 1, nil
		}
		return 0, nil
	}
	return 0, invalidInput(strings.TrimPrefix(op.path, "/"), op.value,
		fmt.Sprintf("'<' not supported between instances of '%s' and 'int'", pyTypeShort(op.value)))
}

func (s *magnumService) deleteNodegroup(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	var ng *nodegroup
	if aerr == nil {
		ng, aerr = findNodegroup(cl, r.PathValue("ng"))
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if ng.isDefault {
		writeMagnumError(w, errf(http.StatusBadRequest, "Deleting a default nodegroup is not supported."))
		return
	}
	if ng.op == nil || ng.op.action != actionDelete {
		s.cond.startNodegroupOp(cl, ng, actionDelete, nil)
	}
	w.WriteHeader(http.StatusNoContent)
}
