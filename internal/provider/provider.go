package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/providervalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/session"
)

var (
	_ provider.Provider                       = &MagnumProvider{}
	_ provider.ProviderWithEphemeralResources = &MagnumProvider{}
	_ provider.ProviderWithConfigValidators   = &MagnumProvider{}
)

// MagnumProvider configures one authenticated OpenStack session per provider
// block and hands it to every resource, data source and ephemeral resource.
type MagnumProvider struct {
	version string
	// getenv and loadCloud are fields so tests can run Configure without
	// touching the process environment or the user's clouds.yaml.
	getenv    func(string) string
	loadCloud session.CloudsLoader
	// retry tunes the Magnum client's retries; zero fields take the
	// client's defaults. Tests shorten the backoff so fault tests stay fast.
	retry magnum.RetryPolicy
}

// New returns the provider factory main.go and the acceptance tests serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &MagnumProvider{version: version, getenv: os.Getenv, loadCloud: session.LoadCloudsYAML}
	}
}

// providerModel maps the provider block.
type providerModel struct {
	Cloud                       types.String `tfsdk:"cloud"`
	AuthURL                     types.String `tfsdk:"auth_url"`
	Region                      types.String `tfsdk:"region"`
	UserName                    types.String `tfsdk:"user_name"`
	UserID                      types.String `tfsdk:"user_id"`
	Password                    types.String `tfsdk:"password"`
	UserDomainName              types.String `tfsdk:"user_domain_name"`
	UserDomainID                types.String `tfsdk:"user_domain_id"`
	ProjectName                 types.String `tfsdk:"project_name"`
	ProjectID                   types.String `tfsdk:"project_id"`
	ProjectDomainName           types.String `tfsdk:"project_domain_name"`
	ProjectDomainID             types.String `tfsdk:"project_domain_id"`
	DomainName                  types.String `tfsdk:"domain_name"`
	DomainID                    types.String `tfsdk:"domain_id"`
	ApplicationCredentialID     types.String `tfsdk:"application_credential_id"`
	ApplicationCredentialName   types.String `tfsdk:"application_credential_name"`
	ApplicationCredentialSecret types.String `tfsdk:"application_credential_secret"`
	Token                       types.String `tfsdk:"token"`
	EndpointType                types.String `tfsdk:"endpoint_type"`
	EndpointOverrides           types.Map    `tfsdk:"endpoint_overrides"`
	Insecure                    types.Bool   `tfsdk:"insecure"`
	CACertFile                  types.String `tfsdk:"cacert_file"`
	Cert                        types.String `tfsdk:"cert"`
	Key                         types.String `tfsdk:"key"`
	MaxMicroversion             types.String `tfsdk:"max_microversion"`
	APITimeout                  types.Int64  `tfsdk:"api_timeout"`
}

func (p *MagnumProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "magnum"
	resp.Version = p.version
}

