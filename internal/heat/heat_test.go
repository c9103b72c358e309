package heat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

const stackID = "b5a4e511-68e9-4d80-8bed-7ec7457d0aac"

func link(srv, stackName, id, rel string) map[string]any {
	return map[string]any{"href": srv + "/v1/p1/stacks/" + stackName + "/" + id, "rel": rel}
}

// failedListing is what Heat returns for a cluster whose master could not
// be scheduled, nested_depth=2: the group, its member "0" and the server.
// A worker group's member also named "0" failed in another nested stack,
// so names alone cannot place it.
func failedListing(srv string) []any {
	return []any{
		map[string]any{"resource_name": "kube_masters", "resource_type": "OS::Heat::ResourceGroup", "resource_status": "CREATE_FAILED",
			"resource_status_reason": "ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR",
			"physical_resource_id":   "m-group",
			"links":                  []any{link(srv, "c1-abc", stackID, "stack"), link(srv, "c1-abc-kube_masters-x", "m-group", "nested")}},
		map[string]any{"resource_name": "kube_minions", "resource_type": "OS::Heat::ResourceGroup", "resource_status": "CREATE_FAILED",
			"resource_status_reason": "ResourceInError: …",
			"links":                  []any{link(srv, "c1-abc", stackID, "stack"), link(srv, "c1-abc-kube_minions-y", "w-group", "nested")}},
		map[string]any{"resource_name": "0", "resource_type": "file:///kubeminion.yaml", "resource_status": "CREATE_FAILED", "parent_resource": "kube_minions",
			"resource_status_reason": "Resource CREATE failed: Quota exceeded for cores.",
			"links":                  []any{link(srv, "c1-abc-kube_minions-y", "w-group", "stack")}},
		map[string]any{"resource_name": "0", "resource_type": "file:///kubemaster.yaml", "resource_status": "CREATE_FAILED", "parent_resource": "kube_masters",
			"resource_status_reason": "ResourceInError: resources.kube-master: Went to status ERROR",
			"links":                  []any{link(srv, "c1-abc-kube_masters-x", "m-group", "stack"), link(srv, "c1-abc-kube_masters-x-0", "m-0", "nested")}},
		map[string]any{"resource_name": "kube-master", "resource_type": "OS::Nova::Server", "resource_status": "CREATE_FAILED", "parent_resource": "0",
			"physical_resource_id":   "77777777-7777-7777-7777-777777777777",
			"resource_status_reason": "ResourceInError: resources.kube-master: Went to status ERROR due to \"Message: No valid host was found. There are not enough hosts available., Code: 500\"",
			"links":                  []any{link(srv, "c1-abc-kube_masters-x-0", "m-0", "stack")}},
	}
}

