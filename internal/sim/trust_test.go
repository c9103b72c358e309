package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// appCredMagnum is a Magnum client for demo logged in with the
// application credential instead of the password.
func appCredMagnum(t *testing.T, s *Sim, version string) *magnum {
	t.Helper()
	c := s.Credentials("demo")
	r := call(t, "POST", s.AuthURL()+"/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"application_credential"},
			"application_credential": map[string]any{"id": c.AppCredID, "secret": c.AppCredSecret}}}})
	if r.status != http.StatusCreated {
		t.Fatalf("application credential login: %d %s", r.status, r.raw)
	}
	return &magnum{t: t, s: s, token: r.header.Get("X-Subject-Token"), version: version}
}

// Magnum's conductor creates a trust for every new cluster; a Keystone with
// the LP#2150089 fix refuses it to application-credential tokens (seen on
// real Keystone 22 + Magnum 15: CREATE_FAILED, no stack, empty faults).
func TestClusterCreateTrustWithApplicationCredential(t *testing.T) {
	for _, tc := range []struct {
		name       string
		allow      bool
		path       string
		version    string
		body       func(e *clusterEnv, name string) map[string]any
		wantStatus string
	}{
		{"cluster, trusts refused", false, "/v1/clusters", "latest", clusterBody, "CREATE_FAILED"},
		{"bay 1.2, trusts refused", false, "/v1/bays", "1.2", func(e *clusterEnv, n string) map[string]any { return e.bayBody(n) }, "CREATE_FAILED"},
		{"cluster, trusts allowed", true, "/v1/clusters", "latest", clusterBody, "CREATE_COMPLETE"},
		{"bay 1.2, trusts allowed", true, "/v1/bays", "1.2", func(e *clusterEnv, n string) map[string]any { return e.bayBody(n) }, "CREATE_COMPLETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newClusterEnv(t, Options{AppCredTrusts: tc.allow})
			ac := appCredMagnum(t, e.s, tc.version)
			r := ac.do("POST", tc.path, tc.body(e, "ac"))
			if r.status != http.StatusAccepted {
				t.Fatalf("POST %s with an application credential: %d %s", tc.path, r.status, r.raw)
			}
			id := r.body["uuid"].(string)
			e.clock.Advance(5 * time.Second)
			c := e.cluster(id)
			if c["status"] != tc.wantStatus {
				t.Fatalf("status %v (%v), want %s", c["status"], c["status_reason"], tc.wantStatus)
			}
			if tc.allow {
				return
			}
			if want := "Failed to create trustee or trust for Cluster: " + id; c["status_reason"] != want {
				t.Errorf("status_reason %q, want %q", c["status_reason"], want)
			}
			if c["stack_id"] != nil || jsonString(c["faults"]) != "{}" {
				t.Errorf("stack_id %v, faults %v: want no stack and no faults", c["stack_id"], c["faults"])
			}
			if n := e.s.Stacks(); n != 0 {
				t.Errorf("%d Heat stacks exist; the conductor never reached Heat", n)
			}
			// The failed cluster deletes like any other.
			if d := e.demo.do("DELETE", "/v1/clusters/"+id, nil); d.status != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", d.status, d.raw)
			}
			for i := 0; i < 20 && e.s.ClusterExists(id); i++ {
				e.clock.Advance(time.Second)
			}
			if e.s.ClusterExists(id) {
				t.Error("the failed cluster is still there after its delete")
			}
		})
	}

	// A 1.1 bay POST is synchronous: the conductor's error is the answer.
	e := newClusterEnv(t, Options{})
	ac := appCredMagnum(t, e.s, "")
	r := ac.do("POST", "/v1/bays", e.bayBody("bay11"))
	if r.status != http.StatusInternalServerError || !strings.Contains(string(r.raw), "Failed to create trustee or trust for Cluster: ") {
		t.Fatalf("1.1 bay POST with an application credential: %d %s", r.status, r.raw)
	}
	var bay11 map[string]any
	for _, b := range e.demo.do("GET", "/v1/clusters", nil).body["clusters"].([]any) {
		if m := b.(map[string]any); m["name"] == "bay11" {
			bay11 = e.cluster(m["uuid"].(string))
		}
	}
	if bay11 == nil || bay11["status"] != "CREATE_FAILED" || bay11["updated_at"] == nil {
		t.Errorf("the 1.1 bay's row: %v; want it CREATE_FAILED with the updated_at of the conductor's save", bay11)
	}
	// Templates need no trust.
	if r := ac.do("POST", "/v1/clustertemplates", validTemplate("ac-template")); r.status != http.StatusCreated {
		t.Fatalf("template with an application credential: %d %s", r.status, r.raw)
	}
}

func clusterBody(e *clusterEnv, name string) map[string]any {
	return map[string]any{"name": name, "cluster_template_id": e.ct, "master_count": 1, "node_count": 1}
}
