package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/session"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// A configuration that should work is proven by creating a baymodel with it
// and then checking, in the simulator's request log, whose token Magnum saw;
// one that should not is proven by the error a user would read.

const testAccTokenRoute = "POST /identity/v3/auth/tokens"

// testAccBaymodelOnly is the smallest baymodel the simulator accepts.
func testAccBaymodelOnly(name string) string {
	return fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name     = %q
  coe      = "kubernetes"
  image_id = "fedora-coreos-35"
}
`, name)
}

// providerBlockAt is acctest.ProviderBlock with any auth URL and any
// arguments, for configurations ProviderBlock does not cover.
func providerBlockAt(attrs map[string]string, extra ...string) string {
	return namedProviderBlock("magnum", attrs, extra...)
}

// namedProviderBlock is providerBlockAt for any provider local name
// (Terraform's default source for it, hashicorp/<name>, is the address the
// test harness serves it at).
func namedProviderBlock(name string, attrs map[string]string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider %q {\n", name)
	for _, k := range sortedKeys(attrs) {
		fmt.Fprintf(&b, "  %s = %q\n", k, attrs[k])
	}
	for _, e := range extra {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	b.WriteString("}\n")
	return b.String()
}

func passwordAttrs(c sim.Credentials, authURL string) map[string]string {
	return map[string]string{
		"auth_url": authURL, "region": c.Region, "user_name": c.UserName, "password": c.Password,
		"user_domain_name": c.UserDomainName, "project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName,
	}
}

// checkMagnumCallers asserts that Magnum served requests, and that every
// one it accepted came with a token of this user and project.
func checkMagnumCallers(s *sim.Sim, user, project string) resource.TestCheckFunc {
	return checkMagnumCallersAfter(s, 0, user, project)
}

// checkMagnumCallersAfter looks only at the requests after the first skip,
// those the test made itself to set the cloud up.
func checkMagnumCallersAfter(s *sim.Sim, skip int, user, project string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		served := 0
		for _, r := range s.Requests()[skip:] {
			if !strings.HasPrefix(r.Path, "/container-infra/v1/") || r.Status >= 400 {
				continue
			}
			served++
			if r.User != user || r.Project != project {
				return fmt.Errorf("%s %s ran as %s@%s, want %s@%s", r.Method, r.Path, r.User, r.Project, user, project)
			}
		}
		if served == 0 {
			return fmt.Errorf("Magnum served no request")
		}
		return nil
	}
}

func expectProjectOwns(s *sim.Sim, project string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("project_id"),
		knownvalue.StringExact(s.Credentials(project).ProjectID))
}

// errRegexp matches the literal parts in order, whatever Terraform's line
// wrapping does to the spaces in between.
func errRegexp(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s+`)
	}
	return regexp.MustCompile(strings.Join(quoted, `[\s\S]*`))
}

// clearOSEnv hides any OS_* variable of the developer's shell, so a test
// sees only the settings it makes. Tests calling it cannot be parallel.
func clearOSEnv(t *testing.T) {
	t.Helper()
	for _, names := range session.EnvVars {
		for _, name := range names {
			t.Setenv(name, "")
		}
	}
	t.Setenv("OS_AUTH_TYPE", "")
	t.Setenv("OS_CLIENT_CONFIG_FILE", "")
}

// issueToken logs in to the simulator's Keystone as a user of the project,
// the way `openstack token issue` does.
func issueToken(t *testing.T, s *sim.Sim, project string) string {
	t.Helper()
	c := s.Credentials(project)
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.UserDomainName}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.ProjectName, "domain": map[string]any{"name": c.ProjectDomainName}}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.AuthURL+"/auth/tokens", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	tok := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || tok == "" {
		t.Fatalf("Keystone answered %d without a token", resp.StatusCode)
	}
	return tok
}

