package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The master profile plays vexxhost's Cluster API driver (capi-driver.md).
func TestMasterProfileClusters(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master", TokenTTL: 24 * time.Hour})
	id := e.create("capi")
	c := e.cluster(id)
	if _, ok := c["stack_id"]; ok || c["cluster_id"] != nil {
		t.Errorf("at 1.14 the stack_id column is called cluster_id: %v / %v", c["stack_id"], c["cluster_id"])
	}
	e.clock.Advance(time.Millisecond)
	c = e.cluster(id)
	if ok, _ := regexp.MatchString(`^kube-[a-z0-9]{5}$`, pyStrOrEmpty(c["cluster_id"])); !ok || c["api_address"] != nil {
		t.Errorf("in progress: cluster_id %v api_address %v", c["cluster_id"], c["api_address"])
	}
	e.demo.version = "1.12"
	if c := e.cluster(id); c["stack_id"] == nil {
		t.Errorf("at 1.12: stack_id %v", c["stack_id"])
	}
	e.demo.version = "latest"
	e.clock.Advance(3 * time.Second)
	c = e.cluster(id)
	if c["status"] != "CREATE_COMPLETE" || !strings.HasPrefix(pyStrOrEmpty(c["api_address"]), "https://127.0.0.1:") ||
		c["coe_version"] != "v1.30.2" || c["container_version"] != nil || c["status_reason"] != nil ||
		jsonString(c["node_addresses"]) != "[]" || jsonString(c["master_addresses"]) != "[]" {
		t.Errorf("completed: %v", c)
	}
	if e.s.Stacks() != 0 {
		t.Errorf("Stacks() = %d without Heat", e.s.Stacks())
	}
	if v := e.kubeVersion(id); v != "v1.30.2" {
		t.Errorf("kube /version = %q", v)
	}

	// PATCH node_count is not implemented by the driver: UPDATE_FAILED
	// with an empty reason, count restored.
	e.patch(id, replaceOp("/node_count", 3))
	e.clock.Advance(time.Millisecond)
	if c = e.cluster(id); c["status"] != "UPDATE_FAILED" || c["status_reason"] != "" || c["node_count"] != float64(1) {
		t.Errorf("PATCH node_count: %v %q %v", c["status"], c["status_reason"], c["node_count"])
	}
	// Resize works, also from UPDATE_FAILED.
	e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 3})
	e.clock.Advance(2 * time.Second)
	if c = e.cluster(id); c["status"] != "UPDATE_COMPLETE" || c["node_count"] != float64(3) {
		t.Errorf("resize: %v %v", c["status"], c["node_count"])
	}
	// The same image by its id, so that the nodegroups' image_id shows
	// the upgrade's template.
	const imageByID = "1a2b3c4d-0003-4000-8000-000000002204"
	newer := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-new"), "image_id", imageByID,
		"network_driver", "calico", "dns_nameserver", "8.8.8.8", "labels", map[string]any{"kube_tag": "v1.31.0", "other": "x"}))["uuid"].(string)
	if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/upgrade", map[string]any{"cluster_template": newer, "max_batch_size": 1}); r.status != 202 {
		t.Fatalf("upgrade: %d %s", r.status, r.raw)
	}
	e.clock.Advance(2 * time.Second)
	c = e.cluster(id)
	// The driver runs the new kube_tag, but Magnum never saves the labels
	// it set in place: the cluster's and nodegroups' keep the old one.
	if c["status"] != "UPDATE_COMPLETE" || c["coe_version"] != "v1.31.0" || c["cluster_template_id"] != newer ||
		jsonString(c["labels"]) != `{"kube_tag":"v1.30.2"}` {
		t.Errorf("upgrade: %v %v %v %v", c["status"], c["coe_version"], c["cluster_template_id"], c["labels"])
	}
	if v := e.kubeVersion(id); v != "v1.31.0" {
		t.Errorf("kube /version after the upgrade = %q", v)
	}
	for _, ng := range []string{"default-master", "default-worker"} {
		if g := e.nodegroup(id, ng); jsonString(g["labels"]) != `{"kube_tag":"v1.30.2"}` || g["image_id"] != imageByID {
			t.Errorf("%s after the upgrade: labels %v image_id %v", ng, g["labels"], g["image_id"])
		}
	}
	wantMagnumError(t, e.demo.do("PATCH", "/v1/certificates/"+id, nil), 400, "'rotate_ca_certificate' is not supported by this driver.")

	e.demo.do("DELETE", "/v1/clusters/"+id, nil)
	e.clock.Advance(time.Millisecond)
	if c = e.cluster(id); c["status"] != "DELETE_IN_PROGRESS" {
		t.Errorf("deleting: %v", c["status"])
	}
	e.clock.Advance(time.Second)
	wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")

	// Cluster API drivers ignore create_timeout: a stuck create stays in
	// progress for ever.
	e.s.InjectFault("stuck", Fault{Timeout: true})
	sid := e.create("stuck", "create_timeout", 1)
	e.clock.Advance(3 * time.Hour)
	if st := e.cluster(sid)["status"]; st != "CREATE_IN_PROGRESS" {
		t.Errorf("stuck create: %v", st)
	}
}

