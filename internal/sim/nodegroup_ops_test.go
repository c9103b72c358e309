package sim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Keys of the captured nodegroup POST answer (#325): the object before the
// conductor saved it, so no id, status, stack or timestamps.
var capturedNodegroupPost = strings.Fields(`uuid name cluster_id project_id labels links flavor_id image_id
	node_count role min_node_count max_node_count merge_labels labels_overridden labels_added labels_skipped`)

// readyCluster creates a cluster and lets its create finish.
func (e *clusterEnv) readyCluster(name string, kv ...any) string {
	e.t.Helper()
	id := e.create(name, kv...)
	e.clock.Advance(10 * time.Second)
	if st := e.cluster(id)["status"]; st != "CREATE_COMPLETE" {
		e.t.Fatalf("cluster %s: %v", name, st)
	}
	return id
}

func (e *clusterEnv) nodegroup(id, ng string) map[string]any {
	e.t.Helper()
	r := e.demo.do("GET", "/v1/clusters/"+id+"/nodegroups/"+ng, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET nodegroup %s: %d %s", ng, r.status, r.raw)
	}
	return r.body
}

func TestNodegroupCreateLifecycle(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.readyCluster("c1")
	base := "/v1/clusters/" + id + "/nodegroups"
	stacksBefore := e.s.Stacks()

	r := e.demo.do("POST", base, map[string]any{"name": "ng-a", "node_count": 1, "flavor_id": "m1.small",
		"min_node_count": 1, "max_node_count": 3, "labels": map[string]any{"ng_label": "1"}})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	wantKeys(t, "nodegroup POST", orderedKeys(t, r.raw), capturedNodegroupPost)
	if r.body["image_id"] != "fedora-coreos-35" || r.body["role"] != "worker" || r.body["max_node_count"] != float64(3) {
		t.Errorf("POST body: %s", r.raw)
	}

	// Right after the POST: the row exists, its stack is not saved yet.
	ng := e.nodegroup(id, "ng-a")
	if ng["status"] != "CREATE_IN_PROGRESS" || ng["stack_id"] != nil || ng["is_default"] != false {
		t.Errorf("right after POST: %v", ng)
	}
	if e.s.Stacks() != stacksBefore+1 {
		t.Errorf("stacks = %d, want one more than %d: each extra nodegroup has its own", e.s.Stacks(), stacksBefore)
	}
	e.clock.Advance(100 * time.Millisecond)
	if c := e.cluster(id); c["status"] != "UPDATE_IN_PROGRESS" {
		t.Errorf("cluster while the nodegroup is created: %v", c["status"])
	}
	cl := e.cluster(id)
	ng = e.nodegroup(id, "ng-a")
	if ng["stack_id"] == nil || ng["stack_id"] == cl["stack_id"] {
		t.Errorf("stack_id = %v, want a stack of its own (cluster %v)", ng["stack_id"], cl["stack_id"])
	}

	e.clock.Advance(5 * time.Second)
	ng = e.nodegroup(id, "ng-a")
	if ng["status"] != "CREATE_COMPLETE" || ng["status_reason"] != "Stack CREATE completed successfully" {
		t.Errorf("after the stack finished: %v %v", ng["status"], ng["status_reason"])
	}
	if c := e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["node_count"] != float64(2) {
		t.Errorf("cluster after nodegroup create: %v node_count=%v", c["status"], c["node_count"])
	}

	// Resize through the cluster action moves only this nodegroup's stack.
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 9, "nodegroup": "ng-a"}),
		400, "Resizing ng-a outside the allowed range: min_node_count = 1, max_node_count = 3")
	if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 2, "nodegroup": "ng-a"}); r.status != 202 {
		t.Fatalf("resize: %d %s", r.status, r.raw)
	}
	if ng := e.nodegroup(id, "ng-a"); ng["status"] != "UPDATE_IN_PROGRESS" || ng["node_count"] != float64(2) {
		t.Errorf("during resize: %v %v", ng["status"], ng["node_count"])
	}
	if w := e.nodegroup(id, "default-worker"); w["status"] != "CREATE_COMPLETE" && w["status"] != "UPDATE_COMPLETE" {
		t.Errorf("default worker during an extra nodegroup's resize: %v", w["status"])
	}
	e.clock.Advance(5 * time.Second)
	if ng := e.nodegroup(id, "ng-a"); ng["status"] != "UPDATE_COMPLETE" {
		t.Errorf("after resize: %v", ng["status"])
	}

	// Delete: 204, DELETE_IN_PROGRESS, then gone with its stack.
	if r := e.demo.do("DELETE", base+"/ng-a", nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	if ng := e.nodegroup(id, "ng-a"); ng["status"] != "DELETE_IN_PROGRESS" {
		t.Errorf("after DELETE: %v", ng["status"])
	}
	e.clock.Advance(5 * time.Second)
	wantMagnumError(t, e.demo.do("GET", base+"/ng-a", nil), 404, "Nodegroup ng-a could not be found.")
	if c := e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["node_count"] != float64(1) {
		t.Errorf("cluster after nodegroup delete: %v node_count=%v", c["status"], c["node_count"])
	}
	if e.s.Stacks() != stacksBefore {
		t.Errorf("stacks = %d after delete, want %d", e.s.Stacks(), stacksBefore)
	}
}

