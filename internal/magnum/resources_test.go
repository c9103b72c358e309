package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Bodies copied from the real Magnum 15 transcripts (#29, #125, #392).
const (
	templateBody = `{"uuid": "9645b8e3-75ee-4a1f-8120-746663e8856a", "name": "ct-231358", "coe": "kubernetes", "image_id": "fedora-coreos-35", "flavor_id": "m1.small", "master_flavor_id": "m1.small", "dns_nameserver": null, "keypair_id": "kp1", "external_network_id": "public", "fixed_network": null, "fixed_subnet": null, "network_driver": "flannel", "apiserver_port": null, "docker_volume_size": 5, "cluster_distro": "fedora-coreos", "links": [{"href": "http://127.0.0.1:9511/v1/clustertemplates/9645b8e3-75ee-4a1f-8120-746663e8856a", "rel": "self"}], "http_proxy": null, "https_proxy": null, "no_proxy": null, "volume_driver": null, "registry_enabled": false, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5"}, "tls_disabled": false, "public": false, "server_type": "vm", "insecure_registry": null, "docker_storage_driver": null, "master_lb_enabled": false, "floating_ip_enabled": true, "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "hidden": false, "tags": null, "created_at": "2026-11-27T23:14:01+00:00", "updated_at": null}`
	clusterBody  = `{"uuid": "06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "name": "c1-231358", "cluster_template_id": "9645b8e3-75ee-4a1f-8120-746663e8856a", "keypair": "kp1", "node_count": 1, "master_count": 1, "docker_volume_size": 5, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5", "foo": "bar"}, "master_flavor_id": "m1.small", "flavor_id": "m1.small", "create_timeout": 60, "links": [], "stack_id": "8516432c-9230-4bda-a490-a9340c07d4ad", "status": "CREATE_COMPLETE", "status_reason": null, "health_status": null, "health_status_reason": {}, "discovery_url": "http://127.0.0.1:8099/discovery/ff4b", "api_address": "https://127.0.0.1:6443", "coe_version": "v1.23.3-rancher1", "container_version": "1.12.6", "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "node_addresses": ["10.0.0.11"], "master_addresses": ["10.0.0.10"], "fixed_network": null, "fixed_subnet": null, "floating_ip_enabled": true, "merge_labels": false, "labels_overridden": {}, "labels_added": {"foo": "bar"}, "labels_skipped": {}, "master_lb_enabled": false, "created_at": "2026-11-27T23:14:13+00:00", "updated_at": "2026-11-27T23:14:24+00:00"}`
	failedBody   = `{"uuid": "d9a11384-357f-47f2-b705-bf40242318a7", "name": "cfail-231358", "status": "CREATE_FAILED", "status_reason": "default-master failed, default-worker failed", "health_status_reason": {}, "faults": {"default-master": "Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR due to \"Message: No valid host was found. There are not enough hosts available., Code: 500\"", "default-worker": "same"}, "created_at": "2026-11-27T23:19:32+00:00", "updated_at": "2026-11-27T23:19:45+00:00"}`
)

func raw(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

// TestRequestsOnTheWire checks that each method sends what Magnum expects.
func TestRequestsOnTheWire(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		route    string
		handler  http.HandlerFunc
		call     func(c *Client) error
		wantPath string
		wantQ    string
		wantBody string // JSON, compared structurally; "" = no body
	}{
		{
			name: "create template", route: "POST /v1/clustertemplates", handler: status(201, templateBody),
			call: func(c *Client) error {
				_, err := c.CreateClusterTemplate(ctx, ClusterTemplateCreate{
					Name: ptr("ct"), COE: "kubernetes", ImageID: "fedora-coreos-35",
					DockerVolumeSize: ptr(0), MasterLBEnabled: ptr(false), Labels: map[string]string{"kube_tag": "v1"},
				})
				return err
			},
			wantPath: "/v1/clustertemplates",
			wantBody: `{"name":"ct","coe":"kubernetes","image_id":"fedora-coreos-35","docker_volume_size":0,"master_lb_enabled":false,"labels":{"kube_tag":"v1"}}`,
		},
		{
			name: "get template by name", route: "GET /v1/clustertemplates/my template", handler: raw(templateBody),
			call:     func(c *Client) error { _, err := c.GetClusterTemplate(ctx, "my template"); return err },
			wantPath: "/v1/clustertemplates/my template",
		},
		{
			name: "update template", route: "PATCH /v1/clustertemplates/ct1", handler: raw(templateBody),
			call: func(c *Client) error {
				_, err := c.UpdateClusterTemplate(ctx, "ct1", []PatchOp{Replace("/name", "n2"), Remove("/http_proxy"), Replace("/master_lb_enabled", true)})
				return err
			},
			wantPath: "/v1/clustertemplates/ct1",
			wantBody: `[{"op":"replace","path":"/name","value":"n2"},{"op":"remove","path":"/http_proxy"},{"op":"replace","path":"/master_lb_enabled","value":true}]`,
		},
		{
			name: "delete template", route: "DELETE /v1/clustertemplates/ct1", handler: status(204, ""),
			call:     func(c *Client) error { return c.DeleteClusterTemplate(ctx, "ct1") },
			wantPath: "/v1/clustertemplates/ct1",
		},
		{
			name: "create cluster", route: "POST /v1/clusters", handler: status(202, `{"uuid": "u1"}`),
			call: func(c *Client) error {
				id, err := c.CreateCluster(ctx, ClusterCreate{Name: "c1", ClusterTemplateID: "ct1", NodeCount: ptr(2), MergeLabels: ptr(true), Labels: map[string]string{"a": "b"}})
				if err == nil && id != "u1" {
					t.Errorf("CreateCluster uuid = %q, want u1", id)
				}
				return err
			},
			wantPath: "/v1/clusters",
			wantBody: `{"name":"c1","cluster_template_id":"ct1","node_count":2,"labels":{"a":"b"},"merge_labels":true}`,
		},
		{
			name: "delete cluster", route: "DELETE /v1/clusters/c1", handler: status(204, ""),
			call:     func(c *Client) error { return c.DeleteCluster(ctx, "c1") },
			wantPath: "/v1/clusters/c1",
		},
		{
			name: "node count", route: "PATCH /v1/clusters/c1", handler: status(202, `{"uuid":"c1"}`),
			call:     func(c *Client) error { return c.UpdateClusterNodeCount(ctx, "c1", 0) },
			wantPath: "/v1/clusters/c1",
			wantBody: `[{"op":"replace","path":"/node_count","value":0}]`,
		},
		{
			name: "resize", route: "POST /v1/clusters/c1/actions/resize", handler: status(202, `{"uuid":"c1"}`),
			call: func(c *Client) error {
				return c.ResizeCluster(ctx, "c1", ResizeOpts{NodeCount: 1, NodesToRemove: []string{"srv-1"}, NodeGroup: "default-worker"})
			},
			wantPath: "/v1/clusters/c1/actions/resize",
			wantBody: `{"node_count":1,"nodes_to_remove":["srv-1"],"nodegroup":"default-worker"}`,
		},
		{
			name: "upgrade", route: "POST /v1/clusters/c1/actions/upgrade", handler: status(202, `{"uuid":"c1"}`),
			call: func(c *Client) error {
				return c.UpgradeCluster(ctx, "c1", UpgradeOpts{ClusterTemplate: "ct2", MaxBatchSize: ptr(1)})
			},
			wantPath: "/v1/clusters/c1/actions/upgrade",
			wantBody: `{"cluster_template":"ct2","max_batch_size":1}`,
		},
		{
			name: "get CA", route: "GET /v1/certificates/c1", handler: raw(`{"cluster_uuid":"c1","bay_uuid":"c1","pem":"CA-PEM","links":[]}`),
			call: func(c *Client) error {
				pem, err := c.GetCA(ctx, "c1", CATypeEtcd)
				if err == nil && pem != "CA-PEM" {
					t.Errorf("GetCA = %q", pem)
				}
				return err
			},
			wantPath: "/v1/certificates/c1", wantQ: "ca_cert_type=etcd",
		},
		{
			name: "sign", route: "POST /v1/certificates", handler: status(201, `{"cluster_uuid":"c1","csr":"CSR","pem":"CERT","links":[]}`),
			call: func(c *Client) error {
				pem, err := c.SignCertificate(ctx, "c1", "CSR")
				if err == nil && pem != "CERT" {
					t.Errorf("SignCertificate = %q", pem)
				}
				return err
			},
			wantPath: "/v1/certificates",
			wantBody: `{"cluster_uuid":"c1","csr":"CSR"}`,
		},
		{
			name: "rotate CA", route: "PATCH /v1/certificates/c1", handler: status(202, `{"uuid":"c1"}`),
			call:     func(c *Client) error { return c.RotateCA(ctx, "c1") },
			wantPath: "/v1/certificates/c1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, "1.10")
			f.handle(tt.route, tt.handler)
			c, _ := newTestClient(t, f, nil)
			// A first read would go at "latest" (TestFirstRequest);
			// negotiated, every call is sent at 1.10.
			if _, err := c.Microversion(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("sent %d requests, want 1: %+v", len(reqs), reqs)
			}
			r := reqs[0]
			method, _, _ := strings.Cut(tt.route, " ")
			if r.Method != method || r.Path != tt.wantPath || r.Query != tt.wantQ {
				t.Errorf("sent %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, method, tt.wantPath, tt.wantQ)
			}
			if got := r.Header.Get("OpenStack-API-Version"); got != "container-infra 1.10" {
				t.Errorf("OpenStack-API-Version = %q", got)
			}
			if tt.wantBody == "" {
				if r.Body != "" {
					t.Errorf("sent body %s, want none", r.Body)
				}
				return
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q; Magnum answers 415 to anything but application/json", ct)
			}
			var got, want any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("body %q: %v", r.Body, err)
			}
			_ = json.Unmarshal([]byte(tt.wantBody), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %s\nwant   %s", r.Body, tt.wantBody)
			}
		})
	}
}

