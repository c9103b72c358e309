package capi

import (
	"strings"
	"testing"
	"time"
)

// msFixture is a MachineSet as the MachineDeployment controller reads it.
func msFixture(hash string, spec, replicas, ready int64) obj {
	return obj{
		"metadata": map[string]any{"labels": map[string]any{labelTemplateHash: hash}},
		"spec":     map[string]any{"replicas": float64(spec)},
		"status":   map[string]any{"replicas": float64(replicas), "readyReplicas": float64(ready), "availableReplicas": float64(ready)},
	}
}

// TestMDStatus checks Cluster API v1.8's calculateStatus
// (machinedeployment_sync.go), whose phase magnum-cluster-api 0.16 turns
// into the worker nodegroup's status (driver.py update_nodegroup_status:
// ScalingUp/ScalingDown -> *_IN_PROGRESS, Running -> *_COMPLETE).
func TestMDStatus(t *testing.T) {
	md := obj{"metadata": map[string]any{"name": "md", "generation": float64(3)}, "spec": map[string]any{"clusterName": "kube-abcde"}}
	for _, tc := range []struct {
		name                                string
		replicas                            int64
		sets                                []obj
		phase                               string // "" = no phase field at all
		updated, ready, actual, unavailable int64
	}{
		{name: "no MachineSet yet", replicas: 1, phase: "ScalingUp", unavailable: 0},
		{name: "Machine booting", replicas: 1, sets: []obj{msFixture("new", 1, 1, 0)}, phase: "ScalingUp", updated: 1, actual: 1, unavailable: 1},
		// capi2: a bay whose workers could not boot stayed CREATE_IN_PROGRESS
		// with the real driver once this rule was followed; computing the
		// phase from replicas made it CREATE_COMPLETE.
		{name: "worker that never boots", replicas: 2, sets: []obj{msFixture("new", 2, 2, 1)}, phase: "ScalingUp", updated: 2, ready: 1, actual: 2, unavailable: 1},
		{name: "all ready", replicas: 2, sets: []obj{msFixture("new", 2, 2, 2)}, phase: "Running", updated: 2, ready: 2, actual: 2},
		// A rolling update with maxSurge 1: the old Machine is still ready,
		// so the phase is Running while no Machine runs the new template.
		// This is why the driver reports UPDATE_COMPLETE for a worker
		// nodegroup before its Machines rolled.
		{name: "rollout, new Machine booting", replicas: 1, sets: []obj{msFixture("old", 1, 1, 1), msFixture("new", 1, 1, 0)}, phase: "Running", updated: 1, ready: 1, actual: 2, unavailable: 1},
		{name: "rollout, old set scaled down", replicas: 1, sets: []obj{msFixture("old", 0, 1, 1), msFixture("new", 1, 1, 1)}, phase: "ScalingDown", updated: 1, ready: 2, actual: 2},
		{name: "rollout done", replicas: 1, sets: []obj{msFixture("old", 0, 0, 0), msFixture("new", 1, 1, 1)}, phase: "Running", updated: 1, ready: 1, actual: 1},
		{name: "scale down 2 -> 1", replicas: 1, sets: []obj{msFixture("new", 1, 2, 2)}, phase: "ScalingDown", updated: 2, ready: 2, actual: 2},
		// More ready than wanted while the sets still ask for them: v1.8
		// sets no phase (the field is absent).
		{name: "surge ready, old not yet scaled", replicas: 1, sets: []obj{msFixture("old", 1, 1, 1), msFixture("new", 1, 1, 1)}, phase: "", updated: 1, ready: 2, actual: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := obj(mdStatus(md, tc.sets, "new", tc.replicas))
			phase, has := s["phase"]
			if tc.phase == "" && has {
				t.Errorf("phase = %v, want none", phase)
			}
			if tc.phase != "" && phase != tc.phase {
				t.Errorf("phase = %v, want %s", phase, tc.phase)
			}
			for field, want := range map[string]int64{"updatedReplicas": tc.updated, "readyReplicas": tc.ready, "replicas": tc.actual, "unavailableReplicas": tc.unavailable} {
				if got, _ := s.num(field); got != want {
					t.Errorf("%s = %d, want %d", field, got, want)
				}
			}
			if g, _ := s.num("observedGeneration"); g != 3 {
				t.Errorf("observedGeneration = %d, want 3", g)
			}
		})
	}
}

