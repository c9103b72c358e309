package sim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rawDo sends a request with a client that does not retry, so a test sees
// exactly what the fault did to the connection.
func rawDo(t *testing.T, client *http.Client, method, url, token string, body any) (*http.Response, []byte, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("OpenStack-API-Version", "container-infra latest")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

func freshClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestHTTPFaults(t *testing.T) {
	templatesURL := func(s *Sim) string { return s.URL() + magnumPrefix + "/v1/clustertemplates" }
	templateCount := func(t *testing.T, s *Sim) int {
		t.Helper()
		r := newMagnum(t, s, "demo").do("GET", "/v1/clustertemplates", nil)
		list, _ := r.body["clustertemplates"].([]any)
		return len(list)
	}
	cases := []struct {
		name  string
		fault HTTPFault
		// post creates a template instead of listing them.
		post bool
		// check inspects the outcome of the three requests made.
		check func(t *testing.T, s *Sim, results []result)
	}{
		{
			name:  "503 with Retry-After on the 2nd and 3rd matching requests",
			fault: HTTPFault{Route: "GET /v1/clustertemplates", Skip: 1, Times: 2, Kind: FaultStatus, Status: 503, RetryAfter: "1"},
			check: func(t *testing.T, s *Sim, rs []result) {
				wantStatuses(t, rs, 200, 503, 503, 200)
				if got := rs[1].resp.Header.Get("Retry-After"); got != "1" {
					t.Errorf("Retry-After = %q, want 1", got)
				}
				if !strings.Contains(string(rs[1].body), "503 Service Unavailable") {
					t.Errorf("a gateway's 503 is text: %s", rs[1].body)
				}
			},
		},
		{
			name:  "409 in Magnum's envelope, by pattern",
			fault: HTTPFault{Pattern: `^GET /container-infra/v1/clustertemplates$`, Kind: FaultStatus, Status: 409, Message: "Conflict injected."},
			check: func(t *testing.T, _ *Sim, rs []result) {
				wantStatuses(t, rs, 409, 200, 200, 200)
				if !strings.Contains(string(rs[0].body), `"detail":"Conflict injected."`) {
					t.Errorf("body %s", rs[0].body)
				}
			},
		},
		{
			name:  "reset closes the connection and serves nothing",
			fault: HTTPFault{Route: "POST /v1/clustertemplates", Kind: FaultReset},
			post:  true,
			check: func(t *testing.T, s *Sim, rs []result) {
				if rs[0].err == nil {
					t.Fatalf("reset: got HTTP %d, want a transport error", rs[0].resp.StatusCode)
				}
				wantStatuses(t, rs[1:], 201, 201, 201)
				if n := templateCount(t, s); n != 3 {
					t.Errorf("%d templates, want 3: the reset request must not be served", n)
				}
				if st := lastStatus(s, "POST /v1/clustertemplates", 0); st != 0 {
					t.Errorf("logged status %d for a reset, want 0", st)
				}
			},
		},
		{
			name:  "drop-response carries the POST out and closes the connection",
			fault: HTTPFault{Route: "POST /v1/clustertemplates", Kind: FaultDropResponse},
			post:  true,
			check: func(t *testing.T, s *Sim, rs []result) {
				if rs[0].err == nil {
					t.Fatalf("drop-response: got HTTP %d, want a transport error", rs[0].resp.StatusCode)
				}
				if n := templateCount(t, s); n != 4 {
					t.Errorf("%d templates, want 4: the dropped POST must have been carried out", n)
				}
			},
		},
		{
			name: "served-status carries the POST out and answers the error all the same",
			fault: HTTPFault{Route: "POST /v1/clustertemplates", Kind: FaultServedStatus, Status: 500,
				Message: "Timed out waiting for a reply to message ID 0123456789abcdef0123456789abcdef"},
			post: true,
			check: func(t *testing.T, s *Sim, rs []result) {
				wantStatuses(t, rs, 500, 201, 201, 201)
				if n := templateCount(t, s); n != 4 {
					t.Errorf("%d templates, want 4: the answered POST must have been carried out", n)
				}
			},
		},
		{
			name:  "stall past the client timeout, with the effect applied",
			fault: HTTPFault{Route: "POST /v1/clustertemplates", Kind: FaultStall, Delay: 5 * time.Second},
			post:  true,
			check: func(t *testing.T, s *Sim, rs []result) {
				var uerr interface{ Timeout() bool }
				if !errors.As(rs[0].err, &uerr) || !uerr.Timeout() {
					t.Fatalf("stall: err = %v, want a client timeout", rs[0].err)
				}
				if n := templateCount(t, s); n != 4 {
					t.Errorf("%d templates, want 4", n)
				}
			},
		},
		{
			name:  "expire-token gives 401 to that request and every later one with the token",
			fault: HTTPFault{Route: "GET /v1/clustertemplates", Skip: 2, Kind: FaultExpireToken},
			check: func(t *testing.T, _ *Sim, rs []result) {
				wantStatuses(t, rs, 200, 200, 401, 401)
			},
		},
		{
			name:  "429 from a rate limiter",
			fault: HTTPFault{Route: "GET /v1/clustertemplates", Times: -1, Kind: FaultStatus, Status: 429, RetryAfter: "2"},
			check: func(t *testing.T, _ *Sim, rs []result) {
				wantStatuses(t, rs, 429, 429, 429, 429)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, Options{})
			token := login(t, s, "demo")
			if err := s.InjectHTTPFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			client := freshClient(time.Second)
			var rs []result
			for i := range 4 {
				var r result
				if tc.post {
					r.resp, r.body, r.err = rawDo(t, client, "POST", templatesURL(s), token, validTemplate("ct-"+string(rune('a'+i))))
				} else {
					r.resp, r.body, r.err = rawDo(t, client, "GET", templatesURL(s), token, nil)
				}
				rs = append(rs, r)
			}
			tc.check(t, s, rs)
			if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] == 0 {
				t.Errorf("HTTPFaultHits = %v, want one fault that hit", hits)
			}
		})
	}
}

