package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTokenIssue(t *testing.T) {
	s := startSim(t, Options{})
	demo := s.Credentials("demo")
	domain := map[string]any{"name": "Default"}
	ident := func(methods string, v map[string]any) map[string]any {
		return map[string]any{"methods": []string{methods}, methods: v}
	}
	projectScope := map[string]any{"project": map[string]any{"name": "demo", "domain": domain}}
	tests := []struct {
		name        string
		identity    map[string]any
		scope       any
		wantStatus  int
		wantProject string
	}{
		{"password by name", ident("password", map[string]any{"user": map[string]any{"name": "demo", "domain": domain, "password": "secret"}}), projectScope, 201, "demo"},
		{"password by user id, project by id", ident("password", map[string]any{"user": map[string]any{"id": demo.UserID, "password": "secret"}}),
			map[string]any{"project": map[string]any{"id": demo.ProjectID}}, 201, "demo"},
		{"second member of demo", ident("password", map[string]any{"user": map[string]any{"name": "demo2", "domain": domain, "password": "secret"}}), projectScope, 201, "demo"},
		{"unscoped", ident("password", map[string]any{"user": map[string]any{"name": "demo", "domain": domain, "password": "secret"}}), nil, 201, ""},
		{"wrong password", ident("password", map[string]any{"user": map[string]any{"name": "demo", "domain": domain, "password": "nope"}}), projectScope, 401, ""},
		{"unknown user", ident("password", map[string]any{"user": map[string]any{"name": "mallory", "domain": domain, "password": "secret"}}), projectScope, 401, ""},
		{"wrong domain", ident("password", map[string]any{"user": map[string]any{"name": "demo", "domain": map[string]any{"name": "Other"}, "password": "secret"}}), projectScope, 401, ""},
		{"no role on project", ident("password", map[string]any{"user": map[string]any{"name": "alt", "domain": domain, "password": "secret"}}), projectScope, 401, ""},
		{"user name without domain", ident("password", map[string]any{"user": map[string]any{"name": "demo", "password": "secret"}}), projectScope, 400, ""},
		{"app cred by id", ident("application_credential", map[string]any{"id": demo.AppCredID, "secret": demo.AppCredSecret}), nil, 201, "demo"},
		{"app cred by name and user", ident("application_credential", map[string]any{"name": demo.AppCredName, "secret": demo.AppCredSecret,
			"user": map[string]any{"name": "demo", "domain": domain}}), nil, 201, "demo"},
		{"app cred wrong secret", ident("application_credential", map[string]any{"id": demo.AppCredID, "secret": "x"}), nil, 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			auth := map[string]any{"identity": tc.identity}
			if tc.scope != nil {
				auth["scope"] = tc.scope
			}
			r := call(t, "POST", s.AuthURL()+"/auth/tokens", "", map[string]any{"auth": auth})
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.wantStatus, r.raw)
			}
			if tc.wantStatus != 201 {
				if r.status == 401 && r.body["error"].(map[string]any)["message"] != msgAuthRequired {
					t.Errorf("401 body = %s", r.raw)
				}
				return
			}
			if r.header.Get("X-Subject-Token") == "" {
				t.Error("no X-Subject-Token")
			}
			tok := r.body["token"].(map[string]any)
			if _, err := time.Parse(time.RFC3339, tok["expires_at"].(string)); err != nil {
				t.Errorf("expires_at: %v", err)
			}
			p, _ := tok["project"].(map[string]any)
			if tc.wantProject == "" {
				if p != nil || tok["catalog"] != nil {
					t.Errorf("unscoped token has project %v / catalog", p)
				}
				return
			}
			if p["name"] != tc.wantProject || len(tok["roles"].([]any)) == 0 || tok["catalog"] == nil {
				t.Errorf("token = %v", tok)
			}
		})
	}
}

