package capi

import (
	"context"
	"fmt"
	"maps"
)

// Labels and annotations Cluster API puts on what it generates.
const (
	labelClusterName    = "cluster.x-k8s.io/cluster-name"
	labelTopologyOwned  = "topology.cluster.x-k8s.io/owned"
	labelDeploymentName = "topology.cluster.x-k8s.io/deployment-name"
	labelControlPlane   = "cluster.x-k8s.io/control-plane"
	labelCPName         = "cluster.x-k8s.io/control-plane-name"
	labelMDName         = "cluster.x-k8s.io/deployment-name"
	labelMSName         = "cluster.x-k8s.io/set-name"
	labelTemplateHash   = "machine-template-hash"
	annClonedFromName   = "cluster.x-k8s.io/cloned-from-name"
	annClonedFromGK     = "cluster.x-k8s.io/cloned-from-groupkind"
	annDeleteMachine    = "cluster.x-k8s.io/delete-machine"
	clusterFinalizer    = "cluster.cluster.x-k8s.io"
	topologyComponent   = "topology/cluster-controller"
	topologyCreate      = "TopologyCreate"
	topologyUpdate      = "TopologyUpdate"
	topologyDelete      = "TopologyDelete"
)

func kobj(o obj) string { return o.namespace() + "/" + o.name() }

func groupKind(r resource) string { return r.kind + "." + r.group }

// reconcileClusterClass is the ClusterClass controller: it reports the
// variables the class defines as reconciled.
func (m *Management) reconcileClusterClass(ctx context.Context, cc obj) error {
	if g, _ := cc.num("status", "observedGeneration"); g == cc.generation() && isTrue(cc, "VariablesReconciled") {
		return nil
	}
	var vars []any
	for _, v := range cc.list("spec", "variables") {
		vm, _ := asMap(v)
		vars = append(vars, map[string]any{
			"name": vm["name"], "definitions": []any{map[string]any{"from": "inline", "required": vm["required"], "schema": vm["schema"]}},
		})
	}
	cc.set(vars, "status", "variables")
	cc.set(cc.generation(), "status", "observedGeneration")
	setConds(cc, condTrue("Ready"), condTrue("VariablesReconciled"), condTrue("RefVersionsUpToDate"))
	_, err := m.k.updateStatus(ctx, rClusterClass, cc)
	return err
}

// topologyVars are the Cluster's variables plus the builtin ones, with a
// MachineDeployment's overrides when md is given.
func topologyVars(c obj, mdTopo map[string]any, md obj) map[string]any {
	vars := map[string]any{}
	for _, v := range c.list("spec", "topology", "variables") {
		if vm, ok := asMap(v); ok {
			n, _ := vm["name"].(string)
			vars[n] = clone(vm["value"])
		}
	}
	builtin := map[string]any{
		"cluster": map[string]any{
			"name": c.name(), "namespace": c.namespace(), "uid": c.uid(),
			"topology": map[string]any{"version": c.str("spec", "topology", "version"), "class": c.str("spec", "topology", "class")},
		},
	}
	if r, ok := c.num("spec", "topology", "controlPlane", "replicas"); ok {
		builtin["controlPlane"] = map[string]any{"version": c.str("spec", "topology", "version"), "replicas": r}
	}
	if mdTopo != nil {
		for _, v := range obj(mdTopo).list("variables", "overrides") {
			if vm, ok := asMap(v); ok {
				n, _ := vm["name"].(string)
				vars[n] = clone(vm["value"])
			}
		}
		mdb := map[string]any{"class": mdTopo["class"], "topologyName": mdTopo["name"], "version": c.str("spec", "topology", "version")}
		if md != nil {
			mdb["name"] = md.name()
		}
		if r, ok := obj(mdTopo).num("replicas"); ok {
			mdb["replicas"] = r
		}
		builtin["machineDeployment"] = mdb
	}
	vars["builtin"] = builtin
	return vars
}

