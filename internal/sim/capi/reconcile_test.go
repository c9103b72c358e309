package capi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testNS      = "magnum-system"
	testCluster = "kube-abcde"
)

func meta(name string, labels map[string]any, finalizers ...string) map[string]any {
	m := map[string]any{"name": name, "namespace": testNS}
	if labels == nil {
		labels = map[string]any{}
	}
	labels[labelClusterName] = testCluster
	m["labels"] = labels
	if len(finalizers) > 0 {
		fs := make([]any, len(finalizers))
		for i, f := range finalizers {
			fs[i] = f
		}
		m["finalizers"] = fs
	}
	return m
}

func withOwner(o obj, owner obj, r resource) obj {
	o.set([]any{ownerRef(owner, r, true)}, "metadata", "ownerReferences")
	return o
}

// markReady plays the workload cluster: the Machine's Node joined and is
// healthy, as reconcileMachine records it.
func markReady(f *fakeAPI, name string) {
	mc := f.get(rMachine, testNS, name)
	if mc == nil || mc.deleting() || machineReady(mc) {
		return
	}
	mc.set(map[string]any{"apiVersion": "v1", "kind": "Node", "name": name}, "status", "nodeRef")
	setConds(mc, condTrue("NodeHealthy"))
	f.put(rMachine, mc)
}

// readyAfterOnePass marks every Machine ready one pass after it appeared,
// so each new Machine is seen booting first.
func readyAfterOnePass(f *fakeAPI) func() {
	seen := map[string]bool{}
	return func() {
		for _, mc := range f.list(rMachine, testNS, "") {
			if seen[mc.name()] {
				markReady(f, mc.name())
			}
			seen[mc.name()] = true
		}
	}
}

// seedTemplates stores what newMachine clones: a KubeadmConfigTemplate
// and OpenStackMachineTemplates for the workers and the control plane.
func seedTemplates(f *fakeAPI) {
	f.put(rKCT, obj{"metadata": meta("kct", nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"joinConfiguration": map[string]any{}}}}})
	for _, n := range []string{"osmt-w", "osmt-cp"} {
		f.put(rOSMT, obj{"metadata": meta(n, nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"flavor": "m1.small"}}}})
	}
}

func mdTemplate(version string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"labels": map[string]any{labelClusterName: testCluster, labelDeploymentName: "default-worker"}},
		"spec": map[string]any{
			"clusterName": testCluster, "version": version,
			"bootstrap":         map[string]any{"configRef": map[string]any{"apiVersion": rKCT.apiVersion(), "kind": rKCT.kind, "name": "kct"}},
			"infrastructureRef": map[string]any{"apiVersion": rOSMT.apiVersion(), "kind": rOSMT.kind, "name": "osmt-w"},
		},
	}
}

func runWorkers(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		var errs []error
		for _, md := range st.all(rMD) {
			errs = append(errs, m.reconcileMD(ctx, st, md))
		}
		for _, ms := range st.all(rMS) {
			errs = append(errs, m.reconcileMS(ctx, st, ms))
		}
		return joinReal(errs...)
	}
}

type mdView struct {
	phase                    string
	replicas, updated, ready int64
	versions                 []string // of the live Machines
}

func (v mdView) String() string {
	return fmt.Sprintf("%s replicas=%d updated=%d ready=%d machines=%v", v.phase, v.replicas, v.updated, v.ready, v.versions)
}

func viewMD(f *fakeAPI) mdView {
	md := f.get(rMD, testNS, "md")
	v := mdView{phase: md.str("status", "phase")}
	v.replicas, _ = md.num("status", "replicas")
	v.updated, _ = md.num("status", "updatedReplicas")
	v.ready, _ = md.num("status", "readyReplicas")
	for _, mc := range f.list(rMachine, testNS, "") {
		if !mc.deleting() {
			v.versions = append(v.versions, mc.str("spec", "version"))
		}
	}
	slices.Sort(v.versions)
	return v
}

// driverNodegroup is magnum-cluster-api 0.16's update_nodegroup_status for
// a worker nodegroup: the MachineDeployment's phase alone.
func driverNodegroup(phase string) string {
	switch phase {
	case "ScalingUp", "ScalingDown":
		return "IN_PROGRESS"
	case "Running":
		return "COMPLETE"
	case "Failed", "Unknown":
		return "FAILED"
	}
	return "KeyError: 'phase'"
}

