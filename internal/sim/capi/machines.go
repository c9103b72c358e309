package capi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

const (
	machineFinalizer = "machine.cluster.x-k8s.io"
	kcpFinalizer     = "kubeadm.controlplane.cluster.x-k8s.io"
	kcpComponent     = "kubeadmcontrolplane-controller"
	mdComponent      = "machinedeployment-controller"
	msComponent      = "machineset-controller"
	machineComponent = "machine-controller"
)

// machineReady: the Machine has a Node and the Node is healthy.
func machineReady(mc obj) bool {
	return mc.str("status", "nodeRef", "name") != "" && isTrue(mc, "NodeHealthy")
}

// newMachine creates a Machine with its KubeadmConfig and infrastructure
// machine, cloned from a bootstrap spec and an infrastructure template,
// all three named name and owned by owner (a KubeadmControlPlane or a
// MachineSet).
func (m *Management) newMachine(ctx context.Context, owner obj, ownerRes resource, name string, labels, annotations map[string]string,
	version string, bootSpec map[string]any, infraRef map[string]any, extraSpec map[string]any) error {
	ns := owner.namespace()
	infraRes, ok := kindResource(obj(infraRef).str("apiVersion"), obj(infraRef).str("kind"))
	if !ok {
		return fmt.Errorf("unknown infrastructure template kind %v", infraRef["kind"])
	}
	tmplName, _ := infraRef["name"].(string)
	tmpl, err := m.k.get(ctx, infraRes, ns, tmplName)
	if err != nil {
		return err
	}
	infraKind := strings.TrimSuffix(infraRes.kind, "Template")
	machineInfra, _ := kindResource(infraRes.apiVersion(), infraKind)
	owners := []any{ownerRef(owner, ownerRes, true)}
	meta := func() map[string]any {
		return map[string]any{"name": name, "namespace": ns, "labels": toAny(labels), "ownerReferences": clone(owners)}
	}
	kc := obj{"metadata": meta(), "spec": clone(bootSpec)}
	if _, err := m.k.create(ctx, rKC, kc); err != nil && !isStatus(err, 409) {
		return err
	}
	im := obj{"metadata": meta(), "spec": clone(tmpl.m("spec", "template", "spec"))}
	obj(im).set(map[string]any{annClonedFromName: tmplName, annClonedFromGK: groupKind(infraRes)}, "metadata", "annotations")
	if _, err := m.k.create(ctx, machineInfra, im); err != nil && !isStatus(err, 409) {
		return err
	}
	spec := map[string]any{
		"clusterName": labels[labelClusterName], "version": version,
		"bootstrap":         map[string]any{"configRef": map[string]any{"apiVersion": rKC.apiVersion(), "kind": rKC.kind, "name": name, "namespace": ns}},
		"infrastructureRef": map[string]any{"apiVersion": machineInfra.apiVersion(), "kind": machineInfra.kind, "name": name, "namespace": ns},
	}
	for k, v := range extraSpec {
		spec[k] = clone(v)
	}
	mc := obj{"metadata": meta(), "spec": spec}
	if len(annotations) > 0 {
		mc.set(toAny(annotations), "metadata", "annotations")
	}
	_, err = m.k.create(ctx, rMachine, mc)
	if err == nil {
		m.poke()
	}
	return err
}

// templateHash names a MachineDeployment's template, as the
// machine-template-hash label does.
func templateHash(tmpl any) string {
	b, _ := json.Marshal(tmpl)
	sum := sha256.Sum256(b)
	return strconv.FormatUint(uint64(sum[0])<<24|uint64(sum[1])<<16|uint64(sum[2])<<8|uint64(sum[3]), 10)
}