type result struct {
	resp *http.Response
	body []byte
	err  error
}

func wantStatuses(t *testing.T, rs []result, want ...int) {
	t.Helper()
	for i, w := range want {
		if rs[i].err != nil {
			t.Errorf("request %d: %v, want HTTP %d", i+1, rs[i].err, w)
			continue
		}
		if rs[i].resp.StatusCode != w {
			t.Errorf("request %d: HTTP %d, want %d: %s", i+1, rs[i].resp.StatusCode, w, rs[i].body)
		}
	}
}

// lastStatus is the logged status of the nth request on route.
func lastStatus(s *Sim, route string, nth int) int {
	seen := 0
	for _, r := range s.Requests() {
		if r.Route == route {
			if seen == nth {
				return r.Status
			}
			seen++
		}
	}
	return -1
}

func TestHTTPFaultControlAndFlagSyntax(t *testing.T) {
	s := startSim(t, Options{})
	r := call(t, "POST", s.URL()+"/_sim/http-faults", "", map[string]any{
		"route": "GET /v1/clustertemplates", "kind": "stall", "delay": "1500ms", "skip": 1})
	if r.status != http.StatusCreated || r.body["delay"] != float64(1500*time.Millisecond) {
		t.Fatalf("arming over HTTP: %d %s", r.status, r.raw)
	}
	for _, bad := range []map[string]any{
		{"kind": "reset"},
		{"route": "GET /", "pattern": "x", "kind": "reset"},
		{"route": "GET /", "kind": "explode"},
		{"pattern": "(", "kind": "reset"},
		{"route": "GET /", "kind": "status", "status": 200},
	} {
		if r := call(t, "POST", s.URL()+"/_sim/http-faults", "", bad); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d %s, want 400", bad, r.status, r.raw)
		}
	}
	if r := call(t, "DELETE", s.URL()+"/_sim/http-faults", "", nil); r.status != http.StatusNoContent || len(s.HTTPFaultHits()) != 0 {
		t.Errorf("DELETE: %d, %d faults left", r.status, len(s.HTTPFaultHits()))
	}

	parsed := []struct {
		spec string
		want HTTPFault
	}{
		{"POST /v1/clusters|drop-response", HTTPFault{Route: "POST /v1/clusters", Kind: FaultDropResponse}},
		{"GET /v1/clusters/{id}|status|status=503|retry_after=1|skip=1|times=2",
			HTTPFault{Route: "GET /v1/clusters/{id}", Kind: FaultStatus, Status: 503, RetryAfter: "1", Skip: 1, Times: 2}},
		{"/^DELETE /container-infra//|reset", HTTPFault{Pattern: "^DELETE /container-infra/", Kind: FaultReset}},
		{"GET /v1/clusters|stall|delay=2s", HTTPFault{Route: "GET /v1/clusters", Kind: FaultStall, Delay: 2 * time.Second}},
	}
	for _, p := range parsed {
		got, err := ParseHTTPFault(p.spec)
		if err != nil || !reflect.DeepEqual(got, p.want) {
			t.Errorf("ParseHTTPFault(%q) = %+v, %v; want %+v", p.spec, got, err, p.want)
		}
	}
	for _, bad := range []string{"POST /v1/clusters", "GET /|nope", "GET /|status|status=abc", "GET /|reset|colour=red", "GET /|reset|skip"} {
		if _, err := ParseHTTPFault(bad); err == nil {
			t.Errorf("ParseHTTPFault(%q) accepted", bad)
		}
	}
}

func TestTLSListener(t *testing.T) {
	s := startSim(t, Options{TLS: true})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.Contains(s.CACertPEM(), "BEGIN CERTIFICATE") {
		t.Fatalf("URL %s, CA %q", s.URL(), s.CACertPEM())
	}
	if _, err := http.Get(s.AuthURL()); err == nil {
		t.Error("the system roots verified the simulator's certificate")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(s.CACertPEM()))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	token := ""
	resp, raw, err := rawDo(t, client, "POST", s.AuthURL()+"/auth/tokens", "", passwordAuth("demo", "demo"))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("login over HTTPS: %v %s", err, raw)
	}
	token = resp.Header.Get("X-Subject-Token")
	if !strings.Contains(string(raw), `"url":"https://127.0.0.1:`) {
		t.Errorf("the catalog should point at https: %s", raw)
	}
	// Hijacking faults work over TLS too.
	if err := s.InjectHTTPFault(HTTPFault{Route: "POST /v1/clustertemplates", Kind: FaultDropResponse}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rawDo(t, client, "POST", s.URL()+magnumPrefix+"/v1/clustertemplates", token, validTemplate("tls")); err == nil {
		t.Error("drop-response over TLS answered")
	}
}
