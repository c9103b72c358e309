package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Field sets and order of the captured responses: GET one and detail
// (#122), the list (#129), and a failed cluster, where faults follows
// master_addresses (#392).
var (
	capturedClusterDetail = strings.Fields(`uuid name cluster_template_id keypair node_count master_count
		docker_volume_size labels master_flavor_id flavor_id create_timeout links stack_id status status_reason
		health_status health_status_reason discovery_url api_address coe_version container_version project_id
		user_id node_addresses master_addresses fixed_network fixed_subnet floating_ip_enabled merge_labels
		labels_overridden labels_added labels_skipped master_lb_enabled created_at updated_at`)
	capturedClusterList = strings.Fields(`uuid name cluster_template_id keypair node_count master_count
		docker_volume_size labels master_flavor_id flavor_id create_timeout links stack_id status health_status
		merge_labels`)
	capturedFailedCluster = strings.Fields(`uuid name cluster_template_id keypair node_count master_count
		docker_volume_size labels master_flavor_id flavor_id create_timeout links stack_id status status_reason
		health_status health_status_reason discovery_url api_address coe_version container_version project_id
		user_id node_addresses master_addresses faults fixed_network fixed_subnet floating_ip_enabled merge_labels
		labels_overridden labels_added labels_skipped master_lb_enabled created_at updated_at`)
)

// capturedHeatReason is the nodegroup fault of the captured failed cluster
// (#392).
const capturedHeatReason = `Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`

// orderedKeys returns the keys of a JSON object in document order.
func orderedKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// firstItem returns the raw first element of the list under key.
func firstItem(t *testing.T, raw []byte, key string) []byte {
	t.Helper()
	var doc map[string][]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc[key]) == 0 {
		t.Fatalf("no %s in %s", key, raw)
	}
	return doc[key][0]
}

func wantKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s keys\n got %v\nwant %v", what, got, want)
	}
}

// clusterEnv is a simulator on a fake clock with one cluster template
// owned by demo.
type clusterEnv struct {
	t     *testing.T
	clock *fakeClock
	s     *Sim
	demo  *magnum
	ct    string
}

func newClusterEnv(t *testing.T, opts Options) *clusterEnv {
	t.Helper()
	clock := newFakeClock()
	opts.Now = clock.Now
	s := startSim(t, opts)
	e := &clusterEnv{t: t, clock: clock, s: s, demo: newMagnum(t, s, "demo")}
	body := validTemplate("ct-main")
	if opts.Profile == "master" {
		// magnum-cluster-api needs a dns_nameserver (capiCreateFailure).
		body = with(body, "image_id", "ubuntu-2204-kube-v1.30.2", "network_driver", "calico", "dns_nameserver", "8.8.8.8",
			"labels", map[string]any{"kube_tag": "v1.30.2"})
	}
	e.ct = e.demo.create("/v1/clustertemplates", body)["uuid"].(string)
	return e
}

// create POSTs a cluster and returns its UUID.
func (e *clusterEnv) create(name string, kv ...any) string {
	e.t.Helper()
	body := with(map[string]any{"name": name, "cluster_template_id": e.ct}, kv...)
	r := e.demo.do("POST", "/v1/clusters", body)
	if r.status != http.StatusAccepted {
		e.t.Fatalf("POST cluster %s: %d %s", name, r.status, r.raw)
	}
	if keys := orderedKeys(e.t, r.raw); len(keys) != 1 || keys[0] != "uuid" {
		e.t.Errorf("POST body = %s, want only uuid", r.raw)
	}
	return r.body["uuid"].(string)
}

func (e *clusterEnv) get(id string) response {
	e.t.Helper()
	return e.demo.do("GET", "/v1/clusters/"+id, nil)
}

// status GETs the cluster and fails the test unless it answers 200.
func (e *clusterEnv) cluster(id string) map[string]any {
	e.t.Helper()
	r := e.get(id)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET cluster: %d %s", r.status, r.raw)
	}
	return r.body
}

func (e *clusterEnv) patch(id string, ops ...map[string]any) response {
	e.t.Helper()
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return e.demo.do("PATCH", "/v1/clusters/"+id, list)
}

func replaceOp(path string, value any) map[string]any {
	return map[string]any{"op": "replace", "path": path, "value": value}
}