// TestMachineDeploymentRollout drives the MachineDeployment and MachineSet
// controllers through a worker upgrade (v1.26.11 -> v1.27.4, one replica)
// and records what the driver would read after every pass.
func TestMachineDeploymentRollout(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedTemplates(f)
	f.put(rMD, obj{"metadata": meta("md", map[string]any{labelDeploymentName: "default-worker"}),
		"spec": map[string]any{"clusterName": testCluster, "replicas": 1, "template": mdTemplate("v1.26.11")}})
	ready := readyAfterOnePass(f)
	passes(t, m, 8, runWorkers(ctx, m), func(int) { ready() })
	if v := viewMD(f); v.phase != "Running" || v.ready != 1 || v.updated != 1 || !slices.Equal(v.versions, []string{"v1.26.11"}) {
		t.Fatalf("before the upgrade: %v", v)
	}

	md := f.get(rMD, testNS, "md")
	md.set(mdTemplate("v1.27.4"), "spec", "template")
	f.put(rMD, md)
	var seen []mdView
	passes(t, m, 16, runWorkers(ctx, m), func(int) {
		ready()
		seen = append(seen, viewMD(f))
	})
	var log strings.Builder
	completeBeforeRolled, scaledDown := false, false
	for _, v := range seen {
		fmt.Fprintf(&log, "\n  %v -> nodegroup %s", v, driverNodegroup(v.phase))
		// The driver indexes status["phase"]: a status without one
		// would be a KeyError in every periodic poll.
		if v.phase == "" {
			t.Errorf("a status without a phase: %v", v)
		}
		// maxUnavailable 0: a ready Machine at every moment.
		if v.ready < 1 {
			t.Errorf("no ready worker during the rollout: %v", v)
		}
		if v.phase == "Running" && slices.Contains(v.versions, "v1.26.11") {
			completeBeforeRolled = true
		}
		scaledDown = scaledDown || v.phase == "ScalingDown"
	}
	// Cluster API v1.8 calculateStatus: Running iff spec.replicas ==
	// readyReplicas, and the old Machine is ready: the driver says
	// UPDATE_COMPLETE while the worker still runs the old version.
	if !completeBeforeRolled {
		t.Errorf("never Running while an old Machine remained; CAPI v1.8 is:%s", log.String())
	}
	if !scaledDown {
		t.Errorf("never ScalingDown when the old set went to 0:%s", log.String())
	}
	if v := seen[len(seen)-1]; v.phase != "Running" || v.updated != 1 || v.replicas != 1 || !slices.Equal(v.versions, []string{"v1.27.4"}) {
		t.Errorf("after the rollout: %v%s", v, log.String())
	}
	if sets := f.list(rMS, testNS, ""); len(sets) != 1 {
		t.Errorf("%d MachineSets left, want the new one only", len(sets))
	}
	t.Logf("rollout as the driver sees it:%s", log.String())
}

// TestMachineDeploymentScaleDown: a resize from 2 to 1 worker is
// ScalingDown (nodegroup UPDATE_IN_PROGRESS) until the Machine is gone,
// and the Machine marked with cluster.x-k8s.io/delete-machine (the
// driver's nodes_to_remove) is the one deleted.
func TestMachineDeploymentScaleDown(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedTemplates(f)
	f.put(rMD, obj{"metadata": meta("md", map[string]any{labelDeploymentName: "default-worker"}),
		"spec": map[string]any{"clusterName": testCluster, "replicas": 2, "template": mdTemplate("v1.26.11")}})
	ready := readyAfterOnePass(f)
	passes(t, m, 10, runWorkers(ctx, m), func(int) { ready() })
	machines := f.list(rMachine, testNS, "")
	if v := viewMD(f); v.phase != "Running" || len(machines) != 2 {
		t.Fatalf("before the resize: %v", v)
	}
	byCreation(machines)
	victim := machines[0] // the oldest: without the mark the newest goes
	victim.set(map[string]any{annDeleteMachine: ""}, "metadata", "annotations")
	f.put(rMachine, victim)
	md := f.get(rMD, testNS, "md")
	md.set(1, "spec", "replicas")
	f.put(rMD, md)
	var phases []string
	passes(t, m, 6, runWorkers(ctx, m), func(int) { phases = append(phases, viewMD(f).phase) })
	if phases[0] != "Running" && phases[0] != "ScalingDown" {
		t.Errorf("first phase after the resize = %q", phases[0])
	}
	if !slices.Contains(phases, "ScalingDown") || phases[len(phases)-1] != "Running" {
		t.Errorf("phases = %v, want ScalingDown then Running", phases)
	}
	if f.get(rMachine, testNS, victim.name()) != nil {
		t.Errorf("the Machine marked for deletion is still there")
	}
	if l := f.list(rMachine, testNS, ""); len(l) != 1 {
		t.Errorf("%d Machines, want 1", len(l))
	}
}

