package magnum

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorParsing(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		wantMessage string
		wantCode    string
		wantReqID   string
	}{
		{
			name: "magnum detail wins over the title cut at the first dot", status: 400,
			header:      map[string]string{"X-OpenStack-Request-Id": "req-hdr"},
			body:        `{"errors":[{"request_id":"","code":"client","status":400,"title":"Unable to find flavor m1","detail":"Unable to find flavor m1.nope.","links":[]}]}`,
			wantMessage: "Unable to find flavor m1.nope.", wantCode: "client", wantReqID: "req-hdr",
		},
		{
			name: "magnum title when detail is empty", status: 409,
			body:        `{"errors":[{"request_id":"req-in-body","code":"client","status":409,"title":"Multiple clusters exist","detail":""}]}`,
			wantMessage: "Multiple clusters exist", wantCode: "client",
		},
		{
			name: "wrapped 406 names the supported range", status: 406,
			body:        `{"errors":[{"max_version":"1.10","min_version":"1.1","code":"magnum.microversion-unsupported","links":[],"title":"Requested microversion is unsupported"}]}`,
			wantMessage: "Requested microversion is unsupported (the server supports 1.1 to 1.10)", wantCode: "magnum.microversion-unsupported",
		},
		{
			name: "blank 406 explained", status: 406,
			body:        `{"errors":[{"request_id":"","code":"","status":406,"title":"","detail":"","links":[]}]}`,
			wantMessage: "this operation is not available at microversion 1.10",
		},
		{
			name: "keystone shape", status: 403,
			body:        `{"error":{"code":403,"title":"Forbidden","message":"You are not authorized to perform the requested action."}}`,
			wantMessage: "You are not authorized to perform the requested action.", wantCode: "Forbidden",
		},
		{
			name: "a proxy's HTML page loses its markup", status: 502,
			body:        "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid response.\n</body></html>\n",
			wantMessage: "502 Bad Gateway The server returned an invalid response.",
		},
		{
			name: "raw text", status: 400,
			body:        "Bad gateway config\n",
			wantMessage: "Bad gateway config",
		},
		{
			name: "raw text truncated", status: 400,
			body:        strings.Repeat("x", 2000),
			wantMessage: strings.Repeat("x", maxRawMessage) + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, "1.10")
			f.handle("GET /v1/clusters/c1", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.header == nil {
					w.Header().Del("X-OpenStack-Request-Id")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c, _ := newTestClient(t, f, nil)
			// Negotiated first, so that the GET is sent at 1.10 whatever
			// headers the answer under test lacks.
			if _, err := c.Microversion(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := c.GetCluster(context.Background(), "c1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %#v, want *Error", err)
			}
			if e.StatusCode != tt.status || e.Message != tt.wantMessage || e.Code != tt.wantCode || e.RequestID != tt.wantReqID {
				t.Errorf("got status %d message %q code %q request %q\nwant status %d message %q code %q request %q",
					e.StatusCode, e.Message, e.Code, e.RequestID, tt.status, tt.wantMessage, tt.wantCode, tt.wantReqID)
			}
			if StatusCode(err) != tt.status {
				t.Errorf("StatusCode = %d", StatusCode(err))
			}
		})
	}
}