// until advances the clock to d after start.
func (e *clusterEnv) until(start time.Time, d time.Duration) {
	e.clock.mu.Lock()
	defer e.clock.mu.Unlock()
	e.clock.t = start.Add(d)
}

func TestClusterCreateStatusSequence(t *testing.T) {
	// Each checkpoint is an offset from the POST and what GET shows then.
	type check struct {
		at                         time.Duration
		status                     string
		stackID, addresses, apiSet bool
	}
	tests := []struct {
		name     string
		interval time.Duration
		checks   []check
	}{
		{
			name:     "conductor following Heat at once",
			interval: 0,
			checks: []check{
				{at: 0, status: "CREATE_IN_PROGRESS"},
				{at: time.Millisecond, status: "CREATE_IN_PROGRESS", stackID: true},
				{at: 2999 * time.Millisecond, status: "CREATE_IN_PROGRESS", stackID: true},
				{at: 3 * time.Second, status: "CREATE_COMPLETE", stackID: true, addresses: true, apiSet: true},
			},
		},
		{
			// The captured run: stack_id after ~2 s, addresses while still
			// in progress, complete after ~12 s with a 3 s stack.
			name:     "real Magnum's 10 s poller",
			interval: 10 * time.Second,
			checks: []check{
				{at: 0, status: "CREATE_IN_PROGRESS"},
				{at: 1900 * time.Millisecond, status: "CREATE_IN_PROGRESS"},
				{at: 2100 * time.Millisecond, status: "CREATE_IN_PROGRESS", stackID: true},
				{at: 9900 * time.Millisecond, status: "CREATE_IN_PROGRESS", stackID: true},
				{at: 10 * time.Second, status: "CREATE_IN_PROGRESS", stackID: true, addresses: true},
				{at: 11900 * time.Millisecond, status: "CREATE_IN_PROGRESS", stackID: true, addresses: true},
				{at: 12 * time.Second, status: "CREATE_COMPLETE", stackID: true, addresses: true, apiSet: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newClusterEnv(t, Options{ConductorInterval: tt.interval})
			start := e.clock.Now()
			id := e.create("c1")
			for _, ck := range tt.checks {
				e.until(start, ck.at)
				c := e.cluster(id)
				if c["status"] != ck.status || (c["stack_id"] != nil) != ck.stackID ||
					(len(c["node_addresses"].([]any)) == 1 && len(c["master_addresses"].([]any)) == 1) != ck.addresses ||
					(c["api_address"] != nil) != ck.apiSet {
					t.Errorf("at %v: status %v stack_id %v addresses %v/%v api_address %v; want %+v",
						ck.at, c["status"], c["stack_id"], c["node_addresses"], c["master_addresses"], c["api_address"], ck)
				}
				if ck.stackID != (c["discovery_url"] != nil) {
					t.Errorf("at %v: discovery_url %v, want it set with stack_id", ck.at, c["discovery_url"])
				}
				if c["status_reason"] != nil {
					t.Errorf("at %v: status_reason %v, want null", ck.at, c["status_reason"])
				}
				if _, ok := c["faults"]; ok {
					t.Errorf("at %v: faults present on %v", ck.at, c["status"])
				}
			}
			c := e.cluster(id)
			info := e.s.Clusters()
			if len(info) != 1 || info[0].APIAddress != c["api_address"] || !strings.HasPrefix(info[0].APIAddress, "https://127.0.0.1:") ||
				info[0].StackID != c["stack_id"] || info[0].Status != "CREATE_COMPLETE" {
				t.Errorf("Clusters() = %+v, GET = %v", info, c)
			}
			if c["coe_version"] != "v1.23.3-rancher1" || c["container_version"] != "1.12.6" || c["updated_at"] == nil {
				t.Errorf("completed cluster: coe_version %v container_version %v updated_at %v", c["coe_version"], c["container_version"], c["updated_at"])
			}
		})
	}
}

// The status a client sees must depend on the clock only, not on how often
// it polled: a cluster polled every 100 ms and one looked at only at the
// end agree.
func TestClusterStatusIndependentOfPolling(t *testing.T) {
	e := newClusterEnv(t, Options{ConductorInterval: 10 * time.Second})
	start := e.clock.Now()
	busy, idle := e.create("busy"), e.create("idle")
	for i := 0; i <= 150; i++ {
		e.until(start, time.Duration(i)*100*time.Millisecond)
		e.cluster(busy)
	}
	b, i := e.cluster(busy), e.cluster(idle)
	for _, k := range []string{"status", "updated_at", "node_addresses", "coe_version"} {
		if jsonString(b[k]) != jsonString(i[k]) {
			t.Errorf("%s: polled %v, unpolled %v", k, b[k], i[k])
		}
	}
	if b["status"] != "CREATE_COMPLETE" || b["updated_at"] != "2026-03-01T12:00:12+00:00" {
		t.Errorf("status %v updated_at %v, want CREATE_COMPLETE at +12s", b["status"], b["updated_at"])
	}
}

func jsonString(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func TestClusterFieldSets(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.create("c1")
	e.clock.Advance(5 * time.Second)
	wantKeys(t, "GET one", orderedKeys(t, e.get(id).raw), capturedClusterDetail)
	wantKeys(t, "detail", orderedKeys(t, firstItem(t, e.demo.do("GET", "/v1/clusters/detail", nil).raw, "clusters")), capturedClusterDetail)
	wantKeys(t, "list", orderedKeys(t, firstItem(t, e.demo.do("GET", "/v1/clusters", nil).raw, "clusters")), capturedClusterList)

	c := e.cluster(id)
	demo := e.s.Credentials("demo")
	for k, want := range map[string]any{
		"keypair": "testkey", "docker_volume_size": float64(5), "flavor_id": "m1.small", "master_flavor_id": "m1.small",
		"create_timeout": float64(60), "floating_ip_enabled": true, "master_lb_enabled": false, "merge_labels": false,
		"project_id": demo.ProjectID, "user_id": demo.UserID, "health_status": nil, "cluster_template_id": e.ct,
	} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v (inherited from the template)", k, c[k], want)
		}
	}
	if jsonString(c["health_status_reason"]) != "{}" || jsonString(c["labels_added"]) != "{}" {
		t.Errorf("health_status_reason %v labels_added %v, want {}", c["health_status_reason"], c["labels_added"])
	}
}