// seedControlPlane stores a Cluster whose infrastructure is ready, its CA
// and kubeconfig secrets, and a KubeadmControlPlane.
func seedControlPlane(f *fakeAPI, replicas int, version string) {
	seedTemplates(f)
	f.put(rCluster, obj{"metadata": meta(testCluster, nil, clusterFinalizer),
		"spec":   map[string]any{"controlPlaneEndpoint": map[string]any{"host": "127.0.0.1", "port": 6443}},
		"status": map[string]any{"infrastructureReady": true}})
	f.put(rSecret, obj{"metadata": meta(testCluster+"-ca", nil)})
	f.put(rSecret, obj{"metadata": meta(testCluster+"-kubeconfig", nil)})
	f.put(rKCP, obj{"metadata": meta("kcp", nil, kcpFinalizer), "spec": map[string]any{
		"replicas": replicas, "version": version,
		"kubeadmConfigSpec": map[string]any{"initConfiguration": map[string]any{}, "joinConfiguration": map[string]any{}},
		"machineTemplate":   map[string]any{"infrastructureRef": map[string]any{"apiVersion": rOSMT.apiVersion(), "kind": rOSMT.kind, "name": "osmt-cp"}},
	}})
}

func runKCP(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		var errs []error
		for _, kcp := range st.all(rKCP) {
			errs = append(errs, m.reconcileKCP(ctx, st, kcp))
		}
		return joinReal(errs...)
	}
}

// driverMaster is magnum-cluster-api 0.16's update_nodegroup_status for
// the master nodegroup: updatedReplicas against replicas, then ready.
func driverMaster(kcp obj) string {
	u, _ := kcp.num("status", "updatedReplicas")
	r, _ := kcp.num("status", "replicas")
	switch {
	case u != r:
		return "IN_PROGRESS"
	case kcp.boolean("status", "ready"):
		return "COMPLETE"
	}
	return "unchanged"
}

// TestKubeadmControlPlaneScaleUp: KCP v1.8 creates one Machine at a time
// and waits for it (its preflight checks refuse to scale while a Machine
// is not healthy); the first runs kubeadm init, the others join.
func TestKubeadmControlPlaneScaleUp(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedControlPlane(f, 3, "v1.26.11")
	ready := readyAfterOnePass(f)
	passes(t, m, 12, runKCP(ctx, m), func(int) {
		unready := 0
		for _, mc := range f.list(rMachine, testNS, "") {
			if !machineReady(mc) {
				unready++
			}
		}
		if unready > 1 {
			t.Errorf("%d control plane Machines booting at once", unready)
		}
		ready()
	})
	kcp := f.get(rKCP, testNS, "kcp")
	if r, _ := kcp.num("status", "readyReplicas"); r != 3 || !kcp.boolean("status", "ready") || !kcp.boolean("status", "initialized") || driverMaster(kcp) != "COMPLETE" {
		t.Fatalf("KCP status = %v", kcp["status"])
	}
	machines := f.list(rMachine, testNS, "")
	byCreation(machines)
	for i, mc := range machines {
		kc := f.get(rKC, testNS, mc.name())
		init, join := kc.get("spec", "initConfiguration") != nil, kc.get("spec", "joinConfiguration") != nil
		if (i == 0) != init || (i == 0) == join {
			t.Errorf("Machine %d: init=%v join=%v", i, init, join)
		}
		if _, ok := mc.m("metadata", "labels")[labelControlPlane]; !ok || mc.label(labelCPName) != "kcp" {
			t.Errorf("Machine %s labels = %v", mc.name(), mc.m("metadata", "labels"))
		}
	}
}