func TestDecodeRealBodies(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clustertemplates/ct", raw(templateBody))
	f.handle("GET /v1/clusters/ok", raw(clusterBody))
	f.handle("GET /v1/clusters/failed", raw(failedBody))
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()

	ct, err := c.GetClusterTemplate(ctx, "ct")
	if err != nil {
		t.Fatal(err)
	}
	if ct.Labels["auto_healing_enabled"] != "True" || ct.APIServerPort != nil || ct.DockerVolumeSize == nil || *ct.DockerVolumeSize != 5 ||
		!ct.FloatingIPEnabled || ct.ClusterDistro != "fedora-coreos" || !ct.UpdatedAt.IsZero() ||
		!ct.CreatedAt.Equal(time.Date(2026, 11, 27, 23, 14, 1, 0, time.UTC)) {
		t.Errorf("template decoded wrongly: %+v", ct)
	}

	cl, err := c.GetCluster(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if cl.StackID != "8516432c-9230-4bda-a490-a9340c07d4ad" || cl.APIAddress != "https://127.0.0.1:6443" ||
		cl.LabelsAdded["foo"] != "bar" || len(cl.NodeAddresses) != 1 || cl.HealthStatusReason == nil ||
		cl.UpdatedAt.Sub(cl.CreatedAt) != 11*time.Second || cl.Faults != nil {
		t.Errorf("cluster decoded wrongly: %+v", cl)
	}

	failed, err := c.GetCluster(ctx, "failed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(failed.Faults["default-master"], "No valid host was found") || failed.StatusReason == "" {
		t.Errorf("faults not decoded: %+v", failed.Faults)
	}
}

func TestClusterIDAt113ReplacesStackID(t *testing.T) {
	f := newFakeMagnum(t, "1.14")
	f.handle("GET /v1/clusters/c", raw(`{"uuid":"c","cluster_id":"capi-123","health_status_reason":"{\"api\": \"ok\"}","labels":{"n":3,"b":true}}`))
	c, _ := newTestClient(t, f, nil)
	cl, err := c.GetCluster(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if cl.StackID != "capi-123" {
		t.Errorf("StackID = %q, want cluster_id's value", cl.StackID)
	}
	if cl.HealthStatusReason["api"] != "ok" {
		t.Errorf("health_status_reason as a JSON string not decoded: %v", cl.HealthStatusReason)
	}
	if cl.Labels["n"] != "3" || cl.Labels["b"] != "True" {
		t.Errorf("non-string labels = %v, want Python renderings 3 and True", cl.Labels)
	}
	// The first read went at "latest" and was kept: the cloud's 1.14 is
	// what this client knows.
	if reqs := f.requests(); len(reqs) != 1 || reqs[0].Header.Get("OpenStack-API-Version") != "container-infra latest" {
		t.Errorf("sent %+v, want one GET at latest", reqs)
	}
	if v, err := c.Microversion(context.Background()); err != nil || v != (Version{1, 14}) {
		t.Errorf("Microversion = %s, %v; want 1.14", v, err)
	}
}

func TestMicroversionGates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		server, pin string
		call        func(c *Client) error
		wantErr     string
	}{
		{"1.6", "", func(c *Client) error { return c.ResizeCluster(ctx, "c", ResizeOpts{NodeCount: 2}) },
			"resize needs Magnum API microversion 1.7; this cloud offers up to 1.6"},
		{"1.7", "", func(c *Client) error { return c.UpgradeCluster(ctx, "c", UpgradeOpts{ClusterTemplate: "t"}) },
			"upgrade needs Magnum API microversion 1.8; this cloud offers up to 1.7"},
		{"1.9", "", func(c *Client) error { return c.UpdateClusterNodeCount(ctx, "c", 0) },
			"scaling a cluster to 0 nodes needs Magnum API microversion 1.10; this cloud offers up to 1.9"},
		{"1.10", "1.9", func(c *Client) error { return c.ResizeCluster(ctx, "c", ResizeOpts{NodeCount: 0}) },
			"resizing to 0 nodes needs Magnum API microversion 1.10; this cloud offers up to 1.10 but the provider is pinned to 1.9"},
		{"1.9", "", func(c *Client) error {
			_, err := c.CreateCluster(ctx, ClusterCreate{ClusterTemplateID: "t", NodeCount: ptr(0)})
			return err
		}, "creating a cluster with node_count 0 needs Magnum API microversion 1.10"},
	}
	for _, tt := range tests {
		f := newFakeMagnum(t, tt.server)
		c, _ := newTestClient(t, f, func(c *Config) { c.MaxMicroversion = tt.pin })
		err := tt.call(c)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !IsUnsupported(err) {
			t.Errorf("server %s pin %q: err = %v, want %q", tt.server, tt.pin, err, tt.wantErr)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("server %s: %d requests sent despite the gate", tt.server, n)
		}
	}
}