func TestClusterLabels(t *testing.T) {
	tests := []struct {
		name                               string
		body                               []any
		labels, added, overridden, skipped string
	}{
		{"inherited", nil,
			`{"auto_healing_enabled":"True","kube_tag":"v1.23.3-rancher1","max_node_count":"5"}`, `{}`, `{}`, `{}`},
		{"replaced", []any{"labels", map[string]any{"kube_tag": "v1.24.0", "x": 1}},
			`{"kube_tag":"v1.24.0","x":"1"}`, `{"x":"1"}`, `{"kube_tag":"v1.23.3-rancher1"}`,
			`{"auto_healing_enabled":"True","max_node_count":"5"}`},
		{"merged", []any{"labels", map[string]any{"kube_tag": "v1.24.0"}, "merge_labels", true},
			`{"auto_healing_enabled":"True","kube_tag":"v1.24.0","max_node_count":"5"}`, `{}`, `{"kube_tag":"v1.23.3-rancher1"}`, `{}`},
		{"empty labels inherit", []any{"labels", map[string]any{}},
			`{"auto_healing_enabled":"True","kube_tag":"v1.23.3-rancher1","max_node_count":"5"}`, `{}`, `{}`, `{}`},
	}
	e := newClusterEnv(t, Options{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.cluster(e.create("lab"+string(rune('a'+i)), tt.body...))
			for k, want := range map[string]string{"labels": tt.labels, "labels_added": tt.added,
				"labels_overridden": tt.overridden, "labels_skipped": tt.skipped} {
				if got := jsonString(c[k]); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			if c["merge_labels"] != false {
				t.Errorf("merge_labels = %v; Magnum never returns true", c["merge_labels"])
			}
		})
	}
}