func (p *MagnumProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	conflicts := func(attrs ...string) validator.String {
		exprs := make([]path.Expression, len(attrs))
		for i, a := range attrs {
			exprs[i] = path.MatchRoot(a)
		}
		return stringvalidator.ConflictsWith(exprs...)
	}
	str := func(desc string, validators ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: desc, Validators: validators}
	}
	secret := func(desc string, validators ...validator.String) schema.StringAttribute {
		a := str(desc, validators...)
		a.Sensitive = true
		return a
	}
	endpointTypeNames := []string{"public", "internal", "admin", "publicURL", "internalURL", "adminURL"}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The Magnum provider manages OpenStack Magnum bays (clusters) and baymodels (cluster templates). " +
			"Every argument falls back to the environment variable the `openstack` CLI reads, and then to the " +
			"`clouds.yaml` entry named by `cloud`: explicit arguments win over the environment, which wins over `clouds.yaml`.",
		Attributes: map[string]schema.Attribute{
			"cloud": str("Name of the entry in `clouds.yaml` (and `secure.yaml`) to read credentials from. " +
				"The files are searched for like the CLI does, or read from `OS_CLIENT_CONFIG_FILE`. Environment variable: `OS_CLOUD`."),
			"auth_url": str("Keystone URL, e.g. `https://keystone.example.com:5000/v3`. Environment variable: `OS_AUTH_URL`."),
			"region":   str("Region to look services up in the catalog. Environment variable: `OS_REGION_NAME`."),
			"user_name": str("User name for password authentication, or the owner of a named application credential. Environment variable: `OS_USERNAME`.",
				conflicts("user_id")),
			"user_id": str("User ID, an alternative to `user_name` that needs no domain. Environment variable: `OS_USER_ID`."),
			"password": secret("Password of the user. Environment variable: `OS_PASSWORD`.",
				conflicts("token", "application_credential_id", "application_credential_name", "application_credential_secret")),
			"user_domain_name": str("Domain name of the user. Environment variable: `OS_USER_DOMAIN_NAME`; defaults to `domain_name`.",
				conflicts("user_domain_id")),
			"user_domain_id": str("Domain ID of the user. Environment variable: `OS_USER_DOMAIN_ID`; defaults to `domain_id`."),
			"project_name": str("Project (tenant) to scope the token to. Environment variables: `OS_PROJECT_NAME`, `OS_TENANT_NAME`.",
				conflicts("application_credential_id", "application_credential_name")),
			"project_id": str("Project (tenant) ID to scope the token to; preferred over `project_name` when both are known. Environment variables: `OS_PROJECT_ID`, `OS_TENANT_ID`.",
				conflicts("application_credential_id", "application_credential_name")),
			"project_domain_name": str("Domain name of the project. Environment variable: `OS_PROJECT_DOMAIN_NAME`; defaults to `domain_name`.",
				conflicts("project_domain_id")),
			"project_domain_id": str("Domain ID of the project. Environment variable: `OS_PROJECT_DOMAIN_ID`; defaults to `domain_id`."),
			"domain_name": str("Default for `user_domain_name` and `project_domain_name`, as in the CLI. Environment variable: `OS_DOMAIN_NAME`.",
				conflicts("domain_id")),
			"domain_id": str("Default for `user_domain_id` and `project_domain_id`, as in the CLI. Environment variable: `OS_DOMAIN_ID`."),
			"application_credential_id": str("ID of an application credential; the credential fixes the user and project. Environment variable: `OS_APPLICATION_CREDENTIAL_ID`.",
				conflicts("user_name", "user_id", "token")),
			"application_credential_name": str("Name of an application credential of `user_name` or `user_id`. Environment variable: `OS_APPLICATION_CREDENTIAL_NAME`.",
				conflicts("token")),
			"application_credential_secret": secret("Secret of the application credential. Environment variable: `OS_APPLICATION_CREDENTIAL_SECRET`.",
				conflicts("token")),
			"token": secret("An existing Keystone token to authenticate with instead of a password. Environment variable: `OS_TOKEN`.",
				conflicts("user_name", "user_id")),
			"endpoint_type": str("Catalog interface to use: `public` (default), `internal` or `admin`; `publicURL`, `internalURL` and `adminURL` are accepted too. "+
				"Environment variables: `OS_INTERFACE`, `OS_ENDPOINT_TYPE`.",
				stringvalidator.OneOf(endpointTypeNames...)),
			"endpoint_overrides": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "URLs to use instead of the service catalog, keyed by `container-infra` (Magnum) and `orchestration` (Heat). " +
					"No environment variable.",
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf(session.OverrideContainerInfra, session.OverrideOrchestration)),
					mapvalidator.ValueStringsAre(httpURLValidator{}),
				},
			},
			"insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip TLS certificate verification. Only for test clouds. Environment variable: `OS_INSECURE`.",
			},
			"cacert_file": str("Path of a PEM bundle of CA certificates to trust for every OpenStack endpoint. Environment variable: `OS_CACERT`."),
			"cert":        str("Path of a PEM client certificate for mutual TLS. Environment variable: `OS_CERT`."),
			"key":         str("Path of the PEM private key of `cert`. Environment variable: `OS_KEY`."),
			"max_microversion": str("Highest Magnum API microversion to use, as `1.N`. By default the provider uses the newest one both it and the server support. "+
				"Environment variable: `OS_CONTAINER_INFRA_API_VERSION` (`latest` means no pin).",
				stringvalidator.RegexMatches(session.MicroversionPattern, "must be a Magnum microversion such as 1.10")),
			"api_timeout": apiTimeoutAttribute(),
		},
	}
}

// ConfigValidators covers the rules that span attributes in both directions;
// one-way conflicts live on the attributes themselves.
func (p *MagnumProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{
		providervalidator.Conflicting(path.MatchRoot("application_credential_id"), path.MatchRoot("application_credential_name")),
	}
}

func (p *MagnumProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	getenv, load := p.getenv, p.loadCloud
	if getenv == nil {
		getenv = os.Getenv
	}
	if load == nil {
		load = session.LoadCloudsYAML
	}
	args, diags := sessionArguments(cfg)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r, diags := session.Resolve(args, getenv, load)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = session.MaskSecrets(ctx, r.Secrets())

	tlsConfig, diags := session.BuildTLS(r)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	tflog.Debug(ctx, "Authenticating to OpenStack", map[string]any{
		"auth_url": r.AuthOptions.IdentityEndpoint, "auth_method": r.Method, "region": r.Region,
		"interface": string(r.Availability), "credentials_from": r.MethodSource,
	})
	pc, err := session.Login(ctx, r, tlsConfig, p.version)
	if err != nil {
		resp.Diagnostics.AddError("OpenStack authentication failed", diagnose.LoginError(err))
		return
	}

	data, diags := newClients(ctx, pc, r, p.retry)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var why string
	if data.phaseCache, why = phasecache.FromEnv(getenv(phasecache.EnvVar)); data.phaseCache == nil {
		tflog.Debug(ctx, "The conductor's sync phase is not kept between runs", map[string]any{"reason": why})
	}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *MagnumProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewBaymodelResource,
		NewBayResource,
		NewNodegroupResource,
		NewQuotaResource,
	}
}