// cloneTemplate is a template of the class patched for t, ready to be
// created under name: Cluster API's templateToTemplate.
func cloneTemplate(class, src obj, t target, vars map[string]any, cluster obj, name string, extraLabels map[string]string) (obj, error) {
	tmpl := clone(src)
	if err := applyPatches(class, tmpl, t, vars); err != nil {
		return nil, err
	}
	labels := map[string]any{labelClusterName: cluster.name(), labelTopologyOwned: ""}
	for k, v := range extraLabels {
		labels[k] = v
	}
	r, _ := kindResource(src.str("apiVersion"), src.str("kind"))
	return obj{
		"apiVersion": src.str("apiVersion"), "kind": src.str("kind"),
		"metadata": map[string]any{
			"name": name, "namespace": cluster.namespace(), "labels": labels,
			"annotations":     map[string]any{annClonedFromName: src.name(), annClonedFromGK: groupKind(r)},
			"ownerReferences": []any{ownerRef(cluster, rCluster, false)},
		},
		"spec": tmpl["spec"],
	}, nil
}

// reconcileTopology is the ClusterTopology controller for one Cluster:
// it generates the infrastructure cluster, the control plane, the
// MachineDeployments and their templates from the ClusterClass, keeps them
// in line with the topology, and records TopologyReconciled.
func (m *Management) reconcileTopology(ctx context.Context, st *state, c obj) error {
	if c.get("spec", "topology") == nil || c.deleting() {
		return nil
	}
	ns := c.namespace()
	class := st.find(rClusterClass, ns, c.str("spec", "topology", "class"))
	if class == nil {
		return m.setTopologyReconciled(ctx, c, condFalse("TopologyReconciled", "ClusterClassNotReconciled", "Info",
			fmt.Sprintf("ClusterClass %s/%s not found", ns, c.str("spec", "topology", "class"))))
	}
	tmplOf := func(path ...string) obj {
		r, ok := kindResource(class.str(append(path, "apiVersion")...), class.str(append(path, "kind")...))
		if !ok {
			return nil
		}
		return st.find(r, ns, class.str(append(path, "name")...))
	}
	osct := tmplOf("spec", "infrastructure", "ref")
	kcpt := tmplOf("spec", "controlPlane", "ref")
	cpInfra := tmplOf("spec", "controlPlane", "machineInfrastructure", "ref")
	if osct == nil || kcpt == nil || cpInfra == nil {
		return m.setTopologyReconciled(ctx, c, condFalse("TopologyReconciled", "TopologyReconcileFailed", "Error",
			"error reading the ClusterClass: a template it refers to is missing"))
	}
	vars := topologyVars(c, nil, nil)
	version := c.str("spec", "topology", "version")

	// The infrastructure cluster.
	osc := st.find(rOSC, ns, c.str("spec", "infrastructureRef", "name"))
	name := c.str("spec", "infrastructureRef", "name")
	if name == "" {
		name = c.name() + "-" + randomSuffix()
	}
	desired, err := cloneTemplate(class, osct, target{infrastructureCluster: true}, vars, c, name, nil)
	if err != nil {
		return m.topologyFailed(ctx, c, err)
	}
	desired["spec"] = obj(desired).m("spec", "template", "spec")
	if desired["spec"] == nil {
		desired["spec"] = map[string]any{}
	}
	if osc == nil {
		created, err := m.k.create(ctx, rOSC, desired)
		if err != nil {
			return err
		}
		osc = created
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyCreate, "Created %s %q", rOSC.kind, kobj(osc))
	} else if changed := mergeSpec(osc, desired); changed {
		if _, err := m.k.update(ctx, rOSC, osc); err != nil {
			return err
		}
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyUpdate, "Updated %s %q", rOSC.kind, kobj(osc))
	}

	// The control plane and its machines' infrastructure template.
	kcp := st.find(rKCP, ns, c.str("spec", "controlPlaneRef", "name"))
	cpLabels := map[string]string{}
	maps.Copy(cpLabels, c.strMap("spec", "topology", "controlPlane", "metadata", "labels"))
	maps.Copy(cpLabels, class.strMap("spec", "controlPlane", "metadata", "labels"))
	cpInfraName := ""
	if kcp != nil {
		cpInfraName = kcp.str("spec", "machineTemplate", "infrastructureRef", "name")
	}
	cpInfraRef, err := m.reconcileTemplateClone(ctx, st, c, class, cpInfra, target{controlPlane: true}, vars, cpInfraName, c.name()+"-", nil)
	if err != nil {
		return err
	}
	kcpName := c.str("spec", "controlPlaneRef", "name")
	if kcpName == "" {
		kcpName = c.name() + "-" + randomSuffix()
	}
	desiredKCP, err := cloneTemplate(class, kcpt, target{controlPlane: true}, vars, c, kcpName, cpLabels)
	if err != nil {
		return m.topologyFailed(ctx, c, err)
	}
	spec := obj(desiredKCP).m("spec", "template", "spec")
	if spec == nil {
		spec = map[string]any{}
	}
	spec["version"] = version
	if r, ok := c.num("spec", "topology", "controlPlane", "replicas"); ok {
		spec["replicas"] = r
	}
	mt := map[string]any{
		"metadata":          map[string]any{"labels": toAny(withClusterLabels(cpLabels, c))},
		"infrastructureRef": cpInfraRef,
	}
	if anns := c.strMap("spec", "topology", "controlPlane", "metadata", "annotations"); len(anns) > 0 {
		mt["metadata"].(map[string]any)["annotations"] = toAny(anns)
	}
	if t := class.str("spec", "controlPlane", "nodeVolumeDetachTimeout"); t != "" {
		mt["nodeVolumeDetachTimeout"] = t
	}
	spec["machineTemplate"] = mt
	desiredKCP["spec"] = spec
	obj(desiredKCP).set(toAny(withClusterLabels(cpLabels, c)), "metadata", "labels")
	if kcp == nil {
		created, err := m.k.create(ctx, rKCP, desiredKCP)
		if err != nil {
			return err
		}
		kcp = created
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyCreate, "Created %s %q", rKCP.kind, kobj(kcp))
	} else {
		oldVersion := kcp.str("spec", "version")
		if changed := mergeSpec(kcp, desiredKCP); changed {
			if _, err := m.k.update(ctx, rKCP, kcp); err != nil {
				return err
			}
			msg := ""
			if oldVersion != version {
				msg = fmt.Sprintf(" with version change from %s to %s", oldVersion, version)
			}
			m.rec.normal(ctx, c, rCluster, topologyComponent, topologyUpdate, "Updated %s %q%s", rKCP.kind, kobj(kcp), msg)
		}
	}
	if c.get("spec", "topology", "controlPlane", "machineHealthCheck") != nil || class.get("spec", "controlPlane", "machineHealthCheck") != nil {
		if err := m.reconcileMHCFor(ctx, st, c, kcp, map[string]string{labelClusterName: c.name(), labelControlPlane: ""},
			class.m("spec", "controlPlane", "machineHealthCheck"), topologyMHCEnabled(c.m("spec", "topology", "controlPlane"), class.m("spec", "controlPlane"))); err != nil {
			return err
		}
	}

	// The Cluster points at what was generated.
	if c.str("spec", "infrastructureRef", "name") == "" || c.str("spec", "controlPlaneRef", "name") == "" {
		c.set(ref(rOSC, osc), "spec", "infrastructureRef")
		c.set(ref(rKCP, kcp), "spec", "controlPlaneRef")
		updated, err := m.k.update(ctx, rCluster, c)
		if err != nil {
			return err
		}
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyUpdate, "Updated Cluster %q", kobj(c))
		c = updated
	}

	// MachineDeployments: create, update, or delete what the topology
	// no longer lists. Workers follow a version change only once the
	// control plane runs it.
	cpAtVersion := controlPlaneAt(kcp, version)
	wanted := map[string]bool{}
	for _, t := range c.list("spec", "topology", "workers", "machineDeployments") {
		mdt, ok := asMap(t)
		if !ok {
			continue
		}
		tname, _ := mdt["name"].(string)
		wanted[tname] = true
		if err := m.reconcileTopologyMD(ctx, st, c, class, mdt, version, cpAtVersion); err != nil {
			return err
		}
	}
	for _, md := range st.byLabels(rMD, ns, map[string]string{labelClusterName: c.name(), labelTopologyOwned: ""}) {
		if wanted[md.label(labelDeploymentName)] || md.deleting() {
			continue
		}
		if err := m.k.remove(ctx, rMHC, ns, md.name()); err != nil {
			return err
		}
		if err := m.k.remove(ctx, rMD, ns, md.name()); err != nil {
			return err
		}
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyDelete, "Deleted MachineDeployment %q", kobj(md))
	}
	reconciled := condTrue("TopologyReconciled")
	if kcp.str("spec", "version") == version && kcp.str("status", "version") != version {
		reconciled = condFalse("TopologyReconciled", "TopologyReconciledControlPlaneUpgradePending", "Info",
			fmt.Sprintf("Control plane rollout and upgrade to version %s on hold.", version))
	}
	return m.setTopologyReconciled(ctx, c, reconciled)
}

