package sim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestMicroversionMatrix(t *testing.T) {
	blank406 := `{"errors":[{"code":"","detail":"","links":[],"request_id":"","status":406,"title":""}]}`
	tests := []struct {
		profile    string
		header     string // "" sends none
		wantStatus int
		wantServed string // OpenStack-API-Version; "" means no version headers at all
		wantMax    string
	}{
		{"zed", "", 200, "container-infra 1.1", "1.10"},
		{"zed", "container-infra latest", 200, "container-infra 1.10", "1.10"},
		{"zed", "container-infra 1.10", 200, "container-infra 1.10", "1.10"},
		{"zed", "Container-Infra 1.5", 200, "container-infra 1.5", "1.10"},
		{"zed", "container-infra 1.11", 406, "container-infra 1.11", "1.10"},
		{"zed", "container-infra 1.0", 406, "container-infra 1.0", "1.10"},
		{"zed", "container-infra 2.0", 406, "container-infra 2.0", "1.10"},
		{"zed", "container-infra 1", 406, "", ""},
		{"zed", "foo 1.1", 406, "", ""},
		{"zed", "container-infra 1.2.3", 406, "", ""},
		{"zed", "container-infra abc", 406, "", ""},
		{"2025.1", "container-infra 1.11", 200, "container-infra 1.11", "1.11"},
		{"2025.1", "container-infra latest", 200, "container-infra 1.11", "1.11"},
		{"master", "container-infra latest", 200, "container-infra 1.14", "1.14"},
		{"master", "container-infra 1.15", 406, "container-infra 1.15", "1.14"},
	}
	sims := map[string]*Sim{}
	tokens := map[string]string{}
	for _, tc := range tests {
		if sims[tc.profile] == nil {
			sims[tc.profile] = startSim(t, Options{Profile: tc.profile})
			tokens[tc.profile] = login(t, sims[tc.profile], "demo")
		}
	}
	for _, tc := range tests {
		s := sims[tc.profile]
		for _, path := range []string{"/v1/", "/v1/clustertemplates"} {
			t.Run(tc.profile+" "+tc.header+" "+path, func(t *testing.T) {
				var hdr []string
				if tc.header != "" {
					hdr = []string{"OpenStack-API-Version", tc.header}
				}
				r := call(t, "GET", s.URL()+magnumPrefix+path, tokens[tc.profile], nil, hdr...)
				if r.status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.raw)
				}
				if got := r.header.Get("OpenStack-API-Version"); got != tc.wantServed {
					t.Errorf("OpenStack-API-Version = %q, want %q", got, tc.wantServed)
				}
				if tc.wantServed == "" {
					if r.header.Get("OpenStack-API-Maximum-Version") != "" || string(r.raw) != blank406 {
						t.Errorf("malformed header: headers %v body %s", r.header, r.raw)
					}
					return
				}
				if r.header.Get("OpenStack-API-Minimum-Version") != "container-infra 1.1" ||
					r.header.Get("OpenStack-API-Maximum-Version") != "container-infra "+tc.wantMax ||
					r.header.Get("Vary") != "OpenStack-API-Version" {
					t.Errorf("version headers %v", r.header)
				}
				if tc.wantStatus == 406 {
					e := r.body["errors"].([]any)[0].(map[string]any)
					if e["code"] != "magnum.microversion-unsupported" || e["max_version"] != tc.wantMax ||
						e["min_version"] != "1.1" || e["title"] != "Requested microversion is unsupported" || e["status"] != nil {
						t.Errorf("406 body %s", r.raw)
					}
				}
			})
		}
	}
}

// TestVersionHeadersOnErrors: Magnum's v1 controller sets the three
// OpenStack-API-* headers before it routes, so a routed request's error
// answers carry them too (Zed captures: 400, 403, 404, 409 and 500 at 1.10;
// 2025.1: 404 at 1.11), while keystonemiddleware's 401 and the blank 406
// of a method not at the version asked (resize at 1.6, nodegroups at 1.8)
// carry none. Clients negotiate from these headers.
func TestVersionHeadersOnErrors(t *testing.T) {
	for _, tc := range []struct {
		profile, max string
	}{{"zed", "1.10"}, {"2025.1", "1.11"}} {
		t.Run(tc.profile, func(t *testing.T) {
			s := startSim(t, Options{Profile: tc.profile})
			m := newMagnum(t, s, "demo")
			for _, rq := range []struct {
				method, path, version string
				status                int
				served                string // "" means no version headers
			}{
				{"GET", "/v1/clusters/nosuch", "latest", 404, tc.max},
				{"GET", "/v1/clustertemplates/nosuch", "1.5", 404, "1.5"},
				{"GET", "/v1/clustertemplates?limit=0", "latest", 400, tc.max},
				{"GET", "/v1/mservices", "latest", 403, tc.max},
				{"GET", "/v1/clusters/nosuch/nodegroups", "1.8", 406, ""},
				{"POST", "/v1/clusters/nosuch/actions/resize", "1.6", 406, ""},
			} {
				m.version = rq.version
				r := m.do(rq.method, rq.path, nil)
				if r.status != rq.status {
					t.Errorf("%s %s at %s: %d %s, want %d", rq.method, rq.path, rq.version, r.status, r.raw, rq.status)
					continue
				}
				want := [3]string{}
				if rq.served != "" {
					want = [3]string{"container-infra 1.1", "container-infra " + tc.max, "container-infra " + rq.served}
				}
				got := [3]string{r.header.Get("OpenStack-API-Minimum-Version"), r.header.Get("OpenStack-API-Maximum-Version"), r.header.Get("OpenStack-API-Version")}
				if got != want {
					t.Errorf("%s %s at %s: version headers %q, want %q", rq.method, rq.path, rq.version, got, want)
				}
			}
			if r := call(t, "GET", s.URL()+magnumPrefix+"/v1/clusters/nosuch", "", nil, "OpenStack-API-Version", "container-infra latest"); r.status != 401 || r.header.Get("OpenStack-API-Version") != "" {
				t.Errorf("unauthenticated: %d, OpenStack-API-Version %q; want 401 without version headers", r.status, r.header.Get("OpenStack-API-Version"))
			}
		})
	}
}

