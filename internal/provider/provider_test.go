package provider

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
)

// unknown marks an attribute whose value is known only after apply.
const unknown = "<unknown>"

// model builds a provider block: listed attributes set, the rest null.
func model(attrs map[string]string) providerModel {
	var m providerModel
	v := reflect.ValueOf(&m).Elem()
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("tfsdk")
		raw, set := attrs[tag]
		switch f := v.Field(i).Addr().Interface().(type) {
		case *types.String:
			switch {
			case !set:
				*f = types.StringNull()
			case raw == unknown:
				*f = types.StringUnknown()
			default:
				*f = types.StringValue(raw)
			}
		case *types.Bool:
			switch {
			case !set:
				*f = types.BoolNull()
			case raw == unknown:
				*f = types.BoolUnknown()
			default:
				*f = types.BoolValue(raw == "true")
			}
		case *types.Map:
			*f = types.MapNull(types.StringType)
			if set && raw == unknown {
				*f = types.MapUnknown(types.StringType)
			}
		}
	}
	return m
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// noClouds fails the test if resolveAuth reads clouds.yaml unasked.
func noClouds(t *testing.T) cloudsLoader {
	return func(name string, _ func(string) string) (cloudEntry, error) {
		t.Errorf("clouds.yaml read for cloud %q although none was configured", name)
		return cloudEntry{}, os.ErrNotExist
	}
}

func TestResolveAuth(t *testing.T) {
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
		check   func(t *testing.T, r resolved)
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
			check: func(t *testing.T, r resolved) {
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
			name:    "unknown value is named",
			cfg:     map[string]string{"auth_url": unknown, "password": unknown},
			errs:    []string{"Unknown auth_url value", "known only after apply", "OS_AUTH_URL"},
			errPath: "auth_url",
		},
		{
			name:    "unknown endpoint_overrides",
			cfg:     map[string]string{"endpoint_overrides": unknown, "token": "t", "auth_url": authURL},
			errs:    []string{"Unknown endpoint_overrides value"},
			errPath: "endpoint_overrides",
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
				load = loadCloudsYAML
			}
			r, diags := resolveAuth(model(tc.cfg), envFunc(env), load)
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

// protoConfig encodes attrs (strings, bools, or a map for endpoint_overrides)
// as the provider block Terraform would send.
func protoConfig(t *testing.T, attrs map[string]any) (*tfprotov6.DynamicValue, tftypes.Object) {
	t.Helper()
	var resp provider.SchemaResponse
	(&MagnumProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	typ := resp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		v, set := attrs[name]
		switch {
		case !set:
			vals[name] = tftypes.NewValue(at, nil)
		case v == unknown:
			vals[name] = tftypes.NewValue(at, tftypes.UnknownValue)
		default:
			if m, ok := v.(map[string]string); ok {
				elems := map[string]tftypes.Value{}
				for k, s := range m {
					elems[k] = tftypes.NewValue(tftypes.String, s)
				}
				vals[name] = tftypes.NewValue(at, elems)
			} else {
				vals[name] = tftypes.NewValue(at, v)
			}
		}
	}
	obj := tftypes.NewValue(typ, vals)
	dv, err := tfprotov6.NewDynamicValue(typ, obj)
	if err != nil {
		t.Fatal(err)
	}
	return &dv, typ
}

// TestValidateConfig runs the framework's own validation, as `terraform
// validate` would, to prove conflicts and bad values fail at plan time.
func TestValidateConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		attrs map[string]any
		want  []string // substrings of one error; empty means valid
		attr  string
	}{
		{"complete password config", map[string]any{"auth_url": "https://k/v3", "user_name": "u", "password": "p", "project_name": "x",
			"domain_name": "Default", "endpoint_type": "internalURL", "max_microversion": "1.10",
			"endpoint_overrides": map[string]string{"container-infra": "https://magnum:9511/v1", "orchestration": "http://heat:8004/v1/p"}}, nil, ""},
		{"user_name with user_id", map[string]any{"user_name": "u", "user_id": "i"}, []string{"user_id"}, "user_name"},
		{"token with password", map[string]any{"token": "t", "password": "p"}, []string{"token"}, "password"},
		{"application credential with password user", map[string]any{"application_credential_id": "a", "user_name": "u"}, []string{"user_name"}, "application_credential_id"},
		{"application credential id and name", map[string]any{"application_credential_id": "a", "application_credential_name": "n"}, []string{"application_credential_name"}, ""},
		{"secret with password", map[string]any{"application_credential_secret": "s", "password": "p"}, []string{"application_credential_secret"}, "password"},
		{"bad endpoint_type lists choices", map[string]any{"endpoint_type": "private"}, []string{"public", "internalURL", "private"}, "endpoint_type"},
		{"unknown override key", map[string]any{"endpoint_overrides": map[string]string{"compute": "https://nova"}}, []string{"container-infra", "orchestration"}, ""},
		{"override not a URL", map[string]any{"endpoint_overrides": map[string]string{"container-infra": "magnum:9511"}}, []string{"absolute http or https URL"}, ""},
		{"bad microversion", map[string]any{"max_microversion": "2.1"}, []string{"1.10"}, "max_microversion"},
		// Validation sees unknown values too; they must not be rejected yet.
		{"unknown values pass validation", map[string]any{"endpoint_type": unknown, "user_name": unknown, "user_id": "x"}, nil, ""},
	}
	server := providerserver.NewProtocol6(newTestProvider())()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _ := protoConfig(t, tc.attrs)
			resp, err := server.ValidateProviderConfig(context.Background(), &tfprotov6.ValidateProviderConfigRequest{Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			var errs []*tfprotov6.Diagnostic
			for _, d := range resp.Diagnostics {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					errs = append(errs, d)
				}
			}
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %s: %s", errs[0].Summary, errs[0].Detail)
				}
				return
			}
			for _, d := range errs {
				text := d.Summary + " " + d.Detail
				ok := true
				for _, s := range tc.want {
					ok = ok && strings.Contains(text, s)
				}
				if ok {
					if tc.attr != "" && (d.Attribute == nil || d.Attribute.String() != `AttributeName("`+tc.attr+`")`) {
						t.Fatalf("error %q is on %v, want %s", d.Summary, d.Attribute, tc.attr)
					}
					return
				}
			}
			var got []string
			for _, d := range errs {
				got = append(got, d.Summary+": "+d.Detail)
			}
			t.Fatalf("no error mentions %q; got %q", tc.want, got)
		})
	}
}