// reconcileMD is the MachineDeployment controller: one MachineSet per
// template (rolling update: the new set goes to full size, the old ones
// go to zero once the new Machines are ready), and the v1beta1 status
// whose phase the driver reads.
func (m *Management) reconcileMD(ctx context.Context, st *state, md obj) error {
	ns := md.namespace()
	sets := ownedBy(st.all(rMS), md)
	byCreationTime := slices.Clone(sets)
	byCreation(byCreationTime)
	var replicas int64 = 1
	if r, ok := md.num("spec", "replicas"); ok {
		replicas = r
	}
	tmpl := md.m("spec", "template")
	hash := templateHash(tmpl)
	var current obj
	var old []obj
	for _, ms := range byCreationTime {
		if ms.label(labelTemplateHash) == hash && !ms.deleting() {
			current = ms
		} else {
			old = append(old, ms)
		}
	}
	if !md.deleting() {
		switch {
		case current == nil:
			name := md.name() + "-" + randomSuffix()
			labels := obj(tmpl).strMap("metadata", "labels")
			labels[labelMDName] = md.name()
			labels[labelTemplateHash] = hash
			spec := map[string]any{
				"clusterName": md.str("spec", "clusterName"), "replicas": replicas,
				"selector": map[string]any{"matchLabels": map[string]any{labelClusterName: md.str("spec", "clusterName"), labelTemplateHash: hash, labelMDName: md.name()}},
				"template": map[string]any{"metadata": map[string]any{"labels": toAny(labels)}, "spec": clone(obj(tmpl).m("spec"))},
			}
			if a := obj(tmpl).m("metadata", "annotations"); len(a) > 0 {
				obj(spec).set(clone(a), "template", "metadata", "annotations")
			}
			created, err := m.k.create(ctx, rMS, obj{
				"metadata": map[string]any{"name": name, "namespace": ns, "labels": toAny(labels),
					"ownerReferences": []any{ownerRef(md, rMD, true)}},
				"spec": spec,
			})
			if err != nil {
				m.rec.warning(ctx, md, rMD, mdComponent, "FailedCreate", "Failed to create MachineSet %s: %v", ns+"/"+name, err)
				return err
			}
			m.rec.normal(ctx, md, rMD, mdComponent, "SuccessfulCreate", "Created MachineSet %s with %d replicas", kobj(created), replicas)
			return nil
		case mustReplicas(current) != replicas:
			from := mustReplicas(current)
			if _, err := m.k.mergePatch(ctx, rMS, ns, current.name(), map[string]any{"spec": map[string]any{"replicas": replicas}}); err != nil {
				return err
			}
			dir := "up"
			if replicas < from {
				dir = "down"
			}
			m.rec.normal(ctx, md, rMD, mdComponent, "SuccessfulScale", "Scaled %s MachineSet %v: %d -> %d", dir, current.name(), from, replicas)
			return nil
		}
		newReady, _ := current.num("status", "readyReplicas")
		for _, ms := range old {
			if mustReplicas(ms) > 0 && newReady >= replicas {
				if _, err := m.k.mergePatch(ctx, rMS, ns, ms.name(), map[string]any{"spec": map[string]any{"replicas": 0}}); err != nil {
					return err
				}
				m.rec.normal(ctx, md, rMD, mdComponent, "SuccessfulScale", "Scaled down MachineSet %v: %d -> %d", ms.name(), mustReplicas(ms), 0)
				// The status below sees the set scaled, as Cluster API
				// computes it after scaling in the same reconcile.
				ms.set(int64(0), "spec", "replicas")
			} else if mustReplicas(ms) == 0 {
				if st, _ := ms.num("status", "replicas"); st == 0 && !ms.deleting() {
					if err := m.k.remove(ctx, rMS, ns, ms.name()); err != nil {
						return err
					}
					m.rec.normal(ctx, md, rMD, mdComponent, "SuccessfulDelete", "Deleted MachineSet %q", ms.name())
				}
			}
		}
	}
	fresh := clone(md)
	fresh["status"] = mdStatus(md, sets, hash, replicas)
	available, _ := obj(fresh).num("status", "availableReplicas")
	conds := []cond{}
	if available >= replicas {
		conds = append(conds, condTrue("Available"))
	} else {
		conds = append(conds, condFalse("Available", "WaitingForAvailableMachines", "Warning",
			fmt.Sprintf("Minimum availability requires %d replicas, current %d available", replicas, available)))
	}
	if len(old) > 0 {
		conds = append(conds, condFalse("MachineSetReady", "WaitingForMachineSets", "Info", ""))
	} else {
		conds = append(conds, condTrue("MachineSetReady"))
	}
	conds = append(conds, summary(conds, "Available"))
	setConds(fresh, conds...)
	return m.writeStatus(ctx, rMD, md, fresh)
}