func (m *Management) topologyFailed(ctx context.Context, c obj, err error) error {
	return m.setTopologyReconciled(ctx, c, condFalse("TopologyReconciled", "TopologyReconcileFailed", "Error",
		"error computing the desired state of the Cluster topology: "+err.Error()))
}

func (m *Management) setTopologyReconciled(ctx context.Context, c obj, cd cond) error {
	if cur := getCond(c, cd.typ); cur != nil && cur["status"] == cd.status && cur["reason"] == nilIfEmpty(cd.reason) && cur["message"] == nilIfEmpty(cd.message) {
		return nil
	}
	fresh, err := m.k.get(ctx, rCluster, c.namespace(), c.name())
	if err != nil {
		return err
	}
	setConds(fresh, cd)
	_, err = m.k.updateStatus(ctx, rCluster, fresh)
	return err
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// mergeSpec writes desired's spec fields over cur's (fields others set,
// such as a provider's controlPlaneEndpoint, stay), and its labels, and
// reports whether anything changed.
func mergeSpec(cur, desired obj) bool {
	changed := false
	spec := cur.m("spec")
	if spec == nil {
		spec = map[string]any{}
		cur["spec"] = spec
	}
	for k, v := range desired.m("spec") {
		if !subset(v, spec[k]) {
			spec[k] = clone(v)
			changed = true
		}
	}
	labels := cur.m("metadata", "labels")
	for k, v := range desired.m("metadata", "labels") {
		if labels == nil {
			labels = map[string]any{}
			cur.set(labels, "metadata", "labels")
		}
		if labels[k] != v {
			labels[k] = v
			changed = true
		}
	}
	return changed
}

func withClusterLabels(l map[string]string, c obj) map[string]string {
	out := map[string]string{}
	maps.Copy(out, l)
	out[labelClusterName] = c.name()
	out[labelTopologyOwned] = ""
	return out
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// reconcileTemplateClone keeps the clone of src (currently named cur, if
// any) equal to src patched for t. Templates are immutable, so a change
// makes a new clone (a template rotation); it returns the reference to use.
func (m *Management) reconcileTemplateClone(ctx context.Context, st *state, c, class, src obj, t target, vars map[string]any, cur, prefix string, labels map[string]string) (map[string]any, error) {
	r, _ := kindResource(src.str("apiVersion"), src.str("kind"))
	desired, err := cloneTemplate(class, src, t, vars, c, prefix+randomSuffix(), labels)
	if err != nil {
		return nil, err
	}
	if cur != "" {
		if existing := st.find(r, c.namespace(), cur); existing != nil {
			if subset(desired.get("spec"), existing.get("spec")) {
				return ref(r, existing), nil
			}
		}
	}
	created, err := m.k.create(ctx, r, desired)
	if err != nil {
		return nil, err
	}
	if cur == "" {
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyCreate, "Created %s %q", r.kind, kobj(created))
	} else {
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyCreate, "Created %s %q as a replacement for %q (template rotation)", r.kind, kobj(created), cur)
	}
	return ref(r, created), nil
}