func TestTokenRescopeAndValidate(t *testing.T) {
	s := startSim(t, Options{})
	r := call(t, "POST", s.AuthURL()+"/auth/tokens", "", map[string]any{"auth": map[string]any{"identity": map[string]any{
		"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": "demo", "domain": map[string]any{"id": "default"}, "password": "secret"}}}}})
	unscoped := r.header.Get("X-Subject-Token")
	r = call(t, "POST", s.AuthURL()+"/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": unscoped}},
		"scope":    map[string]any{"project": map[string]any{"name": "demo", "domain": map[string]any{"id": "default"}}},
	}})
	if r.status != 201 {
		t.Fatalf("rescope: %d %s", r.status, r.raw)
	}
	scoped := r.header.Get("X-Subject-Token")

	// An unscoped token is not enough for a service.
	if r := call(t, "GET", s.URL()+"/container-infra/v1/clustertemplates", unscoped, nil); r.status != 401 {
		t.Errorf("unscoped token at Magnum: %d", r.status)
	}
	r = call(t, "GET", s.AuthURL()+"/auth/tokens", scoped, nil, "X-Subject-Token", scoped)
	if r.status != 200 || r.header.Get("X-Subject-Token") != scoped {
		t.Errorf("validate: %d %s", r.status, r.raw)
	}
	r = call(t, "GET", s.AuthURL()+"/auth/tokens", scoped, nil, "X-Subject-Token", "bogus")
	if r.status != 404 {
		t.Errorf("validate bogus subject: %d", r.status)
	}
	if r := call(t, "DELETE", s.AuthURL()+"/auth/tokens", scoped, nil, "X-Subject-Token", scoped); r.status != 204 {
		t.Errorf("revoke: %d", r.status)
	}
	if r := call(t, "GET", s.URL()+"/container-infra/v1/clustertemplates", scoped, nil); r.status != 401 {
		t.Errorf("revoked token still works: %d", r.status)
	}
}