// mdStatus is a MachineDeployment's v1beta1 status over its MachineSets
// (sets; the current template's hash), as Cluster API v1.8's
// calculateStatus (machinedeployment_sync.go) computes it: replicas and
// readyReplicas are the sets' actual counts, updatedReplicas the current
// set's actual replicas (Machines, ready or not), and unavailableReplicas
// what the sets ask for (their spec.replicas) minus what is available.
// The phase the driver reads: Running once spec.replicas Machines are
// ready, ScalingUp while fewer are, ScalingDown when the sets ask for
// fewer than are available (a scale down or the end of a rollout), and no
// phase at all otherwise. A Machine whose server failed is never ready,
// and v1.8's MachineSets do not report their Machines' failures, so such a
// MachineDeployment stays ScalingUp: the driver's nodegroup stays
// *_IN_PROGRESS, never *_FAILED.
func mdStatus(md obj, sets []obj, hash string, replicas int64) map[string]any {
	var asked, actual, updated, ready, available int64
	for _, ms := range sets {
		r, _ := ms.num("status", "replicas")
		rd, _ := ms.num("status", "readyReplicas")
		av, _ := ms.num("status", "availableReplicas")
		asked += mustReplicas(ms)
		actual += r
		ready += rd
		available += av
		if ms.label(labelTemplateHash) == hash {
			updated = r
		}
	}
	s := map[string]any{
		"selector": selector(map[string]string{labelClusterName: md.str("spec", "clusterName"), labelDeploymentName: md.label(labelDeploymentName), labelTopologyOwned: ""}),
		"replicas": actual, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
		"unavailableReplicas": max(0, asked-available), "observedGeneration": md.generation(),
	}
	phase := ""
	switch {
	case md.deleting():
		phase = "ScalingDown"
	case asked-available < 0:
		phase = "ScalingDown"
	case replicas > ready:
		phase = "ScalingUp"
	case replicas == ready:
		phase = "Running"
	}
	if phase != "" {
		s["phase"] = phase
	}
	// The conditions carry over, so a condition keeps its
	// lastTransitionTime while its status holds.
	if c := md.get("status", "conditions"); c != nil {
		s["conditions"] = clone(c)
	}
	return s
}

func mustReplicas(o obj) int64 {
	r, _ := o.num("spec", "replicas")
	return r
}

func ownedBy(l []obj, owner obj) []obj {
	var out []obj
	for _, o := range l {
		if o.namespace() == owner.namespace() && o.ownedBy(owner) {
			out = append(out, o)
		}
	}
	return out
}

// reconcileMS is the MachineSet controller: it makes or deletes Machines
// until their number is spec.replicas; a Machine annotated for deletion
// (cluster.x-k8s.io/delete-machine, as the driver marks the nodes a resize
// removes) goes first, then the newest.
func (m *Management) reconcileMS(ctx context.Context, st *state, ms obj) error {
	ns := ms.namespace()
	machines := ownedBy(st.all(rMachine), ms)
	byCreation(machines)
	var live []obj
	for _, mc := range machines {
		if !mc.deleting() {
			live = append(live, mc)
		}
	}
	want := mustReplicas(ms)
	if ms.deleting() {
		want = 0
	}
	switch {
	case int64(len(live)) < want:
		name := ms.name() + "-" + randomSuffix()
		labels := ms.strMap("spec", "template", "metadata", "labels")
		labels[labelMSName] = ms.name()
		tspec := ms.m("spec", "template", "spec")
		bootRef := obj(tspec).m("bootstrap", "configRef")
		kct, err := m.k.get(ctx, rKCT, ns, obj(bootRef).str("name"))
		if err != nil {
			return err
		}
		extra := map[string]any{}
		for _, k := range []string{"failureDomain", "nodeVolumeDetachTimeout"} {
			if v, ok := tspec[k]; ok {
				extra[k] = v
			}
		}
		if err := m.newMachine(ctx, ms, rMS, name, labels, ms.strMap("spec", "template", "metadata", "annotations"), obj(tspec).str("version"),
			kct.m("spec", "template", "spec"), obj(tspec).m("infrastructureRef"), extra); err != nil {
			return err
		}
		m.rec.normal(ctx, ms, rMS, msComponent, "SuccessfulCreate", "Created Machine %q", name)
	case int64(len(live)) > want:
		victim := live[len(live)-1]
		for _, mc := range live {
			if _, marked := mc.m("metadata", "annotations")[annDeleteMachine]; marked {
				victim = mc
				break
			}
		}
		if err := m.k.remove(ctx, rMachine, ns, victim.name()); err != nil {
			return err
		}
		m.rec.normal(ctx, ms, rMS, msComponent, "SuccessfulDelete", "Deleted Machine %q", victim.name())
	}
	fresh := clone(ms)
	var ready int64
	for _, mc := range live {
		if machineReady(mc) {
			ready++
		}
	}
	fresh["status"] = map[string]any{
		"replicas": int64(len(live)), "fullyLabeledReplicas": int64(len(live)), "readyReplicas": ready, "availableReplicas": ready,
		"observedGeneration": ms.generation(), "selector": selector(ms.strMap("spec", "selector", "matchLabels")),
	}
	keepConditions(fresh, ms)
	if ready == int64(len(live)) {
		setConds(fresh, condTrue("MachinesCreated"), condTrue("MachinesReady"), condTrue("Resized"), condTrue("Ready"))
	} else {
		setConds(fresh, condTrue("MachinesCreated"), condFalse("MachinesReady", "NodeStartupTimeout", "Info", ""), condTrue("Resized"),
			condFalse("Ready", "NodeStartupTimeout", "Info", ""))
	}
	return m.writeStatus(ctx, rMS, ms, fresh)
}