func TestErrorStringAndPredicates(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("POST /v1/clusters", func(w http.ResponseWriter, r *http.Request) { magnumError(w, 400, "Unable to find flavor m1.nope.") })
	f.handle("GET /v1/clusters/gone", func(w http.ResponseWriter, r *http.Request) { magnumError(w, 404, "Cluster gone could not be found.") })
	f.handle("GET /v1/clusters/dup", func(w http.ResponseWriter, r *http.Request) {
		magnumError(w, 409, "Multiple clusters exist with same name. Please use the cluster uuid instead.")
	})
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()

	_, err := c.CreateCluster(ctx, ClusterCreate{ClusterTemplateID: "t", FlavorID: ptr("m1.nope")})
	want := "Magnum API: POST " + f.srv.URL + "/v1/clusters returned HTTP 400 (request req-v1-clusters): Unable to find flavor m1.nope."
	if err == nil || err.Error() != want {
		t.Errorf("error string\n got %v\nwant %s", err, want)
	}
	if IsOutcomeUnknown(err) {
		t.Error("a 400 is a definite answer, not an unknown outcome")
	}
	_, err = c.GetCluster(ctx, "gone")
	if !IsNotFound(err) || IsConflict(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
	_, err = c.GetCluster(ctx, "dup")
	if !IsConflict(err) || IsNotFound(err) {
		t.Errorf("IsConflict(%v) = false", err)
	}
	if StatusCode(errors.New("plain")) != 0 || IsNotFound(nil) {
		t.Error("predicates must be false for non-API errors")
	}
}

// seq answers the statuses in order, then 200/201/202/204 as fits.
func seq(ok int, okBody string, statuses ...int) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := i
		i++
		mu.Unlock()
		if n < len(statuses) {
			if statuses[n] == 429 {
				w.Header().Set("Retry-After", "3")
			}
			magnumError(w, statuses[n], "transient")
			return
		}
		status(ok, okBody)(w, r)
	}
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	get := func(c *Client) error { _, err := c.GetCluster(ctx, "c1"); return err }
	del := func(c *Client) error { return c.DeleteCluster(ctx, "c1") }
	patch := func(c *Client) error { return c.UpdateClusterNodeCount(ctx, "c1", 3) }
	post := func(c *Client) error {
		_, err := c.CreateCluster(ctx, ClusterCreate{ClusterTemplateID: "t"})
		return err
	}
	rotate := func(c *Client) error { return c.RotateCA(ctx, "c1") }
	upgrade := func(c *Client) error { return c.UpgradeCluster(ctx, "c1", UpgradeOpts{ClusterTemplate: "t2"}) }
	rpcTimedOut := func(w http.ResponseWriter, r *http.Request) {
		magnumError(w, 500, "Timed out waiting for a reply to message ID 7f00eed21d37469bb55f811a883c88eb")
	}
	tests := []struct {
		name         string
		route        string
		handler      http.HandlerFunc
		call         func(*Client) error
		wantAttempts int
		wantStatus   int // 0 = success
		wantUnknown  bool
		wantWaits    []time.Duration
	}{
		{"GET retries 503 then succeeds", "GET /v1/clusters/c1", seq(200, `{"uuid":"c1"}`, 503, 503), get, 3, 0, false, []time.Duration{500 * time.Millisecond, time.Second}},
		{"GET retries 500", "GET /v1/clusters/c1", seq(200, `{"uuid":"c1"}`, 500), get, 2, 0, false, nil},
		{"GET gives up after MaxAttempts", "GET /v1/clusters/c1", seq(200, `{}`, 502, 502, 502, 502, 502, 502), get, 5, 502, false,
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{"GET 400 is final", "GET /v1/clusters/c1", seq(200, `{}`, 400), get, 1, 400, false, nil},
		{"GET honours Retry-After", "GET /v1/clusters/c1", seq(200, `{"uuid":"c1"}`, 429), get, 2, 0, false, []time.Duration{3 * time.Second}},
		{"DELETE retries 504", "DELETE /v1/clusters/c1", seq(204, ``, 504), del, 2, 0, false, nil},
		{"DELETE does not retry 500", "DELETE /v1/clusters/c1", seq(204, ``, 500), del, 1, 500, false, nil},
		{"absolute PATCH retries 503", "PATCH /v1/clusters/c1", seq(202, `{"uuid":"c1"}`, 503), patch, 2, 0, false, nil},
		{"POST retries 429: nothing was processed", "POST /v1/clusters", seq(202, `{"uuid":"u"}`, 429), post, 2, 0, false, []time.Duration{3 * time.Second}},
		{"POST 503 is not retried", "POST /v1/clusters", seq(202, `{"uuid":"u"}`, 503), post, 1, 503, false, nil},
		{"POST 500 is not retried", "POST /v1/clusters", seq(202, `{"uuid":"u"}`, 500), post, 1, 500, false, nil},
		{"POST 502 leaves the outcome unknown", "POST /v1/clusters", seq(202, `{"uuid":"u"}`, 502), post, 1, 502, true, nil},
		{"POST 504 leaves the outcome unknown", "POST /v1/clusters", seq(202, `{"uuid":"u"}`, 504), post, 1, 504, true, nil},
		{"CA rotation is not retried", "PATCH /v1/certificates/c1", seq(202, `{}`, 503), rotate, 1, 503, false, nil},
		// The upgrade is an RPC call: the conductor may carry it out after
		// the API gave up waiting for its reply.
		{"upgrade whose RPC timed out leaves the outcome unknown", "POST /v1/clusters/c1/actions/upgrade", rpcTimedOut, upgrade, 1, 500, true, nil},
		{"upgrade's other 500 is final", "POST /v1/clusters/c1/actions/upgrade", seq(202, `{"uuid":"c1"}`, 500), upgrade, 1, 500, false, nil},
		{"create's RPC timeout is final: create is a cast", "POST /v1/clusters", rpcTimedOut, post, 1, 500, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMagnum(t, "1.10")
			f.handle(tt.route, tt.handler)
			c, ns := newTestClient(t, f, nil)
			err := tt.call(c)
			method, path, _ := strings.Cut(tt.route, " ")
			if n := f.count(method, path); n != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", n, tt.wantAttempts)
			}
			if StatusCode(err) != tt.wantStatus || (tt.wantStatus == 0) != (err == nil) {
				t.Errorf("err = %v, want status %d", err, tt.wantStatus)
			}
			if IsOutcomeUnknown(err) != tt.wantUnknown {
				t.Errorf("IsOutcomeUnknown = %t, want %t (err %v)", IsOutcomeUnknown(err), tt.wantUnknown, err)
			}
			if tt.wantWaits != nil {
				got := ns.recorded()
				if len(got) != len(tt.wantWaits) {
					t.Fatalf("waits = %v, want %v", got, tt.wantWaits)
				}
				for i := range got {
					if got[i] != tt.wantWaits[i] {
						t.Errorf("waits = %v, want %v", got, tt.wantWaits)
						break
					}
				}
			}
		})
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-3", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestRetryAfterBeyondCapIsReturned(t *testing.T) {
	f := newFakeMagnum(t, "1.10")
	f.handle("GET /v1/clusters/c1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "600")
		magnumError(w, 429, "slow down")
	})
	c, ns := newTestClient(t, f, nil)
	_, err := c.GetCluster(context.Background(), "c1")
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != 10*time.Minute {
		t.Fatalf("err = %v, want a 429 carrying its 10m Retry-After for the caller", err)
	}
	if f.count("GET", "/v1/clusters/c1") != 1 || len(ns.recorded()) != 0 {
		t.Error("a Retry-After beyond MaxRetryAfter must not be slept through")
	}
}