// Expired or unknown tokens must get keystonemiddleware's 401, so tests can
// prove the provider re-authenticates.
func TestTokenExpiry(t *testing.T) {
	clock := newFakeClock()
	s := startSim(t, Options{TokenTTL: time.Minute, Now: clock.Now})
	tok := login(t, s, "demo")
	urls := []string{
		s.URL() + "/container-infra/v1/clustertemplates",
		s.URL() + "/container-infra/v1/nosuch",
		s.URL() + "/compute/v2.1/flavors/detail",
		s.URL() + "/image/v2/images",
		s.URL() + "/network/v2.0/networks",
	}
	for _, u := range urls {
		if r := call(t, "GET", u, tok, nil); r.status != 200 && r.status != 404 {
			t.Fatalf("fresh token at %s: %d %s", u, r.status, r.raw)
		}
	}
	clock.Advance(time.Minute)
	for _, u := range urls {
		for _, token := range []string{tok, "", "bogus"} {
			r := call(t, "GET", u, token, nil)
			want := `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`
			if r.status != 401 || string(r.raw) != want {
				t.Errorf("GET %s with %.10q: %d %s", u, token, r.status, r.raw)
			}
			if got := r.header.Get("WWW-Authenticate"); got != `Keystone uri="`+s.AuthURL()+`"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if r.header.Get("OpenStack-API-Version") != "" {
				t.Error("401 carries version headers; keystonemiddleware answers before Magnum")
			}
		}
	}
	// A new token works again.
	if r := call(t, "GET", urls[0], login(t, s, "demo"), nil); r.status != 200 {
		t.Errorf("re-auth: %d", r.status)
	}
}

func TestCatalog(t *testing.T) {
	for _, tc := range []struct {
		profile   string
		wantHeat  bool
		wantTypes []string
	}{
		{"zed", true, []string{"identity", "container-infra", "compute", "image", "network", "orchestration"}},
		{"master", false, []string{"identity", "container-infra", "compute", "image", "network"}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			s := startSim(t, Options{Profile: tc.profile})
			r := call(t, "POST", s.AuthURL()+"/auth/tokens", "", passwordAuth("demo", "demo"))
			catalog := r.body["token"].(map[string]any)["catalog"].([]any)
			urls := map[string]string{}
			for _, e := range catalog {
				svc := e.(map[string]any)
				eps := svc["endpoints"].([]any)
				ifaces := map[string]bool{}
				for _, ep := range eps {
					ep := ep.(map[string]any)
					ifaces[ep["interface"].(string)] = true
					if ep["region"] != "RegionOne" || ep["region_id"] != "RegionOne" {
						t.Errorf("%s endpoint region %v", svc["type"], ep["region"])
					}
					urls[svc["type"].(string)] = ep["url"].(string)
				}
				if len(ifaces) != 3 || !ifaces["public"] || !ifaces["internal"] || !ifaces["admin"] {
					t.Errorf("%s interfaces %v", svc["type"], ifaces)
				}
			}
			if len(urls) != len(tc.wantTypes) {
				t.Errorf("catalog types %v, want %v", urls, tc.wantTypes)
			}
			for _, typ := range tc.wantTypes {
				if urls[typ] == "" {
					t.Errorf("no %s in catalog", typ)
				}
			}
			if urls["container-infra"] != s.URL()+"/container-infra/v1" || urls["identity"] != s.AuthURL() {
				t.Errorf("urls = %v", urls)
			}
			if tc.wantHeat && urls["orchestration"] != s.URL()+"/orchestration/v1/"+s.Credentials("demo").ProjectID {
				t.Errorf("orchestration url %q has no substituted project id", urls["orchestration"])
			}
		})
	}
}

func TestIdentityDiscovery(t *testing.T) {
	s := startSim(t, Options{})
	r := call(t, "GET", s.URL()+"/identity/", "", nil)
	if r.status != http.StatusMultipleChoices {
		t.Errorf("GET /identity/: %d", r.status)
	}
	values := r.body["versions"].(map[string]any)["values"].([]any)
	if v := values[0].(map[string]any); v["status"] != "stable" || !strings.HasPrefix(v["id"].(string), "v3") {
		t.Errorf("versions = %v", values)
	}
	r = call(t, "GET", s.AuthURL(), "", nil)
	if r.status != 200 || r.body["version"].(map[string]any)["id"] != "v3.14" {
		t.Errorf("GET /identity/v3: %d %s", r.status, r.raw)
	}
}

func TestCredentialsAndExports(t *testing.T) {
	s := startSim(t, Options{})
	demo := s.Credentials("demo")
	if demo.AppCredID == "" || demo.ProjectID == "" || demo.AuthURL != s.AuthURL() || demo.Region != "RegionOne" {
		t.Errorf("demo credentials %+v", demo)
	}
	if alt := s.Credentials("alt"); alt.UserName != "alt" || alt.AppCredID != "" {
		t.Errorf("alt credentials %+v", alt)
	}
	if admin := s.Credentials("admin"); admin.ProjectName != "admin" {
		t.Errorf("admin credentials %+v", admin)
	}
	lines := s.ExportLines("alt")
	want := []string{
		"export OS_AUTH_URL=" + s.AuthURL(), "export OS_USERNAME=alt", "export OS_PASSWORD=secret",
		"export OS_PROJECT_NAME=alt", "export OS_USER_DOMAIN_NAME=Default", "export OS_PROJECT_DOMAIN_NAME=Default",
		"export OS_REGION_NAME=RegionOne", "export OS_IDENTITY_API_VERSION=3", "export OS_INTERFACE=public",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("ExportLines =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if s.ExportLines("nobody") != nil {
		t.Error("ExportLines for an unknown project")
	}
}

// The orchestration URL in the catalog must lead somewhere, with the same
// tokens as every other service.
func TestOrchestrationEndpoint(t *testing.T) {
	s := startSim(t, Options{})
	demo := s.Credentials("demo")
	stacks := s.URL() + "/orchestration/v1/" + demo.ProjectID + "/stacks"
	if r := call(t, "GET", stacks, login(t, s, "demo"), nil); r.status != 200 || r.body["stacks"] == nil {
		t.Errorf("GET stacks: %d %s", r.status, r.raw)
	}
	if r := call(t, "GET", stacks, "bogus", nil); r.status != 401 {
		t.Errorf("GET stacks without a valid token: %d", r.status)
	}
	if r := call(t, "GET", stacks, login(t, s, "alt"), nil); r.status != 403 {
		t.Errorf("GET another project's stacks: %d", r.status)
	}
}
