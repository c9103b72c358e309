package magnum

import (
	"context"
	"net/http"
	"testing"
)

// gophercloud's ServiceURL joins path segments as given, so a name with
// "/", "?" or "%" must be escaped here or it would address another path.
func TestNamesAreEscapedInPaths(t *testing.T) {
	ctx := context.Background()
	const name = "team a/b?c%d"
	const want = "team%20a%2Fb%3Fc%25d"
	tests := []struct {
		name, route, wantRaw string
		call                 func(c *Client) error
	}{
		{"cluster", "GET /v1/clusters/" + name, "/v1/clusters/" + want,
			func(c *Client) error { _, err := c.GetCluster(ctx, name); return err }},
		{"template", "DELETE /v1/clustertemplates/" + name, "/v1/clustertemplates/" + want,
			func(c *Client) error { return c.DeleteClusterTemplate(ctx, name) }},
		{"nodegroup", "GET /v1/clusters/" + name + "/nodegroups/" + name, "/v1/clusters/" + want + "/nodegroups/" + want,
			func(c *Client) error { _, err := c.GetNodeGroup(ctx, name, name); return err }},
		{"CA", "GET /v1/certificates/" + name, "/v1/certificates/" + want,
			func(c *Client) error { _, err := c.GetCA(ctx, name, ""); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, "1.10")
			var gotRaw string
			f.handle(tt.route, func(w http.ResponseWriter, r *http.Request) {
				gotRaw = r.URL.EscapedPath()
				if r.Method == http.MethodDelete {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeJSON(w, 200, map[string]any{"uuid": "u"})
			})
			c, _ := newTestClient(t, f, nil)
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if gotRaw != tt.wantRaw {
				t.Errorf("sent path %q, want %q", gotRaw, tt.wantRaw)
			}
		})
	}
}

func TestListOptsQuery(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clustertemplates", raw(`{"clustertemplates": []}`))
	c, _ := newTestClient(t, f, nil)
	if _, err := c.ListClusterTemplates(context.Background(), ListOpts{Limit: 5, Marker: "m", SortKey: "name", SortDir: "desc"}); err != nil {
		t.Fatal(err)
	}
	if q := f.requests()[0].Query; q != "limit=5&marker=m&sort_dir=desc&sort_key=name" {
		t.Errorf("query %q, want every ListOpts field", q)
	}
}
