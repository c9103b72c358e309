package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// completed creates a cluster and moves the clock past its creation.
func (e *clusterEnv) completed(name string, kv ...any) string {
	e.t.Helper()
	id := e.create(name, kv...)
	e.clock.Advance(3 * time.Second)
	if st := e.cluster(id)["status"]; st != "CREATE_COMPLETE" {
		e.t.Fatalf("status after create = %v", st)
	}
	return id
}

// stackParam reads a parameter of the cluster's Heat stack.
func (e *clusterEnv) stackParam(id, key string) string {
	e.t.Helper()
	e.s.services().magnum.st.mu.Lock()
	stackID := e.s.services().magnum.st.clusters[id].heatStackID
	e.s.services().magnum.st.mu.Unlock()
	st, err := e.s.services().heat.Stack(stackID)
	if err != nil {
		e.t.Fatalf("stack of %s: %v", id, err)
	}
	return st.Parameters[key]
}

func TestClusterUpdateSequence(t *testing.T) {
	tests := []struct {
		name  string
		start func(e *clusterEnv, id string) response
		count float64
	}{
		{"PATCH node_count", func(e *clusterEnv, id string) response {
			return e.patch(id, replaceOp("/node_count", 3))
		}, 3},
		{"resize", func(e *clusterEnv, id string) response {
			return e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 3, "nodes_to_remove": []string{"x"}})
		}, 3},
		{"PATCH node_count to 0 at 1.10", func(e *clusterEnv, id string) response {
			return e.patch(id, replaceOp("/node_count", 0))
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newClusterEnv(t, Options{})
			id := e.completed("c1")
			before := e.cluster(id)["updated_at"]
			e.clock.Advance(time.Second) // updated_at has second resolution
			if r := tt.start(e, id); r.status != http.StatusAccepted || r.body["uuid"] != id {
				t.Fatalf("start: %d %s", r.status, r.raw)
			}
			// The API writes node_count itself; the status follows once the
			// conductor handled the cast (FINDINGS #152, #160).
			c := e.cluster(id)
			if c["node_count"] != tt.count || c["status"] != "CREATE_COMPLETE" {
				t.Errorf("right after: node_count %v status %v", c["node_count"], c["status"])
			}
			e.clock.Advance(time.Millisecond)
			if c = e.cluster(id); c["status"] != "UPDATE_IN_PROGRESS" || c["updated_at"] == before {
				t.Errorf("after the cast: status %v updated_at %v", c["status"], c["updated_at"])
			}
			e.clock.Advance(2 * time.Second)
			c = e.cluster(id)
			if c["status"] != "UPDATE_COMPLETE" || c["node_count"] != tt.count || len(c["node_addresses"].([]any)) != int(tt.count) {
				t.Errorf("after the update: status %v node_count %v addresses %v", c["status"], c["node_count"], c["node_addresses"])
			}
			if got := e.stackParam(id, "number_of_minions"); got != strings.TrimSuffix(jsonString(tt.count), ".0") {
				t.Errorf("stack number_of_minions = %s", got)
			}
		})
	}
}

func TestClusterBackToBackPatches(t *testing.T) {
	// Both casts pass the status gate; the last count stays (FINDINGS #166-#171).
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	e.patch(id, replaceOp("/node_count", 3))
	e.patch(id, replaceOp("/node_count", 4))
	e.clock.Advance(3 * time.Second)
	if c := e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["node_count"] != float64(4) {
		t.Errorf("status %v node_count %v", c["status"], c["node_count"])
	}
}