// TestKubeadmControlPlaneUpgrade: a version change rolls one Machine at a
// time, a new one first (maxSurge 1), then the oldest outdated goes;
// status.version is the lowest version of the Machines, and the driver
// sees the master nodegroup in progress until updatedReplicas == replicas.
func TestKubeadmControlPlaneUpgrade(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedControlPlane(f, 1, "v1.26.11")
	ready := readyAfterOnePass(f)
	passes(t, m, 6, runKCP(ctx, m), func(int) { ready() })
	if kcp := f.get(rKCP, testNS, "kcp"); kcp.str("status", "version") != "v1.26.11" || driverMaster(kcp) != "COMPLETE" {
		t.Fatalf("before the upgrade: %v", kcp["status"])
	}
	kcp := f.get(rKCP, testNS, "kcp")
	kcp.set("v1.27.4", "spec", "version")
	f.put(rKCP, kcp)
	var states []string
	passes(t, m, 10, runKCP(ctx, m), func(int) {
		ready()
		k := f.get(rKCP, testNS, "kcp")
		var versions []string
		for _, mc := range f.list(rMachine, testNS, "") {
			if !mc.deleting() {
				versions = append(versions, mc.str("spec", "version"))
			}
		}
		states = append(states, fmt.Sprintf("%s version=%s machines=%v", driverMaster(k), k.str("status", "version"), versions))
		if len(versions) > 2 {
			t.Errorf("more than one surge Machine: %v", versions)
		}
		if slices.Contains(versions, "v1.26.11") && driverMaster(k) == "COMPLETE" {
			t.Errorf("master nodegroup COMPLETE while a Machine runs v1.26.11: %s", states[len(states)-1])
		}
		if slices.Contains(versions, "v1.26.11") && k.str("status", "version") != "v1.26.11" {
			t.Errorf("status.version is not the lowest Machine version: %s", states[len(states)-1])
		}
		// KCP v1.8's Ready summarizes MachinesSpecUpToDate, so the
		// Cluster's ControlPlaneReady (which the driver requires) is False
		// while a Machine is outdated.
		if slices.Contains(versions, "v1.26.11") && isTrue(k, "Ready") {
			t.Errorf("KCP Ready while a Machine runs v1.26.11: %v", getCond(k, "MachinesSpecUpToDate"))
		}
		// One outdated Machine of the two is rolling.
		if len(versions) == 2 {
			if c := getCond(k, "MachinesSpecUpToDate"); c == nil || !strings.HasPrefix(fmt.Sprint(c["message"]), "Rolling 1 replicas with outdated spec") {
				t.Errorf("MachinesSpecUpToDate during the surge = %v", c)
			}
		}
	})
	if last := states[len(states)-1]; last != "COMPLETE version=v1.27.4 machines=[v1.27.4]" {
		t.Errorf("after the upgrade: %s\nall: %s", last, strings.Join(states, "\n"))
	}
	if !controlPlaneAt(f.get(rKCP, testNS, "kcp"), "v1.27.4") {
		t.Error("the topology would still hold the workers back")
	}
}

