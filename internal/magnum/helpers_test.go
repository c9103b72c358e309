package magnum

import (
	"context"
	"encoding/json"
	"errors"
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
// registers, and records every request. Under /v1 it applies Magnum's
// microversion rules first, as real Magnum's v1 controller does (the
// captures' FINDINGS.md): "latest" is the maximum, a version outside
// minVer..maxVer gets the 406 with the range, a malformed header the blank
// 406, and every other answer carries the three OpenStack-API-* headers
// (a route's handler may remove them to play a proxy).
type fakeMagnum struct {
	t      *testing.T
	srv    *httptest.Server
	maxVer string
	minVer string // "1.1" unless a test sets it
	mu     sync.Mutex
	reqs   []recorded
	routes map[string]http.HandlerFunc // "METHOD /path"
}

func newFakeMagnum(t *testing.T, maxVer string) *fakeMagnum {
	t.Helper()
	f := &fakeMagnum{t: t, maxVer: maxVer, minVer: "1.1", routes: map[string]http.HandlerFunc{}}
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
	if (r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/")) && !f.versionHeaders(w, r) {
		return
	}
	if h, ok := f.routes[r.Method+" "+r.URL.Path]; ok {
		h(w, r)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		writeJSON(w, 200, map[string]any{
			"name": "OpenStack Magnum API",
			"versions": []any{map[string]any{
				"id": "v1", "status": "CURRENT", "min_version": f.minVer, "max_version": f.maxVer,
				"links": []any{map[string]any{"href": f.srv.URL + "/v1/", "rel": "self"}},
			}},
		})
		return
	}
	writeJSON(w, 404, map[string]any{"errors": []any{map[string]any{"request_id": "", "code": "", "status": 404, "title": "", "detail": "", "links": []any{}}}})
}

// versionHeaders answers what Magnum's microversion check refuses and
// reports whether the request goes on.
func (f *fakeMagnum) versionHeaders(w http.ResponseWriter, r *http.Request) bool {
	minV, maxV := MustParseVersion(f.minVer), MustParseVersion(f.maxVer)
	asked := MinServerVersion
	if h := r.Header.Get("OpenStack-API-Version"); h != "" {
		service, v, _ := strings.Cut(strings.TrimSpace(h), " ")
		var err error
		switch {
		case !strings.EqualFold(service, "container-infra"):
			err = errors.New("another service")
		case strings.EqualFold(v, "latest"):
			asked = maxV
		default:
			asked, err = ParseVersion(v)
		}
		if err != nil {
			writeJSON(w, 406, map[string]any{"errors": []any{map[string]any{"request_id": "", "code": "", "status": 406, "title": "", "detail": "", "links": []any{}}}})
			return false
		}
	}
	w.Header().Set("OpenStack-API-Minimum-Version", "container-infra "+minV.String())
	w.Header().Set("OpenStack-API-Maximum-Version", "container-infra "+maxV.String())
	w.Header().Set("OpenStack-API-Version", "container-infra "+asked.String())
	if asked.Less(minV) || maxV.Less(asked) {
		writeJSON(w, 406, map[string]any{"errors": []any{map[string]any{
			"max_version": maxV.String(), "min_version": minV.String(), "code": "magnum.microversion-unsupported",
			"links": []any{map[string]any{"rel": "help", "href": "http://docs.openstack.org/api-guide/compute/microversions.html"}},
			"title": "Requested microversion is unsupported",
		}}})
		return false
	}
	return true
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
