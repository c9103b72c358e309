package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A simulator plays the real cloud here: the relay cannot tell the
// difference, and the test can look behind it.
func startRelayOverSim(t *testing.T) (relay, backend *Sim) {
	t.Helper()
	backend, err := Start(Options{HeatCreateDuration: 100 * time.Millisecond, HeatDeleteDuration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	users := map[string]Credentials{}
	for _, n := range []string{"demo", "alt", "admin"} {
		users[n] = backend.Credentials(n)
	}
	relay, err = StartRelay(RelayOptions{KeystoneURL: backend.AuthURL(), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = relay.Close() })
	return relay, backend
}

// relayLogin logs in through the relay and returns the token and the
// catalog's Magnum URL.
func relayLogin(t *testing.T, r *Sim, who string) (token, magnumURL string) {
	t.Helper()
	c := r.Credentials(who)
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.UserDomainName}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.ProjectName, "domain": map[string]any{"name": c.ProjectDomainName}}},
	}})
	resp, err := http.Post(c.AuthURL+"/auth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc struct {
		Token struct {
			Catalog []struct {
				Type      string
				Endpoints []struct{ Interface, URL string }
			}
		}
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &doc) != nil {
		t.Fatalf("login through the relay: %d %s", resp.StatusCode, raw)
	}
	for _, svc := range doc.Token.Catalog {
		for _, ep := range svc.Endpoints {
			if svc.Type == "container-infra" && ep.Interface == "public" {
				magnumURL = ep.URL
			}
		}
	}
	return resp.Header.Get("X-Subject-Token"), magnumURL
}

func relayDo(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("OpenStack-API-Version", "container-infra 1.10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRelayKeepsClientsOnItselfAndLogsThem(t *testing.T) {
	r, backend := startRelayOverSim(t)
	if got := r.Credentials("demo").AuthURL; got != r.URL()+"/identity/v3" {
		t.Fatalf("Credentials AuthURL = %s, want the relay's", got)
	}
	token, magnumURL := relayLogin(t, r, "demo")
	if magnumURL != r.URL()+"/container-infra/v1" {
		t.Fatalf("catalog Magnum URL = %s, want the relay's", magnumURL)
	}
	code, ct := relayDo(t, http.MethodPost, magnumURL+"/clustertemplates", token, map[string]any{
		"name": "relayed", "coe": "kubernetes", "image_id": "fedora-coreos-35", "external_network_id": "public"})
	id, _ := ct["uuid"].(string)
	if code != http.StatusCreated || id == "" {
		t.Fatalf("create through the relay: %d %v", code, ct)
	}
	if n := r.Counters()["POST /v1/clustertemplates"]; n != 1 {
		t.Errorf("relay counted %d template creates, want 1 (counters %v)", n, r.Counters())
	}
	if n := backend.Counters()["POST /v1/clustertemplates"]; n != 1 {
		t.Errorf("backend served %d template creates, want 1", n)
	}
	var last Request
	for _, req := range r.Requests() {
		if req.Route == "POST /v1/clustertemplates" {
			last = req
		}
	}
	if last.User != "demo" || last.Project != "demo" || last.Status != http.StatusCreated || last.Microversion != "1.10" {
		t.Errorf("logged create = %+v, want demo@demo 201 at 1.10", last)
	}
	if !r.TemplateExists(id) || r.TemplateExists("00000000-0000-0000-0000-000000000000") {
		t.Errorf("TemplateExists: %v for the template, %v for a missing one", r.TemplateExists(id), r.TemplateExists("00000000-0000-0000-0000-000000000000"))
	}
	if ts := r.Templates(); len(ts) != 1 || ts[0].UUID != id || ts[0].Project == "" {
		t.Errorf("Templates through the relay = %+v, want the one template %s with its project", ts, id)
	}
	if lines := strings.Join(r.ExportLines("alt"), "\n"); !strings.Contains(lines, "OS_AUTH_URL="+r.URL()+"/identity/v3") {
		t.Errorf("ExportLines(alt) do not point at the relay:\n%s", lines)
	}
	if code, _ := relayDo(t, http.MethodGet, r.URL()+"/nowhere", token, nil); code != http.StatusNotFound {
		t.Errorf("GET /nowhere: %d, want 404", code)
	}
}

// TestRelayIntrospection drives clusters through the relay and reads them
// back with the helpers tests use, including a fault armed on Heat.
func TestRelayIntrospection(t *testing.T) {
	r, _ := startRelayOverSim(t)
	token, magnumURL := relayLogin(t, r, "demo")
	_, ct := relayDo(t, http.MethodPost, magnumURL+"/clustertemplates", token, map[string]any{
		"name": "t", "coe": "kubernetes", "image_id": "fedora-coreos-35", "external_network_id": "public", "keypair_id": "testkey"})
	r.InjectFault("doomed", Fault{})
	for _, name := range []string{"fine", "doomed"} {
		if code, out := relayDo(t, http.MethodPost, magnumURL+"/clusters", token, map[string]any{"name": name, "cluster_template_id": ct["uuid"]}); code != http.StatusAccepted {
			t.Fatalf("create %s: %d %v", name, code, out)
		}
	}
	want := map[string]string{"fine": "CREATE_COMPLETE", "doomed": "CREATE_FAILED"}
	var got map[string]string
	for range 100 {
		got = map[string]string{}
		for _, c := range r.Clusters() {
			got[c.Name] = c.Status
		}
		if got["fine"] == want["fine"] && got["doomed"] == want["doomed"] {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got["fine"] != want["fine"] || got["doomed"] != want["doomed"] {
		t.Fatalf("clusters = %v, want %v", got, want)
	}
	if n := r.Stacks(); n != 2 {
		t.Errorf("Stacks() = %d, want 2", n)
	}
	var fine string
	for _, c := range r.Clusters() {
		if c.Name == "fine" {
			fine = c.UUID
		}
	}
	if err := r.SetNodeCount(fine, 2); err != nil {
		t.Errorf("SetNodeCount: %v", err)
	}
	if err := r.DeleteClusterOutOfBand(fine); err != nil {
		t.Errorf("DeleteClusterOutOfBand: %v", err)
	}
	if r.ClusterExists(fine) {
		t.Error("the deleted cluster still exists")
	}
	if err := r.RotateCA(fine); err == nil {
		t.Error("RotateCA through a relay succeeded; it needs the simulator")
	}
	// What only a simulator can do says so, rather than acting on a
	// simulator nobody talks to.
	for call, err := range map[string]error{
		"SetNodegroupCount": r.SetNodegroupCount(fine, "default-worker", 1),
		"SetPassword":       r.SetPassword("demo", "changed"),
	} {
		if !errors.Is(err, errRelayUnsupported) {
			t.Errorf("%s through a relay: %v, want %v", call, err, errRelayUnsupported)
		}
	}
}