// TestClusterStatus checks the Cluster controller's phase and conditions
// (CAPI v1.8 cluster_phases.go and the SetSummary over ControlPlaneReady
// and InfrastructureReady): the driver completes a bay only when
// ControlPlaneReady, InfrastructureReady and Ready are all True.
func TestClusterStatus(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		infraRef, endpoint       bool
		oscReady, kcpReady, init bool
		phase                    string
		ready, cpReady, infra    string
	}{
		{name: "nothing yet", phase: "Pending", ready: "False", cpReady: "False", infra: "False"},
		{name: "infrastructure being made", infraRef: true, phase: "Provisioning", ready: "False", cpReady: "False", infra: "False"},
		{name: "infrastructure ready, no endpoint yet", infraRef: true, oscReady: true, phase: "Provisioning", ready: "False", cpReady: "False", infra: "True"},
		{name: "infrastructure ready", infraRef: true, endpoint: true, oscReady: true, phase: "Provisioned", ready: "False", cpReady: "False", infra: "True"},
		{name: "control plane initialized, not ready", infraRef: true, endpoint: true, oscReady: true, init: true, phase: "Provisioned", ready: "False", cpReady: "False", infra: "True"},
		{name: "all ready", infraRef: true, endpoint: true, oscReady: true, init: true, kcpReady: true, phase: "Provisioned", ready: "True", cpReady: "True", infra: "True"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, f := newTestManagement(t)
			c := obj{"metadata": meta(testCluster, nil, clusterFinalizer), "spec": map[string]any{}}
			if tc.infraRef {
				c.set(map[string]any{"apiVersion": rOSC.apiVersion(), "kind": rOSC.kind, "name": "osc"}, "spec", "infrastructureRef")
				c.set(map[string]any{"apiVersion": rKCP.apiVersion(), "kind": rKCP.kind, "name": "kcp"}, "spec", "controlPlaneRef")
			}
			if tc.endpoint {
				c.set(map[string]any{"host": "127.0.0.1", "port": 6443}, "spec", "controlPlaneEndpoint")
			}
			f.put(rCluster, c)
			if tc.infraRef {
				f.put(rOSC, obj{"metadata": meta("osc", nil), "status": map[string]any{"ready": tc.oscReady}})
				kcp := obj{"metadata": meta("kcp", nil), "status": map[string]any{"ready": tc.kcpReady, "initialized": tc.init}}
				if !tc.kcpReady {
					setConds(kcp, condFalse("Ready", "ScalingUp", "Warning", "Scaling up control plane to 1 replicas (actual 0)"))
				}
				f.put(rKCP, kcp)
			}
			passes(t, m, 2, func(st *state) error {
				return m.reconcileCluster(ctx, st, st.find(rCluster, testNS, testCluster))
			}, nil)
			got := f.get(rCluster, testNS, testCluster)
			status := func(typ string) string {
				if c := getCond(got, typ); c != nil {
					return c["status"].(string)
				}
				return "absent"
			}
			if got.str("status", "phase") != tc.phase || status("Ready") != tc.ready || status("ControlPlaneReady") != tc.cpReady || status("InfrastructureReady") != tc.infra {
				t.Errorf("phase %s Ready %s ControlPlaneReady %s InfrastructureReady %s; want %s %s %s %s",
					got.str("status", "phase"), status("Ready"), status("ControlPlaneReady"), status("InfrastructureReady"), tc.phase, tc.ready, tc.cpReady, tc.infra)
			}
			if (status("ControlPlaneInitialized") == "True") != tc.init {
				t.Errorf("ControlPlaneInitialized = %s, want %v", status("ControlPlaneInitialized"), tc.init)
			}
			if tc.infraRef && !tc.kcpReady && getCond(got, "ControlPlaneReady")["reason"] != "ScalingUp" {
				t.Errorf("ControlPlaneReady does not mirror the KCP's Ready: %v", getCond(got, "ControlPlaneReady"))
			}
			// The driver's status_reason is the last Event of the Cluster.
			want := fmt.Sprintf("Cluster %s: Cluster %s is %s", tc.phase, testCluster, tc.phase)
			if ev := f.events(); !slices.Contains(ev, want) {
				t.Errorf("events %v lack %q", ev, want)
			}
		})
	}
}