func TestClusterCreateErrors(t *testing.T) {
	e := newClusterEnv(t, Options{MaxClustersPerProject: 3})
	ct := e.ct
	tests := []struct {
		name    string
		version string
		body    any
		status  int
		detail  string
	}{
		{"missing template at 1.10", "1.10", map[string]any{"name": "cx", "cluster_template_id": "no-such-ct"}, 404, "ClusterTemplate no-such-ct could not be found."},
		{"missing template at 1.9", "1.9", map[string]any{"name": "cx", "cluster_template_id": "no-such-ct"}, 400, "ClusterTemplate no-such-ct could not be found."},
		{"no template id", "1.10", map[string]any{"name": "cx"}, 400, "Invalid input for field/attribute cluster_template_id. Value: 'None'. Mandatory field missing."},
		{"bad name", "1.10", map[string]any{"name": "1bad", "cluster_template_id": ct}, 400, "Invalid input for field/attribute name. Value: '1bad'. Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$"},
		{"name with space", "1.10", map[string]any{"name": "bad name", "cluster_template_id": ct}, 400, "Invalid input for field/attribute name. Value: 'bad name'. Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$"},
		{"zero nodes at 1.9", "1.9", map[string]any{"name": "cx", "cluster_template_id": ct, "node_count": 0}, 400, "Resizing a nodegroup to zero is not supported in the provided microversion."},
		{"negative nodes", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "node_count": -1}, 400, "Invalid input for field/attribute node_count. Value: '-1'. Value should be greater or equal to 0"},
		{"two masters without LB", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "master_count": 2}, 400, "master_count must be 1 when master_lb_enabled is False"},
		{"no masters", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "master_count": 0}, 400, "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"},
		{"missing keypair", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "keypair": "missingkp"}, 404, "Unable to find keypair missingkp."},
		{"missing flavor", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "flavor_id": "m1.nope"}, 400, "Unable to find flavor m1.nope."},
		{"unknown field", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "foo": 1}, 400, "Unknown attribute for argument cluster: foo"},
		{"negative timeout", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "create_timeout": -1}, 400, "Invalid input for field/attribute create_timeout. Value: '-1'. Value should be greater or equal to 0"},
		{"labels not a dict", "1.10", `{"name": "cx-231358", "cluster_template_id": "9645b8e3-75ee-4a1f-8120-746663e8856a", "labels": "a=b"}`, 400,
			"Invalid input for field/attribute cluster. Value: '{'name': 'cx-231358', 'cluster_template_id': '9645b8e3-75ee-4a1f-8120-746663e8856a', 'labels': 'a=b'}'. Value not a valid dict: a=b"},
		{"read-only field", "1.10", map[string]any{"name": "cx", "cluster_template_id": ct, "api_address": "x"}, 400, "Invalid input for field/attribute api_address. Value: 'x'. Cannot set read only field."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.demo.version = tt.version
			wantMagnumError(t, e.demo.do("POST", "/v1/clusters", tt.body), tt.status, tt.detail)
		})
	}
	e.demo.version = "latest"

	// "status" is accepted and ignored (FINDINGS #146).
	id := e.create("cx", "status", "CREATE_COMPLETE")
	if c := e.cluster(id); c["status"] != "CREATE_IN_PROGRESS" {
		t.Errorf("status = %v; the body's status must be ignored", c["status"])
	}
	// Another project's private template is invisible (FINDINGS #303).
	alt := newMagnum(t, e.s, "alt")
	wantMagnumError(t, alt.do("POST", "/v1/clusters", map[string]any{"name": "a", "cluster_template_id": ct}), 404,
		"ClusterTemplate "+ct+" could not be found.")

	// The quota counts every row of the project (FINDINGS #380).
	e.create("q2")
	e.create("q3")
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "q4", "cluster_template_id": ct}), 403,
		"Resource limit exceeded: You have reached the maximum clusters per project, 3. You may delete a cluster to make room for a new one.")
	if n := len(e.s.Clusters()); n != 3 {
		t.Errorf("%d clusters after refused creates, want 3", n)
	}
}

func TestClusterNotFoundAfterCreate(t *testing.T) {
	e := newClusterEnv(t, Options{NotFoundAfterCreate: 500 * time.Millisecond})
	id := e.create("c1")
	wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
	if r := e.demo.do("GET", "/v1/clusters", nil); jsonString(r.body["clusters"]) != "[]" {
		t.Errorf("list during the 404 window: %s", r.raw)
	}
	e.clock.Advance(500 * time.Millisecond)
	if c := e.cluster(id); c["status"] != "CREATE_IN_PROGRESS" {
		t.Errorf("status after the window = %v", c["status"])
	}
}

