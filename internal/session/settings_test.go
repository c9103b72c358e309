package session

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// noClouds fails the test if Resolve reads clouds.yaml unasked.
func noClouds(t *testing.T) CloudsLoader {
	return func(name string, _ func(string) string) (CloudEntry, error) {
		t.Errorf("clouds.yaml read for cloud %q although none was configured", name)
		return CloudEntry{}, os.ErrNotExist
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	const authURL = "https://keystone.example:5000/v3"
	const cloudsYAML = `clouds:
  lab:
    region_name: RegionTwo
    interface: internal
    auth:
      auth_url: https://lab-keystone:5000/v3
      username: labuser
      project_name: labproject
      user_domain_name: LabDomain
      project_domain_name: LabDomain
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://lab-keystone:5000/v3
      application_credential_id: ac-123
      application_credential_secret: ac-secret
`
	const secureYAML = `clouds:
  lab:
    auth:
      password: from-secure-yaml
`
	cases := []struct {
		name    string
		cfg     map[string]string
		env     map[string]string
		clouds  bool
		want    gophercloud.AuthOptions
		method  string
		region  string
		avail   gophercloud.Availability
		check   func(t *testing.T, r Settings)
		errs    []string // substrings, in one error detail or summary
		errPath string
		warns   []string
	}{
		{
			name: "password from the provider block",
			cfg: map[string]string{"auth_url": authURL, "user_name": "alice", "password": "pw", "project_name": "demo",
				"domain_name": "Default", "region": "RegionOne"},
			want: gophercloud.AuthOptions{IdentityEndpoint: authURL, Username: "alice", Password: "pw", DomainName: "Default",
				AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectName: "demo", DomainName: "Default"}},
			method: methodPassword, region: "RegionOne", avail: gophercloud.AvailabilityPublic,
		},
		{
			name: "openrc environment with legacy tenant variables",
			env: map[string]string{"OS_AUTH_URL": authURL, "OS_USERNAME": "bob", "OS_PASSWORD": "pw", "OS_TENANT_NAME": "legacy",
				"OS_USER_DOMAIN_ID": "default", "OS_PROJECT_DOMAIN_ID": "default", "OS_REGION_NAME": "RegionOne",
				"OS_ENDPOINT_TYPE": "internalURL"},
			want: gophercloud.AuthOptions{IdentityEndpoint: authURL, Username: "bob", Password: "pw", DomainID: "default",
				AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectName: "legacy", DomainID: "default"}},
			method: methodPassword, region: "RegionOne", avail: gophercloud.AvailabilityInternal,
		},
		{
			name: "configuration overrides environment field by field",
			cfg:  map[string]string{"user_name": "alice", "region": "RegionOne", "endpoint_type": "admin"},
			env: map[string]string{"OS_AUTH_URL": authURL, "OS_USERNAME": "bob", "OS_PASSWORD": "envpw", "OS_PROJECT_ID": "p-1",
				"OS_USER_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionEnv", "OS_INTERFACE": "internal"},
			want: gophercloud.AuthOptions{IdentityEndpoint: authURL, Username: "alice", Password: "envpw", DomainName: "Default",
				AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectID: "p-1"}},
			method: methodPassword, region: "RegionOne", avail: gophercloud.AvailabilityAdmin,
		},
		{
			// Horizon's openrc exports both; the ID is unambiguous.
			name: "project ID preferred over name from the same source",
			env: map[string]string{"OS_AUTH_URL": authURL, "OS_USER_ID": "u-1", "OS_PASSWORD": "pw",
				"OS_PROJECT_ID": "p-1", "OS_PROJECT_NAME": "demo", "OS_USER_DOMAIN_NAME": "Default"},
			want: gophercloud.AuthOptions{IdentityEndpoint: authURL, UserID: "u-1", Password: "pw", AllowReauth: true,
				Scope: &gophercloud.AuthScope{ProjectID: "p-1"}},
			method: methodPassword, avail: gophercloud.AvailabilityPublic,
		},
		{
			name:   "clouds.yaml with password from secure.yaml",
			cfg:    map[string]string{"cloud": "lab"},
			clouds: true,
			want: gophercloud.AuthOptions{IdentityEndpoint: "https://lab-keystone:5000/v3", Username: "labuser",
				Password: "from-secure-yaml", DomainName: "LabDomain", AllowReauth: true,
				Scope: &gophercloud.AuthScope{ProjectName: "labproject", DomainName: "LabDomain"}},
			method: methodPassword, region: "RegionTwo", avail: gophercloud.AvailabilityInternal,
		},
		{
			name:   "OS_CLOUD selects the cloud and OS_* beats its entries",
			env:    map[string]string{"OS_CLOUD": "lab", "OS_REGION_NAME": "RegionEnv", "OS_PASSWORD": "envpw", "OS_INTERFACE": "public"},
			clouds: true,
			want: gophercloud.AuthOptions{IdentityEndpoint: "https://lab-keystone:5000/v3", Username: "labuser",
				Password: "envpw", DomainName: "LabDomain", AllowReauth: true,
				Scope: &gophercloud.AuthScope{ProjectName: "labproject", DomainName: "LabDomain"}},
			method: methodPassword, region: "RegionEnv", avail: gophercloud.AvailabilityPublic,
		},
		{
			name:   "application credential from clouds.yaml",
			cfg:    map[string]string{"cloud": "appcred"},
			clouds: true,
			want: gophercloud.AuthOptions{IdentityEndpoint: "https://lab-keystone:5000/v3", ApplicationCredentialID: "ac-123",
				ApplicationCredentialSecret: "ac-secret", AllowReauth: true},
			method: methodAppCred, avail: gophercloud.AvailabilityPublic,
		},
		{
			name: "application credential by name needs its user",
			cfg: map[string]string{"auth_url": authURL, "application_credential_name": "ci", "application_credential_secret": "s",
				"user_name": "alice", "user_domain_id": "default"},
			want: gophercloud.AuthOptions{IdentityEndpoint: authURL, ApplicationCredentialName: "ci", ApplicationCredentialSecret: "s",
				Username: "alice", DomainID: "default", AllowReauth: true},
			method: methodAppCred, avail: gophercloud.AvailabilityPublic,
		},
		{
			// A stale OS_PASSWORD in the shell must not override an
			// application credential chosen in the provider block.
			name: "method from the highest source wins",
			cfg:  map[string]string{"application_credential_id": "ac-1", "application_credential_secret": "s"},
			env: map[string]string{"OS_AUTH_URL": authURL, "OS_USERNAME": "bob", "OS_PASSWORD": "pw", "OS_PROJECT_NAME": "demo",
				"OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"},
			want:   gophercloud.AuthOptions{IdentityEndpoint: authURL, ApplicationCredentialID: "ac-1", ApplicationCredentialSecret: "s", AllowReauth: true},
			method: methodAppCred, avail: gophercloud.AvailabilityPublic,
		},
		{
			name:   "token with project",
			env:    map[string]string{"OS_AUTH_URL": authURL, "OS_TOKEN": "tok", "OS_PROJECT_ID": "p-1"},
			want:   gophercloud.AuthOptions{IdentityEndpoint: authURL, TokenID: "tok", AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectID: "p-1"}},
			method: methodToken, avail: gophercloud.AvailabilityPublic,
		},
		{
			name:   "OS_AUTH_TYPE picks among several environment credentials",
			env:    map[string]string{"OS_AUTH_URL": authURL, "OS_AUTH_TYPE": "v3applicationcredential", "OS_APPLICATION_CREDENTIAL_ID": "ac", "OS_APPLICATION_CREDENTIAL_SECRET": "s", "OS_PASSWORD": "pw"},
			want:   gophercloud.AuthOptions{IdentityEndpoint: authURL, ApplicationCredentialID: "ac", ApplicationCredentialSecret: "s", AllowReauth: true},
			method: methodAppCred, avail: gophercloud.AvailabilityPublic,
		},
		{
			name:   "several environment credentials warn and use the token",
			env:    map[string]string{"OS_AUTH_URL": authURL, "OS_TOKEN": "tok", "OS_PASSWORD": "pw", "OS_USERNAME": "bob"},
			want:   gophercloud.AuthOptions{IdentityEndpoint: authURL, TokenID: "tok", AllowReauth: false},
			method: methodToken, avail: gophercloud.AvailabilityPublic,
			warns: []string{"token and password", "uses token authentication"},
		},
		{
			name: "endpoint overrides, microversion from the magnum CLI variable, TLS files",
			cfg:  map[string]string{"auth_url": authURL, "token": "t", "cacert_file": "/ca.pem"},
			env: map[string]string{"OS_CONTAINER_INFRA_API_VERSION": "1.10", "OS_CERT": "/c.pem", "OS_KEY": "/k.pem",
				"OS_INSECURE": "true", "OS_CACERT": "/ignored.pem"},
			want:   gophercloud.AuthOptions{IdentityEndpoint: authURL, TokenID: "t"},
			method: methodToken, avail: gophercloud.AvailabilityPublic,
			check: func(t *testing.T, r Settings) {
				if r.MaxMicroversion != "1.10" || r.CACertFile != "/ca.pem" || r.ClientCertFile != "/c.pem" ||
					r.ClientKeyFile != "/k.pem" || !r.Insecure {
					t.Fatalf("resolved = %+v", r)
				}
			},
		},
		{
			name:    "nothing set",
			errs:    []string{"Missing OpenStack credentials", "auth_url (OS_AUTH_URL)", "token (OS_TOKEN)", "application_credential_id (OS_APPLICATION_CREDENTIAL_ID)", "cloud (OS_CLOUD)"},
			errPath: "",
		},
		{
			name: "password without project and domain lists every gap",
			env:  map[string]string{"OS_USERNAME": "bob", "OS_PASSWORD": "pw"},
			errs: []string{"Incomplete OpenStack credentials", "password credentials from the OS_* environment variables",
				"auth_url (OS_AUTH_URL)", `user_domain_name (OS_USER_DOMAIN_NAME) or user_domain_id (OS_USER_DOMAIN_ID) (or domain_name/domain_id) for user "bob"`,
				"project_name (OS_PROJECT_NAME or OS_TENANT_NAME) or project_id (OS_PROJECT_ID or OS_TENANT_ID)"},
		},
		{
			name: "application credential without secret",
			cfg:  map[string]string{"auth_url": authURL, "application_credential_id": "ac"},
			errs: []string{"application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET)"},
		},
		{
			name: "named application credential without user",
			cfg:  map[string]string{"auth_url": authURL, "application_credential_name": "ci", "application_credential_secret": "s"},
			errs: []string{"user_name (OS_USERNAME) or user_id (OS_USER_ID)"},
		},
		{
			name:    "missing clouds.yaml entry",
			cfg:     map[string]string{"cloud": "nope"},
			clouds:  true,
			errs:    []string{"Cannot read clouds.yaml", `cloud "nope"`},
			errPath: "cloud",
		},
		{
			name: "bad OS_INTERFACE names the variable and the choices",
			env:  map[string]string{"OS_AUTH_URL": authURL, "OS_TOKEN": "t", "OS_INTERFACE": "private"},
			errs: []string{"Invalid OS_INTERFACE", `"private"`, "public, internal, admin"},
		},
		{
			name: "bad OS_INSECURE",
			env:  map[string]string{"OS_AUTH_URL": authURL, "OS_TOKEN": "t", "OS_INSECURE": "maybe"},
			errs: []string{"Invalid OS_INSECURE"},
		},
		{
			name: "bad OS_CONTAINER_INFRA_API_VERSION",
			env:  map[string]string{"OS_AUTH_URL": authURL, "OS_TOKEN": "t", "OS_CONTAINER_INFRA_API_VERSION": "2"},
			errs: []string{"Invalid OS_CONTAINER_INFRA_API_VERSION"},
		},
		{
			name:    "client certificate without key",
			cfg:     map[string]string{"auth_url": authURL, "token": "t", "cert": "/c.pem"},
			errs:    []string{"needs both cert (OS_CERT) and key (OS_KEY)"},
			errPath: "cert",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			load := noClouds(t)
			if tc.clouds {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "clouds.yaml"), cloudsYAML)
				writeFile(t, filepath.Join(dir, "secure.yaml"), secureYAML)
				env["OS_CLIENT_CONFIG_FILE"] = filepath.Join(dir, "clouds.yaml")
				load = LoadCloudsYAML
			}
			r, diags := Resolve(Arguments{Strings: tc.cfg}, envFunc(env), load)
			if len(tc.errs) > 0 {
				assertError(t, diags, tc.errPath, tc.errs...)
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected errors: %v", diags)
			}
			assertWarnings(t, diags, tc.warns...)
			if !reflect.DeepEqual(r.AuthOptions, tc.want) {
				t.Fatalf("AuthOptions:\n got %s\nwant %s", dump(r.AuthOptions), dump(tc.want))
			}
			if r.Method != tc.method || r.Region != tc.region || r.Availability != tc.avail {
				t.Fatalf("method/region/interface = %q/%q/%q, want %q/%q/%q", r.Method, r.Region, r.Availability, tc.method, tc.region, tc.avail)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func dump(ao gophercloud.AuthOptions) string {
	return fmt.Sprintf("%+v scope=%+v", ao, ao.Scope)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertError(t *testing.T, diags diag.Diagnostics, attr string, substrings ...string) {
	t.Helper()
	for _, d := range diags.Errors() {
		text := d.Summary() + "\n" + d.Detail()
		ok := true
		for _, s := range substrings {
			ok = ok && strings.Contains(text, s)
		}
		if !ok {
			continue
		}
		if attr != "" {
			withPath, isAttr := d.(diag.DiagnosticWithPath)
			if !isAttr || withPath.Path().String() != attr {
				t.Fatalf("error %q is not attached to attribute %s", d.Summary(), attr)
			}
		}
		return
	}
	t.Fatalf("no error contains all of %q; got %v", substrings, diags)
}

func assertWarnings(t *testing.T, diags diag.Diagnostics, substrings ...string) {
	t.Helper()
	var all string
	for _, d := range diags.Warnings() {
		all += d.Summary() + "\n" + d.Detail() + "\n"
	}
	if len(substrings) == 0 && all != "" {
		t.Fatalf("unexpected warnings: %s", all)
	}
	for _, s := range substrings {
		if !strings.Contains(all, s) {
			t.Fatalf("warnings %q lack %q", all, s)
		}
	}
}

func TestResolveAPITimeout(t *testing.T) {
	cases := []struct {
		name    string
		block   *int64
		env     string
		want    time.Duration
		wantErr string
	}{
		{"default", nil, "", DefaultAPITimeout, ""},
		{"block wins over the environment", ptr(int64(7)), "30", 7 * time.Second, ""},
		{"environment in seconds", nil, "30", 30 * time.Second, ""},
		{"environment with a fraction, as the SDK allows", nil, "2.5", 2500 * time.Millisecond, ""},
		{"environment not a number", nil, "soon", 0, `OS_API_TIMEOUT is "soon"`},
		{"environment below a second", nil, "0.1", 0, "between 1 and 3600"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveAPITimeout(tc.block, func(k string) string {
				if k == "OS_API_TIMEOUT" {
					return tc.env
				}
				return ""
			}, diag.Diagnostics{})
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diagText(diags), tc.wantErr) {
					t.Fatalf("diags = %v, want an error containing %q", diagText(diags), tc.wantErr)
				}
				return
			}
			if diags.HasError() || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, diagText(diags), tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func diagText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}
