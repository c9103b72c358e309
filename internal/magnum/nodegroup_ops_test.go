package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestNodeGroupAndQuotaRequestsOnTheWire(t *testing.T) {
	ctx := context.Background()
	f := newFakeMagnum(t, "1.14")
	ngBody := map[string]any{"uuid": "ng-uuid", "name": "gpu", "node_count": 2, "role": "worker", "status": "CREATE_IN_PROGRESS",
		"node_labels": map[string]any{"tier": "gpu"}, "node_taints": []any{map[string]any{"key": "gpu", "value": "true", "effect": "NoSchedule"}}}
	f.handle("POST /v1/clusters/c1/nodegroups", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 202, ngBody) })
	f.handle("PATCH /v1/clusters/c1/nodegroups/gpu", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 202, ngBody) })
	f.handle("DELETE /v1/clusters/c1/nodegroups/gpu", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	quota := map[string]any{"id": 7, "project_id": "p1", "resource": "Cluster", "hard_limit": 3, "created_at": "2026-03-01T12:00:00+00:00", "updated_at": nil}
	f.handle("POST /v1/quotas", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 201, quota) })
	f.handle("PATCH /v1/quotas/p1/Cluster", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 202, quota) })
	f.handle("GET /v1/quotas/p1/Cluster", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"hard_limit": 20, "project_id": "p1", "resource": "Cluster"})
	})
	f.handle("DELETE /v1/quotas/p1/Cluster", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	c, _ := newTestClient(t, f, nil)

	ng, err := c.CreateNodeGroup(ctx, "c1", NodeGroupCreate{Name: "gpu", NodeCount: ptr(2), MaxNodeCount: ptr(5),
		NodeLabels: map[string]string{"tier": "gpu"}, NodeTaints: []Taint{{Key: "gpu", Value: "true", Effect: "NoSchedule"}}})
	if err != nil || ng.UUID != "ng-uuid" || ng.NodeLabels["tier"] != "gpu" || len(ng.NodeTaints) != 1 || ng.NodeTaints[0].Effect != "NoSchedule" {
		t.Fatalf("CreateNodeGroup = %+v, %v", ng, err)
	}
	if _, err := c.UpdateNodeGroup(ctx, "c1", "gpu", []PatchOp{Replace("/max_node_count", 6), Replace("/node_taints", PythonTaints(nil))}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteNodeGroup(ctx, "c1", "gpu"); err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQuota(ctx, "p1", QuotaResourceCluster, 3)
	if err != nil || !q.Exists() || q.HardLimit != 3 {
		t.Fatalf("CreateQuota = %+v, %v", q, err)
	}
	if _, err := c.UpdateQuota(ctx, "p1", QuotaResourceCluster, 4); err != nil {
		t.Fatal(err)
	}
	q, err = c.GetQuota(ctx, "p1", QuotaResourceCluster)
	if err != nil || q.Exists() || q.HardLimit != 20 {
		t.Errorf("GetQuota of a project without a row = %+v, %v; want the default, not a stored quota", q, err)
	}
	if err := c.DeleteQuota(ctx, "p1", QuotaResourceCluster); err != nil {
		t.Fatal(err)
	}

	want := []struct{ method, path, body string }{
		{"POST", "/v1/clusters/c1/nodegroups", `{"name":"gpu","node_count":2,"max_node_count":5,"node_labels":{"tier":"gpu"},"node_taints":[{"key":"gpu","value":"true","effect":"NoSchedule"}]}`},
		{"PATCH", "/v1/clusters/c1/nodegroups/gpu", `[{"op":"replace","path":"/max_node_count","value":6},{"op":"replace","path":"/node_taints","value":"[]"}]`},
		{"DELETE", "/v1/clusters/c1/nodegroups/gpu", ``},
		{"POST", "/v1/quotas", `{"project_id":"p1","resource":"Cluster","hard_limit":3}`},
		// A whole object, not JSON-patch: Magnum 15 answers a list with 500.
		{"PATCH", "/v1/quotas/p1/Cluster", `{"project_id":"p1","resource":"Cluster","hard_limit":4}`},
		{"GET", "/v1/quotas/p1/Cluster", ``},
		{"DELETE", "/v1/quotas/p1/Cluster", ``},
	}
	got := f.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path || !jsonEqual(g.Body, w.body) {
			t.Errorf("request %d = %s %s %s, want %s %s %s", i, g.Method, g.Path, g.Body, w.method, w.path, w.body)
		}
	}
}

func jsonEqual(a, b string) bool {
	if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestNodeGroupMicroversionGates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		server  string
		call    func(c *Client) error
		wantErr string
	}{
		{"1.8", func(c *Client) error {
			_, err := c.CreateNodeGroup(ctx, "c", NodeGroupCreate{Name: "a"})
			return err
		}, "creating a nodegroup needs Magnum API microversion 1.9; this cloud offers up to 1.8"},
		{"1.9", func(c *Client) error {
			_, err := c.CreateNodeGroup(ctx, "c", NodeGroupCreate{Name: "a", NodeCount: ptr(0)})
			return err
		}, "creating a nodegroup with node_count 0 needs Magnum API microversion 1.10"},
		{"1.10", func(c *Client) error {
			_, err := c.CreateNodeGroup(ctx, "c", NodeGroupCreate{Name: "a", NodeTaints: []Taint{{Key: "k", Effect: "NoSchedule"}}})
			return err
		}, "setting node_labels or node_taints on a nodegroup needs Magnum API microversion 1.14; this cloud offers up to 1.10"},
		{"1.11", func(c *Client) error {
			_, err := c.UpdateNodeGroup(ctx, "c", "a", []PatchOp{Replace("/node_labels", "{}")})
			return err
		}, "changing node_labels or node_taints needs Magnum API microversion 1.14"},
		{"1.8", func(c *Client) error { return c.DeleteNodeGroup(ctx, "c", "a") },
			"deleting a nodegroup needs Magnum API microversion 1.9"},
	}
	for _, tt := range tests {
		f := newFakeMagnum(t, tt.server)
		c, _ := newTestClient(t, f, nil)
		err := tt.call(c)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !IsUnsupported(err) {
			t.Errorf("server %s: err = %v, want %q", tt.server, err, tt.wantErr)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("server %s: %d requests sent despite the gate", tt.server, n)
		}
	}
}

func TestPythonTaints(t *testing.T) {
	got := PythonTaints([]Taint{{Key: "gpu", Value: "it's", Effect: "NoSchedule"}, {Key: "b", Effect: "NoExecute"}})
	want := `[{'key': 'gpu', 'value': 'it\'s', 'effect': 'NoSchedule'}, {'key': 'b', 'value': '', 'effect': 'NoExecute'}]`
	if got != want {
		t.Errorf("PythonTaints = %s\nwant %s", got, want)
	}
	if PythonTaints(nil) != "[]" {
		t.Errorf("no taints = %s", PythonTaints(nil))
	}
}