// hangUp closes the connection after reading the request the first
// `times` times: the client cannot know whether the server acted on it.
func hangUp(times int, okStatus int) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		drop := n <= times
		mu.Unlock()
		if !drop {
			writeJSON(w, okStatus, map[string]any{"uuid": "c1"})
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

func TestConnectionFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("GET is retried after a dropped connection", func(t *testing.T) {
		f := newFakeMagnum(t, "1.10")
		f.handle("GET /v1/clusters/c1", hangUp(2, 200))
		c, _ := newTestClient(t, f, nil)
		if _, err := c.GetCluster(ctx, "c1"); err != nil {
			t.Fatalf("GetCluster: %v", err)
		}
		if n := f.count("GET", "/v1/clusters/c1"); n != 3 {
			t.Errorf("attempts = %d, want 3", n)
		}
	})
	t.Run("POST after a dropped connection has an unknown outcome", func(t *testing.T) {
		f := newFakeMagnum(t, "1.10")
		f.handle("POST /v1/clusters", hangUp(1, 202))
		c, _ := newTestClient(t, f, nil)
		_, err := c.CreateCluster(ctx, ClusterCreate{Name: "c1", ClusterTemplateID: "t"})
		if !IsOutcomeUnknown(err) {
			t.Fatalf("err = %v, want an unknown outcome", err)
		}
		if !strings.Contains(err.Error(), "outcome unknown") {
			t.Errorf("message %q does not say the outcome is unknown", err)
		}
		if n := f.count("POST", "/v1/clusters"); n != 1 {
			t.Errorf("POST sent %d times; it must never be repeated blindly", n)
		}
	})
	t.Run("POST that times out has an unknown outcome", func(t *testing.T) {
		f := newFakeMagnum(t, "1.10")
		release := make(chan struct{})
		defer close(release)
		f.handle("POST /v1/clusters", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		c, _ := newTestClient(t, f, nil)
		if _, err := c.Microversion(ctx); err != nil {
			t.Fatal(err)
		}
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.CreateCluster(tctx, ClusterCreate{Name: "c1", ClusterTemplateID: "t"})
		if !IsOutcomeUnknown(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want an unknown outcome wrapping the deadline", err)
		}
	})
	t.Run("POST whose connection was refused is retried", func(t *testing.T) {
		f := newFakeMagnum(t, "1.10")
		f.handle("POST /v1/clusters", status(202, `{"uuid":"u9"}`))
		refusals := 2
		c, _ := newTestClient(t, f, func(cfg *Config) {
			cfg.ProviderClient.HTTPClient.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodPost && refusals > 0 {
					refusals--
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
				}
				return http.DefaultTransport.RoundTrip(r)
			})
		})
		id, err := c.CreateCluster(ctx, ClusterCreate{ClusterTemplateID: "t"})
		if err != nil || id != "u9" {
			t.Fatalf("CreateCluster = %q, %v; a request that never left may be repeated", id, err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
