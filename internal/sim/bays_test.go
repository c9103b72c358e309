package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Bay field sets: list (#221) and GET one (#211); bay_faults follows
// master_addresses on failed bays (#217).
var (
	capturedBayList = strings.Fields(`uuid name baymodel_id node_count master_count docker_volume_size labels
		master_flavor_id flavor_id bay_create_timeout links stack_id status floating_ip_enabled`)
	capturedBayDetail = strings.Fields(`uuid name baymodel_id node_count master_count docker_volume_size labels
		master_flavor_id flavor_id bay_create_timeout links stack_id status status_reason discovery_url
		api_address coe_version container_version node_addresses master_addresses fixed_network fixed_subnet
		floating_ip_enabled master_lb_enabled created_at updated_at`)
	capturedFailedBay = strings.Fields(`uuid name baymodel_id node_count master_count docker_volume_size labels
		master_flavor_id flavor_id bay_create_timeout links stack_id status status_reason discovery_url
		api_address coe_version container_version node_addresses master_addresses bay_faults fixed_network
		fixed_subnet floating_ip_enabled master_lb_enabled created_at updated_at`)
)

func (e *clusterEnv) bayBody(name string, kv ...any) map[string]any {
	return with(map[string]any{"name": name, "baymodel_id": e.ct, "node_count": 1, "master_count": 1,
		"bay_create_timeout": 60, "labels": map[string]any{}}, kv...)
}

func TestBayCreate(t *testing.T) {
	e := newClusterEnv(t, Options{})
	bays := e.demo

	// 1.1 (no header): synchronous, 201 with the stack already created.
	bays.version = ""
	r := bays.do("POST", "/v1/bays", e.bayBody("bay11"))
	if r.status != http.StatusCreated || r.body["stack_id"] == nil || r.body["status"] != "CREATE_IN_PROGRESS" ||
		r.body["discovery_url"] == nil || r.body["updated_at"] != nil || r.body["docker_volume_size"] != float64(5) {
		t.Fatalf("1.1 POST: %d %s", r.status, r.raw)
	}
	wantKeys(t, "1.1 POST", orderedKeys(t, r.raw), capturedBayDetail)
	bay11 := r.body["uuid"].(string)

	// The labels bug: no "labels" key at all (FINDINGS #203-#205).
	wantMagnumError(t, bays.do("POST", "/v1/bays", with(e.bayBody("bay11nl"), "labels", deleteKey)), 500, labelsBug)
	bays.version = "1.2"
	r = bays.do("POST", "/v1/bays", with(e.bayBody("bay12nl"), "labels", deleteKey))
	if r.status != http.StatusAccepted {
		t.Fatalf("1.2 POST without labels: %d %s", r.status, r.raw)
	}
	nolabels := r.body["uuid"].(string)
	r = bays.do("POST", "/v1/bays", with(e.bayBody("baynull"), "labels", nil))
	if r.status != http.StatusAccepted {
		t.Fatalf("labels null: %d %s", r.status, r.raw)
	}
	inherit := r.body["uuid"].(string)

	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		detail string
	}{
		{"zero nodes", e.bayBody("bx", "node_count", 0), 400, "Invalid input for field/attribute node_count. Value: '0'. Value should be greater or equal to 1"},
		{"missing baymodel", e.bayBody("bx", "baymodel_id", "no-such-bm"), 400, "ClusterTemplate no-such-bm could not be found."},
		{"cluster field", with(e.bayBody("bx"), "baymodel_id", deleteKey, "cluster_template_id", e.ct), 400, "Unknown attribute for argument bay: cluster_template_id"},
		{"two masters", e.bayBody("bx", "master_count", 2), 500, "'master_lb_enabled'"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantMagnumError(t, bays.do("POST", "/v1/bays", tt.body), tt.status, tt.detail) })
	}

	e.clock.Advance(3 * time.Second)
	r = bays.do("GET", "/v1/bays/"+nolabels, nil)
	wantKeys(t, "failed bay", orderedKeys(t, r.raw), capturedFailedBay)
	if r.body["status"] != "CREATE_FAILED" || r.body["status_reason"] != labelsBug || r.body["stack_id"] != nil ||
		jsonString(r.body["bay_faults"]) != "{}" {
		t.Errorf("bay without labels: %s", r.raw)
	}
	if b := bays.do("GET", "/v1/bays/"+inherit, nil).body; jsonString(b["labels"]) != `{"auto_healing_enabled":"True","kube_tag":"v1.23.3-rancher1","max_node_count":"5"}` ||
		b["status"] != "CREATE_COMPLETE" {
		t.Errorf("labels null: %v %v", b["status"], b["labels"])
	}
	if b := bays.do("GET", "/v1/bays/"+bay11, nil).body; b["status"] != "CREATE_COMPLETE" || jsonString(b["labels"]) != "{}" {
		t.Errorf("1.1 bay: %v %v", b["status"], b["labels"])
	}

	r = bays.do("GET", "/v1/bays", nil)
	wantKeys(t, "bay list", orderedKeys(t, firstItem(t, r.raw, "bays")), capturedBayList)
	if n := len(r.body["bays"].([]any)); n != 4 {
		t.Errorf("%d bays listed, want 4 (the 1.1 labels-bug row stays)", n)
	}
	// The same rows are clusters.
	if c := e.cluster(bay11); c["status"] != "CREATE_COMPLETE" || c["cluster_template_id"] != e.ct {
		t.Errorf("bay as a cluster: %v", c)
	}
}