func (p *MagnumProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewBaymodelDataSource,
		NewBayDataSource,
		NewBaysDataSource,
		NewBaymodelsDataSource,
	}
}

func (p *MagnumProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{NewBayCredentialsEphemeralResource}
}

func (m providerModel) stringAttrs() map[string]types.String {
	return map[string]types.String{
		"cloud": m.Cloud, "auth_url": m.AuthURL, "region": m.Region,
		"user_name": m.UserName, "user_id": m.UserID, "password": m.Password,
		"user_domain_name": m.UserDomainName, "user_domain_id": m.UserDomainID,
		"project_name": m.ProjectName, "project_id": m.ProjectID,
		"project_domain_name": m.ProjectDomainName, "project_domain_id": m.ProjectDomainID,
		"domain_name": m.DomainName, "domain_id": m.DomainID,
		"application_credential_id": m.ApplicationCredentialID, "application_credential_name": m.ApplicationCredentialName,
		"application_credential_secret": m.ApplicationCredentialSecret, "token": m.Token,
		"endpoint_type": m.EndpointType, "cacert_file": m.CACertFile, "cert": m.Cert, "key": m.Key,
		"max_microversion": m.MaxMicroversion,
	}
}

// sessionArguments takes Terraform's types off the provider block. A value
// known only after apply cannot configure a provider: each is an error
// naming the argument, before anything is read or sent.
func sessionArguments(cfg providerModel) (session.Arguments, diag.Diagnostics) {
	var diags diag.Diagnostics
	args := session.Arguments{Strings: map[string]string{}}
	for attr, v := range cfg.stringAttrs() {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(attr), "Unknown "+attr+" value",
				fmt.Sprintf("The provider cannot be configured because %s depends on a value known only after apply. "+
					"Use a literal value, a variable, or the %s environment variable instead.", attr, strings.Join(session.EnvVars[attr], " or ")))
			continue
		}
		args.Strings[attr] = v.ValueString()
	}
	if cfg.Insecure.IsUnknown() {
		diags.AddAttributeError(path.Root("insecure"), "Unknown insecure value",
			"The provider cannot be configured because insecure depends on a value known only after apply. "+
				"Use a literal value, a variable, or the OS_INSECURE environment variable instead.")
	}
	if cfg.EndpointOverrides.IsUnknown() || mapHasUnknown(cfg.EndpointOverrides) {
		diags.AddAttributeError(path.Root("endpoint_overrides"), "Unknown endpoint_overrides value",
			"The provider cannot be configured because endpoint_overrides depends on a value known only after apply. "+
				"Use literal URLs or variables instead.")
	}
	if cfg.APITimeout.IsUnknown() {
		diags.AddAttributeError(path.Root("api_timeout"), "Unknown api_timeout value",
			"The provider cannot be configured because api_timeout depends on a value known only after apply. "+
				"Use a literal value, a variable, or the OS_API_TIMEOUT environment variable instead.")
	}
	if diags.HasError() {
		return args, diags
	}
	if !cfg.Insecure.IsNull() {
		b := cfg.Insecure.ValueBool()
		args.Insecure = &b
	}
	if !cfg.EndpointOverrides.IsNull() {
		args.EndpointOverrides = map[string]string{}
		for k, v := range cfg.EndpointOverrides.Elements() {
			s, _ := v.(types.String)
			args.EndpointOverrides[k] = s.ValueString()
		}
	}
	if !cfg.APITimeout.IsNull() {
		n := cfg.APITimeout.ValueInt64()
		args.APITimeout = &n
	}
	return args, diags
}

func mapHasUnknown(m types.Map) bool {
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

// httpURLValidator accepts absolute http(s) URLs, the only form gophercloud
// can use as a service endpoint.
type httpURLValidator struct{}

func (httpURLValidator) Description(context.Context) string {
	return "value must be an absolute http or https URL"
}

func (v httpURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v httpURLValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	u, err := url.Parse(req.ConfigValue.ValueString())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid endpoint URL",
			fmt.Sprintf("%q is not usable as an endpoint: %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

func apiTimeoutAttribute() schema.Int64Attribute {
	return schema.Int64Attribute{
		Optional: true,
		MarkdownDescription: fmt.Sprintf("Seconds to wait for any one OpenStack API request (connect, send and read the answer) before giving up on it; "+
			"safe requests are then retried. Defaults to %d. Environment variable: `OS_API_TIMEOUT`.", int(session.DefaultAPITimeout/time.Second)),
		Validators: []validator.Int64{int64validator.Between(1, 3600)},
	}
}