func TestNodegroupCreateErrors(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.readyCluster("c1")
	base := "/v1/clusters/" + id + "/nodegroups"
	if r := e.demo.do("POST", base, map[string]any{"name": "ng-dup"}); r.status != 202 {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		detail string
	}{
		{"duplicate", map[string]any{"name": "ng-dup"}, 409, "A node group with name ng-dup already exists in the cluster c1."},
		{"master", map[string]any{"name": "ngm", "role": "master"}, 400, "Creating master nodegroups is currently not supported."},
		{"min above max", map[string]any{"name": "ngx", "min_node_count": 3, "max_node_count": 2}, 409,
			"max_node_count for ngx is invalid (min_node_count (3) should be less or equal to max_node_count (2))."},
		{"count above max", map[string]any{"name": "ngx", "node_count": 5, "max_node_count": 2}, 409,
			"max_node_count for ngx is invalid (node_count (5) should be less or equal to max_node_count (2))."},
		{"min above count", map[string]any{"name": "ngx", "node_count": 1, "min_node_count": 2}, 409,
			"min_node_count for ngx is invalid (min_node_count (2) should be less or equal to node_count (1))."},
		{"unknown field", map[string]any{"name": "ngx", "foo": 1}, 400, "Unknown attribute for argument nodegroup: foo"},
		{"no name", map[string]any{"node_count": 1}, 500, "Field `name' cannot be None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantMagnumError(t, e.demo.do("POST", base, tt.body), tt.status, tt.detail)
		})
	}

	t.Run("cluster not ready", func(t *testing.T) {
		busy := e.create("c2")
		wantMagnumError(t, e.demo.do("POST", "/v1/clusters/"+busy+"/nodegroups", map[string]any{"name": "ng"}), 409,
			"The Cluster API address is not available yet. Please try again later.")
	})
	t.Run("below 1.9", func(t *testing.T) {
		old := *e.demo
		old.version = "1.8"
		if r := old.do("POST", base, map[string]any{"name": "ng-old"}); r.status != 406 {
			t.Errorf("POST at 1.8: %d %s", r.status, r.raw)
		}
	})
	t.Run("zero nodes below 1.10", func(t *testing.T) {
		old := *e.demo
		old.version = "1.9"
		wantMagnumError(t, old.do("POST", base, map[string]any{"name": "ng-zero", "node_count": 0}), 400,
			"Resizing a nodegroup to zero is not supported in the provided microversion.")
	})
	t.Run("default nodegroup delete", func(t *testing.T) {
		wantMagnumError(t, e.demo.do("DELETE", base+"/default-worker", nil), 400, "Deleting a default nodegroup is not supported.")
	})
}

