package sim

import (
	"strings"
	"testing"
)

func TestQuotas(t *testing.T) {
	e := newClusterEnv(t, Options{})
	demo, admin := e.demo, newMagnum(t, e.s, "admin")
	dp, ap := e.s.Credentials("demo").ProjectID, e.s.Credentials("alt").ProjectID
	q := "/v1/quotas/" + dp + "/Cluster"

	// The captured exchanges of FINDINGS step 8, in order.
	steps := []struct {
		name   string
		m      *magnum
		method string
		path   string
		body   any
		status int
		// detail for errors, else substrings of the body
		detail string
		has    []string
	}{
		{"default", admin, "GET", q, nil, 200, "", []string{`"hard_limit":20`, `"resource":"Cluster"`}},
		{"non-admin create", demo, "POST", "/v1/quotas", map[string]any{"project_id": dp, "resource": "Cluster", "hard_limit": 5}, 403, "Policy doesn't allow quota:create to be performed.", nil},
		{"create", admin, "POST", "/v1/quotas", map[string]any{"project_id": dp, "resource": "Cluster", "hard_limit": 1}, 201, "", []string{`"hard_limit":1`, `"updated_at":null`, `"id":`}},
		{"duplicate", admin, "POST", "/v1/quotas", map[string]any{"project_id": dp, "resource": "Cluster", "hard_limit": 1}, 409, "Quota for project " + dp + " already exists for resource Cluster.", nil},
		{"default hard_limit", admin, "POST", "/v1/quotas", map[string]any{"project_id": ap, "resource": "Cluster"}, 201, "", []string{`"hard_limit":1`}},
		{"unknown project", admin, "POST", "/v1/quotas", map[string]any{"project_id": "nosuchproject", "resource": "Cluster", "hard_limit": 1}, 404, "The project_id nosuchproject could not be found.", nil},
		{"unknown resource", admin, "POST", "/v1/quotas", map[string]any{"project_id": dp, "resource": "Node", "hard_limit": 1}, 400, "Invalid input for field/attribute resource. Value: 'Node'. Value should be one of: Cluster", nil},
		{"negative", admin, "POST", "/v1/quotas", map[string]any{"project_id": dp, "resource": "Cluster", "hard_limit": -1}, 400, "Invalid input for field/attribute hard_limit. Value: '-1'. Value should be greater or equal to 0", nil},
		{"own quota", demo, "GET", q, nil, 200, "", []string{`"hard_limit":1`}},
		{"another project's quota", demo, "GET", "/v1/quotas/" + ap + "/Cluster", nil, 403, "Not authorized.", nil},
		{"list own project", admin, "GET", "/v1/quotas", nil, 200, "", []string{`{"quotas":[]}`}},
		{"list all", admin, "GET", "/v1/quotas?all_tenants=true", nil, 200, "", []string{dp, ap}},
		{"non-admin list", demo, "GET", "/v1/quotas", nil, 403, "Policy doesn't allow quota:get_all to be performed.", nil},
		{"JSON-patch body", admin, "PATCH", q, []any{map[string]any{"op": "replace", "path": "/hard_limit", "value": 3}}, 500, "'list' object has no attribute 'keys'", nil},
		{"patch", admin, "PATCH", q, map[string]any{"hard_limit": 3}, 202, "", []string{`"hard_limit":3`, `"updated_at":"`}},
		{"patch missing", admin, "PATCH", "/v1/quotas/2ffa51b9cfbe48ddad1decb13dc79395/Cluster", map[string]any{"hard_limit": 3}, 404, "Quota could not be found: project_id 2ffa51b9cfbe48ddad1decb13dc79395 resource Cluster.", nil},
		{"non-admin patch", demo, "PATCH", q, map[string]any{"hard_limit": 9}, 403, "Policy doesn't allow quota:update to be performed.", nil},
		{"patch back", admin, "PATCH", q, map[string]any{"hard_limit": 1}, 202, "", []string{`"hard_limit":1`}},
	}
	for _, st := range steps {
		r := st.m.do(st.method, st.path, st.body)
		if st.detail != "" {
			t.Run(st.name, func(t *testing.T) { wantMagnumError(t, r, st.status, st.detail) })
			continue
		}
		if r.status != st.status {
			t.Errorf("%s: %d %s", st.name, r.status, r.raw)
		}
		for _, h := range st.has {
			if !strings.Contains(string(r.raw), h) {
				t.Errorf("%s: %s lacks %s", st.name, r.raw, h)
			}
		}
	}

	// Enforced on cluster POST, not on bay POST (FINDINGS #380, #381).
	e.create("one")
	wantMagnumError(t, demo.do("POST", "/v1/clusters", map[string]any{"name": "two", "cluster_template_id": e.ct}), 403,
		"Resource limit exceeded: You have reached the maximum clusters per project, 1. You may delete a cluster to make room for a new one.")
	demo.version = "1.2"
	if r := demo.do("POST", "/v1/bays", map[string]any{"name": "bay", "baymodel_id": e.ct, "labels": map[string]any{}}); r.status != 202 {
		t.Errorf("bay beyond quota: %d %s", r.status, r.raw)
	}
	demo.version = "latest"

	wantMagnumError(t, demo.do("DELETE", q, nil), 403, "Policy doesn't allow quota:delete to be performed.")
	if r := admin.do("DELETE", q, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	wantMagnumError(t, admin.do("DELETE", q, nil), 404, "Quota could not be found: project_id "+dp+" resource Cluster.")
	for _, path := range []string{q, "/v1/quotas/" + dp + "/Nodes"} {
		if r := admin.do("GET", path, nil); r.status != 200 || string(r.raw) != `{"hard_limit":20,"project_id":"`+dp+`","resource":"Cluster"}` {
			t.Errorf("GET %s after delete: %s", path, r.raw)
		}
	}
}