func TestClusterLookup(t *testing.T) {
	e := newClusterEnv(t, Options{})
	id := e.create("same")
	if c := e.cluster("same"); c["uuid"] != id {
		t.Errorf("GET by name = %v", c["uuid"])
	}
	e.create("same")
	wantMagnumError(t, e.get("same"), 409, "Multiple clusters exist with same name. Please use the cluster uuid instead.")
	wantMagnumError(t, e.get("nosuch"), 404, "Cluster nosuch could not be found.")

	alt := newMagnum(t, e.s, "alt")
	wantMagnumError(t, alt.do("GET", "/v1/clusters/"+id, nil), 404, "Cluster "+id+" could not be found.")
	wantMagnumError(t, alt.do("DELETE", "/v1/clusters/"+id, nil), 404, "Cluster "+id+" could not be found.")
	wantMagnumError(t, alt.do("GET", "/v1/clusters?all_tenants=true", nil), 400, `Unknown argument: "all_tenants"`)
	admin := newMagnum(t, e.s, "admin")
	if r := admin.do("GET", "/v1/clusters/"+id, nil); r.status != 200 {
		t.Errorf("admin GET of demo's cluster: %d", r.status)
	}
	if r := admin.do("GET", "/v1/clusters", nil); len(r.body["clusters"].([]any)) != 2 {
		t.Errorf("admin list: %s", r.raw)
	}
	// Paging: a full page carries next.
	r := e.demo.do("GET", "/v1/clusters?limit=1", nil)
	if next, _ := r.body["next"].(string); !strings.Contains(next, "limit=1&marker="+id) {
		t.Errorf("next = %q", r.body["next"])
	}
}

// TestClusterCreateOversized: Magnum 15 bounds no count. Numbers beyond
// its 32-bit database columns break the conductor's insert (seen on the
// real stack), and within them Heat meets Nova's instance quota, which
// must refuse before a single server is built.
func TestClusterCreateOversized(t *testing.T) {
	e := newClusterEnv(t, Options{MaxServersPerProject: 10})
	start := e.clock.Now()

	huge := e.create("huge", "node_count", 100000)
	e.until(start, time.Minute)
	c := e.cluster(huge)
	faults, _ := c["faults"].(map[string]any)
	if c["status"] != "CREATE_FAILED" || !strings.Contains(fmt.Sprint(faults["default-worker"]),
		"Resource CREATE failed: Forbidden: resources.kube_minions.resources[9].resources.kube-minion: Quota exceeded for instances: Requested 1, but already used 10 of 10 instances (HTTP 403)") {
		t.Errorf("node_count 100000: status %v, faults %v; want CREATE_FAILED on Nova's quota", c["status"], faults)
	}
	if st, err := e.s.services().heat.Stack(fmt.Sprint(c["stack_id"])); err != nil {
		t.Errorf("the refused stack: %v", err)
	} else if _, total := st.Progress(); total > 0 {
		t.Errorf("the refused stack built %d resources", total)
	}

	// Within the quota, clusters still build; the refused one holds no server.
	ok := e.create("fits", "node_count", 8)
	e.until(start, 2*time.Minute)
	if c := e.cluster(ok); c["status"] != "CREATE_COMPLETE" {
		t.Errorf("a 9-server cluster next to the refused one: %v %v", c["status"], c["faults"])
	}
	// A resize beyond the quota fails the same way, without a server added.
	r := e.demo.do("POST", "/v1/clusters/"+ok+"/actions/resize", map[string]any{"node_count": 5000})
	if r.status != http.StatusAccepted {
		t.Fatalf("resize: %d %s", r.status, r.raw)
	}
	e.until(start, 3*time.Minute)
	if c := e.cluster(ok); c["status"] != "UPDATE_FAILED" || !strings.Contains(fmt.Sprint(c["faults"]), "Quota exceeded for instances") {
		t.Errorf("resize to 5000: %v %v", c["status"], c["faults"])
	}

	// Beyond 2^31-1 the worker nodegroup is never stored: the cluster shows
	// no workers, no stack, and never leaves CREATE_IN_PROGRESS.
	stuck := e.create("stuck", "node_count", int64(99999999999))
	e.until(start, 10*time.Minute)
	if c := e.cluster(stuck); c["status"] != "CREATE_IN_PROGRESS" || c["node_count"] != float64(0) || c["stack_id"] != nil {
		t.Errorf("node_count 99999999999: %v node_count %v stack %v", c["status"], c["node_count"], c["stack_id"])
	}
	// A cluster column beyond 2^31-1 loses the row: 202, then 404.
	lost := e.create("lost", "docker_volume_size", int64(99999999999))
	wantMagnumError(t, e.get(lost), http.StatusNotFound, "Cluster "+lost+" could not be found.")
}