// frontServer serves the simulator on a second loopback listener through
// wrap, so a test can observe or rewrite traffic, or move the clock at a
// chosen request.
func frontServer(t *testing.T, s *sim.Sim, wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wrap(w, r, s.Handler())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAccProvider_authSources(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	cases := []struct {
		name          string
		user, project string
		block         func(t *testing.T, s *sim.Sim) string
	}{
		{"password in the provider block", "demo", "demo", func(_ *testing.T, s *sim.Sim) string {
			return acctest.ProviderBlock(s, "demo")
		}},
		{"password of another project", "alt", "alt", func(_ *testing.T, s *sim.Sim) string {
			return acctest.ProviderBlock(s, "alt")
		}},
		// The credential fixes user and project: nothing else is needed.
		{"application credential id and secret", "demo", "demo", func(_ *testing.T, s *sim.Sim) string {
			c := s.Credentials("demo")
			return providerBlockAt(map[string]string{"auth_url": c.AuthURL, "application_credential_id": c.AppCredID,
				"application_credential_secret": c.AppCredSecret})
		}},
		{"application credential name, user and secret", "demo", "demo", func(_ *testing.T, s *sim.Sim) string {
			c := s.Credentials("demo")
			return providerBlockAt(map[string]string{"auth_url": c.AuthURL, "application_credential_name": c.AppCredName,
				"user_name": c.UserName, "user_domain_name": c.UserDomainName, "application_credential_secret": c.AppCredSecret})
		}},
		// Without a project the token is used as it is, keeping its scope.
		{"token as issued", "demo", "demo", func(t *testing.T, s *sim.Sim) string {
			return providerBlockAt(map[string]string{"auth_url": s.AuthURL(), "token": issueToken(t, s, "demo")})
		}},
		{"token rescoped to a project", "alt", "alt", func(t *testing.T, s *sim.Sim) string {
			c := s.Credentials("alt")
			return providerBlockAt(map[string]string{"auth_url": s.AuthURL(), "token": issueToken(t, s, "alt"),
				"project_id": c.ProjectID})
		}},
		{"Keystone v2 spelling of the interface", "demo", "demo", func(_ *testing.T, s *sim.Sim) string {
			return acctest.ProviderBlock(s, "demo", `endpoint_type = "internalURL"`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := acctest.StartSim(t, sim.Options{})
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkBaymodelsDestroyed(s),
				Steps: []resource.TestStep{{
					Config:            tc.block(t, s) + testAccBaymodelOnly("auth-source"),
					ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, tc.project)},
					Check:             checkMagnumCallers(s, tc.user, tc.project),
				}},
			})
		})
	}
}

// TestAccProvider_environmentOnly configures the provider from nothing but
// the variables an openrc file (here the simulator's) exports.
func TestAccProvider_environmentOnly(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	clearOSEnv(t)
	lines := s.ExportLines("alt")
	if len(lines) == 0 {
		t.Fatal("the simulator exported no variables")
	}
	for _, line := range lines {
		kv, ok := strings.CutPrefix(line, "export ")
		name, value, found := strings.Cut(kv, "=")
		if !ok || !found {
			t.Fatalf("unexpected export line %q", line)
		}
		t.Setenv(name, strings.Trim(value, "'"))
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			// No provider block at all.
			Config:            testAccBaymodelOnly("from-env"),
			ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "alt")},
			Check:             checkMagnumCallers(s, "alt", "alt"),
		}},
	})
}

// TestAccProvider_cloudsYAML reads the cloud from clouds.yaml and its
// password from secure.yaml beside it, as the OpenStack CLI does.
func TestAccProvider_cloudsYAML(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("alt")
	dir := t.TempDir()
	clouds := filepath.Join(dir, "clouds.yaml")
	writeFile(t, clouds, fmt.Sprintf(`clouds:
  simcloud:
    region_name: %s
    interface: public
    auth:
      auth_url: %s
      username: %s
      project_name: %s
      user_domain_name: %s
      project_domain_name: %s
`, c.Region, c.AuthURL, c.UserName, c.ProjectName, c.UserDomainName, c.ProjectDomainName))
	writeFile(t, filepath.Join(dir, "secure.yaml"), fmt.Sprintf(`clouds:
  simcloud:
    auth:
      password: %s
`, c.Password))
	clearOSEnv(t)
	t.Setenv("OS_CLIENT_CONFIG_FILE", clouds)

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{
			{
				// A cloud the file lacks is named in the error, with where to look.
				Config:      "provider \"magnum\" {\n  cloud = \"nosuchcloud\"\n}\n" + testAccBaymodelOnly("from-clouds-yaml"),
				ExpectError: errRegexp("Cannot read clouds.yaml", `Loading cloud "nosuchcloud" failed`, "OS_CLIENT_CONFIG_FILE"),
			},
			{
				Config:            "provider \"magnum\" {\n  cloud = \"simcloud\"\n}\n" + testAccBaymodelOnly("from-clouds-yaml"),
				ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "alt")},
				Check:             checkMagnumCallers(s, "alt", "alt"),
			},
		},
	})
}

// TestAccProvider_endpointOverride sends Magnum traffic to the override,
// not to the catalog's URL.
func TestAccProvider_endpointOverride(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	var mu sync.Mutex
	viaOverride := 0
	front := frontServer(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		viaOverride++
		mu.Unlock()
		next.ServeHTTP(w, r)
	})
	allMagnumViaOverride := func(*terraform.State) error {
		total := 0
		for _, r := range s.Requests() {
			if strings.HasPrefix(r.Path, "/container-infra") {
				total++
			}
		}
		mu.Lock()
		defer mu.Unlock()
		// Both listeners log to the same simulator: equal counts mean not
		// one Magnum request used the catalog.
		if total == 0 || viaOverride != total {
			return fmt.Errorf("%d of %d Magnum requests went through the override", viaOverride, total)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(s, "demo", fmt.Sprintf(`endpoint_overrides = { "container-infra" = %q }`, front.URL+"/container-infra/v1")) +
				testAccBaymodelOnly("overridden"),
			ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "demo")},
			Check:             resource.ComposeTestCheckFunc(checkMagnumCallers(s, "demo", "demo"), allMagnumViaOverride),
		}},
	})
}