func TestNodegroupPatch(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.readyCluster("c1")
	base := "/v1/clusters/" + id + "/nodegroups/"
	e.demo.do("POST", base[:len(base)-1], map[string]any{"name": "ng-p", "node_count": 1, "min_node_count": 1, "max_node_count": 3})
	e.clock.Advance(5 * time.Second)

	patch := func(ng string, ops ...map[string]any) response {
		list := make([]any, len(ops))
		for i, op := range ops {
			list[i] = op
		}
		return e.demo.do("PATCH", base+ng, list)
	}
	r := patch("ng-p", replaceOp("/max_node_count", 5), replaceOp("/min_node_count", 0))
	if r.status != 202 || r.body["min_node_count"] != float64(0) || r.body["max_node_count"] != float64(5) || r.body["status"] != "CREATE_COMPLETE" {
		t.Errorf("PATCH min/max: %d %s", r.status, r.raw)
	}
	wantMagnumError(t, patch("ng-p", replaceOp("/min_node_count", 9)), 409,
		"max_node_count for ng-p is invalid (min_node_count (9) should be less or equal to max_node_count (5)).")
	wantMagnumError(t, patch("ng-p", replaceOp("/node_count", 2)), 400, "'/node_count' is an internal attribute and can not be updated")
	wantMagnumError(t, patch("ng-p", replaceOp("/name", "x")), 400, "'/name' is an internal attribute and can not be updated")
	wantMagnumError(t, patch("ng-p", replaceOp("/node_labels", "{'a': 'b'}")), 400, "'/node_labels' is an internal attribute and can not be updated")
	if r := patch("default-worker", replaceOp("/max_node_count", 10)); r.status != 202 || r.body["max_node_count"] != float64(10) {
		t.Errorf("PATCH default-worker: %d %s", r.status, r.raw)
	}
	if r := patch("ng-p", map[string]any{"op": "remove", "path": "/max_node_count"}); r.status != 202 || r.body["max_node_count"] != nil {
		t.Errorf("remove max: %d %s", r.status, r.raw)
	}
}

func TestNodegroupDeleteStuck(t *testing.T) {
	e := newClusterEnv(t, Options{NodegroupDeleteStuck: true})
	id := e.readyCluster("c1")
	base := "/v1/clusters/" + id + "/nodegroups"
	e.demo.do("POST", base, map[string]any{"name": "ng-s"})
	e.clock.Advance(5 * time.Second)
	if r := e.demo.do("DELETE", base+"/ng-s", nil); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	// Zed's bug: the status is never saved and the row never goes.
	for range 3 {
		e.clock.Advance(30 * time.Second)
		if ng := e.nodegroup(id, "ng-s"); ng["status"] != "CREATE_COMPLETE" {
			t.Fatalf("stuck nodegroup status = %v", ng["status"])
		}
	}
}

func TestNodegroupUpgradeExtra(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.readyCluster("c1")
	e.demo.do("POST", "/v1/clusters/"+id+"/nodegroups", map[string]any{"name": "ng-u"})
	e.clock.Advance(5 * time.Second)
	newCT := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-new"), "labels", map[string]any{"kube_tag": "v1.24.3-rancher1"}))["uuid"].(string)

	up := func(ct, ng string) response {
		return e.demo.do("POST", "/v1/clusters/"+id+"/actions/upgrade", map[string]any{"cluster_template": ct, "nodegroup": ng, "max_batch_size": 1})
	}
	wantMagnumError(t, up(newCT, "ng-u"), 409,
		"Cluster Template is not valid for upgrade: Nodegroup ng-u can be upgraded only to match cluster's template ("+e.ct+").")
	if r := up(newCT, "default-worker"); r.status != 202 {
		t.Fatalf("cluster upgrade: %d %s", r.status, r.raw)
	}
	e.clock.Advance(5 * time.Second)
	if r := up(newCT, "ng-u"); r.status != 202 {
		t.Fatalf("nodegroup upgrade: %d %s", r.status, r.raw)
	}
	ng := e.nodegroup(id, "ng-u")
	labels, _ := ng["labels"].(map[string]any)
	if ng["status"] != "UPDATE_IN_PROGRESS" || labels["kube_tag"] != "v1.24.3-rancher1" {
		t.Errorf("nodegroup after upgrade: %v %v", ng["status"], labels)
	}
	e.clock.Advance(5 * time.Second)
	if ng := e.nodegroup(id, "ng-u"); ng["status"] != "UPDATE_COMPLETE" {
		t.Errorf("nodegroup upgrade did not finish: %v", ng["status"])
	}
}