func TestMagnumRootAndV1(t *testing.T) {
	for _, tc := range []struct {
		profile string
		max     string
		bays    bool
	}{{"zed", "1.10", true}, {"2025.1", "1.11", false}, {"master", "1.14", false}} {
		t.Run(tc.profile, func(t *testing.T) {
			s := startSim(t, Options{Profile: tc.profile})
			// GET / needs no token, ignores the version header and sends
			// no version headers.
			r := call(t, "GET", s.URL()+magnumPrefix+"/", "", nil, "OpenStack-API-Version", "container-infra latest")
			if r.status != 200 || r.header.Get("OpenStack-API-Version") != "" {
				t.Fatalf("GET /: %d %v", r.status, r.header)
			}
			v := r.body["versions"].([]any)[0].(map[string]any)
			if v["id"] != "v1" || v["max_version"] != tc.max || v["min_version"] != "1.1" || v["status"] != "CURRENT" ||
				r.body["name"] != "OpenStack Magnum API" {
				t.Errorf("GET / = %s", r.raw)
			}
			if !regexp.MustCompile(`^req-[0-9a-f-]{36}$`).MatchString(r.header.Get("X-OpenStack-Request-Id")) {
				t.Errorf("request id %q", r.header.Get("X-OpenStack-Request-Id"))
			}
			for _, p := range []string{"/v1", "/v1/"} {
				r = call(t, "GET", s.URL()+magnumPrefix+p, "", nil)
				if r.status != 200 || r.header.Get("OpenStack-API-Version") != "container-infra 1.1" || r.body["id"] != "v1" {
					t.Errorf("GET %s: %d %v %s", p, r.status, r.header, r.raw)
				}
				if _, ok := r.body["bays"]; ok != tc.bays {
					t.Errorf("GET %s lists bays: %v", p, ok)
				}
			}
		})
	}
}

func TestMagnumRouting(t *testing.T) {
	s := startSim(t, Options{Profile: "2025.1"})
	m := newMagnum(t, s, "demo")
	blank := func(status int) string {
		return fmt.Sprintf(`{"errors":[{"code":"","detail":"","links":[],"request_id":"","status":%d,"title":""}]}`, status)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/v1/nosuch", 404},
		{"GET", "/v1/baymodels", 404}, // removed in 2023.2, at every microversion
		{"GET", "/v1/bays", 404},
		{"PUT", "/v1/clustertemplates", 405},
	} {
		r := m.do(tc.method, tc.path, nil)
		if r.status != tc.want || string(r.raw) != blank(tc.want) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
		if r.header.Get("OpenStack-API-Version") != "" {
			t.Errorf("%s %s carries version headers", tc.method, tc.path)
		}
	}
	// keystonemiddleware runs first, even for paths Magnum does not have.
	if r := call(t, "GET", s.URL()+magnumPrefix+"/v1/nosuch", "", nil); r.status != 401 {
		t.Errorf("unauthenticated unknown path: %d", r.status)
	}
}

func TestRequestLogAndCounters(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	m.version = "1.7"
	id := m.create("/v1/clustertemplates", validTemplate("ct-log"))["uuid"].(string)
	m.do("GET", "/v1/clustertemplates/"+id, nil)
	m.do("GET", "/v1/clustertemplates/ct-log", nil)
	c := s.Counters()
	for key, want := range map[string]int{
		"POST /identity/v3/auth/tokens":    1,
		"POST /v1/clustertemplates":        1,
		"GET /v1/clustertemplates/{id}":    2,
		"DELETE /v1/clustertemplates/{id}": 0,
	} {
		if c[key] != want {
			t.Errorf("Counters()[%q] = %d, want %d (all: %v)", key, c[key], want, c)
		}
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Route != "GET /v1/clustertemplates/{id}" || last.Status != 200 || last.User != "demo" ||
		last.Project != "demo" || last.Microversion != "1.7" || !strings.HasPrefix(last.RequestID, "req-") ||
		last.Path != magnumPrefix+"/v1/clustertemplates/ct-log" {
		t.Errorf("last request %+v", last)
	}
	s.ResetCounters()
	if len(s.Counters()) != 0 || len(s.Requests()) != len(reqs) {
		t.Error("ResetCounters must clear counters and keep the log")
	}
}