func TestClusterPatchErrors(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	tests := []struct {
		name    string
		version string
		ops     []map[string]any
		status  int
		detail  string
	}{
		{"name", "1.10", []map[string]any{replaceOp("/name", "renamed")}, 400, "cannot change cluster property(ies) name."},
		{"labels", "1.10", []map[string]any{replaceOp("/labels", "{'a': 'b'}")}, 400, "cannot change cluster property(ies) labels."},
		{"master_count", "1.10", []map[string]any{replaceOp("/master_count", 3)}, 400, "cannot change cluster property(ies) master_count."},
		{"internal", "1.10", []map[string]any{replaceOp("/api_address", "x")}, 400, "'/api_address' is an internal attribute and can not be updated"},
		{"uuid", "1.10", []map[string]any{replaceOp("/uuid", "x")}, 400, "'/uuid' is an internal attribute and can not be updated"},
		{"zero at 1.9", "1.9", []map[string]any{replaceOp("/node_count", 0)}, 400, "Resizing a nodegroup to zero is not supported in the provided microversion."},
		{"negative", "1.10", []map[string]any{replaceOp("/node_count", -1)}, 400, "Invalid input for field/attribute node_count. Value: '-1'. Value should be greater or equal to 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.demo.version = tt.version
			wantMagnumError(t, e.patch(id, tt.ops...), tt.status, tt.detail)
		})
	}
	e.demo.version = "latest"
	// Health fields change without an operation (FINDINGS #172).
	if r := e.patch(id, replaceOp("/health_status", "HEALTHY"), replaceOp("/health_status_reason", "{'api': 'ok'}")); r.status != 202 {
		t.Fatalf("health PATCH: %d %s", r.status, r.raw)
	}
	e.clock.Advance(time.Second)
	if c := e.cluster(id); c["health_status"] != "HEALTHY" || jsonString(c["health_status_reason"]) != `{"api":"ok"}` || c["status"] != "CREATE_COMPLETE" {
		t.Errorf("health: %v %v status %v", c["health_status"], c["health_status_reason"], c["status"])
	}
}

func TestClusterResizeErrors(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	path := "/v1/clusters/" + id + "/actions/resize"
	e.demo.version = "1.6"
	if r := e.demo.do("POST", path, map[string]any{"node_count": 2}); r.status != 406 || !strings.Contains(string(r.raw), `"title":""`) {
		t.Errorf("resize at 1.6: %d %s", r.status, r.raw)
	}
	e.demo.version = "latest"
	for _, tt := range []struct {
		body   map[string]any
		status int
		detail string
	}{
		{map[string]any{"node_count": 1, "nodegroup": "default-master"}, 400, "Resizing a master nodegroup is not supported."},
		{map[string]any{"node_count": 1, "nodegroup": "nosuchng"}, 404, "Nodegroup nosuchng could not be found."},
		{map[string]any{}, 400, "Invalid input for field/attribute node_count. Value: 'None'. Mandatory field missing."},
	} {
		wantMagnumError(t, e.demo.do("POST", path, tt.body), tt.status, tt.detail)
	}
	// Bounds come from the nodegroup, not from the max_node_count label
	// (FINDINGS #182, #349).
	if r := e.demo.do("POST", path, map[string]any{"node_count": 99}); r.status != 202 {
		t.Errorf("resize beyond the label: %d %s", r.status, r.raw)
	}
	e.s.services().magnum.st.mu.Lock()
	e.s.services().magnum.st.clusters[id].defaultNG("worker").maxNodeCount = int64(5)
	e.s.services().magnum.st.mu.Unlock()
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"node_count": 6}), 400,
		"Resizing default-worker outside the allowed range: min_node_count = 0, max_node_count = 5")
}

