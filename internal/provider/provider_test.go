package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

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
	"github.com/magnumtf/terraform-provider-magnum/internal/session"
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
		case *types.Int64:
			*f = types.Int64Null()
			if set && raw == unknown {
				*f = types.Int64Unknown()
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

// noClouds fails the test if Configure reads clouds.yaml unasked.
func noClouds(t *testing.T) session.CloudsLoader {
	return func(name string, _ func(string) string) (session.CloudEntry, error) {
		t.Errorf("clouds.yaml read for cloud %q although none was configured", name)
		return session.CloudEntry{}, os.ErrNotExist
	}
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

// TestSessionArguments covers what the provider checks before it hands the
// block to session.Resolve: values known only after apply.
func TestSessionArguments(t *testing.T) {
	t.Parallel()
	const authURL = "https://keystone.example:5000/v3"
	cases := []struct {
		name    string
		cfg     map[string]string
		errs    []string
		errPath string
	}{
		{"unknown value is named", map[string]string{"auth_url": unknown, "password": unknown},
			[]string{"Unknown auth_url value", "known only after apply", "OS_AUTH_URL"}, "auth_url"},
		{"unknown endpoint_overrides", map[string]string{"endpoint_overrides": unknown, "token": "t", "auth_url": authURL},
			[]string{"Unknown endpoint_overrides value"}, "endpoint_overrides"},
		{"unknown api_timeout", map[string]string{"api_timeout": unknown, "token": "t", "auth_url": authURL},
			[]string{"Unknown api_timeout value"}, "api_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := sessionArguments(model(tc.cfg))
			assertError(t, diags, tc.errPath, tc.errs...)
		})
	}
	args, diags := sessionArguments(model(map[string]string{"auth_url": authURL, "insecure": "true"}))
	if diags.HasError() || args.Strings["auth_url"] != authURL || args.Insecure == nil || !*args.Insecure ||
		args.EndpointOverrides != nil || args.APITimeout != nil {
		t.Fatalf("args = %+v, %v", args, diags)
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

// TestMaskSecrets proves secrets never reach the log, whatever logs them and
// at whatever level, once a context went through ProviderData.MaskSecrets.
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