// reconcileKubeadmConfig is the kubeadm bootstrap provider: once the
// Machine's cluster infrastructure is ready, and for a joining node once
// the control plane is initialized, it writes the bootstrap data secret.
func (m *Management) reconcileKubeadmConfig(ctx context.Context, st *state, kc obj) error {
	if kc.boolean("status", "ready") || kc.deleting() {
		return nil
	}
	ns := kc.namespace()
	mc := ownerMachine(st, kc)
	if mc == nil {
		mc = st.find(rMachine, ns, kc.name())
	}
	cluster := st.find(rCluster, ns, kc.label(labelClusterName))
	if mc == nil || cluster == nil || !cluster.boolean("status", "infrastructureReady") {
		return nil
	}
	if kc.get("spec", "joinConfiguration") != nil && !isTrue(cluster, "ControlPlaneInitialized") {
		fresh := clone(kc)
		setConds(fresh, condFalse("DataSecretAvailable", "WaitingForControlPlaneAvailable", "Info", ""), condFalse("Ready", "WaitingForControlPlaneAvailable", "Info", ""))
		return m.writeStatus(ctx, rKC, kc, fresh)
	}
	secret := obj{
		"metadata": map[string]any{"name": kc.name(), "namespace": ns,
			"labels":          map[string]any{labelClusterName: cluster.name()},
			"ownerReferences": []any{ownerRef(kc, rKC, true)}},
		"type": "cluster.x-k8s.io/secret",
		"data": map[string]any{"format": "Y2xvdWQtY29uZmln", "value": "I2Nsb3VkLWNvbmZpZwo="},
	}
	if _, err := m.k.create(ctx, rSecret, secret); err != nil && !isStatus(err, 409) {
		return err
	}
	fresh := clone(kc)
	fresh.set(true, "status", "ready")
	fresh.set(kc.name(), "status", "dataSecretName")
	fresh.set(kc.generation(), "status", "observedGeneration")
	setConds(fresh, condTrue("DataSecretAvailable"), condTrue("CertificatesAvailable"), condTrue("Ready"))
	return m.writeStatus(ctx, rKC, kc, fresh)
}