func TestClusterUpgrade(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	newer := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-new"), "labels", map[string]any{"kube_tag": "v1.24.3-rancher1"}))["uuid"].(string)
	bare := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-bare"), "labels", map[string]any{"a": "b"}))["uuid"].(string)
	path := "/v1/clusters/" + id + "/actions/upgrade"

	e.demo.version = "1.7"
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": newer}), 400, "Cluster upgrade is not supported in the provided microversion.")
	e.demo.version = "latest"
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": "no-such-ct"}), 404, "ClusterTemplate no-such-ct could not be found.")
	// Without max_batch_size Magnum 15 cannot serialise its conductor
	// call, whichever the template; with it, even the current template is
	// accepted.
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": newer}), 500, "Circular reference detected")
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": e.ct}), 500, "Circular reference detected")
	if c := e.cluster(id); c["status"] != "CREATE_COMPLETE" {
		t.Fatalf("status after a refused upgrade = %v", c["status"])
	}

	if r := e.demo.do("POST", path, map[string]any{"cluster_template": newer, "max_batch_size": 1}); r.status != 202 {
		t.Fatalf("upgrade: %d %s", r.status, r.raw)
	}
	// A synchronous call: the template and the kube_tag label switch at
	// once, coe_version once the stack is updated (FINDINGS #196-#198).
	c := e.cluster(id)
	if c["status"] != "UPDATE_IN_PROGRESS" || c["cluster_template_id"] != newer ||
		c["labels"].(map[string]any)["kube_tag"] != "v1.24.3-rancher1" || c["coe_version"] != "v1.23.3-rancher1" {
		t.Errorf("right after upgrade: %v %v %v %v", c["status"], c["cluster_template_id"], c["labels"], c["coe_version"])
	}
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": e.ct, "max_batch_size": 1}), 400,
		`Upgrading a cluster when status is "UPDATE_IN_PROGRESS" is not supported.`)
	e.clock.Advance(2 * time.Second)
	if c = e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["coe_version"] != "v1.24.3-rancher1" {
		t.Errorf("after upgrade: %v %v", c["status"], c["coe_version"])
	}
	if v := e.kubeVersion(id); v != "v1.24.3-rancher1" {
		t.Errorf("kube endpoint /version = %q", v)
	}

	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": bare, "max_batch_size": 1}), 409,
		"Cluster Template is not valid for upgrade: Cluster template ct-bare does not contain any supported upgrade labels: [kube_tag, ostree_remote, ostree_commit]")
	if c = e.cluster(id); c["status"] != "UPDATE_FAILED" || c["cluster_template_id"] != newer {
		t.Errorf("after an invalid upgrade: %v %v", c["status"], c["cluster_template_id"])
	}
}

func TestClusterDeleteSequence(t *testing.T) {
	for _, transient := range []bool{false, true} {
		name := "plain"
		if transient {
			name = "with the transient 400"
		}
		t.Run(name, func(t *testing.T) {
			e := newClusterEnv(t, Options{TransientDeleteError: transient})
			id := e.completed("c1")
			api := e.cluster(id)["api_address"].(string)
			// Credentials this cluster's endpoint, and only it, accepts:
			// after the delete nothing may answer them, whoever has been
			// given the port since.
			creds := e.kubeCreds(e.demo, id)
			if v := e.kubeVersion(id); v == "" {
				t.Fatalf("kube endpoint %s does not answer before the delete", api)
			}
			if e.s.Stacks() != 1 {
				t.Fatalf("Stacks() = %d", e.s.Stacks())
			}
			if r := e.demo.do("DELETE", "/v1/clusters/"+id, nil); r.status != 204 || len(r.raw) != 0 {
				t.Fatalf("DELETE: %d %s", r.status, r.raw)
			}
			// Old status until the conductor picks the cast up (FINDINGS #435).
			if c := e.cluster(id); c["status"] != "CREATE_COMPLETE" {
				t.Errorf("right after DELETE: %v", c["status"])
			}
			if r := e.demo.do("DELETE", "/v1/clusters/"+id, nil); r.status != 204 {
				t.Errorf("second DELETE: %d", r.status)
			}
			if r := e.patch(id, replaceOp("/node_count", 2)); r.status != 202 {
				t.Errorf("PATCH while deleting: %d", r.status)
			}
			e.clock.Advance(time.Millisecond)
			// While Heat deletes, every read answers: the 400 comes only
			// at the end (FINDINGS 4z; measured in SIMULATOR.md).
			if c := e.cluster(id); c["status"] != "DELETE_IN_PROGRESS" || c["node_count"] != float64(1) {
				t.Errorf("deleting: %v node_count %v", c["status"], c["node_count"])
			}
			if status, _, err := kubeGet(t, api+"/version", creds); err == nil {
				t.Errorf("kube endpoint %s still answers during delete (%d)", api, status)
			}
			if transient {
				e.tearDownSequence(id)
			} else {
				e.clock.Advance(time.Second)
			}
			wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
			wantMagnumError(t, e.demo.do("DELETE", "/v1/clusters/"+id, nil), 404, "Cluster "+id+" could not be found.")
			if e.s.ClusterExists(id) || e.s.Stacks() != 0 {
				t.Errorf("ClusterExists %v Stacks %d after delete", e.s.ClusterExists(id), e.s.Stacks())
			}
		})
	}
}