// TestListFollowsNextOnOwnHost uses a next link naming Magnum's internal
// address, as Magnum behind a proxy does; the client must page on the
// endpoint it was given.
func TestListFollowsNextOnOwnHost(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clusters/detail", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("marker") {
		case "":
			writeJSON(w, 200, map[string]any{"clusters": []any{map[string]any{"uuid": "a"}, map[string]any{"uuid": "b"}},
				"next": "http://10.255.0.1:9511/v1/clusters/detail?sort_key=id&sort_dir=asc&limit=2&marker=b"})
		case "b":
			writeJSON(w, 200, map[string]any{"clusters": []any{map[string]any{"uuid": "c"}}})
		default:
			t.Errorf("unexpected marker %q", r.URL.Query().Get("marker"))
		}
	})
	c, _ := newTestClient(t, f, nil)
	got, err := c.ListClusters(context.Background(), ListOpts{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cl := range got {
		ids = append(ids, cl.UUID)
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Errorf("listed %v, want a,b,c", ids)
	}
	if q := f.requests()[0].Query; q != "limit=2" {
		t.Errorf("first page query %q, want limit=2", q)
	}
}

func TestListStopsOnRepeatingNext(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clustertemplates", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"clustertemplates": []any{map[string]any{"uuid": "a"}}, "next": "http://x/v1/clustertemplates?marker=a"})
	})
	c, _ := newTestClient(t, f, nil)
	if _, err := c.ListClusterTemplates(context.Background(), ListOpts{}); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Fatalf("err = %v, want the loop detected", err)
	}
	if n := len(f.requests()); n > 3 {
		t.Errorf("%d requests for a looping listing", n)
	}
}

