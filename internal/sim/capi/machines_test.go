package capi

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

func runMachines(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		m.syncWorkloads(ctx, st)
		var errs []error
		for _, mc := range st.all(rMachine) {
			errs = append(errs, m.reconcileMachine(ctx, st, mc))
		}
		return joinReal(errs...)
	}
}

// TestMachineTakesOwnership: CAPI v1.8's reconcileExternal makes the
// Machine the controller of its KubeadmConfig and OpenStackMachine, and
// CAPO finds the Machine it boots through that reference (capi2 run1: the
// servers were never made while the stand-in did not).
func TestMachineTakesOwnership(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	ms := f.put(rMS, obj{"metadata": meta("ms", nil), "spec": map[string]any{"replicas": 1}})
	f.put(rMachine, withOwner(obj{"metadata": meta("w-1", nil, machineFinalizer), "spec": map[string]any{
		"bootstrap": map[string]any{"configRef": map[string]any{"name": "w-1"}}, "infrastructureRef": map[string]any{"name": "w-1"},
	}}, ms, rMS))
	f.put(rOSM, withOwner(obj{"metadata": meta("w-1", nil)}, ms, rMS))
	f.put(rKC, withOwner(obj{"metadata": meta("w-1", nil)}, ms, rMS))
	passes(t, m, 3, runMachines(ctx, m), nil)
	mc := f.get(rMachine, testNS, "w-1")
	for _, r := range []resource{rOSM, rKC} {
		o := f.get(r, testNS, "w-1")
		refs := o.list("metadata", "ownerReferences")
		if len(refs) != 2 {
			t.Fatalf("%s ownerReferences = %v", r.kind, refs)
		}
		first, second := obj(refs[0].(map[string]any)), obj(refs[1].(map[string]any))
		if first.str("kind") != "Machine" || first.str("uid") != mc.uid() || !first.boolean("controller") {
			t.Errorf("%s controller reference = %v, want the Machine", r.kind, first)
		}
		if second.str("kind") != "MachineSet" || second.boolean("controller") {
			t.Errorf("%s other reference = %v, want the MachineSet without controller", r.kind, second)
		}
		st, err := m.snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := ownerMachine(st, o); got == nil || got.name() != "w-1" {
			t.Errorf("ownerMachine(%s) = %v", r.kind, got)
		}
	}
}

// TestMachineJoinsAndLeaves: once its server is ACTIVE and the Node is
// Ready in the workload API, the Machine gets the nodeRef, the Node's
// nodeInfo (v1.8's schema requires it whole; capi2 run2's 422 without it)
// and phase Running; its delete drains the Node, deletes the
// OpenStackMachine and KubeadmConfig, then drops its finalizer.
func TestMachineJoinsAndLeaves(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	m.opts.Kube = kubeapi.Fake{}
	t.Cleanup(func() { m.stopWorkload(testNS, testCluster) })
	crt, key := clusterCA(t)
	f.put(rSecret, obj{"metadata": meta(testCluster+"-ca", nil), "data": map[string]any{"tls.crt": b64(crt), "tls.key": b64(key)}})
	w, err := m.startWorkload(ctx, testNS, testCluster)
	if err != nil {
		t.Fatal(err)
	}
	mc := f.put(rMachine, obj{"metadata": meta("w-1", nil, machineFinalizer), "spec": map[string]any{
		"version": "v1.26.11", "providerID": "openstack:///srv-1",
		"bootstrap":         map[string]any{"configRef": map[string]any{"name": "w-1"}, "dataSecretName": "w-1"},
		"infrastructureRef": map[string]any{"name": "w-1"},
	}})
	f.put(rOSM, withOwner(obj{"metadata": meta("w-1", nil), "spec": map[string]any{"providerID": "openstack:///srv-1"},
		"status": map[string]any{"ready": true, "addresses": []any{map[string]any{"type": "InternalIP", "address": "10.0.0.10"}}}}, mc, rMachine))
	f.put(rKC, withOwner(obj{"metadata": meta("w-1", nil), "status": map[string]any{"ready": true, "dataSecretName": "w-1"}}, mc, rMachine))
	m.os.servers["srv-1"] = &server{ID: "srv-1", Name: "w-1", IP: "10.0.0.10", Flavor: "m1.small", Created: time.Now().Add(-time.Hour)}

	// The hand-written workload API serves a Node as soon as it is set.
	passes(t, m, 6, runMachines(ctx, m), nil)
	got := f.get(rMachine, testNS, "w-1")
	if got.str("status", "phase") != "Running" || got.str("status", "nodeRef", "name") != "w-1" || !isTrue(got, "NodeHealthy") || !isTrue(got, "Ready") || !machineReady(got) {
		t.Errorf("Machine status = %v", got["status"])
	}
	node, err := w.k.get(ctx, resource{"", "v1", "nodes", "Node", true}, "", "w-1")
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(got.get("status", "nodeInfo"), node.get("status", "nodeInfo")) || got.str("status", "nodeInfo", "kubeletVersion") != "v1.26.11" {
		t.Errorf("Machine nodeInfo = %v, Node's = %v", got.get("status", "nodeInfo"), node.get("status", "nodeInfo"))
	}
	if got.str("status", "addresses") != "" || len(got.list("status", "addresses")) != 1 {
		t.Errorf("addresses = %v, want the OpenStackMachine's", got.get("status", "addresses"))
	}

	if err := m.k.remove(ctx, rMachine, testNS, "w-1"); err != nil {
		t.Fatal(err)
	}
	passes(t, m, 5, runMachines(ctx, m), nil)
	if f.get(rMachine, testNS, "w-1") != nil {
		t.Fatal("the Machine stayed after its delete")
	}
	h := f.history()
	if a, b := indexOf(h, "GONE openstackmachines/w-1"), indexOf(h, "GONE machines/w-1"); a < 0 || a > b {
		t.Errorf("the Machine went before its OpenStackMachine: %v", h)
	}
	if indexOf(h, "GONE kubeadmconfigs/w-1") < 0 {
		t.Errorf("the KubeadmConfig was left: %v", h)
	}
	w.mu.Lock()
	_, still := w.nodes["w-1"]
	w.mu.Unlock()
	if still {
		t.Error("the Node stayed in the workload cluster")
	}
	if ev := f.events(); !slices.Contains(ev, `Machine SuccessfulDrainNode: success draining Machine's node "w-1"`) || !slices.Contains(ev, "Machine SuccessfulSetNodeRef: w-1") {
		t.Errorf("events = %v", ev)
	}
}