// tearDownSequence follows a delete, its 1 s stack delete started 1 ms
// ago, through the last moments Magnum 15 shows: DELETE_COMPLETE, the
// master nodegroup row destroyed, then the worker's, then the cluster row.
// Every read of the cluster alone or in a list answers 400 while its
// master_count computes to 0; bays check node_count first.
func (e *clusterEnv) tearDownSequence(id string) {
	t := e.t
	t.Helper()
	const masterZero = "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"
	const nodesZero = "Invalid input for field/attribute node_count. Value: '0'. Value should be greater or equal to 1"
	ngNames := func() []string {
		r := e.demo.do("GET", "/v1/clusters/"+id+"/nodegroups", nil)
		if r.status != http.StatusOK {
			t.Fatalf("nodegroups: %d %s", r.status, r.raw)
		}
		var names []string
		for _, ng := range r.body["nodegroups"].([]any) {
			names = append(names, ng.(map[string]any)["name"].(string))
		}
		return names
	}
	e.clock.Advance(time.Second - 2*time.Millisecond)
	if c := e.cluster(id); c["status"] != "DELETE_IN_PROGRESS" {
		t.Errorf("just before the stack is gone: %v", c["status"])
	}
	e.clock.Advance(time.Millisecond)
	if c := e.cluster(id); c["status"] != "DELETE_COMPLETE" || c["master_count"] != float64(1) || c["node_count"] != float64(1) {
		t.Errorf("the poll that finds the stack gone: %v master_count %v node_count %v", c["status"], c["master_count"], c["node_count"])
	}
	if got := ngNames(); len(got) != 2 {
		t.Errorf("nodegroups once DELETE_COMPLETE is saved: %v", got)
	}
	e.clock.Advance(teardownSaved)
	for _, path := range []string{"/v1/clusters/" + id, "/v1/clusters", "/v1/clusters/detail", "/v1/bays/" + id, "/v1/bays"} {
		wantMagnumError(t, e.demo.do("GET", path, nil), 400, masterZero)
	}
	if got := ngNames(); len(got) != 1 || got[0] != "default-worker" {
		t.Errorf("nodegroups once the master's is destroyed: %v", got)
	}
	e.clock.Advance(teardownMasterGone)
	wantMagnumError(t, e.get(id), 400, masterZero)
	wantMagnumError(t, e.demo.do("GET", "/v1/clusters", nil), 400, masterZero)
	wantMagnumError(t, e.demo.do("GET", "/v1/bays/"+id, nil), 400, nodesZero)
	if got := ngNames(); len(got) != 0 {
		t.Errorf("nodegroups once both are destroyed: %v", got)
	}
	// default_ng_worker indexes an empty list.
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 2}), 500, "list index out of range")
	e.clock.Advance(teardownAllGone - time.Millisecond)
	wantMagnumError(t, e.get(id), 400, masterZero)
	e.clock.Advance(time.Millisecond)
	if r := e.demo.do("GET", "/v1/clusters", nil); r.status != http.StatusOK {
		t.Errorf("list once the row is gone: %d %s", r.status, r.raw)
	}
}