// seedBuiltCluster stores a running cluster: a Cluster, its
// OpenStackCluster, a KubeadmControlPlane with one Machine, a
// MachineDeployment and MachineSet with one Machine, each Machine with its
// OpenStackMachine and KubeadmConfig, and every finalizer the controllers
// put. extra adds finalizers (other controllers') by object.
func seedBuiltCluster(f *fakeAPI, extra map[string]string) {
	fin := func(name string, own ...string) []string {
		if e, ok := extra[name]; ok {
			own = append(own, e)
		}
		return own
	}
	c := f.put(rCluster, obj{"metadata": meta(testCluster, nil, fin(testCluster, clusterFinalizer)...), "spec": map[string]any{
		"controlPlaneEndpoint": map[string]any{"host": "127.0.0.1", "port": 6443},
		"infrastructureRef":    map[string]any{"apiVersion": rOSC.apiVersion(), "kind": rOSC.kind, "name": "osc"},
		"controlPlaneRef":      map[string]any{"apiVersion": rKCP.apiVersion(), "kind": rKCP.kind, "name": "kcp"},
	}, "status": map[string]any{"infrastructureReady": true, "phase": "Provisioned"}})
	f.put(rOSC, obj{"metadata": meta("osc", nil, fin("osc", oscFinalizer)...), "status": map[string]any{"ready": true}})
	kcp := f.put(rKCP, withOwner(obj{"metadata": meta("kcp", nil, fin("kcp", kcpFinalizer)...), "spec": map[string]any{"replicas": 1, "version": "v1.26.11"}}, c, rCluster))
	md := f.put(rMD, obj{"metadata": meta("md", nil, fin("md")...), "spec": map[string]any{"replicas": 1, "template": mdTemplate("v1.26.11")}})
	ms := f.put(rMS, withOwner(obj{"metadata": meta("ms", map[string]any{labelTemplateHash: templateHash(md.m("spec", "template"))}, fin("ms")...),
		"spec": map[string]any{"replicas": 1}}, md, rMD))
	for _, mcs := range []struct {
		name   string
		owner  obj
		r      resource
		labels map[string]any
	}{
		{"cp-1", kcp, rKCP, map[string]any{labelControlPlane: "", labelCPName: "kcp"}},
		{"w-1", ms, rMS, map[string]any{labelMSName: "ms"}},
	} {
		mc := f.put(rMachine, withOwner(obj{"metadata": meta(mcs.name, mcs.labels, fin(mcs.name, machineFinalizer)...), "spec": map[string]any{
			"version":           "v1.26.11",
			"bootstrap":         map[string]any{"configRef": map[string]any{"name": mcs.name}, "dataSecretName": mcs.name},
			"infrastructureRef": map[string]any{"name": mcs.name},
		}, "status": map[string]any{"nodeRef": map[string]any{"name": mcs.name}, "phase": "Running"}}, mcs.owner, mcs.r))
		f.put(rOSM, withOwner(obj{"metadata": meta(mcs.name, nil, fin("osm/"+mcs.name, osmFinalizer)...)}, mc, rMachine))
		f.put(rKC, withOwner(obj{"metadata": meta(mcs.name, nil)}, mc, rMachine))
	}
}

// runAll runs the controllers a deletion needs, in Management.pass's
// order; CAPO's controllers only for what is being deleted, since the rest
// would need Keystone.
func runAll(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		var errs []error
		for _, c := range st.all(rOSC) {
			if c.deleting() {
				errs = append(errs, m.reconcileOpenStackCluster(ctx, st, c))
			}
		}
		errs = append(errs, runKCP(ctx, m)(st), runWorkers(ctx, m)(st))
		for _, om := range st.all(rOSM) {
			if om.deleting() {
				errs = append(errs, m.reconcileOpenStackMachine(ctx, st, om))
			}
		}
		for _, mc := range st.all(rMachine) {
			if mc.deleting() {
				errs = append(errs, m.reconcileMachine(ctx, st, mc))
			}
		}
		for _, c := range st.all(rCluster) {
			errs = append(errs, m.reconcileCluster(ctx, st, c))
		}
		return joinReal(errs...)
	}
}

func indexOf(l []string, s string) int { return slices.Index(l, s) }

// joinReal keeps the errors Management.pass reports: a write that lost a
// race (409) or whose object went in the same pass (404) is retried on the
// next pass, as the real loop does.
func joinReal(errs ...error) error {
	var out []error
	for _, err := range errs {
		if err != nil && !isStatus(err, 409) && !isNotFound(err) {
			out = append(out, err)
		}
	}
	return errors.Join(out...)
}