// controlPlaneAt reports whether the control plane runs version on every
// Machine: its status.version (the lowest of its Machines') is version and
// no Machine is left to roll.
func controlPlaneAt(kcp obj, version string) bool {
	return kcp.str("status", "version") == version && !rollingOut(kcp)
}

// workerVersion is the version the topology gives a MachineDeployment
// (cur, nil when it is yet to be created): Cluster API v1.8's
// computeMachineDeploymentVersion holds an existing MachineDeployment at
// its version until the control plane has finished its upgrade, so workers
// never run a newer kubelet than the API servers; a new one gets the
// topology's version at once.
func workerVersion(cur obj, version string, cpAtVersion bool) string {
	if cur != nil && !cpAtVersion {
		return cur.str("spec", "template", "spec", "version")
	}
	return version
}

// reconcileTopologyMD computes one MachineDeployment of the topology.
func (m *Management) reconcileTopologyMD(ctx context.Context, st *state, c, class obj, mdt map[string]any, version string, cpAtVersion bool) error {
	ns := c.namespace()
	tname, _ := mdt["name"].(string)
	className, _ := mdt["class"].(string)
	var mdClass map[string]any
	for _, x := range class.list("spec", "workers", "machineDeployments") {
		if xm, ok := asMap(x); ok && xm["class"] == className {
			mdClass = xm
		}
	}
	if mdClass == nil {
		return m.topologyFailed(ctx, c, fmt.Errorf("MachineDeployment class %s not found in ClusterClass %s", className, kobj(class)))
	}
	var cur obj
	if l := st.byLabels(rMD, ns, map[string]string{labelClusterName: c.name(), labelDeploymentName: tname}); len(l) > 0 {
		cur = l[0]
	}
	if cur != nil && cur.deleting() {
		return nil
	}
	vars := topologyVars(c, mdt, cur)
	tmplOf := func(path ...string) obj {
		mc := obj(mdClass)
		r, ok := kindResource(mc.str(append(path, "apiVersion")...), mc.str(append(path, "kind")...))
		if !ok {
			return nil
		}
		return st.find(r, ns, mc.str(append(path, "name")...))
	}
	kct := tmplOf("template", "bootstrap", "ref")
	osmt := tmplOf("template", "infrastructure", "ref")
	if kct == nil || osmt == nil {
		return m.topologyFailed(ctx, c, fmt.Errorf("a template of MachineDeployment class %s is missing", className))
	}
	curBoot, curInfra := "", ""
	if cur != nil {
		curBoot = cur.str("spec", "template", "spec", "bootstrap", "configRef", "name")
		curInfra = cur.str("spec", "template", "spec", "infrastructureRef", "name")
	}
	extra := map[string]string{labelDeploymentName: tname}
	bootRef, err := m.reconcileTemplateClone(ctx, st, c, class, kct, target{mdClass: className}, vars, curBoot, c.name()+"-"+tname+"-", extra)
	if err != nil {
		return err
	}
	infraRef, err := m.reconcileTemplateClone(ctx, st, c, class, osmt, target{mdClass: className}, vars, curInfra, c.name()+"-"+tname+"-", extra)
	if err != nil {
		return err
	}
	mdVersion := workerVersion(cur, version, cpAtVersion)
	topo := obj(mdt)
	labels := map[string]string{}
	maps.Copy(labels, topo.strMap("metadata", "labels"))
	maps.Copy(labels, obj(mdClass).strMap("template", "metadata", "labels"))
	labels[labelClusterName] = c.name()
	labels[labelTopologyOwned] = ""
	labels[labelDeploymentName] = tname
	anns := map[string]string{}
	maps.Copy(anns, topo.strMap("metadata", "annotations"))
	maps.Copy(anns, obj(mdClass).strMap("template", "metadata", "annotations"))
	// Empty maps are left out of the JSON (omitempty), as Cluster API
	// writes them: a MachineDeployment without annotations has no
	// spec.template.metadata.annotations at all.
	meta := map[string]any{"labels": toAny(labels)}
	if len(anns) > 0 {
		meta["annotations"] = toAny(anns)
	}
	tspec := map[string]any{
		"clusterName": c.name(), "version": mdVersion,
		"bootstrap":         map[string]any{"configRef": bootRef},
		"infrastructureRef": infraRef,
	}
	if fd := topo.str("failureDomain"); fd != "" {
		tspec["failureDomain"] = fd
	}
	if t := topo.str("nodeVolumeDetachTimeout"); t != "" {
		tspec["nodeVolumeDetachTimeout"] = t
	} else if t := obj(mdClass).str("nodeVolumeDetachTimeout"); t != "" {
		tspec["nodeVolumeDetachTimeout"] = t
	}
	spec := map[string]any{
		"clusterName": c.name(),
		"selector": map[string]any{"matchLabels": map[string]any{
			labelClusterName: c.name(), labelTopologyOwned: "", labelDeploymentName: tname,
		}},
		"template": map[string]any{"metadata": meta, "spec": tspec},
	}
	if r, ok := topo.num("replicas"); ok {
		spec["replicas"] = r
	}
	desired := obj{
		"metadata": map[string]any{
			"namespace": ns, "labels": toAny(labels),
			"ownerReferences": []any{ownerRef(c, rCluster, false)},
		},
		"spec": spec,
	}
	if len(anns) > 0 {
		desired.set(toAny(anns), "metadata", "annotations")
	}
	if cur == nil {
		if _, ok := spec["replicas"]; !ok {
			// The MachineDeployment webhook's default: the autoscaler's
			// minimum, else 1.
			spec["replicas"] = int64(1)
			if v, ok := anns["cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"]; ok {
				var n int64
				if _, err := fmt.Sscan(v, &n); err == nil {
					spec["replicas"] = n
				}
			}
		}
		desired.set(c.name()+"-"+tname+"-"+randomSuffix(), "metadata", "name")
		created, err := m.k.create(ctx, rMD, desired)
		if err != nil {
			return err
		}
		m.rec.normal(ctx, c, rCluster, topologyComponent, topologyCreate, "Created MachineDeployment %q", kobj(created))
		cur = created
	} else {
		if _, ok := spec["replicas"]; !ok {
			spec["replicas"] = cur.get("spec", "replicas")
		}
		oldVersion := cur.str("spec", "template", "spec", "version")
		oldAnns := cur.m("metadata", "annotations")
		changed := mergeSpec(cur, desired)
		if !jsonEqual(oldAnns, desired.m("metadata", "annotations")) {
			cur.set(desired.get("metadata", "annotations"), "metadata", "annotations")
			changed = true
		}
		if changed {
			if _, err := m.k.update(ctx, rMD, cur); err != nil {
				return err
			}
			msg := ""
			if oldVersion != "" && oldVersion != mdVersion {
				msg = fmt.Sprintf(" with version change from %s to %s", oldVersion, mdVersion)
			}
			m.rec.normal(ctx, c, rCluster, topologyComponent, topologyUpdate, "Updated MachineDeployment %q%s", kobj(cur), msg)
		}
	}
	return m.reconcileMHCFor(ctx, st, c, cur, map[string]string{labelClusterName: c.name(), labelDeploymentName: tname, labelTopologyOwned: ""},
		obj(mdClass).m("machineHealthCheck"), topologyMHCEnabled(mdt, mdClass))
}

