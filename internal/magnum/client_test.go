package magnum

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
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

// TestConcurrentFirstReads: many first reads at once (a plan refreshes
// bays in parallel) each go out at once, none waits for a discovery, and
// they settle on one memo that every later request uses.
func TestConcurrentFirstReads(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clusters/c1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"uuid": "u1", "status": "CREATE_COMPLETE"})
	})
	c, _ := newTestClient(t, f, nil)
	if len(f.requests()) != 0 || f.count("GET", "/") != 0 {
		t.Fatal("NewClient sent a request; it must not")
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cl, err := c.GetCluster(context.Background(), "c1"); err != nil || cl.UUID != "u1" {
				t.Errorf("GetCluster = %+v, %v", cl, err)
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
	if _, err := c.GetCluster(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("GET", "/"); n != 0 {
		t.Errorf("versions document fetched %d times, want none", n)
	}
	reqs := f.requests()
	if len(reqs) != 21 {
		t.Fatalf("%d requests, want 21: one per GetCluster and none to negotiate", len(reqs))
	}
	for _, r := range reqs[:20] {
		if got := r.Header.Get("OpenStack-API-Version"); got != "container-infra latest" && got != "container-infra 1.10" {
			t.Errorf("%s %s sent OpenStack-API-Version %q", r.Method, r.Path, got)
		}
	}
	for _, r := range reqs {
		if got := r.Header.Get("X-Auth-Token"); got != testToken {
			t.Errorf("%s %s sent X-Auth-Token %q", r.Method, r.Path, got)
		}
	}
	if got := reqs[20].Header.Get("OpenStack-API-Version"); got != "container-infra 1.10" {
		t.Errorf("the read after negotiation sent %q, want container-infra 1.10", got)
	}
}

// TestFirstRequest: what the first request of a client sends, and what it
// negotiates. Reads go out at once at "latest" (or the pin) and negotiate
// from the answer's headers; requests that change the cloud negotiate
// first.
func TestFirstRequest(t *testing.T) {
	ctx := context.Background()
	// cluster answers at every version, with a field only the discarded
	// answer of a too-new version has.
	cluster := func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{"uuid": "c1", "status": "CREATE_COMPLETE"}
		if v, _ := ParseVersion(w.Header().Get("OpenStack-API-Version")); MaxKnownVersion.Less(v) {
			body["status_reason"] = "answered at " + v.String()
		}
		writeJSON(w, 200, body)
	}
	stripHeaders := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for _, k := range []string{"OpenStack-API-Minimum-Version", "OpenStack-API-Maximum-Version", "OpenStack-API-Version"} {
				w.Header().Del(k)
			}
			h(w, r)
		}
	}
	getCluster := func(c *Client) error {
		cl, err := c.GetCluster(ctx, "c1")
		if err == nil && (cl.UUID != "c1" || cl.StatusReason != "") {
			t.Errorf("GetCluster = %+v, want the answer at the negotiated version", cl)
		}
		return err
	}
	tests := []struct {
		name            string
		serverMin       string // "" is 1.1
		serverMax, pin  string
		route           string
		handler         http.HandlerFunc
		call            func(c *Client) error
		retries         int      // Retry.MaxAttempts; 0 is the default
		wantSent        []string // OpenStack-API-Version of each request to route
		wantDiscoveries int
		wantUse         string // the memo after the call; "" means none
		wantErr         string
		wantErrVersion  string // the *Error's Microversion
	}{
		{
			name: "zed: a read goes at latest and is kept", serverMax: "1.10",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"latest"}, wantUse: "1.10",
		},
		{
			name: "2025.1: the same at 1.11", serverMax: "1.11",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"latest"}, wantUse: "1.11",
		},
		{
			name: "a cloud newer than the client: resent at what it knows, body of the resend only", serverMax: "1.20",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"latest", "1.14"}, wantUse: "1.14",
		},
		{
			name: "a pin below the cloud's maximum is sent as is", serverMax: "1.10", pin: "1.8",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"1.8"}, wantUse: "1.8",
		},
		{
			name: "a pin above what the client knows sends the client's maximum", serverMax: "1.20", pin: "1.16",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"1.14"}, wantUse: "1.14",
		},
		{
			name: "a pin above the cloud's maximum: 406, then resent at the range it gave", serverMax: "1.10", pin: "1.13",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"1.13", "1.10"}, wantUse: "1.10",
		},
		{
			name: "a pin below the cloud's minimum is refused with the range from the 406", serverMin: "1.5", serverMax: "1.10", pin: "1.2",
			route: "GET /v1/clusters/c1", handler: cluster, call: getCluster,
			wantSent: []string{"1.2"}, wantErr: "max microversion 1.2 is below this cloud's minimum 1.5",
		},
		{
			name: "an answer without version headers: discovery, then resent", serverMax: "1.10",
			route: "GET /v1/clusters/c1", handler: stripHeaders(cluster), call: getCluster,
			wantSent: []string{"latest", "1.10"}, wantDiscoveries: 1, wantUse: "1.10",
		},
		{
			name: "a blank 406 to latest (a proxy): discovery, then resent", serverMax: "1.10",
			route: "GET /v1/clusters/c1",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.Header.Get("OpenStack-API-Version"), "latest") {
					stripHeaders(func(w http.ResponseWriter, r *http.Request) {
						writeJSON(w, 406, map[string]any{"errors": []any{map[string]any{"request_id": "", "code": "", "status": 406, "title": "", "detail": "", "links": []any{}}}})
					})(w, r)
					return
				}
				cluster(w, r)
			},
			call:     getCluster,
			wantSent: []string{"latest", "1.10"}, wantDiscoveries: 1, wantUse: "1.10",
		},
		{
			name: "a 404 carries the headers: it stands, and negotiates", serverMax: "1.10",
			route:    "GET /v1/clusters/c1",
			handler:  func(w http.ResponseWriter, r *http.Request) { magnumError(w, 404, "Cluster c1 could not be found.") },
			call:     getCluster,
			wantSent: []string{"latest"}, wantUse: "1.10",
			wantErr: "Cluster c1 could not be found.", wantErrVersion: "1.10",
		},
		{
			name: "a proxy's 503 says nothing: the error stands, nothing is memoized", serverMax: "1.10", retries: 1,
			route:    "GET /v1/clusters/c1",
			handler:  stripHeaders(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) }),
			call:     getCluster,
			wantSent: []string{"latest"}, wantErr: "busy",
		},
		{
			name: "a list is a read too", serverMax: "1.10",
			route: "GET /v1/clustertemplates",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"clustertemplates": []any{}})
			},
			call: func(c *Client) error {
				_, err := c.ListClusterTemplates(ctx, ListOpts{})
				return err
			},
			wantSent: []string{"latest"}, wantUse: "1.10",
		},
		{
			name: "a create negotiates first", serverMax: "1.10",
			route:   "POST /v1/clusters",
			handler: func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 202, map[string]any{"uuid": "c1"}) },
			call: func(c *Client) error {
				_, err := c.CreateCluster(ctx, ClusterCreate{Name: "b", ClusterTemplateID: "ct"})
				return err
			},
			wantSent: []string{"1.10"}, wantDiscoveries: 1, wantUse: "1.10",
		},
		{
			name: "a delete negotiates first", serverMax: "1.11",
			route:    "DELETE /v1/clusters/c1",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
			call:     func(c *Client) error { return c.DeleteCluster(ctx, "c1") },
			wantSent: []string{"1.11"}, wantDiscoveries: 1, wantUse: "1.11",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, tt.serverMax)
			if tt.serverMin != "" {
				f.minVer = tt.serverMin
			}
			f.handle(tt.route, tt.handler)
			c, _ := newTestClient(t, f, func(cfg *Config) {
				cfg.MaxMicroversion = tt.pin
				cfg.Retry.MaxAttempts = tt.retries
			})
			err := tt.call(c)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("call: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
			}
			if tt.wantErrVersion != "" {
				var me *Error
				if !errors.As(err, &me) || me.Microversion != tt.wantErrVersion {
					t.Errorf("err = %#v, want an *Error at microversion %s", err, tt.wantErrVersion)
				}
			}
			method, path, _ := strings.Cut(tt.route, " ")
			var sent []string
			for _, r := range f.requests() {
				if r.Method != method || r.Path != path {
					t.Errorf("unexpected request %s %s", r.Method, r.Path)
					continue
				}
				sent = append(sent, strings.TrimPrefix(r.Header.Get("OpenStack-API-Version"), "container-infra "))
			}
			if !slices.Equal(sent, tt.wantSent) {
				t.Errorf("sent at %q, want %q", sent, tt.wantSent)
			}
			if n := f.count("GET", "/"); n != tt.wantDiscoveries {
				t.Errorf("versions document fetched %d times, want %d", n, tt.wantDiscoveries)
			}
			got := ""
			if n := c.memoized(); n != nil {
				got = n.use.String()
			}
			if got != tt.wantUse {
				t.Errorf("memoized %q, want %q", got, tt.wantUse)
			}
		})
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