func TestClusterFailures(t *testing.T) {
	e := newClusterEnv(t, Options{})
	demoProject := e.s.Credentials("demo").ProjectID

	t.Run("create fails", func(t *testing.T) {
		e.s.InjectFault("cfail", Fault{})
		id := e.create("cfail-1")
		e.clock.Advance(3 * time.Second)
		r := e.get(id)
		c := r.body
		wantKeys(t, "failed GET", orderedKeys(t, r.raw), capturedFailedCluster)
		if c["status"] != "CREATE_FAILED" || c["status_reason"] != "default-master failed, default-worker failed" ||
			c["api_address"] != nil || c["coe_version"] != "v1.23.3-rancher1" || c["container_version"] != "1.12.6" {
			t.Errorf("failed cluster: %s", r.raw)
		}
		faults := c["faults"].(map[string]any)
		if len(faults) != 2 || faults["default-master"] != capturedHeatReason || faults["default-worker"] != capturedHeatReason {
			t.Errorf("faults = %v", faults)
		}
		for _, item := range e.demo.do("GET", "/v1/clusters/detail", nil).body["clusters"].([]any) {
			if _, ok := item.(map[string]any)["faults"]; ok {
				t.Error("faults in a list item")
			}
		}
		// The provider explains failures from Heat's FAILED resources.
		res := call(t, "GET", e.s.URL()+"/orchestration/v1/"+demoProject+"/stacks/"+c["stack_id"].(string)+
			"/resources?status=FAILED&nested_depth=2", e.demo.token, nil)
		if !strings.Contains(string(res.raw), `"resource_name":"kube-master"`) || !strings.Contains(string(res.raw), "No valid host was found") {
			t.Errorf("Heat FAILED resources: %d %s", res.status, res.raw)
		}
		// Refused silently by the status gate (FINDINGS #405-#407).
		before := string(e.get(id).raw)
		if r := e.patch(id, replaceOp("/node_count", 2)); r.status != 202 {
			t.Errorf("PATCH: %d", r.status)
		}
		if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 2}); r.status != 202 {
			t.Errorf("resize: %d", r.status)
		}
		e.clock.Advance(5 * time.Second)
		if after := string(e.get(id).raw); after != before {
			t.Errorf("failed cluster changed after refused updates:\n%s\n%s", before, after)
		}
		// Delete shows the old status with empty faults first (FINDINGS #426).
		e.demo.do("DELETE", "/v1/clusters/"+id, nil)
		if c := e.cluster(id); c["status"] != "CREATE_FAILED" || jsonString(c["faults"]) != "{}" {
			t.Errorf("deleting a failed cluster: %v faults %v", c["status"], c["faults"])
		}
		e.clock.Advance(2 * time.Second)
		wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
	})

	t.Run("create times out", func(t *testing.T) {
		e.s.InjectFault("slow", Fault{Timeout: true})
		id := e.create("slow-1", "create_timeout", 1)
		e.clock.Advance(59 * time.Second)
		if c := e.cluster(id); c["status"] != "CREATE_IN_PROGRESS" {
			t.Fatalf("before the timeout: %v", c["status"])
		}
		e.clock.Advance(time.Second)
		c := e.cluster(id)
		if c["status"] != "CREATE_FAILED" || c["faults"].(map[string]any)["default-master"] != "Create timed out" {
			t.Errorf("after the timeout: %v %v", c["status"], c["faults"])
		}
	})

	t.Run("update fails", func(t *testing.T) {
		id := e.completed("ufail-1")
		e.s.InjectFault("ufail", Fault{Action: "UPDATE", Reason: "Quota exceeded for instances"})
		e.patch(id, replaceOp("/node_count", 2))
		e.clock.Advance(3 * time.Second)
		c := e.cluster(id)
		reason, _ := c["faults"].(map[string]any)["default-worker"].(string)
		if c["status"] != "UPDATE_FAILED" || !strings.HasPrefix(reason, "Resource UPDATE failed: ") || !strings.Contains(reason, "Quota exceeded for instances") {
			t.Errorf("update failure: %v %v", c["status"], c["faults"])
		}
		// Resize is allowed from UPDATE_FAILED and recovers the cluster.
		e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 1})
		e.clock.Advance(3 * time.Second)
		if c = e.cluster(id); c["status"] != "UPDATE_COMPLETE" {
			t.Errorf("resize after failure: %v", c["status"])
		}
	})

	t.Run("delete fails then is retried", func(t *testing.T) {
		id := e.completed("dfail-1")
		e.s.InjectFault("dfail", Fault{Action: "DELETE", Reason: "Port still in use"})
		e.demo.do("DELETE", "/v1/clusters/"+id, nil)
		e.clock.Advance(2 * time.Second)
		c := e.cluster(id)
		if reason, _ := c["faults"].(map[string]any)["default-master"].(string); c["status"] != "DELETE_FAILED" || !strings.Contains(reason, "Port still in use") {
			t.Fatalf("failed delete: %v %v", c["status"], c["faults"])
		}
		if r := e.demo.do("DELETE", "/v1/clusters/"+id, nil); r.status != 204 {
			t.Fatalf("retry: %d", r.status)
		}
		e.clock.Advance(2 * time.Second)
		if e.s.ClusterExists(id) {
			t.Error("cluster still exists after the retried delete")
		}
	})
}

