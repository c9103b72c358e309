package heat

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type heatAPI struct {
	t      *testing.T
	srv    *httptest.Server
	engine *Engine
	clock  *fakeClock
	client *http.Client
}

// newHeatAPI mounts the handler under /orchestration, as the core does,
// with tokens "tok-p1" and "tok-p2" scoped to projects p1 and p2.
func newHeatAPI(t *testing.T) *heatAPI {
	t.Helper()
	e, clock := newTestEngine(t, Config{CreateDuration: 10 * time.Second, UpdateDuration: 2 * time.Second, DeleteDuration: 2 * time.Second})
	h := &Handler{Engine: e, Authorize: func(r *http.Request) (string, bool) {
		p, ok := map[string]string{"tok-p1": "p1", "tok-p2": "p2"}[r.Header.Get("X-Auth-Token")]
		return p, ok
	}}
	mux := http.NewServeMux()
	mux.Handle("/orchestration/", http.StripPrefix("/orchestration", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &heatAPI{t: t, srv: srv, engine: e, clock: clock, client: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (a *heatAPI) url(path string) string { return a.srv.URL + "/orchestration/v1" + path }

func (a *heatAPI) do(method, path, token, body string) (*http.Response, map[string]any) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url(path), strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			a.t.Fatalf("%s %s: not JSON: %q", method, path, data)
		}
	}
	return resp, out
}

func (a *heatAPI) create(name string) (id string) {
	a.t.Helper()
	resp, body := a.do("POST", "/p1/stacks", "tok-p1",
		`{"stack_name":"`+name+`","template":{"heat_template_version":"queens","outputs":{"kube_minions":{}}},"timeout_mins":60,
		  "parameters":{"number_of_minions":2,"number_of_masters":1,"kube_tag":"v1.23.3-rancher1","tls_disabled":false,"flannel_backend":null}}`)
	if resp.StatusCode != http.StatusCreated {
		a.t.Fatalf("create: %d %v", resp.StatusCode, body)
	}
	stack := body["stack"].(map[string]any)
	id = stack["id"].(string)
	link := stack["links"].([]any)[0].(map[string]any)["href"].(string)
	if want := a.url("/p1/stacks/" + name + "/" + id); link != want {
		a.t.Errorf("self link = %s, want %s", link, want)
	}
	return id
}

func outputsByKey(stack map[string]any) map[string]any {
	out := map[string]any{}
	list, _ := stack["outputs"].([]any)
	for _, o := range list {
		m := o.(map[string]any)
		out[m["output_key"].(string)] = m["output_value"]
	}
	return out
}

func TestHTTP_stackLifecycle(t *testing.T) {
	a := newHeatAPI(t)
	id := a.create("k8s-abc")

	// The id-only form redirects to the canonical path, keeping the query.
	resp, _ := a.do("GET", "/p1/stacks/"+id+"?resolve_outputs=False", "tok-p1", "")
	if want := a.url("/p1/stacks/k8s-abc/" + id + "?resolve_outputs=False"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Fatalf("id-only GET: %d Location %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	resp, body := a.do("GET", "/p1/stacks/k8s-abc/"+id+"?resolve_outputs=False", "tok-p1", "")
	stack := body["stack"].(map[string]any)
	if resp.StatusCode != 200 || stack["stack_status"] != "CREATE_IN_PROGRESS" {
		t.Fatalf("GET: %d %v", resp.StatusCode, stack["stack_status"])
	}
	if _, ok := stack["outputs"]; ok {
		t.Error("resolve_outputs=False still returned outputs")
	}
	params := stack["parameters"].(map[string]any)
	for k, want := range map[string]string{"number_of_minions": "2", "kube_version": "v1.23.3-rancher1", "tls_disabled": "False", "flannel_backend": "vxlan"} {
		if params[k] != want {
			t.Errorf("parameter %s = %v, want %q", k, params[k], want)
		}
	}

	resp, body = a.do("PATCH", "/p1/stacks/"+id, "tok-p1", `{"parameters":{"number_of_minions":3},"existing":true}`)
	if resp.StatusCode != http.StatusConflict || body["error"].(map[string]any)["type"] != "ActionInProgress" {
		t.Errorf("PATCH during create: %d %v", resp.StatusCode, body)
	}

	a.clock.Advance(10 * time.Second)
	_, body = a.do("GET", "/p1/stacks/k8s-abc/"+id, "tok-p1", "")
	stack = body["stack"].(map[string]any)
	outs := outputsByKey(stack)
	if stack["stack_status"] != "CREATE_COMPLETE" || outs["api_address"] != "127.0.0.1" || len(outs["kube_minions"].([]any)) != 2 {
		t.Fatalf("after create: %v outputs %v", stack["stack_status"], outs)
	}

	resp, _ = a.do("PATCH", "/p1/stacks/"+id, "tok-p1", `{"parameters":{"number_of_minions":3},"existing":true}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	a.clock.Advance(2 * time.Second)
	_, body = a.do("GET", "/p1/stacks/k8s-abc/"+id, "tok-p1", "")
	stack = body["stack"].(map[string]any)
	if stack["stack_status"] != "UPDATE_COMPLETE" || len(outputsByKey(stack)["kube_minions"].([]any)) != 3 {
		t.Fatalf("after update: %v %v", stack["stack_status"], outputsByKey(stack))
	}

	resp, _ = a.do("DELETE", "/p1/stacks/k8s-abc/"+id, "tok-p1", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	_, body = a.do("GET", "/p1/stacks/k8s-abc/"+id, "tok-p1", "")
	if body["stack"].(map[string]any)["stack_status"] != "DELETE_IN_PROGRESS" {
		t.Errorf("after DELETE: %v", body)
	}
	a.clock.Advance(2 * time.Second)
	resp, body = a.do("GET", "/p1/stacks/"+id, "tok-p1", "")
	if resp.StatusCode != http.StatusNotFound || body["error"].(map[string]any)["type"] != "EntityNotFound" {
		t.Errorf("after delete: %d %v", resp.StatusCode, body)
	}
}

func TestHTTP_access(t *testing.T) {
	a := newHeatAPI(t)
	id := a.create("k8s-abc")
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"owner", "/p1/stacks/k8s-abc/" + id, "tok-p1", 200},
		{"no token", "/p1/stacks/k8s-abc/" + id, "", 401},
		{"token for another project", "/p1/stacks/k8s-abc/" + id, "tok-p2", 403},
		{"another project's stack", "/p2/stacks/k8s-abc/" + id, "tok-p2", 404},
		{"another project's stack by id", "/p2/stacks/" + id, "tok-p2", 404},
		{"wrong name for the id", "/p1/stacks/other/" + id, "tok-p1", 404},
		{"duplicate name", "/p1/stacks", "tok-p1", 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, body := "GET", ""
			if tt.want == 409 {
				method, body = "POST", `{"stack_name":"k8s-abc","template":{}}`
			}
			resp, _ := a.do(method, tt.path, tt.token, body)
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestHTTP_resources(t *testing.T) {
	a := newHeatAPI(t)
	const reason = `Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`
	a.engine.InjectFaultByName("fail", Fault{Resource: "kube-master", Reason: reason})
	id := a.create("k8s-fail-x")
	a.clock.Advance(10 * time.Second)

	base := "/p1/stacks/k8s-fail-x/" + id + "/resources"
	tests := []struct {
		name      string
		query     string
		wantCode  int
		wantNames string
	}{
		{"failed, top level only by default", "?status=FAILED", 200, "kube_masters"},
		{"failed, depth 0", "?status=FAILED&nested_depth=0", 200, "kube_masters"},
		{"failed, depth 1", "?status=FAILED&nested_depth=1", 200, "kube_masters,0"},
		{"failed, depth 2 as Magnum asks", "?nested_depth=2&status=FAILED", 200, "kube_masters,0,kube-master"},
		{"by type", "?type=OS::Nova::Server&nested_depth=2", 200, "kube-master,kube-minion,kube-minion"},
		{"by name and action", "?name=network&action=CREATE", 200, "network"},
		{"several statuses", "?status=FAILED&status=IN_PROGRESS", 200, "kube_masters"},
		{"unknown filter", "?foo=1&status=FAILED", 400, ""},
		{"bad depth", "?nested_depth=x", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.do("GET", base+tt.query, "tok-p1", "")
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantCode != 200 {
				return
			}
			var names []string
			for _, r := range body["resources"].([]any) {
				names = append(names, r.(map[string]any)["resource_name"].(string))
			}
			if got := strings.Join(names, ","); got != tt.wantNames {
				t.Errorf("resources = %s, want %s", got, tt.wantNames)
			}
		})
	}

	_, body := a.do("GET", base+"?status=FAILED&nested_depth=2", "tok-p1", "")
	server := body["resources"].([]any)[2].(map[string]any)
	if server["resource_status"] != "CREATE_FAILED" || server["parent_resource"] != "0" ||
		server["resource_status_reason"] != "ResourceInError: resources.kube-master: "+reason {
		t.Errorf("failed server = %v", server)
	}
	if _, ok := body["resources"].([]any)[0].(map[string]any)["parent_resource"]; ok {
		t.Error("top-level resource has parent_resource")
	}
	_, body = a.do("GET", "/p1/stacks/k8s-fail-x/"+id, "tok-p1", "")
	if got := body["stack"].(map[string]any)["stack_status_reason"]; got != "Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: "+reason {
		t.Errorf("stack_status_reason = %v", got)
	}

	_, body = a.do("GET", base+"?foo=1", "tok-p1", "")
	if msg := body["error"].(map[string]any)["message"]; msg != "Invalid filter parameters ['foo']" {
		t.Errorf("bad filter message = %v", msg)
	}

	// The id-only form, as heatclient's resources.list sends it.
	resp, _ := a.do("GET", "/p1/stacks/"+id+"/resources?status=FAILED&nested_depth=2", "tok-p1", "")
	if want := a.url(base + "?status=FAILED&nested_depth=2"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("id-only resources: %d %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	resp, body = a.do("GET", base+"/network", "tok-p1", "")
	attrs, _ := body["resource"].(map[string]any)["attributes"].(map[string]any)
	if resp.StatusCode != 200 || attrs["fixed_network"] == nil || attrs["fixed_subnet"] == nil {
		t.Errorf("network resource: %d %v", resp.StatusCode, body)
	}
	resp, _ = a.do("GET", base+"/kube-master", "tok-p1", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("nested resource by name at top level: %d, want 404", resp.StatusCode)
	}
}
