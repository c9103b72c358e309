package capi

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func tref(r resource, name string) map[string]any {
	return map[string]any{"apiVersion": r.apiVersion(), "kind": r.kind, "name": name}
}

// seedClass stores a ClusterClass in the shape of the driver's
// magnum-v0.16.0 (its templates, a worker class default-worker, one patch
// from a variable) and a Cluster with a topology at version.
func seedClass(f *fakeAPI, version string) {
	f.put(rOSCT, obj{"metadata": meta("osct", nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"managedSecurityGroups": true}}}})
	f.put(rKCPT, obj{"metadata": meta("kcpt", nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"kubeadmConfigSpec": map[string]any{"initConfiguration": map[string]any{}, "joinConfiguration": map[string]any{}}}}}})
	f.put(rKCT, obj{"metadata": meta("kct", nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"joinConfiguration": map[string]any{}}}}})
	f.put(rOSMT, obj{"metadata": meta("osmt", nil), "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"flavor": "x"}}}})
	f.put(rClusterClass, obj{"metadata": meta("magnum-v0.16.0", nil), "spec": map[string]any{
		"infrastructure": map[string]any{"ref": tref(rOSCT, "osct")},
		"controlPlane":   map[string]any{"ref": tref(rKCPT, "kcpt"), "machineInfrastructure": map[string]any{"ref": tref(rOSMT, "osmt")}},
		"workers": map[string]any{"machineDeployments": []any{map[string]any{"class": "default-worker", "template": map[string]any{
			"bootstrap": map[string]any{"ref": tref(rKCT, "kct")}, "infrastructure": map[string]any{"ref": tref(rOSMT, "osmt")},
		}}}},
		"variables": []any{map[string]any{"name": "flavor", "required": true, "schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "string"}}}},
		"patches": []any{map[string]any{"name": "flavor", "definitions": []any{map[string]any{
			"selector": map[string]any{"apiVersion": rOSMT.apiVersion(), "kind": rOSMT.kind,
				"matchResources": map[string]any{"machineDeploymentClass": map[string]any{"names": []any{"default-worker"}}}},
			"jsonPatches": []any{map[string]any{"op": "replace", "path": "/spec/template/spec/flavor", "valueFrom": map[string]any{"variable": "flavor"}}},
		}}}},
	}})
	f.put(rCluster, obj{"metadata": meta(testCluster, nil, clusterFinalizer), "spec": map[string]any{"topology": map[string]any{
		"class": "magnum-v0.16.0", "version": version,
		"controlPlane": map[string]any{"replicas": 1},
		"variables":    []any{map[string]any{"name": "flavor", "value": "m1.medium"}},
		"workers": map[string]any{"machineDeployments": []any{map[string]any{
			"class": "default-worker", "name": "default-worker", "replicas": 1, "failureDomain": "",
		}}},
	}}})
}

func runTopology(ctx context.Context, m *Management) func(*state) error {
	return func(st *state) error {
		var errs []error
		for _, c := range st.all(rCluster) {
			errs = append(errs, m.reconcileTopology(ctx, st, c))
		}
		return joinReal(errs...)
	}
}

// setKCPStatus plays the KCP controller's status for the topology.
func setKCPStatus(f *fakeAPI, version string, replicas, updated int64) {
	kcp := f.list(rKCP, testNS, "")[0]
	kcp.set(map[string]any{"version": version, "replicas": replicas, "updatedReplicas": updated, "readyReplicas": replicas, "ready": true}, "status")
	f.put(rKCP, kcp)
}

// TestTopologyUpgrade checks the topology controller through a version
// change (CAPI v1.8 desired_state.go): the control plane gets the new
// version at once, a MachineDeployment only once the control plane has
// rolled, with TopologyReconciled False (ControlPlaneUpgradePending) in
// between, and the TopologyUpdate Event capi3 saw as the driver's
// status_reason.
func TestTopologyUpgrade(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedClass(f, "v1.26.11")
	passes(t, m, 3, runTopology(ctx, m), nil)
	c := f.get(rCluster, testNS, testCluster)
	kcps, mds, oscs := f.list(rKCP, testNS, ""), f.list(rMD, testNS, ""), f.list(rOSC, testNS, "")
	if len(kcps) != 1 || len(mds) != 1 || len(oscs) != 1 {
		t.Fatalf("generated %d KCP, %d MachineDeployments, %d OpenStackClusters", len(kcps), len(mds), len(oscs))
	}
	if c.str("spec", "controlPlaneRef", "name") != kcps[0].name() || c.str("spec", "infrastructureRef", "name") != oscs[0].name() {
		t.Errorf("Cluster refs = %v, %v", c.get("spec", "controlPlaneRef"), c.get("spec", "infrastructureRef"))
	}
	md := mds[0]
	if md.str("spec", "template", "spec", "version") != "v1.26.11" || kcps[0].str("spec", "version") != "v1.26.11" {
		t.Fatalf("versions: KCP %s MD %s", kcps[0].str("spec", "version"), md.str("spec", "template", "spec", "version"))
	}
	// Cluster API omits empty maps: the driver 0.16.0's KeyError
	// 'annotations' on resize (capi2) comes from this.
	if md.get("spec", "template", "metadata", "annotations") != nil {
		t.Errorf("spec.template.metadata.annotations = %v, want absent", md.get("spec", "template", "metadata", "annotations"))
	}
	// failureDomain "" is not copied (v1.14's schema refused it; v1.8 keeps it off the Machines).
	if _, ok := md.m("spec", "template", "spec")["failureDomain"]; ok {
		t.Error("an empty failureDomain reached the MachineDeployment")
	}
	osm := f.get(rOSMT, testNS, md.str("spec", "template", "spec", "infrastructureRef", "name"))
	if osm.str("spec", "template", "spec", "flavor") != "m1.medium" {
		t.Errorf("worker template flavor = %q, want the patched m1.medium", osm.str("spec", "template", "spec", "flavor"))
	}
	setKCPStatus(f, "v1.26.11", 1, 1)

	c.set("v1.27.4", "spec", "topology", "version")
	f.put(rCluster, c)
	passes(t, m, 2, runTopology(ctx, m), nil)
	if v := f.list(rKCP, testNS, "")[0].str("spec", "version"); v != "v1.27.4" {
		t.Errorf("KCP spec.version = %s, want v1.27.4 at once", v)
	}
	if v := f.list(rMD, testNS, "")[0].str("spec", "template", "spec", "version"); v != "v1.26.11" {
		t.Errorf("MachineDeployment version = %s while the control plane has not rolled", v)
	}
	if cd := getCond(f.get(rCluster, testNS, testCluster), "TopologyReconciled"); cd == nil || cd["reason"] != "TopologyReconciledControlPlaneUpgradePending" {
		t.Errorf("TopologyReconciled = %v", cd)
	}
	// Rolled, but one Machine still outdated: still held.
	setKCPStatus(f, "v1.27.4", 2, 1)
	passes(t, m, 1, runTopology(ctx, m), nil)
	if v := f.list(rMD, testNS, "")[0].str("spec", "template", "spec", "version"); v != "v1.26.11" {
		t.Errorf("MachineDeployment version = %s while a control plane Machine is outdated", v)
	}
	setKCPStatus(f, "v1.27.4", 1, 1)
	passes(t, m, 2, runTopology(ctx, m), nil)
	md = f.list(rMD, testNS, "")[0]
	if v := md.str("spec", "template", "spec", "version"); v != "v1.27.4" {
		t.Errorf("MachineDeployment version = %s after the control plane rolled", v)
	}
	if !isTrue(f.get(rCluster, testNS, testCluster), "TopologyReconciled") {
		t.Error("TopologyReconciled not True after the upgrade")
	}
	want := `Cluster TopologyUpdate: Updated MachineDeployment "` + kobj(md) + `" with version change from v1.26.11 to v1.27.4`
	if ev := f.events(); !slices.Contains(ev, want) {
		t.Errorf("events lack %q:\n%s", want, strings.Join(ev, "\n"))
	}
}

// TestTopologyWorkersRemoved: a MachineDeployment the topology no longer
// lists is deleted (the driver's nodegroup delete).
func TestTopologyWorkersRemoved(t *testing.T) {
	ctx := context.Background()
	m, f := newTestManagement(t)
	seedClass(f, "v1.26.11")
	passes(t, m, 2, runTopology(ctx, m), nil)
	md := f.list(rMD, testNS, "")[0]
	c := f.get(rCluster, testNS, testCluster)
	c.set([]any{}, "spec", "topology", "workers", "machineDeployments")
	f.put(rCluster, c)
	passes(t, m, 1, runTopology(ctx, m), nil)
	if l := f.list(rMD, testNS, ""); len(l) != 0 {
		t.Errorf("%d MachineDeployments left", len(l))
	}
	if ev := f.events(); !slices.Contains(ev, `Cluster TopologyDelete: Deleted MachineDeployment "`+kobj(md)+`"`) {
		t.Errorf("no TopologyDelete event: %v", ev)
	}
}