// TestClusterCreateRefusedByTheConductor: what Magnum 15 checks on a
// cluster create beyond the API's validation, with the texts the real
// stack gave: the keypair is looked up in Nova (any name it lacks is 404),
// and the conductor fails the create, before any stack, on a fixed network
// given by an id Neutron lacks, a fixed subnet it lacks, or an etcd
// discovery URL it cannot read.
func TestClusterCreateRefusedByTheConductor(t *testing.T) {
	e := newClusterEnv(t, Options{MaxClustersPerProject: 20})
	start := e.clock.Now()
	wantMagnumError(t, e.demo.do("POST", "/v1/clusters", map[string]any{"name": "kp", "cluster_template_id": e.ct, "keypair": "nokey"}),
		http.StatusNotFound, "Unable to find keypair nokey.")

	good := e.create("good", "fixed_network", "5c1f8a3e-0002-4000-8000-0000000000bb", "fixed_subnet", "private-subnet")
	byName := e.create("byname", "fixed_network", "no-such-net")
	e.until(start, time.Minute)
	for _, id := range []string{good, byName} {
		if c := e.cluster(id); c["status"] != "CREATE_COMPLETE" {
			t.Errorf("cluster %s: %v %v", c["name"], c["status"], c["status_reason"])
		}
	}
	// A discovery URL another cluster got, for the same number of masters,
	// is fine; for another number it is not.
	reused := e.cluster(good)["discovery_url"].(string)
	if !strings.HasPrefix(reused, "https://discovery.etcd.io/") {
		t.Fatalf("discovery_url = %q", reused)
	}
	same := e.create("same", "discovery_url", reused)
	bigger := e.create("bigger", "discovery_url", reused, "master_count", 3, "master_lb_enabled", true)

	cases := []struct{ name, key, value, reason string }{
		{"fnu", "fixed_network", "5c1f8a3e-0009-4000-8000-000000000000", "Unable to find fixed network 5c1f8a3e-0009-4000-8000-000000000000."},
		{"fsn", "fixed_subnet", "no-such-subnet", "Unable to find fixed subnet no-such-subnet."},
		{"fsu", "fixed_subnet", "5c1f8a3e-0019-4000-8000-000000000000", "Unable to find fixed subnet 5c1f8a3e-0019-4000-8000-000000000000."},
		{"du", "discovery_url", "not-a-url", "Failed to get the size of cluster from 'not-a-url'."},
		{"du2", "discovery_url", "http://127.0.0.1:8099/nothing-here", "Failed to get the size of cluster from 'http://127.0.0.1:8099/nothing-here'."},
		{"du3", "discovery_url", "https://discovery.etcd.io/00000000000000000000000000000000", "Invalid discovery URL 'https://discovery.etcd.io/00000000000000000000000000000000'."},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		ids[tc.name] = e.create(tc.name, tc.key, tc.value)
	}
	e.until(start, 2*time.Minute)
	if c := e.cluster(same); c["status"] != "CREATE_COMPLETE" {
		t.Errorf("reused discovery URL: %v %v", c["status"], c["status_reason"])
	}
	if c := e.cluster(bigger); c["status"] != "CREATE_FAILED" || c["status_reason"] != "Expected cluster size 3 but get cluster size 1 from '"+reused+"'." {
		t.Errorf("discovery URL of one master, for three: %v %q", c["status"], c["status_reason"])
	}
	for _, tc := range cases {
		c := e.cluster(ids[tc.name])
		faults, _ := c["faults"].(map[string]any)
		if c["status"] != "CREATE_FAILED" || c["status_reason"] != tc.reason || c["stack_id"] != nil || len(faults) != 0 {
			t.Errorf("%s=%s: %v %q stack %v faults %v; want CREATE_FAILED %q, no stack, no faults",
				tc.key, tc.value, c["status"], c["status_reason"], c["stack_id"], faults, tc.reason)
		}
	}
}