func TestNodegroupMasterProfileTaints(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master"})
	id := e.readyCluster("c1")
	base := "/v1/clusters/" + id + "/nodegroups"
	taints := []any{map[string]any{"key": "gpu", "value": "true", "effect": "NoSchedule"}}
	r := e.demo.do("POST", base, map[string]any{"name": "gpu", "node_labels": map[string]any{"tier": "gpu"}, "node_taints": taints})
	if r.status != 202 {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	wantMagnumError(t, e.demo.do("POST", base, map[string]any{"name": "bad",
		"node_taints": []any{map[string]any{"key": "k", "effect": "Sometimes"}}}), 400,
		"Invalid input for field/attribute node_taints. Value: '[{'effect': 'Sometimes', 'key': 'k'}]'. Value should be one of: NoSchedule, PreferNoSchedule, NoExecute")
	e.clock.Advance(5 * time.Second)
	ng := e.nodegroup(id, "gpu")
	if ng["status"] != "CREATE_COMPLETE" || ng["node_labels"].(map[string]any)["tier"] != "gpu" || len(ng["node_taints"].([]any)) != 1 {
		t.Errorf("nodegroup: %v", ng)
	}
	list := []any{replaceOp("/node_labels", "{'tier': 'cpu'}"), replaceOp("/node_taints", "[]")}
	r = e.demo.do("PATCH", base+"/gpu", list)
	if r.status != 202 || r.body["node_labels"].(map[string]any)["tier"] != "cpu" || len(r.body["node_taints"].([]any)) != 0 {
		t.Errorf("PATCH node_labels: %d %s", r.status, r.raw)
	}
}

// An extra nodegroup whose stack update fails leaves the default
// nodegroups as they were and makes the cluster's status the aggregate
// Magnum's aggregate_nodegroup_statuses computes: UPDATE_FAILED with
// "<name> failed", and faults naming only the failed nodegroup
// (_collect_fault_info). A retry that succeeds brings the cluster back to
// UPDATE_COMPLETE.
func TestNodegroupUpdateFailureAggregates(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.readyCluster("agg")
	base := "/v1/clusters/" + id + "/nodegroups"
	if r := e.demo.do("POST", base, map[string]any{"name": "ng-a", "node_count": 1}); r.status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	e.clock.Advance(10 * time.Second)
	if ng := e.nodegroup(id, "ng-a"); ng["status"] != "CREATE_COMPLETE" {
		t.Fatalf("nodegroup after create: %v", ng["status"])
	}

	e.s.InjectFault("agg-ng-a", Fault{Action: "UPDATE", Reason: "Quota exceeded for instances"})
	resize := func() {
		t.Helper()
		if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 2, "nodegroup": "ng-a"}); r.status != http.StatusAccepted {
			t.Fatalf("resize: %d %s", r.status, r.raw)
		}
		e.clock.Advance(20 * time.Second)
	}
	resize()
	ng := e.nodegroup(id, "ng-a")
	if ng["status"] != "UPDATE_FAILED" || !strings.Contains(fmt.Sprint(ng["status_reason"]), "Quota exceeded for instances") {
		t.Fatalf("failed nodegroup: %v %v", ng["status"], ng["status_reason"])
	}
	for _, def := range []string{"default-master", "default-worker"} {
		if st := e.nodegroup(id, def)["status"]; st != "CREATE_COMPLETE" {
			t.Errorf("%s is %v, want its own CREATE_COMPLETE", def, st)
		}
	}
	c := e.cluster(id)
	faults, _ := c["faults"].(map[string]any)
	if c["status"] != "UPDATE_FAILED" || c["status_reason"] != "ng-a failed" || len(faults) != 1 || faults["ng-a"] != ng["status_reason"] {
		t.Errorf("cluster: %v %v faults %v", c["status"], c["status_reason"], c["faults"])
	}

	resize()
	if ng := e.nodegroup(id, "ng-a"); ng["status"] != "UPDATE_COMPLETE" {
		t.Errorf("nodegroup after the retry: %v", ng["status"])
	}
	if c := e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["status_reason"] != nil || c["faults"] != nil {
		t.Errorf("cluster after the retry: %v %v faults %v", c["status"], c["status_reason"], c["faults"])
	}
}
