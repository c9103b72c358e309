package magnum

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
)

func TestParseVersionAndOrdering(t *testing.T) {
	tests := []struct {
		a, b      string
		aLessB    bool
		aAtLeastB bool
	}{
		{"1.9", "1.10", true, false},
		{"1.10", "1.9", false, true},
		{"1.10", "1.10", false, true},
		{"1.14", "2.0", true, false},
		{"container-infra 1.13", "1.2", false, true},
	}
	for _, tt := range tests {
		a, b := MustParseVersion(tt.a), MustParseVersion(tt.b)
		if got := a.Less(b); got != tt.aLessB {
			t.Errorf("%s.Less(%s) = %t, want %t", tt.a, tt.b, got, tt.aLessB)
		}
		if got := a.AtLeast(b); got != tt.aAtLeastB {
			t.Errorf("%s.AtLeast(%s) = %t, want %t", tt.a, tt.b, got, tt.aAtLeastB)
		}
	}
	if got := MustParseVersion("1.10").String(); got != "1.10" {
		t.Errorf("String() = %q, want 1.10", got)
	}
	for _, bad := range []string{"", "1", "1.2.3", "abc", "1.x", "-1.2"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) succeeded, want error", bad)
		}
	}
}

func TestSplitEndpoint(t *testing.T) {
	tests := []struct{ in, base, root string }{
		{"https://cloud:9511/v1", "https://cloud:9511/v1/", "https://cloud:9511/"},
		{"https://cloud:9511/v1/", "https://cloud:9511/v1/", "https://cloud:9511/"},
		{"https://cloud/container-infra/v1", "https://cloud/container-infra/v1/", "https://cloud/container-infra/"},
		{"https://cloud/container-infra", "https://cloud/container-infra/v1/", "https://cloud/container-infra/"},
		{"https://cloud:9511", "https://cloud:9511/v1/", "https://cloud:9511/"},
	}
	for _, tt := range tests {
		base, root, err := splitEndpoint(tt.in)
		if err != nil || base != tt.base || root != tt.root {
			t.Errorf("splitEndpoint(%q) = %q, %q, %v; want %q, %q", tt.in, base, root, err, tt.base, tt.root)
		}
	}
	if _, _, err := splitEndpoint("not a url"); err == nil {
		t.Error("splitEndpoint accepted a relative URL")
	}
}

func TestMicroversionNegotiation(t *testing.T) {
	tests := []struct {
		name      string
		serverMax string
		pin       string
		want      string
		wantErr   string
	}{
		{name: "zed", serverMax: "1.10", want: "1.10"},
		{name: "newer server is capped at what the client knows", serverMax: "1.20", want: "1.14"},
		{name: "pin below server max", serverMax: "1.10", pin: "1.8", want: "1.8"},
		{name: "pin above server max", serverMax: "1.10", pin: "1.13", want: "1.10"},
		{name: "pin at server min", serverMax: "1.10", pin: "1.1", want: "1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, tt.serverMax)
			c, _ := newTestClient(t, f, func(c *Config) { c.MaxMicroversion = tt.pin })
			got, err := c.Microversion(context.Background())
			if err != nil {
				t.Fatalf("Microversion: %v", err)
			}
			if got.String() != tt.want {
				t.Errorf("Microversion = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMicroversionPinBelowServerMinimum(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"versions": []any{map[string]any{"id": "v1", "min_version": "1.5", "max_version": "1.10"}}})
	})
	c, _ := newTestClient(t, f, func(c *Config) { c.MaxMicroversion = "1.2" })
	_, err := c.Microversion(context.Background())
	if err == nil || !strings.Contains(err.Error(), "below this cloud's minimum 1.5") {
		t.Fatalf("err = %v, want the pin rejected against the minimum", err)
	}
}

func TestMicroversionFallsBackToV1Headers(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden by proxy", http.StatusForbidden)
	})
	f.handle("GET /v1/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("OpenStack-API-Minimum-Version", "container-infra 1.1")
		w.Header().Set("OpenStack-API-Maximum-Version", "container-infra 1.11")
		writeJSON(w, 200, map[string]any{"id": "v1"})
	})
	c, _ := newTestClient(t, f, nil)
	got, err := c.Microversion(context.Background())
	if err != nil || got.String() != "1.11" {
		t.Fatalf("Microversion = %s, %v; want 1.11 from the v1 headers", got, err)
	}
}