func TestBayPatchAndFaults(t *testing.T) {
	e := newClusterEnv(t, Options{})
	e.demo.version = "1.2"
	id := e.demo.do("POST", "/v1/bays", e.bayBody("bay12")).body["uuid"].(string)
	e.clock.Advance(3 * time.Second)
	patch := []any{replaceOp("/node_count", 2)}
	for _, tt := range []struct {
		version string
		body    []any
		status  int
		detail  string
	}{
		{"", patch, 500, "API.cluster_update() missing 2 required positional arguments: 'health_status' and 'health_status_reason'"},
		{"1.2", patch, 500, "API.cluster_update_async() missing 2 required positional arguments: 'health_status' and 'health_status_reason'"},
		{"1.10", patch, 500, "API.cluster_update_async() missing 2 required positional arguments: 'health_status' and 'health_status_reason'"},
		{"1.2", []any{replaceOp("/name", "x")}, 400, "cannot change cluster property(ies) name."},
		{"1.2", []any{replaceOp("/node_count", 0)}, 400, "Invalid input for field/attribute node_count. Value: '0'. Value should be greater or equal to 1"},
	} {
		e.demo.version = tt.version
		wantMagnumError(t, e.demo.do("PATCH", "/v1/bays/"+id, tt.body), tt.status, tt.detail)
	}
	if b := e.demo.do("GET", "/v1/bays/"+id, nil).body; b["node_count"] != float64(1) || b["status"] != "CREATE_COMPLETE" {
		t.Errorf("bay changed by a failed PATCH: %v %v", b["node_count"], b["status"])
	}

	// bay_faults come from Heat's FAILED resources (FINDINGS #394, #402).
	e.s.InjectFault("bayfail", Fault{})
	e.demo.version = "1.2"
	fid := e.demo.do("POST", "/v1/bays", e.bayBody("bayfail")).body["uuid"].(string)
	e.clock.Advance(3 * time.Second)
	b := e.demo.do("GET", "/v1/bays/"+fid, nil).body
	faults, _ := b["bay_faults"].(map[string]any)
	if b["status"] != "CREATE_FAILED" || b["status_reason"] != "default-master failed, default-worker failed" ||
		!strings.Contains(pyStrOrEmpty(faults["kube-master"]), "No valid host was found") || faults["kube_masters"] == nil {
		t.Errorf("failed bay: %v %v %v", b["status"], b["status_reason"], faults)
	}
	if r := e.demo.do("DELETE", "/v1/bays/"+fid, nil); r.status != 204 {
		t.Errorf("DELETE bay: %d", r.status)
	}
	e.clock.Advance(2 * time.Second)
	wantMagnumError(t, e.demo.do("GET", "/v1/bays/"+fid, nil), 404, "Cluster "+fid+" could not be found.")
}

// Where the bay API is gone, pecan's v1 controller answers as for any
// name it does not know (real Magnum 20): GET 404, other methods 405,
// blank error bodies; paths under a known collection stay 404.
func TestBaysOnlyInZed(t *testing.T) {
	for _, profile := range []string{"2025.1", "master"} {
		s := startSim(t, Options{Profile: profile})
		m := newMagnum(t, s, "demo")
		for _, c := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/v1/bays", 404}, {"GET", "/v1/baymodels/x", 404},
			{"POST", "/v1/bays", 405}, {"PATCH", "/v1/baymodels/x", 405}, {"DELETE", "/v1/bays/x", 405},
			{"POST", "/v1/nosuch", 405}, {"PUT", "/v1/clusters/x", 405}, {"DELETE", "/v1/clusters/x/nosuch", 404},
		} {
			r := m.do(c.method, c.path, map[string]any{})
			if r.status != c.want {
				t.Errorf("%s: %s %s = %d, want %d", profile, c.method, c.path, r.status, c.want)
			}
			errs, _ := r.body["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["detail"] != "" || errs[0].(map[string]any)["title"] != "" {
				t.Errorf("%s: %s %s: %s, want a blank error body", profile, c.method, c.path, r.raw)
			}
		}
	}
}