// TestClusterDeletionOrder checks CAPI v1.8's Cluster reconcileDelete:
// workers (MachineDeployments, MachineSets, their Machines) first, the
// control plane only once no worker Machine is left, the infrastructure
// cluster after the control plane is gone, and the Cluster's finalizer
// last; each Machine goes only after its OpenStackMachine.
func TestClusterDeletionOrder(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedBuiltCluster(f, nil)
	if err := m.k.remove(ctx, rCluster, testNS, testCluster); err != nil {
		t.Fatal(err)
	}
	passes(t, m, 20, runAll(ctx, m), nil)
	h := f.history()
	if f.get(rCluster, testNS, testCluster) != nil {
		t.Fatalf("the Cluster is still there after 20 passes: %v", h)
	}
	for _, order := range [][2]string{
		{"GONE openstackmachines/w-1", "GONE machines/w-1"},
		{"GONE machines/w-1", "DELETE kubeadmcontrolplanes/kcp"},
		{"GONE openstackmachines/cp-1", "GONE machines/cp-1"},
		{"GONE machines/cp-1", "GONE kubeadmcontrolplanes/kcp"},
		{"GONE kubeadmcontrolplanes/kcp", "DELETE openstackclusters/osc"},
		{"GONE openstackclusters/osc", "GONE clusters/" + testCluster},
	} {
		a, b := indexOf(h, order[0]), indexOf(h, order[1])
		if a < 0 || b < 0 || a > b {
			t.Errorf("%q (at %d) should come before %q (at %d)", order[0], a, order[1], b)
		}
	}
	for _, gone := range []string{"GONE machinedeployments/md", "GONE machinesets/ms", "GONE kubeadmconfigs/w-1"} {
		if indexOf(h, gone) < 0 {
			t.Errorf("%s missing from %v", gone, h)
		}
	}
	ev := f.events()
	if !slices.Contains(ev, "Cluster Deleting: Cluster "+testCluster+" is Deleting") {
		t.Errorf("no Deleting event (the driver's DELETE_IN_PROGRESS status_reason): %v", ev)
	}
}

// TestClusterDeletionStuck checks the injected failures of the capi stage:
// a finalizer no controller removes holds the delete where Cluster API
// would hold it. On the Cluster (capi2: the bay stayed DELETE_IN_PROGRESS
// with "Deleting: Cluster kube-X is Deleting.") everything else goes and
// the Cluster stays in phase Deleting until the finalizer is removed; on a
// worker Machine the control plane and infrastructure are never deleted.
func TestClusterDeletionStuck(t *testing.T) {
	const hold = "example.com/hold"
	t.Run("on the Cluster", func(t *testing.T) {
		ctx := context.Background()
		m, f := newTestManagement(t)
		seedBuiltCluster(f, map[string]string{testCluster: hold})
		if err := m.k.remove(ctx, rCluster, testNS, testCluster); err != nil {
			t.Fatal(err)
		}
		passes(t, m, 20, runAll(ctx, m), nil)
		c := f.get(rCluster, testNS, testCluster)
		if c == nil {
			t.Fatal("the Cluster went despite a foreign finalizer")
		}
		if c.str("status", "phase") != "Deleting" || !slices.Equal(c.finalizers(), []string{hold}) {
			t.Errorf("phase %q finalizers %v, want Deleting [%s]", c.str("status", "phase"), c.finalizers(), hold)
		}
		if f.get(rOSC, testNS, "osc") != nil || f.get(rKCP, testNS, "kcp") != nil {
			t.Error("the control plane or infrastructure outlived the Cluster's own finalizer")
		}
		c.setFinalizers(nil)
		f.put(rCluster, c)
		if f.get(rCluster, testNS, testCluster) != nil {
			t.Error("the Cluster stayed after the foreign finalizer went")
		}
	})
	t.Run("on a worker Machine", func(t *testing.T) {
		ctx := context.Background()
		m, f := newTestManagement(t)
		seedBuiltCluster(f, map[string]string{"w-1": hold})
		if err := m.k.remove(ctx, rCluster, testNS, testCluster); err != nil {
			t.Fatal(err)
		}
		passes(t, m, 20, runAll(ctx, m), nil)
		h := f.history()
		if indexOf(h, "DELETE kubeadmcontrolplanes/kcp") >= 0 || indexOf(h, "DELETE openstackclusters/osc") >= 0 {
			t.Errorf("the control plane or infrastructure was deleted while a worker Machine remained: %v", h)
		}
		if c := f.get(rCluster, testNS, testCluster); c == nil || c.str("status", "phase") != "Deleting" {
			t.Errorf("Cluster = %v, want phase Deleting", c)
		}
		if mc := f.get(rMachine, testNS, "w-1"); mc == nil || !slices.Equal(mc.finalizers(), []string{hold}) {
			t.Errorf("worker Machine = %v, want only the foreign finalizer left", mc)
		}
	})
}

