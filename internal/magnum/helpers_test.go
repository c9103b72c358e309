package magnum

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

const testToken = "secret-token-do-not-log"

// recorded is one request as the fake server saw it.
type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// fakeMagnum serves Magnum's versions document plus whatever routes a test
// registers, and records every request.
type fakeMagnum struct {
	t      *testing.T
	srv    *httptest.Server
	maxVer string
	mu     sync.Mutex
	reqs   []recorded
	routes map[string]http.HandlerFunc // "METHOD /path"
}

func newFakeMagnum(t *testing.T, maxVer string) *fakeMagnum {
	t.Helper()
	f := &fakeMagnum{t: t, maxVer: maxVer, routes: map[string]http.HandlerFunc{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMagnum) handle(methodPath string, h http.HandlerFunc) { f.routes[methodPath] = h }

func (f *fakeMagnum) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
	f.mu.Unlock()
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	w.Header().Set("X-OpenStack-Request-Id", "req-"+strings.ReplaceAll(strings.Trim(r.URL.Path, "/"), "/", "-"))
	if h, ok := f.routes[r.Method+" "+r.URL.Path]; ok {
		h(w, r)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		writeJSON(w, 200, map[string]any{
			"name": "OpenStack Magnum API",
			"versions": []any{map[string]any{
				"id": "v1", "status": "CURRENT", "min_version": "1.1", "max_version": f.maxVer,
				"links": []any{map[string]any{"href": f.srv.URL + "/v1/", "rel": "self"}},
			}},
		})
		return
	}
	writeJSON(w, 404, map[string]any{"errors": []any{map[string]any{"request_id": "", "code": "", "status": 404, "title": "", "detail": "", "links": []any{}}}})
}

// requests returns the recorded requests other than version discovery.
func (f *fakeMagnum) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.reqs {
		if r.Path != "/" {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeMagnum) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reqs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func magnumError(w http.ResponseWriter, status int, detail string) {
	title, _, _ := strings.Cut(detail, ".")
	code := "client"
	if status >= 500 {
		code = "server"
	}
	writeJSON(w, status, map[string]any{"errors": []any{map[string]any{
		"request_id": "", "code": code, "status": status, "title": title, "detail": detail, "links": []any{},
	}}})
}

// noSleep records backoff waits instead of sleeping.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (n *noSleep) sleep(ctx context.Context, d time.Duration) error {
	n.mu.Lock()
	n.waits = append(n.waits, d)
	n.mu.Unlock()
	return ctx.Err()
}

func (n *noSleep) recorded() []time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Duration(nil), n.waits...)
}

// newTestClient points a client at f with a token-only provider client and
// instant, deterministic backoff (Jitter 1 = the full ceiling).
func newTestClient(t *testing.T, f *fakeMagnum, mod func(*Config)) (*Client, *noSleep) {
	t.Helper()
	pc := &gophercloud.ProviderClient{TokenID: testToken}
	pc.UseTokenLock()
	pc.SetToken(testToken)
	ns := &noSleep{}
	cfg := Config{
		ProviderClient: pc,
		Endpoint:       f.srv.URL + "/v1",
		Retry:          RetryPolicy{Sleep: ns.sleep, Jitter: func() float64 { return 1 }},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, ns
}

func ptr[T any](v T) *T { return &v }