func TestControlEndpoints(t *testing.T) {
	e := newClusterEnv(t, Options{})
	post := func(body string) *http.Response {
		res, err := http.Post(e.s.URL()+"/_sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post(`{"cluster_name_contains":"web","action":"bogus"}`); res.StatusCode != 400 {
		t.Errorf("bad action: %d", res.StatusCode)
	}
	if res := post(`{"cluster_name_contains":"web","action":"create","reason":"boom"}`); res.StatusCode != 201 {
		t.Errorf("arm fault: %d", res.StatusCode)
	}
	ok := e.create("other")
	bad := e.create("web-1")
	e.clock.Advance(3 * time.Second)
	if st := e.cluster(ok)["status"]; st != "CREATE_COMPLETE" {
		t.Errorf("unmatched cluster: %v", st)
	}
	c := e.cluster(bad)
	if reason := pyStrOrEmpty(c["faults"].(map[string]any)["default-master"]); c["status"] != "CREATE_FAILED" || !strings.HasSuffix(reason, ": boom") {
		t.Errorf("matched cluster: %v %v", c["status"], c["faults"])
	}
	// The fault was used up.
	if st := e.cluster(e.completed("web-2"))["status"]; st != "CREATE_COMPLETE" {
		t.Errorf("second matching cluster: %v", st)
	}

	res, err := http.Get(e.s.URL() + "/_sim/clusters")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Clusters []ClusterInfo
		Stacks   int
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Clusters) != 3 || doc.Clusters[1].Name != "web-1" || doc.Clusters[1].Status != "CREATE_FAILED" || doc.Stacks != 3 {
		t.Errorf("/_sim/clusters = %+v", doc)
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec  string
		match string
		f     Fault
		err   bool
	}{
		{"web:CREATE", "web", Fault{Action: "CREATE"}, false},
		{"db:update:kube_minions.0.kube-minion:Quota: exceeded", "db", Fault{Action: "UPDATE", Resource: "kube_minions.0.kube-minion", Reason: "Quota: exceeded"}, false},
		{"x:create::timeout", "x", Fault{Action: "CREATE", Timeout: true}, false},
		{"x:RESTART", "", Fault{}, true},
		{"nocolon", "", Fault{}, true},
	}
	for _, tt := range tests {
		match, f, err := ParseFault(tt.spec)
		if (err != nil) != tt.err || match != tt.match || f != tt.f {
			t.Errorf("ParseFault(%q) = %q %+v %v", tt.spec, match, f, err)
		}
	}
}

func TestLatency(t *testing.T) {
	s := startSim(t, Options{Latency: 60 * time.Millisecond})
	start := time.Now()
	token := login(t, s, "demo")
	r := call(t, "GET", s.URL()+magnumPrefix+"/v1/clustertemplates", token, nil)
	if elapsed := time.Since(start); r.status != 200 || elapsed < 120*time.Millisecond {
		t.Errorf("two calls took %v, want at least 2 x 60ms", elapsed)
	}
}

// TestLatencySparesControlEndpoints: with an hour of latency, a Keystone
// call cannot finish within the client's timeout, while a control call
// must. A slow machine can make neither fail: the margin is an hour
// against a minute.
func TestLatencySparesControlEndpoints(t *testing.T) {
	s := startSim(t, Options{Latency: time.Hour})
	client := &http.Client{Timeout: time.Minute}
	res, err := client.Post(s.URL()+"/_sim/faults", "application/json", bytes.NewReader([]byte(`{"cluster_name_contains":"x"}`)))
	if err != nil {
		t.Fatalf("control endpoint: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("control endpoint: %d, want 201", res.StatusCode)
	}
	slow := &http.Client{Timeout: 200 * time.Millisecond}
	if res, err := slow.Get(s.AuthURL()); err == nil {
		res.Body.Close()
		t.Errorf("Keystone answered (%d) through an hour of latency", res.StatusCode)
	}
}