// reconcileMachine is the Machine controller: the finalizer, bootstrap
// data and infrastructure readiness mirrored from the referenced objects,
// the provider ID, the nodeRef once the workload API shows the Node, the
// phase, and deletion (drain and delete the Node, then the infrastructure
// machine and the bootstrap config).
func (m *Management) reconcileMachine(ctx context.Context, st *state, mc obj) error {
	ns := mc.namespace()
	kc := st.find(rKC, ns, mc.str("spec", "bootstrap", "configRef", "name"))
	im := st.find(rOSM, ns, mc.str("spec", "infrastructureRef", "name"))
	if mc.deleting() {
		return m.deleteMachine(ctx, st, mc, kc, im)
	}
	if !mc.hasFinalizer(machineFinalizer) {
		mc.setFinalizers(append(mc.finalizers(), machineFinalizer))
		_, err := m.k.update(ctx, rMachine, mc)
		return err
	}
	// Cluster API's reconcileExternal: the Machine becomes the controller
	// of its bootstrap config and infrastructure machine, which CAPO needs
	// to find the Machine it boots.
	for _, ext := range []struct {
		o obj
		r resource
	}{{kc, rKC}, {im, rOSM}} {
		if ext.o == nil || ownerMachine(st, ext.o) != nil {
			continue
		}
		owners := []any{ownerRef(mc, rMachine, true)}
		for _, r := range ext.o.list("metadata", "ownerReferences") {
			if rm, ok := asMap(r); ok {
				rm = clone(rm)
				delete(rm, "controller")
				delete(rm, "blockOwnerDeletion")
				owners = append(owners, rm)
			}
		}
		ext.o.set(owners, "metadata", "ownerReferences")
		_, err := m.k.update(ctx, ext.r, ext.o)
		return err
	}
	// Spec fields the Machine controller copies.
	if kc != nil && kc.str("status", "dataSecretName") != "" && mc.str("spec", "bootstrap", "dataSecretName") == "" {
		mc.set(kc.str("status", "dataSecretName"), "spec", "bootstrap", "dataSecretName")
		_, err := m.k.update(ctx, rMachine, mc)
		return err
	}
	if im != nil && im.str("spec", "providerID") != "" && mc.str("spec", "providerID") == "" {
		mc.set(im.str("spec", "providerID"), "spec", "providerID")
		_, err := m.k.update(ctx, rMachine, mc)
		return err
	}
	fresh := clone(mc)
	bootReady := kc != nil && kc.boolean("status", "ready")
	infraReady := im != nil && im.boolean("status", "ready")
	fresh.set(bootReady, "status", "bootstrapReady")
	fresh.set(infraReady, "status", "infrastructureReady")
	if im != nil {
		if a := im.get("status", "addresses"); a != nil {
			fresh.set(clone(a), "status", "addresses")
		}
		if r := im.str("status", "failureReason"); r != "" {
			fresh.set(r, "status", "failureReason")
			fresh.set(im.str("status", "failureMessage"), "status", "failureMessage")
		}
	}
	node, nodeInfo := "", map[string]any(nil)
	if infraReady {
		if w := m.workload(ns, mc.label(labelClusterName)); w != nil {
			node, nodeInfo = w.nodeReady(ctx, mc.name())
		}
	}
	conds := []cond{
		mirrorOrWait(kc, "BootstrapReady", "WaitingForDataSecret"),
		mirrorOrWait(im, "InfrastructureReady", "WaitingForInfrastructure"),
	}
	if node != "" {
		if mc.str("status", "nodeRef", "name") == "" {
			m.rec.normal(ctx, mc, rMachine, machineComponent, "SuccessfulSetNodeRef", "%s", node)
		}
		fresh.set(map[string]any{"apiVersion": "v1", "kind": "Node", "name": node}, "status", "nodeRef")
		// Cluster API copies the Node's system info; its schema requires
		// every field of it.
		fresh.set(clone(nodeInfo), "status", "nodeInfo")
		conds = append(conds, condTrue("NodeHealthy"))
	} else if infraReady {
		conds = append(conds, condFalse("NodeHealthy", "NodeProvisioning", "Warning", ""))
	} else {
		conds = append(conds, condFalse("NodeHealthy", "WaitingForNodeRef", "Info", ""))
	}
	conds = append(conds, summary(conds, "BootstrapReady", "InfrastructureReady", "NodeHealthy"))
	setConds(fresh, conds...)
	phase := "Pending"
	switch {
	case node != "" && infraReady:
		phase = "Running"
	case fresh.str("spec", "providerID") != "":
		phase = "Provisioned"
	case bootReady && !infraReady:
		phase = "Provisioning"
	}
	if mc.str("status", "phase") != phase {
		fresh.set(phase, "status", "phase")
		fresh.set(nowRFC3339(), "status", "lastUpdated")
	}
	fresh.set(mc.generation(), "status", "observedGeneration")
	return m.writeStatus(ctx, rMachine, mc, fresh)
}

func mirrorOrWait(src obj, typ, waitReason string) cond {
	if src != nil && src.boolean("status", "ready") {
		return condTrue(typ)
	}
	return mirror(src, typ, condFalse("", waitReason, "Info", ""))
}

