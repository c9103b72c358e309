package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock lets tests expire tokens without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startSim(t *testing.T, opts Options) *Sim {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// services is the in-process cloud behind s, for tests that look at
// Magnum's rows or Heat's stacks directly.
func (s *Sim) services() *inProcess { return s.backend.(*inProcess) }

type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call makes one request. body may be nil, a string (sent verbatim) or any
// JSON-encodable value. headers are name, value pairs.
func call(t *testing.T, method, url, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, url, raw, err)
		}
	}
	return r
}

func passwordAuth(user, projectName string) map[string]any {
	return map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]any{"name": "Default"}, "password": "secret"}}},
		"scope": map[string]any{"project": map[string]any{"name": projectName, "domain": map[string]any{"name": "Default"}}},
	}}
}

// login returns a project-scoped token for user (demo, demo2, alt, admin).
func login(t *testing.T, s *Sim, user string) string {
	t.Helper()
	projectName := map[string]string{"demo": "demo", "demo2": "demo", "alt": "alt", "admin": "admin"}[user]
	r := call(t, "POST", s.AuthURL()+"/auth/tokens", "", passwordAuth(user, projectName))
	if r.status != http.StatusCreated {
		t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.header.Get("X-Subject-Token")
}

// magnum is a Magnum client bound to one user and microversion.
type magnum struct {
	t       *testing.T
	s       *Sim
	token   string
	version string
}

func newMagnum(t *testing.T, s *Sim, user string) *magnum {
	return &magnum{t: t, s: s, token: login(t, s, user), version: "latest"}
}

func (m *magnum) do(method, path string, body any, headers ...string) response {
	m.t.Helper()
	if m.version != "" {
		headers = append([]string{"OpenStack-API-Version", "container-infra " + m.version}, headers...)
	}
	return call(m.t, method, m.s.URL()+magnumPrefix+path, m.token, body, headers...)
}

// create POSTs a template and fails the test unless it gets a 201.
func (m *magnum) create(path string, body map[string]any) map[string]any {
	m.t.Helper()
	r := m.do("POST", path, body)
	if r.status != http.StatusCreated {
		m.t.Fatalf("POST %s: %d %s", path, r.status, r.raw)
	}
	return r.body
}

// validTemplate is the captures' base template body, with fixtures that
// exist in the default set.
func validTemplate(name string) map[string]any {
	return map[string]any{
		"name": name, "coe": "kubernetes", "image_id": "fedora-coreos-35", "keypair_id": "testkey",
		"external_network_id": "public", "flavor_id": "m1.small", "master_flavor_id": "m1.small",
		"docker_volume_size": 5, "network_driver": "flannel",
		"labels": map[string]any{"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": true, "max_node_count": 5},
	}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == deleteKey {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

type deleteMarker struct{}

var deleteKey = deleteMarker{}

// wantMagnumError checks Magnum's error envelope: status, detail, and the
// title as detail cut at the first ".".
func wantMagnumError(t *testing.T, r response, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	errs, _ := r.body["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("want one error in envelope, got %s", r.raw)
	}
	e := errs[0].(map[string]any)
	title, _, _ := strings.Cut(detail, ".")
	code := "client"
	if status >= 500 {
		code = "server"
	}
	if e["detail"] != detail || e["title"] != title || e["code"] != code || e["status"] != float64(status) || e["request_id"] != "" {
		t.Errorf("error = %v\nwant detail %q title %q code %q", e, detail, title, code)
	}
}