// fakeKeystone answers Keystone v3 password and token logins on 127.0.0.1
// with a catalog pointing at itself.
type fakeKeystone struct {
	*httptest.Server
	mu          sync.Mutex
	userAgents  []string
	bodies      []string
	withHeat    bool
	password    string
	issuedToken string
}

func newFakeKeystone(t *testing.T, withHeat bool) *fakeKeystone {
	t.Helper()
	k := &fakeKeystone{withHeat: withHeat, password: "correct horse", issuedToken: "gAAAA-issued-token"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", k.tokens)
	k.Server = httptest.NewUnstartedServer(mux)
	k.Server.Start()
	t.Cleanup(k.Close)
	return k
}

func (k *fakeKeystone) tokens(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	k.userAgents = append(k.userAgents, r.Header.Get("User-Agent"))
	k.bodies = append(k.bodies, string(body))
	k.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Openstack-Request-Id", "req-fake-1")
	if !strings.Contains(string(body), `"password":"`+k.password+`"`) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`)
		return
	}
	endpoint := func(typ, url string) map[string]any {
		return map[string]any{"type": typ, "name": typ, "endpoints": []any{
			map[string]any{"id": typ, "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": url},
		}}
	}
	catalog := []any{endpoint("container-infra", k.URL+"/magnum/v1")}
	if k.withHeat {
		catalog = append(catalog, endpoint("orchestration", k.URL+"/heat/v1/p-1"))
	}
	w.Header().Set("X-Subject-Token", k.issuedToken)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"methods":    []string{"password"},
		"project":    map[string]any{"id": "p-1", "name": "demo", "domain": map[string]any{"id": "default", "name": "Default"}},
		"user":       map[string]any{"id": "u-1", "name": "alice", "domain": map[string]any{"id": "default", "name": "Default"}},
		"catalog":    catalog,
	}})
}

func configure(t *testing.T, ctx context.Context, attrs map[string]any, env map[string]string) *provider.ConfigureResponse {
	t.Helper()
	cfg, typ := protoConfig(t, attrs)
	raw, err := cfg.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	p := &MagnumProvider{version: "1.2.3", getenv: envFunc(env), loadCloud: noClouds(t), retry: testRetryPolicy}
	var sresp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sresp)
	resp := &provider.ConfigureResponse{}
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: raw}}, resp)
	return resp
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	t.Run("authenticates once and hands out clients", func(t *testing.T) {
		t.Parallel()
		k := newFakeKeystone(t, true)
		var logs bytes.Buffer
		ctx := tflogtest.RootLogger(context.Background(), &logs)
		resp := configure(t, ctx, map[string]any{"auth_url": k.URL + "/v3", "user_name": "alice", "domain_name": "Default", "project_name": "demo"},
			map[string]string{"OS_PASSWORD": k.password, "OS_REGION_NAME": "RegionOne"})
		if resp.Diagnostics.HasError() {
			t.Fatalf("Configure: %v", resp.Diagnostics)
		}
		data, ok := resp.ResourceData.(*ProviderData)
		if !ok || data.Magnum == nil || data.Heat == nil {
			t.Fatalf("ResourceData = %#v, want *ProviderData with Magnum and Heat", resp.ResourceData)
		}
		if resp.DataSourceData != data || resp.EphemeralResourceData != data {
			t.Fatal("data sources and ephemeral resources get different provider data")
		}
		if got, want := data.Magnum.BaseURL(), k.URL+"/magnum/v1/"; got != want {
			t.Fatalf("Magnum endpoint = %q, want %q from the catalog", got, want)
		}
		if data.ProviderClient.Token() != k.issuedToken {
			t.Fatal("the provider client does not hold the issued token")
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if len(k.userAgents) != 1 {
			t.Fatalf("Keystone saw %d logins, want exactly one", len(k.userAgents))
		}
		if !strings.HasPrefix(k.userAgents[0], "terraform-provider-magnum/1.2.3 ") {
			t.Fatalf("User-Agent = %q", k.userAgents[0])
		}

		entries, err := tflogtest.MultilineJSONDecode(&logs)
		if err != nil {
			t.Fatal(err)
		}
		var sawRequest bool
		for _, e := range entries {
			if e["@message"] == "OpenStack API request" {
				sawRequest = true
				if e["@level"] != "debug" || e["http_method"] != "POST" || e["http_status"] != float64(201) ||
					e["request_id"] != "req-fake-1" || !strings.HasSuffix(e["http_url"].(string), "/v3/auth/tokens") {
					t.Fatalf("request log entry = %v", e)
				}
				if _, ok := e["duration_ms"]; !ok {
					t.Fatalf("request log entry lacks duration: %v", e)
				}
			}
		}
		if !sawRequest {
			t.Fatalf("no request was logged: %s", logs.String())
		}
		for _, secret := range []string{k.password, k.issuedToken} {
			if strings.Contains(logs.String(), secret) {
				t.Fatalf("log output contains the secret %q", secret)
			}
		}
	})

	t.Run("no orchestration endpoint leaves Heat nil", func(t *testing.T) {
		t.Parallel()
		k := newFakeKeystone(t, false)
		resp := configure(t, context.Background(), map[string]any{"auth_url": k.URL + "/v3", "user_id": "u-1", "password": k.password, "project_id": "p-1"}, nil)
		if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() > 0 {
			t.Fatalf("Configure: %v", resp.Diagnostics)
		}
		if data := resp.ResourceData.(*ProviderData); data.Heat != nil || data.Magnum == nil {
			t.Fatalf("Heat = %v, Magnum = %v", data.Heat, data.Magnum)
		}
	})

	t.Run("endpoint override replaces the catalog", func(t *testing.T) {
		t.Parallel()
		k := newFakeKeystone(t, false)
		resp := configure(t, context.Background(), map[string]any{"auth_url": k.URL + "/v3", "user_id": "u-1", "password": k.password, "project_id": "p-1",
			"endpoint_overrides": map[string]string{"container-infra": "http://127.0.0.1:1/override/v1"}}, nil)
		if resp.Diagnostics.HasError() {
			t.Fatalf("Configure: %v", resp.Diagnostics)
		}
		if got := resp.ResourceData.(*ProviderData).Magnum.BaseURL(); got != "http://127.0.0.1:1/override/v1/" {
			t.Fatalf("Magnum endpoint = %q", got)
		}
	})

	t.Run("wrong password reports Keystone's message, status and URL", func(t *testing.T) {
		t.Parallel()
		k := newFakeKeystone(t, true)
		resp := configure(t, context.Background(), map[string]any{"auth_url": k.URL + "/v3", "user_id": "u-1", "password": "wrong", "project_id": "p-1"}, nil)
		assertError(t, resp.Diagnostics, "", "OpenStack authentication failed", "HTTP 401",
			"The request you have made requires authentication.", k.URL+"/v3")
		if resp.ResourceData != nil {
			t.Fatal("provider data set after a failed login")
		}
	})

	t.Run("unreachable Keystone names the URL", func(t *testing.T) {
		t.Parallel()
		url := acctest.UnreachableURL(t) + "/v3"
		resp := configure(t, context.Background(), map[string]any{"auth_url": url, "token": "t"}, nil)
		assertError(t, resp.Diagnostics, "", "Could not reach Keystone at "+url)
	})

	t.Run("unknown value stops before any request", func(t *testing.T) {
		t.Parallel()
		resp := configure(t, context.Background(), map[string]any{"auth_url": "http://127.0.0.1:1/v3", "token": unknown}, nil)
		assertError(t, resp.Diagnostics, "token", "Unknown token value")
	})
}

func TestBuildTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, selfSignedPEM(t))
	junk := filepath.Join(dir, "junk.pem")
	writeFile(t, junk, "not a certificate")

	cases := []struct {
		name    string
		r       resolved
		errs    []string
		attr    string
		warn    string
		inspect func(t *testing.T, c *tls.Config)
	}{
		{name: "CA bundle loaded", r: resolved{CACertFile: caFile}, inspect: func(t *testing.T, c *tls.Config) {
			if c.RootCAs == nil || c.InsecureSkipVerify {
				t.Fatal("RootCAs not set")
			}
		}},
		{name: "missing CA file", r: resolved{CACertFile: filepath.Join(dir, "absent.pem")}, errs: []string{"Cannot read CA certificate file", "absent.pem"}, attr: "cacert_file"},
		{name: "CA file without PEM", r: resolved{CACertFile: junk}, errs: []string{"holds no PEM certificate", junk}, attr: "cacert_file"},
		{name: "bad client pair", r: resolved{ClientCertFile: junk, ClientKeyFile: junk}, errs: []string{"Cannot load TLS client certificate", junk}, attr: "cert"},
		{name: "insecure warns", r: resolved{Insecure: true}, warn: "TLS certificate verification is disabled", inspect: func(t *testing.T, c *tls.Config) {
			if !c.InsecureSkipVerify {
				t.Fatal("InsecureSkipVerify not set")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := buildTLS(tc.r)
			if len(tc.errs) > 0 {
				assertError(t, diags, tc.attr, tc.errs...)
				return
			}
			if diags.HasError() {
				t.Fatal(diags)
			}
			if tc.warn != "" {
				assertWarnings(t, diags, tc.warn)
			} else {
				assertWarnings(t, diags)
			}
			if tc.inspect != nil {
				tc.inspect(t, c)
			}
		})
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestMaskSecrets proves secrets never reach the log, whatever logs them and
// at whatever level, once a context went through maskSecrets.
func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	data := &ProviderData{secrets: []string{"s3cr3t-pw", "app-cred-secret"}}
	ctx = data.MaskSecrets(ctx)
	const keyPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
	tflog.Trace(ctx, "login with s3cr3t-pw", map[string]any{
		"body":         `{"password":"s3cr3t-pw","secret":"app-cred-secret"}`,
		"X-Auth-Token": "some-token",
		"client_key":   "anything",
		"response":     "key follows " + keyPEM,
	})
	tflog.Debug(ctx, "kubeconfig "+keyPEM)
	logged := out.String()
	for _, leak := range []string{"s3cr3t-pw", "app-cred-secret", "some-token", "MIIEpAIBAAKCAQEA", "anything"} {
		if strings.Contains(logged, leak) {
			t.Errorf("log contains %q:\n%s", leak, logged)
		}
	}
	if !strings.Contains(logged, "login with") || !strings.Contains(logged, "kubeconfig") {
		t.Fatalf("masking swallowed the messages themselves:\n%s", logged)
	}
}

func TestLoggingTransportLogsFailures(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	tr := newLoggingTransport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	}), nil, nil)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://user:pw@magnum.example/v1/clusters", nil)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("error swallowed")
	}
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries = %v, %v", entries, err)
	}
	e := entries[0]
	if e["@message"] != "OpenStack API request failed" || e["error"] != io.ErrUnexpectedEOF.Error() || e["http_method"] != "GET" {
		t.Fatalf("entry = %v", e)
	}
	if strings.Contains(out.String(), "user:pw") {
		t.Fatal("URL credentials logged")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
