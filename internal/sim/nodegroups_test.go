package sim

import (
	"strings"
	"testing"
	"time"
)

// Field sets of the captured nodegroup list (#319) and GET one (#322).
var (
	capturedNodegroupList = strings.Fields(`uuid name flavor_id image_id node_count role min_node_count
		max_node_count is_default stack_id status merge_labels`)
	capturedNodegroupDetail = strings.Fields(`id uuid name cluster_id project_id docker_volume_size labels links
		flavor_id image_id node_addresses node_count role min_node_count max_node_count is_default stack_id status
		status_reason version merge_labels labels_overridden labels_added labels_skipped created_at updated_at`)
)

func TestNodegroups(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.create("c1", "node_count", 2)
	base := "/v1/clusters/" + id + "/nodegroups"

	e.demo.version = "1.8"
	if r := e.demo.do("GET", base, nil); r.status != 406 || !strings.Contains(string(r.raw), `"detail":""`) {
		t.Errorf("nodegroups at 1.8: %d %s", r.status, r.raw)
	}
	e.demo.version = "1.9"
	r := e.demo.do("GET", base, nil)
	wantKeys(t, "nodegroup list", orderedKeys(t, firstItem(t, r.raw, "nodegroups")), capturedNodegroupList)
	ngs := r.body["nodegroups"].([]any)
	if len(ngs) != 2 {
		t.Fatalf("nodegroups: %s", r.raw)
	}
	want := map[string][2]any{"default-master": {"master", float64(1)}, "default-worker": {"worker", float64(2)}}
	for _, item := range ngs {
		ng := item.(map[string]any)
		w, ok := want[ng["name"].(string)]
		if !ok || ng["role"] != w[0] || ng["node_count"] != w[1] || ng["is_default"] != true ||
			ng["min_node_count"] != float64(0) || ng["max_node_count"] != nil || ng["status"] != "CREATE_IN_PROGRESS" {
			t.Errorf("nodegroup %v", ng)
		}
	}
	if r := e.demo.do("GET", base+"?role=master", nil); len(r.body["nodegroups"].([]any)) != 1 {
		t.Errorf("role=master: %s", r.raw)
	}

	e.clock.Advance(3 * time.Second)
	r = e.demo.do("GET", base+"/default-worker", nil)
	wantKeys(t, "nodegroup GET", orderedKeys(t, r.raw), capturedNodegroupDetail)
	if r.body["status"] != "CREATE_COMPLETE" || r.body["cluster_id"] != id || len(r.body["node_addresses"].([]any)) != 2 ||
		r.body["status_reason"] != "Stack CREATE completed successfully" {
		t.Errorf("default-worker: %s", r.raw)
	}
	uuid := r.body["uuid"].(string)
	if r := e.demo.do("GET", base+"/"+uuid, nil); r.body["name"] != "default-worker" {
		t.Errorf("GET by uuid: %s", r.raw)
	}
	wantMagnumError(t, e.demo.do("GET", base+"/nosuchng", nil), 404, "Nodegroup nosuchng could not be found.")
	alt := newMagnum(t, e.s, "alt")
	wantMagnumError(t, alt.do("GET", base, nil), 404, "Cluster "+id+" could not be found.")

	// A delete marks the nodegroups before the cluster.
	e.demo.do("DELETE", "/v1/clusters/"+id, nil)
	for _, item := range e.demo.do("GET", base, nil).body["nodegroups"].([]any) {
		if st := item.(map[string]any)["status"]; st != "DELETE_IN_PROGRESS" {
			t.Errorf("nodegroup status during delete = %v", st)
		}
	}
}