func TestOutOfBandChanges(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("c1")
	before := e.cluster(id)["updated_at"]
	e.clock.Advance(time.Minute)
	if err := e.s.SetNodeCount(id, 5); err != nil {
		t.Fatal(err)
	}
	if c := e.cluster(id); c["node_count"] != float64(5) || c["status"] != "UPDATE_COMPLETE" || c["updated_at"] == before {
		t.Errorf("after SetNodeCount: %v %v %v", c["node_count"], c["status"], c["updated_at"])
	}
	resized := e.cluster(id)
	e.clock.Advance(time.Minute)
	if err := e.s.SaveHealth(id); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(id)
	if c["health_status"] != "HEALTHY" || jsonString(c["health_status_reason"]) != `{"api":"ok"}` || c["updated_at"] == resized["updated_at"] {
		t.Errorf("after SaveHealth: %v %v %v", c["health_status"], c["health_status_reason"], c["updated_at"])
	}
	for _, k := range []string{"status", "status_reason", "node_count", "api_address", "cluster_template_id"} {
		if c[k] != resized[k] {
			t.Errorf("SaveHealth changed %s from %v to %v", k, resized[k], c[k])
		}
	}
	if err := e.s.DeleteClusterOutOfBand(id); err != nil {
		t.Fatal(err)
	}
	wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
	if err := e.s.SetNodeCount(id, 1); err == nil {
		t.Error("SetNodeCount on a deleted cluster succeeded")
	}
	e.clock.Advance(time.Millisecond)
	if e.s.Stacks() != 0 {
		t.Errorf("Stacks() = %d after the out-of-band delete", e.s.Stacks())
	}
}