func (m *Management) deleteMachine(ctx context.Context, st *state, mc, kc, im obj) error {
	ns := mc.namespace()
	if mc.str("status", "phase") != "Deleting" {
		fresh := clone(mc)
		fresh.set("Deleting", "status", "phase")
		fresh.set(nowRFC3339(), "status", "lastUpdated")
		if err := m.writeStatus(ctx, rMachine, mc, fresh); err != nil {
			return err
		}
	}
	if !mc.hasFinalizer(machineFinalizer) {
		return nil
	}
	if node := mc.str("status", "nodeRef", "name"); node != "" {
		if w := m.workload(ns, mc.label(labelClusterName)); w != nil {
			w.removeNode(node)
		}
		m.rec.normal(ctx, mc, rMachine, machineComponent, "SuccessfulDrainNode", "success draining Machine's node %q", node)
	}
	if im != nil {
		if !im.deleting() {
			return m.k.remove(ctx, rOSM, ns, im.name())
		}
		return nil
	}
	if kc != nil {
		if !kc.deleting() {
			return m.k.remove(ctx, rKC, ns, kc.name())
		}
		return nil
	}
	mc.setFinalizers(slices.DeleteFunc(mc.finalizers(), func(f string) bool { return f == machineFinalizer }))
	_, err := m.k.update(ctx, rMachine, mc)
	return err
}

// reconcileMHC reports how many of its Machines a MachineHealthCheck sees
// healthy. It remediates nothing.
func (m *Management) reconcileMHC(ctx context.Context, st *state, h obj) error {
	targets := st.byLabels(rMachine, h.namespace(), h.strMap("spec", "selector", "matchLabels"))
	var healthy int64
	var names []any
	for _, mc := range targets {
		names = append(names, mc.name())
		if machineReady(mc) {
			healthy++
		}
	}
	fresh := clone(h)
	fresh["status"] = map[string]any{
		"expectedMachines": int64(len(targets)), "currentHealthy": healthy, "remediationsAllowed": healthy,
		"targets": names, "observedGeneration": h.generation(),
	}
	keepConditions(fresh, h)
	setConds(fresh, condTrue("RemediationAllowed"))
	return m.writeStatus(ctx, rMHC, h, fresh)
}

// bound reports whether this run made (or found) the binding of a Cluster
// to a ClusterResourceSet, by their UIDs: creating it again on every pass
// only earned a 409 from the API server, twice a second per bay. A Cluster
// made anew under the same name has a new UID, and is bound again.
func (m *Management) bound(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bindings[key]
}

func (m *Management) markBound(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bindings == nil {
		m.bindings = map[string]bool{}
	}
	m.bindings[key] = true
}

// keepConditions carries o's conditions into fresh, whose status was built
// anew, so that setConds keeps each condition's lastTransitionTime while its
// status holds. Without them every condition looked new each second, and
// the status was written (and every controller woken) on every pass.
func keepConditions(fresh, o obj) {
	if c := o.get("status", "conditions"); c != nil {
		fresh.set(clone(c), "status", "conditions")
	}
}

// reconcileCRS binds a ClusterResourceSet to the Clusters its selector
// picks, as the addons controller records what it applied. The resources
// themselves (the driver's CNI, cloud provider and CSI manifests) would
// need pods that run; they are not applied.
func (m *Management) reconcileCRS(ctx context.Context, st *state, crs obj) error {
	want := crs.strMap("spec", "clusterSelector", "matchLabels")
	if len(want) == 0 || crs.deleting() {
		return nil
	}
	for _, c := range st.byLabels(rCluster, crs.namespace(), want) {
		if c.deleting() || !isTrue(c, "ControlPlaneInitialized") {
			continue
		}
		var applied []any
		for _, r := range crs.list("spec", "resources") {
			rm, _ := asMap(r)
			applied = append(applied, map[string]any{"kind": rm["kind"], "name": rm["name"], "applied": true, "hash": "", "lastAppliedTime": nowRFC3339()})
		}
		b := obj{
			"metadata": map[string]any{"name": c.name(), "namespace": c.namespace(),
				"labels":          map[string]any{labelClusterName: c.name()},
				"ownerReferences": []any{ownerRef(c, rCluster, false), ownerRef(crs, rCRS, false)}},
			"spec": map[string]any{"clusterName": c.name(), "bindings": []any{map[string]any{"clusterResourceSetName": crs.name(), "resources": applied}}},
		}
		key := c.uid() + "/" + crs.uid()
		if m.bound(key) {
			continue
		}
		if _, err := m.k.create(ctx, rCRSB, b); err != nil && !isStatus(err, 409) {
			return err
		}
		m.markBound(key)
	}
	if !isTrue(crs, "ResourcesApplied") {
		fresh := clone(crs)
		setConds(fresh, condTrue("ResourcesApplied"))
		fresh.set(crs.generation(), "status", "observedGeneration")
		return m.writeStatus(ctx, rCRS, crs, fresh)
	}
	return nil
}