// TestWorkerVersion checks the topology's hold on worker upgrades (CAPI
// v1.8 desired_state.go computeMachineDeploymentVersion): an existing
// MachineDeployment keeps its version until the control plane has rolled.
func TestWorkerVersion(t *testing.T) {
	md := obj{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"version": "v1.26.11"}}}}
	kcp := func(version string, replicas, updated int64) obj {
		return obj{"status": map[string]any{"version": version, "replicas": float64(replicas), "updatedReplicas": float64(updated)}}
	}
	for _, tc := range []struct {
		name string
		cur  obj
		kcp  obj
		want string
	}{
		{"new MachineDeployment takes the topology version", nil, kcp("v1.26.11", 1, 0), "v1.27.4"},
		{"control plane still on the old version", md, kcp("v1.26.11", 2, 1), "v1.26.11"},
		{"control plane at version but a Machine left to roll", md, kcp("v1.27.4", 2, 1), "v1.26.11"},
		{"control plane rolled", md, kcp("v1.27.4", 1, 1), "v1.27.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := workerVersion(tc.cur, "v1.27.4", controlPlaneAt(tc.kcp, "v1.27.4")); got != tc.want {
				t.Errorf("workerVersion = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSemverLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"v1.26.11", "v1.27.4", true},
		{"v1.27.4", "v1.26.11", false},
		{"v1.9.0", "v1.10.0", true}, // numeric, not lexical
		{"v1.27.4", "v1.27.4", false},
		{"v1.27.4-rc.1", "v1.27.5", true},
	} {
		if got := semverLess(tc.a, tc.b); got != tc.want {
			t.Errorf("semverLess(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestSetConds checks the v1beta1 conditions layout Cluster API writes:
// Ready first then by type, lastTransitionTime kept while the status
// holds, conditions not mentioned left alone.
func TestSetConds(t *testing.T) {
	o := obj{"status": map[string]any{"conditions": []any{
		map[string]any{"type": "Other", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
		map[string]any{"type": "InfrastructureReady", "status": "False", "lastTransitionTime": "2020-01-01T00:00:00Z"},
		map[string]any{"type": "ControlPlaneReady", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
	}}}
	setConds(o, condTrue("InfrastructureReady"), condTrue("ControlPlaneReady"), condFalse("Ready", "Waiting", "Info", "msg"))
	var types []string
	for _, c := range o.list("status", "conditions") {
		types = append(types, obj(c.(map[string]any)).str("type"))
	}
	if got := strings.Join(types, ","); got != "Ready,ControlPlaneReady,InfrastructureReady,Other" {
		t.Errorf("order = %s", got)
	}
	if c := getCond(o, "ControlPlaneReady"); c["lastTransitionTime"] != "2020-01-01T00:00:00Z" {
		t.Errorf("unchanged status moved lastTransitionTime to %v", c["lastTransitionTime"])
	}
	if c := getCond(o, "InfrastructureReady"); c["lastTransitionTime"] == "2020-01-01T00:00:00Z" {
		t.Error("a False -> True transition kept the old lastTransitionTime")
	}
	if c := getCond(o, "Ready"); c["severity"] != "Info" || c["reason"] != "Waiting" || c["message"] != "msg" {
		t.Errorf("Ready = %v", c)
	}
	if !isTrue(o, "Other") {
		t.Error("a condition not set was dropped")
	}
}

// TestSummary checks v1beta1 conditions.SetSummary as the Cluster
// controller calls it (ControlPlaneReady, InfrastructureReady): True only
// when all are, else the most severe False one.
func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		name         string
		conds        []cond
		status, from string
	}{
		{"all true", []cond{condTrue("ControlPlaneReady"), condTrue("InfrastructureReady")}, "True", ""},
		{"one false", []cond{condTrue("ControlPlaneReady"), condFalse("InfrastructureReady", "WaitingForInfrastructure", "Info", "")}, "False", "WaitingForInfrastructure"},
		{"worst severity wins", []cond{condFalse("ControlPlaneReady", "A", "Info", ""), condFalse("InfrastructureReady", "B", "Error", "")}, "False", "B"},
		{"same severity: first listed", []cond{condFalse("InfrastructureReady", "B", "Warning", ""), condFalse("ControlPlaneReady", "A", "Warning", "")}, "False", "A"},
		{"unlisted types do not count", []cond{condTrue("ControlPlaneReady"), condTrue("InfrastructureReady"), condFalse("TopologyReconciled", "X", "Error", "")}, "True", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(tc.conds, "ControlPlaneReady", "InfrastructureReady")
			if got.typ != "Ready" || got.status != tc.status || got.reason != tc.from {
				t.Errorf("summary = %+v, want %s from %q", got, tc.status, tc.from)
			}
		})
	}
}

func TestMirror(t *testing.T) {
	src := obj{"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "severity": "Warning", "reason": "ScalingUp", "message": "m"}}}}
	if got := mirror(src, "ControlPlaneReady", condTrue("")); got != (cond{typ: "ControlPlaneReady", status: "False", severity: "Warning", reason: "ScalingUp", message: "m"}) {
		t.Errorf("mirror of a False Ready = %+v", got)
	}
	fb := condFalse("", "WaitingForControlPlane", "Info", "")
	if got := mirror(nil, "ControlPlaneReady", fb); got.typ != "ControlPlaneReady" || got.reason != "WaitingForControlPlane" {
		t.Errorf("mirror without a source = %+v", got)
	}
	if got := mirror(obj{}, "ControlPlaneReady", fb); got.reason != "WaitingForControlPlane" {
		t.Errorf("mirror of a source without Ready = %+v", got)
	}
}

// TestServerState: a server Nova could not place is ERROR at once (the
// failure the capi stage injects with a flavor no host has), else BUILD
// until it has booted.
func TestServerState(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		s    server
		want string
	}{
		{server{Fault: noValidHost, Created: now.Add(-time.Hour)}, "ERROR"},
		{server{Created: now}, "BUILD"},
		{server{Created: now.Add(-time.Hour)}, "ACTIVE"},
	} {
		if got := tc.s.state(time.Minute); got != tc.want {
			t.Errorf("state(%+v) = %s, want %s", tc.s, got, tc.want)
		}
	}
}

// TestApplyPatches checks the ClusterClass inline patch engine the
// driver's magnum-v0.16.0 class relies on.
func TestApplyPatches(t *testing.T) {
	tmpl := func() obj {
		return obj{"apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha7", "kind": "OpenStackMachineTemplate",
			"metadata": map[string]any{"name": "t"},
			"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"flavor": "x", "tags": []any{"a"}}}}}
	}
	sel := map[string]any{"apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha7", "kind": "OpenStackMachineTemplate",
		"matchResources": map[string]any{"machineDeploymentClass": map[string]any{"names": []any{"default-worker"}}}}
	class := func(enabledIf string, ops ...any) obj {
		p := map[string]any{"name": "p", "definitions": []any{map[string]any{"selector": sel, "jsonPatches": ops}}}
		if enabledIf != "" {
			p["enabledIf"] = enabledIf
		}
		return obj{"spec": map[string]any{"patches": []any{p}}}
	}
	vars := map[string]any{"flavor": "m1.large", "builtin": map[string]any{"cluster": map[string]any{"name": "kube-abcde"}}, "on": false}
	for _, tc := range []struct {
		name    string
		class   obj
		t       target
		check   func(obj) string
		wantErr string
	}{
		{name: "variable", class: class("", map[string]any{"op": "replace", "path": "/spec/template/spec/flavor", "valueFrom": map[string]any{"variable": "flavor"}}),
			t: target{mdClass: "default-worker"}, check: func(o obj) string { return o.str("spec", "template", "spec", "flavor") + "=m1.large" }},
		{name: "builtin through a template", class: class("", map[string]any{"op": "add", "path": "/spec/template/spec/name", "valueFrom": map[string]any{"template": "{{ .builtin.cluster.name }}-w"}}),
			t: target{mdClass: "default-worker"}, check: func(o obj) string { return o.str("spec", "template", "spec", "name") + "=kube-abcde-w" }},
		{name: "append to an array", class: class("", map[string]any{"op": "add", "path": "/spec/template/spec/tags/-", "value": "b"}),
			t: target{mdClass: "default-worker"}, check: func(o obj) string {
				return strings.Join([]string{o.list("spec", "template", "spec", "tags")[0].(string), o.list("spec", "template", "spec", "tags")[1].(string)}, ",") + "=a,b"
			}},
		{name: "disabled by enabledIf", class: class("{{ .on }}", map[string]any{"op": "replace", "path": "/spec/template/spec/flavor", "value": "y"}),
			t: target{mdClass: "default-worker"}, check: func(o obj) string { return o.str("spec", "template", "spec", "flavor") + "=x" }},
		{name: "selector for another class", class: class("", map[string]any{"op": "replace", "path": "/spec/template/spec/flavor", "value": "y"}),
			t: target{controlPlane: true}, check: func(o obj) string { return o.str("spec", "template", "spec", "flavor") + "=x" }},
		{name: "add under a missing parent", class: class("", map[string]any{"op": "add", "path": "/spec/template/spec/missing/key", "value": "y"}),
			t: target{mdClass: "default-worker"}, wantErr: "doc is missing path"},
		{name: "replace of a missing key", class: class("", map[string]any{"op": "replace", "path": "/spec/template/spec/missing", "value": "y"}),
			t: target{mdClass: "default-worker"}, wantErr: "doc is missing key"},
		{name: "unknown variable", class: class("", map[string]any{"op": "replace", "path": "/spec/template/spec/flavor", "valueFrom": map[string]any{"variable": "nope"}}),
			t: target{mdClass: "default-worker"}, wantErr: `variable "nope" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tmpl()
			err := applyPatches(tc.class, o, tc.t, vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, want, _ := strings.Cut(tc.check(o), "=")
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestMergeSpec: the topology controller writes its fields over an
// object's spec without removing what others set (CAPO's
// controlPlaneEndpoint on the OpenStackCluster), and says when it changed.
func TestMergeSpec(t *testing.T) {
	cur := obj{"spec": map[string]any{"controlPlaneEndpoint": map[string]any{"host": "h", "port": float64(6443)}, "nodeCidr": "10.0.0.0/24"}}
	if mergeSpec(cur, obj{"spec": map[string]any{"nodeCidr": "10.0.0.0/24"}}) {
		t.Error("an unchanged spec was reported changed")
	}
	if !mergeSpec(cur, obj{"spec": map[string]any{"nodeCidr": "10.1.0.0/24"}, "metadata": map[string]any{"labels": map[string]any{"a": "b"}}}) {
		t.Error("a change was not reported")
	}
	if cur.str("spec", "controlPlaneEndpoint", "host") != "h" || cur.str("spec", "nodeCidr") != "10.1.0.0/24" || cur.label("a") != "b" {
		t.Errorf("merged = %v", cur)
	}
}