// What real Magnum 20.0.0 answers where Zed differs, for a bay on its one
// stock driver (Heat, fedora-coreos): upgrades refused before anything
// changes, an even master_count refused by the driver before the load
// balancer check, its own master-resize text, and certificates without
// bay_uuid.
func TestProfile2025ClusterAnswers(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "2025.1"})
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "even", "cluster_template_id": e.ct, "master_count": 2}), 400,
		"master nodegroup size of 2 is invalid, size cannot be an even number.")
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "three", "cluster_template_id": e.ct, "master_count": 3}), 400,
		"master_count must be 1 when master_lb_enabled is False")
	// A fixed network or subnet Neutron does not have is refused by the
	// API, before a row exists (Zed's conductor fails the create instead).
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "nonet", "cluster_template_id": e.ct,
		"fixed_network": "5c1f8a3e-0009-4000-8000-000000000000"}), 400, "Unable to find fixed network 5c1f8a3e-0009-4000-8000-000000000000.")
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "nosub", "cluster_template_id": e.ct,
		"fixed_subnet": "no-such-subnet"}), 400, "Unable to find fixed subnet no-such-subnet.")
	if n := len(e.s.Clusters()); n != 0 {
		t.Errorf("the refused creates left %d clusters", n)
	}
	// The template by name: found for the type check, then not by the
	// master-size check, which reads it by UUID.
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "byname", "cluster_template_id": "ct-main"}), 404,
		"ClusterTemplate ct-main could not be found.")
	e.demo.version = "1.9"
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "byname", "cluster_template_id": "ct-main"}), 400,
		"ClusterTemplate ct-main could not be found.")
	e.demo.version = "latest"
	id := e.completed("c1")
	e.clock.Advance(250 * time.Millisecond)
	ct := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-new"), "labels", map[string]any{"kube_tag": "v1.24.3-rancher1"}))
	if ts, _ := ct["created_at"].(string); !strings.Contains(ts, ".250000+00:00") {
		t.Errorf("created_at = %q, want microseconds, as PostgreSQL keeps them", ts)
	}
	newer := ct["uuid"].(string)
	path := "/v1/clusters/" + id + "/actions/upgrade"
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": newer}), 500, "Cannot convert Unset to primitive")
	wantMagnumError(t, e.demo.do("POST", path, map[string]any{"cluster_template": newer, "max_batch_size": 1}), 400,
		"Upgrading a cluster that uses the Magnum Heat driver is not supported.")
	if c := e.cluster(id); c["status"] != "CREATE_COMPLETE" || c["cluster_template_id"] != e.ct {
		t.Errorf("after the refused upgrade: %v on %v, want CREATE_COMPLETE on the old template", c["status"], c["cluster_template_id"])
	}
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 3, "nodegroup": "default-master"}), 400,
		"Resizing the master nodegroup is not supported by this driver.")
	r := e.demo.do("GET", "/v1/certificates/"+id, nil)
	if _, has := r.body["bay_uuid"]; r.status != 200 || has {
		t.Errorf("GET certificate: %d %s, want no bay_uuid", r.status, r.raw)
	}
	wantMagnumError(t, e.demo.do("POST", "/v1/certificates", map[string]any{"bay_uuid": id, "csr": "x"}), 400,
		"Unknown attribute for argument certificate: bay_uuid")
}

// A cluster resized to no workers cannot be shown as a bay, whose
// node_count must be at least 1: real Magnum 15 answers 400 to the bay and
// to the project's whole bay list, while the cluster API shows it.
func TestZeroWorkerClusterAsBay(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.completed("empty")
	if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 0}); r.status != http.StatusAccepted {
		t.Fatalf("resize to 0: %d %s", r.status, r.raw)
	}
	e.clock.Advance(3 * time.Second)
	if c := e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["node_count"] != float64(0) {
		t.Fatalf("after the resize: %v node_count %v", c["status"], c["node_count"])
	}
	const nodesZero = "Invalid input for field/attribute node_count. Value: '0'. Value should be greater or equal to 1"
	wantMagnumError(t, e.demo.do("GET", "/v1/bays/"+id, nil), 400, nodesZero)
	wantMagnumError(t, e.demo.do("GET", "/v1/bays", nil), 400, nodesZero)
	if r := e.demo.do("GET", "/v1/clusters", nil); r.status != http.StatusOK {
		t.Errorf("cluster list: %d %s", r.status, r.raw)
	}
}