// TestWorkerThatNeverBoots is the capi stage's failure injection on a
// flavor no host has: Nova puts the server in ERROR, CAPO records
// failureReason UpdateError and a FailedCreateServer event, the Machine
// copies the failure and never becomes ready, and the MachineDeployment
// stays ScalingUp, so the driver keeps the bay CREATE_IN_PROGRESS (capi2:
// it did, for ever; a Failed phase would have made it CREATE_FAILED).
func TestWorkerThatNeverBoots(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedTemplates(f)
	f.put(rCluster, obj{"metadata": meta(testCluster, nil, clusterFinalizer), "spec": map[string]any{
		"infrastructureRef": map[string]any{"apiVersion": rOSC.apiVersion(), "kind": rOSC.kind, "name": "osc"},
	}, "status": map[string]any{"infrastructureReady": true}})
	f.put(rOSC, obj{"metadata": meta("osc", nil, oscFinalizer), "status": map[string]any{"ready": true}})
	tmpl := mdTemplate("v1.26.11")
	md := f.put(rMD, obj{"metadata": meta("md", map[string]any{labelDeploymentName: "default-worker"}),
		"spec": map[string]any{"clusterName": testCluster, "replicas": 1, "template": tmpl}})
	ms := f.put(rMS, withOwner(obj{"metadata": meta("ms", map[string]any{labelTemplateHash: templateHash(md.m("spec", "template"))}),
		"spec": map[string]any{"replicas": 1}}, md, rMD))
	mc := f.put(rMachine, withOwner(obj{"metadata": meta("w-1", nil, machineFinalizer), "spec": map[string]any{
		"version":           "v1.26.11",
		"bootstrap":         map[string]any{"configRef": map[string]any{"name": "w-1"}, "dataSecretName": "w-1"},
		"infrastructureRef": map[string]any{"name": "w-1"},
	}}, ms, rMS))
	f.put(rOSM, withOwner(obj{"metadata": meta("w-1", nil, osmFinalizer), "spec": map[string]any{"providerID": "openstack:///srv-1"}}, mc, rMachine))
	m.os.servers["srv-1"] = &server{ID: "srv-1", Name: "w-1", Fault: noValidHost, Created: time.Now().Add(-time.Hour)}
	passes(t, m, 6, func(st *state) error {
		var errs []error
		for _, om := range st.all(rOSM) {
			errs = append(errs, m.reconcileOpenStackMachine(ctx, st, om))
		}
		for _, mc := range st.all(rMachine) {
			errs = append(errs, m.reconcileMachine(ctx, st, mc))
		}
		errs = append(errs, runWorkers(ctx, m)(st))
		return joinReal(errs...)
	}, nil)
	om := f.get(rOSM, testNS, "w-1")
	if om.str("status", "failureReason") != "UpdateError" || om.boolean("status", "ready") || om.str("status", "instanceState") != "ERROR" {
		t.Errorf("OpenStackMachine status = %v", om["status"])
	}
	got := f.get(rMachine, testNS, "w-1")
	if got.str("status", "failureReason") != "UpdateError" || machineReady(got) || got.str("status", "phase") == "Running" {
		t.Errorf("Machine status = %v", got["status"])
	}
	if c := getCond(got, "InfrastructureReady"); c == nil || c["reason"] != "InstanceStateError" {
		t.Errorf("Machine InfrastructureReady = %v, want the OpenStackMachine's InstanceStateError", c)
	}
	if v := viewMD(f); v.phase != "ScalingUp" || driverNodegroup(v.phase) != "IN_PROGRESS" {
		t.Errorf("MachineDeployment %v, want ScalingUp (nodegroup IN_PROGRESS)", v)
	}
	if ev := f.events(); !slices.ContainsFunc(ev, func(e string) bool {
		return strings.HasPrefix(e, "OpenStackMachine FailedCreateServer: Failed to create server w-1")
	}) {
		t.Errorf("no FailedCreateServer event: %v", ev)
	}
	if n := len(f.list(rMachine, testNS, "")); n != 1 {
		t.Errorf("%d Machines, want 1 (v1.8 MachineSets do not replace failed Machines; no MachineHealthCheck remediation here)", n)
	}
}