func newHeat(t *testing.T) (*Client, *httptest.Server, *[]*http.Request) {
	t.Helper()
	var seen []*http.Request
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-OpenStack-Request-Id", "req-heat")
		switch r.URL.Path {
		case "/v1/p1/stacks/" + stackID:
			http.Redirect(w, r, srv.URL+"/v1/p1/stacks/c1-abc/"+stackID, http.StatusFound)
		case "/v1/p1/stacks/c1-abc/" + stackID:
			_ = json.NewEncoder(w).Encode(map[string]any{"stack": map[string]any{
				"id": stackID, "stack_name": "c1-abc", "stack_status": "CREATE_FAILED", "stack_status_reason": "Resource CREATE failed: …",
				"parameters": map[string]any{"number_of_minions": "2", "kube_tag": "v1.23.3"},
				"outputs":    []any{map[string]any{"output_key": "kube_masters", "output_value": []any{"10.0.0.10"}}},
			}})
		case "/v1/p1/stacks/" + stackID + "/resources":
			var items []any
			if r.URL.Query().Get("status") == "FAILED" {
				items = failedListing(srv.URL)
			} else {
				items = []any{
					map[string]any{"resource_name": "a", "resource_status": "CREATE_COMPLETE"},
					map[string]any{"resource_name": "b", "resource_status": "CREATE_IN_PROGRESS"},
					map[string]any{"resource_name": "c", "resource_status": "UPDATE_COMPLETE"},
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"resources": items})
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"explanation":"The resource could not be found.","code":404,"error":{"message":"The Stack (nope) could not be found.","traceback":null,"type":"EntityNotFound"},"title":"Not Found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	pc := &gophercloud.ProviderClient{TokenID: "tok"}
	c, err := New(pc, "", "", srv.URL+"/v1/p1")
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, &seen
}

func TestGetStackFollowsRedirect(t *testing.T) {
	c, _, seen := newHeat(t)
	st, err := c.GetStack(context.Background(), stackID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "c1-abc" || st.Status != "CREATE_FAILED" || st.Parameters["number_of_minions"] != "2" || len(st.Outputs) != 1 || st.Outputs[0].Key != "kube_masters" {
		t.Errorf("stack decoded wrongly: %+v", st)
	}
	if len(*seen) != 2 {
		t.Fatalf("%d requests, want the id-only GET and the redirected one", len(*seen))
	}
	if tok := (*seen)[1].Header.Get("X-Auth-Token"); tok != "tok" {
		t.Errorf("redirected request carried token %q; same-origin redirects must keep it", tok)
	}
}

func TestFailedResourcesTree(t *testing.T) {
	c, _, seen := newHeat(t)
	rs, err := c.FailedResources(context.Background(), stackID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if q := (*seen)[0].URL.Query(); q.Get("nested_depth") != "2" || q.Get("status") != "FAILED" {
		t.Errorf("query = %v, want nested_depth=2&status=FAILED", q)
	}
	got := FormatFailedResources(rs)
	want := strings.Join([]string{
		"  kube_minions > 0 (file:///kubeminion.yaml): CREATE_FAILED: Resource CREATE failed: Quota exceeded for cores.",
		`  kube_masters > 0 > kube-master (OS::Nova::Server): CREATE_FAILED: ResourceInError: resources.kube-master: Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`,
	}, "\n")
	if got != want {
		t.Errorf("tree =\n%s\nwant\n%s", got, want)
	}
}

func TestFormatWithoutLinksFallsBackToNames(t *testing.T) {
	rs := []Resource{
		{Name: "kube_masters", Type: "OS::Heat::ResourceGroup", Status: "CREATE_FAILED", StatusReason: "x"},
		{Name: "0", Type: "T", Status: "CREATE_FAILED", ParentResource: "kube_masters"},
		{Name: "kube-master", Type: "OS::Nova::Server", Status: "CREATE_FAILED", ParentResource: "0", StatusReason: "No valid host was found."},
	}
	want := "  kube_masters > 0 > kube-master (OS::Nova::Server): CREATE_FAILED: No valid host was found."
	if got := FormatFailedResources(rs); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if FormatFailedResources(nil) != "" {
		t.Error("no resources must render as empty")
	}
}

func TestResourcesListsEveryStatus(t *testing.T) {
	c, _, seen := newHeat(t)
	rs, err := c.Resources(context.Background(), stackID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d resources, want the stack's 3", len(rs))
	}
	if q := (*seen)[len(*seen)-1].URL.Query(); q.Get("nested_depth") != "1" || q.Has("status") {
		t.Errorf("query = %v, want nested_depth=1 and no status filter", q)
	}
}

func TestHeatErrorsAreReadable(t *testing.T) {
	c, srv, _ := newHeat(t)
	_, err := c.GetStack(context.Background(), "nope")
	want := "Heat API: GET " + srv.URL + "/v1/p1/stacks/nope returned HTTP 404 (request req-heat): The Stack (nope) could not be found."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if !magnum.IsNotFound(err) {
		t.Error("IsNotFound must see Heat's 404")
	}
}

func TestNoHeat(t *testing.T) {
	var nilClient *Client
	if _, err := nilClient.GetStack(context.Background(), "x"); !errors.Is(err, ErrNoHeat) {
		t.Errorf("nil client GetStack err = %v", err)
	}
	if _, err := nilClient.FailedResources(context.Background(), "x", 2); !errors.Is(err, ErrNoHeat) {
		t.Errorf("nil client FailedResources err = %v", err)
	}
	pc := &gophercloud.ProviderClient{EndpointLocator: func(eo gophercloud.EndpointOpts) (string, error) {
		if eo.Type != "orchestration" || eo.Version != 0 {
			t.Errorf("looked up %+v", eo)
		}
		return "", &gophercloud.ErrEndpointNotFound{}
	}}
	c, err := New(pc, "RegionOne", gophercloud.AvailabilityPublic, "")
	if !errors.Is(err, ErrNoHeat) || c != nil {
		t.Errorf("New without orchestration = %v, %v; want nil, ErrNoHeat", c, err)
	}
}

func TestLeaves(t *testing.T) {
	srv := "http://heat"
	// Resources decoded from the failed listing carry Heat's links; the
	// two members named "0" sit in different nested stacks.
	var linked []Resource
	raw, err := json.Marshal(failedListing(srv))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &linked); err != nil {
		t.Fatal(err)
	}
	names := func(rs []Resource) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name+" ("+r.Type+")")
		}
		return strings.Join(out, ", ")
	}
	tests := []struct {
		name string
		in   []Resource
		want string
	}{
		{"flat stack: every resource is a leaf",
			[]Resource{{Name: "net", Type: "OS::Neutron::Net"}, {Name: "router", Type: "OS::Neutron::Router"}},
			"net (OS::Neutron::Net), router (OS::Neutron::Router)"},
		{"groups and member templates own their nested resources",
			linked,
			"0 (file:///kubeminion.yaml), kube-master (OS::Nova::Server)"},
		{"without links, by parent_resource",
			[]Resource{
				{Name: "kube_masters", Type: "OS::Heat::ResourceGroup"},
				{Name: "0", Type: "T", ParentResource: "kube_masters"},
				{Name: "kube-master", Type: "OS::Nova::Server", ParentResource: "0"},
				{Name: "api_lb", Type: "OS::Octavia::LoadBalancer"},
			},
			"kube-master (OS::Nova::Server), api_lb (OS::Octavia::LoadBalancer)"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(Leaves(tt.in)); got != tt.want {
				t.Errorf("leaves = %s\nwant %s", got, tt.want)
			}
		})
	}
}