// TestAccProvider_endpointTypeInternal hands out a catalog whose public
// and admin URLs lead nowhere, so only the internal interface can work.
func TestAccProvider_endpointTypeInternal(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	dead := acctest.UnreachableURL(t)
	front := frontServer(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Path != "/identity/v3/auth/tokens" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			if tok, ok := doc["token"].(map[string]any); ok {
				if catalog, ok := tok["catalog"].([]any); ok {
					for _, svc := range catalog {
						for _, ep := range svc.(map[string]any)["endpoints"].([]any) {
							ep := ep.(map[string]any)
							if ep["interface"] != "internal" {
								if u, err := url.Parse(ep["url"].(string)); err == nil {
									ep["url"] = dead + u.Path
								}
							}
						}
					}
					body, _ = json.Marshal(doc)
				}
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
	c := s.Credentials("demo")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config: providerBlockAt(passwordAttrs(c, front.URL+"/identity/v3"), `endpoint_type = "internal"`) +
				testAccBaymodelOnly("internal"),
			ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "demo")},
			Check:             checkMagnumCallers(s, "demo", "demo"),
		}},
	})
}

func TestAccProvider_failures(t *testing.T) {
	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("demo")
	lookup := `
data "magnum_baymodel" "test" {
  name = "anything"
}
`
	withPassword := func(pw string) string {
		a := passwordAttrs(c, c.AuthURL)
		a["password"] = pw
		return providerBlockAt(a)
	}
	unreachable := acctest.UnreachableURL(t) + "/identity/v3"
	cases := []struct {
		name     string
		config   string
		planOnly bool
		want     *regexp.Regexp
	}{
		{"wrong password", withPassword("not-the-password") + lookup, false,
			errRegexp("OpenStack authentication failed", "Keystone at "+c.AuthURL+" answered HTTP 401",
				"The request you have made requires authentication.")},
		{"unreachable auth_url", providerBlockAt(passwordAttrs(c, unreachable)) + lookup, false,
			errRegexp("OpenStack authentication failed", "Could not reach Keystone at "+unreachable, "connection refused")},
		// Terraform cannot give the provider a value that depends on a
		// resource: the error has to say so at plan, not fail oddly later.
		{"auth_url from a resource attribute", fmt.Sprintf(`
resource "terraform_data" "url" {
  input = %q
}
`, c.AuthURL) + strings.Replace(providerBlockAt(passwordAttrs(c, "PLACEHOLDER")), `"PLACEHOLDER"`, "terraform_data.url.output", 1) + lookup, true,
			errRegexp("Unknown auth_url value", "depends on a value known only after apply", "OS_AUTH_URL")},
		{"invalid endpoint_type", acctest.ProviderBlock(s, "demo", `endpoint_type = "private"`) + lookup, true,
			errRegexp("endpoint_type value must be one of", `"public"`, `"internal"`, `"admin"`, `"publicURL"`, `"internalURL"`,
				`"adminURL"`, `got: "private"`)},
		{"project the user has no role on", providerBlockAt(map[string]string{"auth_url": c.AuthURL, "user_name": c.UserName,
			"password": c.Password, "user_domain_name": c.UserDomainName, "project_name": "alt", "project_domain_name": "Default"}) + lookup, false,
			errRegexp("OpenStack authentication failed", "answered HTTP 401")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    tc.planOnly,
					ExpectError: tc.want,
				}},
			})
		})
	}
}

// TestAccProvider_missingSettings runs with an empty environment, so the
// message has to tell the user everything that is missing.
func TestAccProvider_missingSettings(t *testing.T) {
	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("demo")
	clearOSEnv(t)
	lookup := `
data "magnum_baymodel" "test" {
  name = "anything"
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: lookup,
				ExpectError: errRegexp("Missing OpenStack credentials", "neither an auth URL nor credentials",
					"Set auth_url (OS_AUTH_URL)", "password (OS_PASSWORD)", "application_credential_id (OS_APPLICATION_CREDENTIAL_ID)",
					"token (OS_TOKEN)", "cloud (OS_CLOUD)"),
			},
			{
				Config: providerBlockAt(map[string]string{"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password}) + lookup,
				ExpectError: errRegexp("Incomplete OpenStack credentials", "password credentials from the provider configuration",
					"user_domain_name (OS_USER_DOMAIN_NAME)", `for user "demo"`, "project_name (OS_PROJECT_NAME or OS_TENANT_NAME)"),
			},
			{
				Config: providerBlockAt(map[string]string{"auth_url": c.AuthURL, "application_credential_name": c.AppCredName,
					"application_credential_secret": c.AppCredSecret}) + lookup,
				ExpectError: errRegexp("Incomplete OpenStack credentials", "application credential credentials",
					"user_name (OS_USERNAME) or user_id (OS_USER_ID)"),
			},
			{
				// The environment is checked as strictly as the block.
				PreConfig: func() { t.Setenv("OS_INTERFACE", "private") },
				Config:    acctest.ProviderBlock(s, "demo") + lookup,
				ExpectError: errRegexp(`Invalid OS_INTERFACE`, `OS_INTERFACE is "private"`,
					"use one of public, internal, admin"),
			},
		},
	})
}