func TestNodeGroups(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	// List shape from the real transcripts (#318–#320).
	f.handle("GET /v1/clusters/c1/nodegroups", raw(`{"nodegroups":[
		{"uuid":"m","name":"default-master","flavor_id":"m1.small","image_id":"img","node_count":1,"role":"master","min_node_count":1,"max_node_count":null,"is_default":true,"stack_id":"s","status":"CREATE_COMPLETE","merge_labels":false},
		{"uuid":"w","name":"default-worker","flavor_id":"m1.small","image_id":"img","node_count":3,"role":"worker","min_node_count":0,"max_node_count":null,"is_default":true,"stack_id":"s","status":"CREATE_COMPLETE","merge_labels":false},
		{"uuid":"x","name":"extra","node_count":5,"role":"worker","is_default":false,"status":"CREATE_COMPLETE"}]}`))
	c, _ := newTestClient(t, f, nil)
	groups, err := c.ListNodeGroups(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	w, ok := DefaultWorker(groups)
	if !ok || w.Name != "default-worker" || w.NodeCount != 3 || w.MaxNodeCount != nil || w.MinNodeCount == nil {
		t.Errorf("default worker = %+v, %t", w, ok)
	}

	old := newFakeMagnum(t, "1.8")
	oc, _ := newTestClient(t, old, nil)
	if _, err := oc.ListNodeGroups(context.Background(), "c1"); !IsUnsupported(err) {
		t.Errorf("err = %v, want the 1.9 gate", err)
	}
}

// Templates of Magnum 18 and later carry "driver", null unless the image
// names one; whether the key is there at all tells those releases, which
// refuse to upgrade bays on the Heat driver, from older ones.
func TestTemplateDriverAndInPlaceUpgrades(t *testing.T) {
	cases := []struct {
		name, body     string
		driver         string
		reported, heat bool
	}{
		{"Zed has no driver key", `{"cluster_distro": "fedora-coreos"}`, "", false, false},
		{"2025.1, Heat by os_distro", `{"cluster_distro": "fedora-coreos", "driver": null}`, "", true, true},
		{"2025.1, Heat named by the image", `{"cluster_distro": "fedora-coreos", "driver": "k8s_fedora_coreos_v1"}`, "k8s_fedora_coreos_v1", true, true},
		{"a Cluster API driver upgrades", `{"cluster_distro": "ubuntu", "driver": "k8s_capi_helm_v1"}`, "k8s_capi_helm_v1", true, false},
		{"no driver on another distro", `{"cluster_distro": "ubuntu", "driver": null}`, "", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ct ClusterTemplate
			if err := json.Unmarshal([]byte(tc.body), &ct); err != nil {
				t.Fatal(err)
			}
			if ct.Driver != tc.driver || ct.DriverReported != tc.reported || ct.RefusesInPlaceUpgrade() != tc.heat {
				t.Errorf("driver %q, reported %v, refuses upgrades %v; want %q, %v, %v",
					ct.Driver, ct.DriverReported, ct.RefusesInPlaceUpgrade(), tc.driver, tc.reported, tc.heat)
			}
		})
	}
}

// Magnum's times: PostgreSQL keeps microseconds (real 2025.1), MySQL does
// not (and real Zed here answered without them); both parse.
func TestTimestampWithAndWithoutMicroseconds(t *testing.T) {
	for raw, want := range map[string]time.Time{
		`"2026-11-27T23:14:01+00:00"`:        time.Date(2026, 11, 27, 23, 14, 1, 0, time.UTC),
		`"2026-12-04T20:29:22.761036+00:00"`: time.Date(2026, 12, 4, 20, 29, 22, 761036000, time.UTC),
		`"2026-12-04T20:29:22.761036"`:       time.Date(2026, 12, 4, 20, 29, 22, 761036000, time.UTC),
		`null`:                               {},
	} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(raw), &ts); err != nil || !ts.Equal(want) {
			t.Errorf("%s: %v %v, want %v", raw, ts.Time, err, want)
		}
	}
}