func TestMicroversionIsNegotiatedOnceAndSent(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clusters/c1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"uuid": "u1", "status": "CREATE_COMPLETE"})
	})
	c, _ := newTestClient(t, f, nil)
	if f.count("GET", "/") != 0 {
		t.Fatal("NewClient sent a request; it must not")
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetCluster(context.Background(), "c1"); err != nil {
				t.Errorf("GetCluster: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok, err := c.Supports(context.Background(), "1.9"); err != nil || !ok {
		t.Errorf("Supports(1.9) = %t, %v; want true", ok, err)
	}
	if ok, _ := c.Supports(context.Background(), "1.13"); ok {
		t.Error("Supports(1.13) = true against a 1.10 cloud")
	}
	if n := f.count("GET", "/"); n != 1 {
		t.Errorf("versions document fetched %d times, want 1", n)
	}
	for _, r := range f.requests() {
		if got := r.Header.Get("OpenStack-API-Version"); got != "container-infra 1.10" {
			t.Errorf("%s %s sent OpenStack-API-Version %q", r.Method, r.Path, got)
		}
		if got := r.Header.Get("X-Auth-Token"); got != testToken {
			t.Errorf("%s %s sent X-Auth-Token %q", r.Method, r.Path, got)
		}
	}
}

func TestFailedNegotiationIsRetriedLater(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	var mu sync.Mutex
	down := true
	f.handle("GET /", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "nope", http.StatusNotFound)
			return
		}
		writeJSON(w, 200, map[string]any{"versions": []any{map[string]any{"id": "v1", "min_version": "1.1", "max_version": "1.9"}}})
	})
	c, _ := newTestClient(t, f, nil)
	if _, err := c.Microversion(context.Background()); err == nil {
		t.Fatal("negotiation succeeded against a missing versions document")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	if v, err := c.Microversion(context.Background()); err != nil || v.String() != "1.9" {
		t.Fatalf("second Microversion = %s, %v; want 1.9", v, err)
	}
}

// TestCatalogAndReauth builds the provider client the way the provider
// will: password auth against a fake Keystone whose catalog points at the
// fake Magnum. The first token is then rejected, and gophercloud must
// re-authenticate and repeat the request.
func TestCatalogAndReauth(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	var mu sync.Mutex
	tokens := 0
	current := ""
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v3/auth/tokens" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		tokens++
		current = "tok-" + string(rune('0'+tokens))
		tok := current
		mu.Unlock()
		w.Header().Set("X-Subject-Token", tok)
		writeJSON(w, 201, map[string]any{"token": map[string]any{
			"expires_at": "2999-01-01T00:00:00.000000Z",
			"project":    map[string]any{"id": "p1", "name": "demo", "domain": map[string]any{"id": "default"}},
			"user":       map[string]any{"id": "u1", "name": "demo", "domain": map[string]any{"id": "default"}},
			"catalog": []any{
				map[string]any{"type": "container-infra", "name": "magnum", "id": "m", "endpoints": []any{
					map[string]any{"id": "e1", "interface": "internal", "region": "RegionOne", "region_id": "RegionOne", "url": "http://127.0.0.1:1/v1"},
					map[string]any{"id": "e2", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": f.srv.URL + "/v1"},
				}},
			},
		}})
	}))
	t.Cleanup(ks.Close)
	f.handle("GET /v1/clusters/c1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tok := current
		mu.Unlock()
		if r.Header.Get("X-Auth-Token") != tok || tok == "tok-1" {
			writeJSON(w, 401, map[string]any{"error": map[string]any{"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}})
			return
		}
		writeJSON(w, 200, map[string]any{"uuid": "u1"})
	})
	pc, err := openstack.AuthenticatedClient(context.Background(), gophercloud.AuthOptions{
		IdentityEndpoint: ks.URL + "/v3", Username: "demo", Password: "pw", DomainName: "Default", TenantName: "demo", AllowReauth: true,
	})
	if err != nil {
		t.Fatalf("authenticating: %v", err)
	}
	c, err := NewClient(context.Background(), Config{ProviderClient: pc, Region: "RegionOne"})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if c.BaseURL() != f.srv.URL+"/v1/" {
		t.Errorf("BaseURL = %q, want the public endpoint %q", c.BaseURL(), f.srv.URL+"/v1/")
	}
	got, err := c.GetCluster(context.Background(), "c1")
	if err != nil {
		t.Fatalf("GetCluster after re-auth: %v", err)
	}
	if got.UUID != "u1" || tokens != 2 {
		t.Errorf("uuid %q after %d token requests; want u1 after 2", got.UUID, tokens)
	}
}

func TestNewClientWithoutMagnumInCatalog(t *testing.T) {
	pc := &gophercloud.ProviderClient{EndpointLocator: func(gophercloud.EndpointOpts) (string, error) {
		return "", &gophercloud.ErrEndpointNotFound{}
	}}
	_, err := NewClient(context.Background(), Config{ProviderClient: pc, Region: "R9"})
	if err == nil || !strings.Contains(err.Error(), "no container-infra endpoint") || !strings.Contains(err.Error(), "R9") {
		t.Fatalf("err = %v, want a message naming the missing endpoint and region", err)
	}
}