// topologyMHCEnabled: the topology's machineHealthCheck.enable, else
// whether the class defines one.
func topologyMHCEnabled(topo, class map[string]any) bool {
	if h, ok := asMap(topo["machineHealthCheck"]); ok {
		if e, ok := h["enable"].(bool); ok {
			return e
		}
	}
	_, ok := asMap(class["machineHealthCheck"])
	return ok
}

// reconcileMHCFor keeps the MachineHealthCheck of a control plane or
// MachineDeployment (named after it) in line with its class.
func (m *Management) reconcileMHCFor(ctx context.Context, st *state, c, owner obj, sel map[string]string, classMHC map[string]any, enabled bool) error {
	cur := st.find(rMHC, owner.namespace(), owner.name())
	if !enabled || classMHC == nil {
		if cur != nil {
			if err := m.k.remove(ctx, rMHC, cur.namespace(), cur.name()); err != nil {
				return err
			}
			m.rec.normal(ctx, cur, rMHC, topologyComponent, topologyDelete, "Deleted MachineHealthCheck %q", kobj(cur))
		}
		return nil
	}
	if cur != nil {
		return nil
	}
	spec := map[string]any{"clusterName": c.name(), "selector": map[string]any{"matchLabels": toAny(sel)}}
	for k, v := range classMHC {
		spec[k] = clone(v)
	}
	created, err := m.k.create(ctx, rMHC, obj{
		"metadata": map[string]any{
			"name": owner.name(), "namespace": owner.namespace(),
			"labels":          map[string]any{labelClusterName: c.name(), labelTopologyOwned: ""},
			"ownerReferences": []any{ownerRef(owner, resourceOf(owner), false)},
		},
		"spec": spec,
	})
	if err != nil {
		return err
	}
	m.rec.normal(ctx, created, rMHC, topologyComponent, topologyCreate, "Created MachineHealthCheck %q", kobj(created))
	return nil
}

func resourceOf(o obj) resource {
	r, _ := kindResource(o.str("apiVersion"), o.str("kind"))
	return r
}
