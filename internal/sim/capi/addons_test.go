package capi

import (
	"context"
	"net/http"
	"testing"
)

// TestMachineHealthCheckCounts: the MachineHealthCheck reports the
// Machines its selector picks and how many are healthy (it remediates
// nothing, as the driver's checks with maxUnhealthy never trigger here).
func TestMachineHealthCheckCounts(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	for _, n := range []string{"w-1", "w-2", "other"} {
		labels := map[string]any{labelDeploymentName: "default-worker"}
		if n == "other" {
			labels = map[string]any{labelDeploymentName: "another"}
		}
		f.put(rMachine, obj{"metadata": meta(n, labels), "spec": map[string]any{}})
	}
	markReady(f, "w-1")
	f.put(rMHC, obj{"metadata": meta("md", nil), "spec": map[string]any{"clusterName": testCluster,
		"selector": map[string]any{"matchLabels": map[string]any{labelClusterName: testCluster, labelDeploymentName: "default-worker"}}}})
	passes(t, m, 1, func(st *state) error { return m.reconcileMHC(ctx, st, st.find(rMHC, testNS, "md")) }, nil)
	h := f.get(rMHC, testNS, "md")
	exp, _ := h.num("status", "expectedMachines")
	healthy, _ := h.num("status", "currentHealthy")
	if exp != 2 || healthy != 1 || len(h.list("status", "targets")) != 2 {
		t.Errorf("MachineHealthCheck status = %v, want 2 expected, 1 healthy", h["status"])
	}

	// Nothing changed, so a later pass writes nothing, whatever the
	// clock: the condition keeps the time it became True.
	cond, _ := asMap(h.list("status", "conditions")[0])
	cond["lastTransitionTime"] = "2020-01-01T00:00:00Z"
	f.put(rMHC, h)
	before := f.writeCount(http.MethodPut, rMHC)
	passes(t, m, 2, func(st *state) error { return m.reconcileMHC(ctx, st, st.find(rMHC, testNS, "md")) }, nil)
	if n := f.writeCount(http.MethodPut, rMHC) - before; n != 0 {
		t.Errorf("%d status writes of an unchanged MachineHealthCheck; its conditions now %v", n, f.get(rMHC, testNS, "md").list("status", "conditions"))
	}
}

// TestClusterResourceSetBinding: the addons controller records in a
// ClusterResourceSetBinding the resources it applied to each Cluster its
// selector picks. Nothing is applied before the workload API answers
// (CAPI v1.8 needs a remote client; the stand-in's control plane is
// initialized then). v1.8 writes the binding itself earlier, empty; the
// stand-in writes it when it would be applied, which the driver does not
// read either way.
func TestClusterResourceSetBinding(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	f.put(rCluster, obj{"metadata": meta(testCluster, map[string]any{"cluster-uuid": "u-1"}), "spec": map[string]any{}})
	f.put(rCRS, obj{"metadata": meta("u-1", nil), "spec": map[string]any{
		"clusterSelector": map[string]any{"matchLabels": map[string]any{"cluster-uuid": "u-1"}},
		"resources":       []any{map[string]any{"kind": "Secret", "name": "u-1-calico"}},
	}})
	run := func(st *state) error { return m.reconcileCRS(ctx, st, st.find(rCRS, testNS, "u-1")) }
	passes(t, m, 2, run, nil)
	if b := f.get(rCRSB, testNS, testCluster); b != nil {
		t.Fatalf("resources applied before the control plane was initialized: %v", b)
	}
	c := f.get(rCluster, testNS, testCluster)
	setConds(c, condTrue("ControlPlaneInitialized"))
	f.put(rCluster, c)
	passes(t, m, 2, run, nil)
	b := f.get(rCRSB, testNS, testCluster)
	if b == nil {
		t.Fatal("no ClusterResourceSetBinding once the control plane was initialized")
	}
	binding, _ := asMap(b.list("spec", "bindings")[0])
	res, _ := asMap(obj(binding).list("resources")[0])
	if binding["clusterResourceSetName"] != "u-1" || res["name"] != "u-1-calico" || res["applied"] != true {
		t.Errorf("binding = %v", b["spec"])
	}
	if !isTrue(f.get(rCRS, testNS, "u-1"), "ResourcesApplied") {
		t.Error("ResourcesApplied not True")
	}
	// Once bound, later passes leave the API server alone: they used to
	// create the binding again, for a 409, twice a second per bay.
	posts := f.writeCount(http.MethodPost, rCRSB)
	passes(t, m, 3, run, nil)
	if n := f.writeCount(http.MethodPost, rCRSB) - posts; n != 0 {
		t.Errorf("%d more creates of a binding that exists", n)
	}
}
