package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
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

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
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
	loadCloud cloudsLoader
	// retry tunes the Magnum client's retries; zero fields take the
	// client's defaults. Tests shorten the backoff so fault tests stay fast.
	retry magnum.RetryPolicy
}

// New returns the provider factory main.go and the acceptance tests serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &MagnumProvider{version: version, getenv: os.Getenv, loadCloud: loadCloudsYAML}
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

// Keys accepted in endpoint_overrides, named after the catalog service types
// the OpenStack CLI uses for --os-<type>-endpoint-override.
const (
	overrideContainerInfra = "container-infra"
	overrideOrchestration  = "orchestration"
)

// endpointTypes maps every spelling the CLI accepts to gophercloud's value.
// The *URL forms come from Keystone v2 catalogs and still appear in old
// openrc files.
var endpointTypes = map[string]gophercloud.Availability{
	"public":      gophercloud.AvailabilityPublic,
	"publicURL":   gophercloud.AvailabilityPublic,
	"internal":    gophercloud.AvailabilityInternal,
	"internalURL": gophercloud.AvailabilityInternal,
	"admin":       gophercloud.AvailabilityAdmin,
	"adminURL":    gophercloud.AvailabilityAdmin,
}

var microversionPattern = regexp.MustCompile(`^1\.(0|[1-9][0-9]*)$`)

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
					mapvalidator.KeysAre(stringvalidator.OneOf(overrideContainerInfra, overrideOrchestration)),
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
				stringvalidator.RegexMatches(microversionPattern, "must be a Magnum microversion such as 1.10")),
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
		load = loadCloudsYAML
	}
	r, diags := resolveAuth(cfg, getenv, load)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = maskSecrets(ctx, r.secrets())

	tlsConfig, diags := buildTLS(r)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	tflog.Debug(ctx, "Authenticating to OpenStack", map[string]any{
		"auth_url": r.AuthOptions.IdentityEndpoint, "auth_method": r.Method, "region": r.Region,
		"interface": string(r.Availability), "credentials_from": r.MethodSource,
	})
	pc, err := authenticate(ctx, r, tlsConfig, p.version)
	if err != nil {
		msg := describeAuthError(err, r.AuthOptions.IdentityEndpoint)
		switch hint := authTimeoutHint(err, r.APITimeout); {
		case hint != "":
			msg += hint
		case !keystoneAnswered(err) && magnumAtAuthURL(ctx, r.AuthOptions.IdentityEndpoint, tlsConfig, r.APITimeout):
			msg += magnumAuthURLHint(r.AuthOptions.IdentityEndpoint)
		}
		resp.Diagnostics.AddError("OpenStack authentication failed", msg)
		return
	}

	data, diags := newClients(ctx, pc, r, p.retry)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
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

// cloudEntry is one clouds.yaml cloud as gophercloud flattens it.
type cloudEntry struct {
	AuthOptions gophercloud.AuthOptions
	Endpoint    gophercloud.EndpointOpts
	TLS         *tls.Config
}

// cloudsLoader reads the named cloud; getenv supplies OS_CLIENT_CONFIG_FILE.
type cloudsLoader func(name string, getenv func(string) string) (cloudEntry, error)

// loadCloudsYAML reads a cloud with gophercloud's parser. The region and
// interface options are blanked so the result holds only what the file says;
// resolveAuth applies the environment on top with the CLI's precedence.
func loadCloudsYAML(name string, getenv func(string) string) (cloudEntry, error) {
	opts := []clouds.ParseOption{clouds.WithCloudName(name), clouds.WithRegion(""), clouds.WithEndpointType("")}
	if f := getenv("OS_CLIENT_CONFIG_FILE"); f != "" {
		opts = append(opts, clouds.WithLocations(f))
	}
	ao, eo, tlsConfig, err := clouds.Parse(opts...)
	if err != nil {
		return cloudEntry{}, err
	}
	return cloudEntry{AuthOptions: ao, Endpoint: eo, TLS: tlsConfig}, nil
}

// Authentication methods, in the order a source that sets several is read.
const (
	methodToken    = "token"
	methodAppCred  = "application credential"
	methodPassword = "password"
)

// resolved is the provider configuration after precedence is applied: what
// authenticate, buildTLS and newClients need, with no Terraform types.
type resolved struct {
	AuthOptions  gophercloud.AuthOptions
	Method       string
	MethodSource string
	Region       string
	Availability gophercloud.Availability

	ContainerInfraEndpoint string
	OrchestrationEndpoint  string
	MaxMicroversion        string

	Insecure       bool
	CACertFile     string
	ClientCertFile string
	ClientKeyFile  string
	// CloudTLS carries the CA pool and client certificate clouds.yaml set,
	// used where neither the configuration nor the environment names files.
	CloudTLS *tls.Config
	// APITimeout bounds every HTTP exchange with OpenStack.
	APITimeout time.Duration
}

func (r resolved) secrets() []string {
	var s []string
	for _, v := range []string{r.AuthOptions.Password, r.AuthOptions.ApplicationCredentialSecret, r.AuthOptions.TokenID} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// source is one place settings come from: the provider block, the
// environment or a clouds.yaml entry, highest precedence first.
type source struct {
	name                                         string
	userName, userID, password                   string
	userDomainName, userDomainID                 string
	projectName, projectID                       string
	projectDomainName, projectDomainID           string
	appCredID, appCredName, appCredSecret, token string
	authURL, region                              string
	authType                                     string
}

// methods lists the authentication methods a source names. A user name alone
// names none: it also identifies the owner of a named application credential.
func (s source) methods() []string {
	var m []string
	switch strings.ToLower(s.authType) {
	case "token", "v3token":
		return []string{methodToken}
	case "v3applicationcredential", "applicationcredential":
		return []string{methodAppCred}
	case "password", "v3password":
		return []string{methodPassword}
	}
	if s.token != "" {
		m = append(m, methodToken)
	}
	if s.appCredID != "" || s.appCredName != "" || s.appCredSecret != "" {
		m = append(m, methodAppCred)
	}
	if s.password != "" {
		m = append(m, methodPassword)
	}
	return m
}

// withDomainDefaults fills the user and project domains from the generic
// domain the way the CLI treats OS_DOMAIN_NAME/OS_DOMAIN_ID.
func (s source) withDomainDefaults(domainName, domainID string) source {
	if s.userDomainName == "" && s.userDomainID == "" {
		s.userDomainName, s.userDomainID = domainName, domainID
	}
	if s.projectDomainName == "" && s.projectDomainID == "" {
		s.projectDomainName, s.projectDomainID = domainName, domainID
	}
	return s
}

// settingEnv documents each argument's environment variables; the first is
// the one error messages suggest.
var settingEnv = map[string][]string{
	"cloud":                         {"OS_CLOUD"},
	"auth_url":                      {"OS_AUTH_URL"},
	"region":                        {"OS_REGION_NAME"},
	"user_name":                     {"OS_USERNAME"},
	"user_id":                       {"OS_USER_ID"},
	"password":                      {"OS_PASSWORD"},
	"user_domain_name":              {"OS_USER_DOMAIN_NAME"},
	"user_domain_id":                {"OS_USER_DOMAIN_ID"},
	"project_name":                  {"OS_PROJECT_NAME", "OS_TENANT_NAME"},
	"project_id":                    {"OS_PROJECT_ID", "OS_TENANT_ID"},
	"project_domain_name":           {"OS_PROJECT_DOMAIN_NAME"},
	"project_domain_id":             {"OS_PROJECT_DOMAIN_ID"},
	"domain_name":                   {"OS_DOMAIN_NAME"},
	"domain_id":                     {"OS_DOMAIN_ID"},
	"application_credential_id":     {"OS_APPLICATION_CREDENTIAL_ID"},
	"application_credential_name":   {"OS_APPLICATION_CREDENTIAL_NAME"},
	"application_credential_secret": {"OS_APPLICATION_CREDENTIAL_SECRET"},
	"token":                         {"OS_TOKEN"},
	"endpoint_type":                 {"OS_INTERFACE", "OS_ENDPOINT_TYPE"},
	"insecure":                      {"OS_INSECURE"},
	"cacert_file":                   {"OS_CACERT"},
	"cert":                          {"OS_CERT"},
	"key":                           {"OS_KEY"},
	"max_microversion":              {"OS_CONTAINER_INFRA_API_VERSION"},
	"api_timeout":                   {"OS_API_TIMEOUT"},
}

func envOf(getenv func(string) string, attr string) string {
	for _, name := range settingEnv[attr] {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// hint names an argument with its environment variables for messages.
func hint(attr string) string {
	return fmt.Sprintf("%s (%s)", attr, strings.Join(settingEnv[attr], " or "))
}

// resolveAuth applies the OpenStack CLI's precedence (provider block, then
// OS_* environment, then the clouds.yaml entry) and returns the options to
// authenticate with. It does no I/O beyond what load does, so every rule here
// is covered by table tests.
func resolveAuth(cfg providerModel, getenv func(string) string, load cloudsLoader) (resolved, diag.Diagnostics) {
	var diags diag.Diagnostics
	var r resolved

	strs := cfg.stringAttrs()
	for attr, v := range strs {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(attr), "Unknown "+attr+" value",
				fmt.Sprintf("The provider cannot be configured because %s depends on a value known only after apply. "+
					"Use a literal value, a variable, or the %s environment variable instead.", attr, strings.Join(settingEnv[attr], " or ")))
		}
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
	if diags.HasError() {
		return r, diags
	}

	val := func(attr string) string { return strs[attr].ValueString() }
	fromCfg := source{
		name:     "the provider configuration",
		userName: val("user_name"), userID: val("user_id"), password: val("password"),
		userDomainName: val("user_domain_name"), userDomainID: val("user_domain_id"),
		projectName: val("project_name"), projectID: val("project_id"),
		projectDomainName: val("project_domain_name"), projectDomainID: val("project_domain_id"),
		appCredID: val("application_credential_id"), appCredName: val("application_credential_name"),
		appCredSecret: val("application_credential_secret"), token: val("token"), authURL: val("auth_url"), region: val("region"),
	}.withDomainDefaults(val("domain_name"), val("domain_id"))
	env := func(attr string) string { return envOf(getenv, attr) }
	fromEnv := source{
		name:     "the OS_* environment variables",
		userName: env("user_name"), userID: env("user_id"), password: env("password"),
		userDomainName: env("user_domain_name"), userDomainID: env("user_domain_id"),
		projectName: env("project_name"), projectID: env("project_id"),
		projectDomainName: env("project_domain_name"), projectDomainID: env("project_domain_id"),
		appCredID: env("application_credential_id"), appCredName: env("application_credential_name"),
		appCredSecret: env("application_credential_secret"), token: env("token"), authURL: env("auth_url"), region: env("region"),
		authType: getenv("OS_AUTH_TYPE"),
	}.withDomainDefaults(env("domain_name"), env("domain_id"))
	sources := []source{fromCfg, fromEnv}

	var cloud *cloudEntry
	if name := coalesce(val("cloud"), env("cloud")); name != "" {
		c, err := load(name, getenv)
		if err != nil {
			diags.AddAttributeError(path.Root("cloud"), "Cannot read clouds.yaml",
				fmt.Sprintf("Loading cloud %q failed: %s. Check OS_CLIENT_CONFIG_FILE, or the clouds.yaml search path "+
					"(current directory, ~/.config/openstack, /etc/openstack).", name, err))
			return r, diags
		}
		cloud = &c
		ao := c.AuthOptions
		fromCloud := source{
			name:     fmt.Sprintf("cloud %q of clouds.yaml", name),
			userName: ao.Username, userID: ao.UserID, password: ao.Password,
			userDomainName: ao.DomainName, userDomainID: ao.DomainID,
			projectName: ao.TenantName, projectID: ao.TenantID,
			appCredID: ao.ApplicationCredentialID, appCredName: ao.ApplicationCredentialName,
			appCredSecret: ao.ApplicationCredentialSecret, token: ao.TokenID, authURL: ao.IdentityEndpoint, region: c.Endpoint.Region,
		}
		if ao.Scope != nil {
			fromCloud.projectDomainName, fromCloud.projectDomainID = ao.Scope.DomainName, ao.Scope.DomainID
		}
		sources = append(sources, fromCloud)
	}

	// The method comes from the highest-precedence source that names one, so
	// OS_PASSWORD left in a shell cannot hijack an application credential
	// configured in the provider block.
	for _, s := range sources {
		if m := s.methods(); len(m) > 0 {
			r.Method, r.MethodSource = m[0], s.name
			if len(m) > 1 {
				diags.AddWarning("Several OpenStack credentials found",
					fmt.Sprintf("%s sets credentials for %s. The provider uses %s authentication and ignores the rest.",
						capitalize(s.name), strings.Join(m, " and "), m[0]))
			}
			break
		}
	}

	// Paired settings (name or ID) are taken from the same source, so an ID
	// from the environment never mixes with a name from clouds.yaml.
	pair := func(get func(source) (string, string)) (string, string) {
		for _, s := range sources {
			if a, b := get(s); a != "" || b != "" {
				return a, b
			}
		}
		return "", ""
	}
	single := func(get func(source) string) string {
		for _, s := range sources {
			if v := get(s); v != "" {
				return v
			}
		}
		return ""
	}

	ao := gophercloud.AuthOptions{
		IdentityEndpoint: single(func(s source) string { return s.authURL }),
		// Renewing the token once on a 401 keeps long applies alive past
		// Keystone's token lifetime (one hour by default).
		AllowReauth: true,
	}
	var missing []string
	if ao.IdentityEndpoint == "" {
		missing = append(missing, hint("auth_url"))
	}

	userName, userID := pair(func(s source) (string, string) { return s.userName, s.userID })
	userDomainName, userDomainID := pair(func(s source) (string, string) { return s.userDomainName, s.userDomainID })
	projectName, projectID := pair(func(s source) (string, string) { return s.projectName, s.projectID })
	projectDomainName, projectDomainID := pair(func(s source) (string, string) { return s.projectDomainName, s.projectDomainID })

	setUser := func() {
		switch {
		case userID != "":
			// Keystone identifies a user ID globally; gophercloud rejects a
			// domain next to it.
			ao.UserID = userID
		case userName != "":
			ao.Username = userName
			if userDomainID != "" {
				ao.DomainID = userDomainID
			} else if userDomainName != "" {
				ao.DomainName = userDomainName
			} else {
				missing = append(missing, hint("user_domain_name")+" or "+hint("user_domain_id")+" (or domain_name/domain_id) for user "+strconv.Quote(userName))
			}
		default:
			missing = append(missing, hint("user_name")+" or "+hint("user_id"))
		}
	}
	setProject := func(required bool) {
		switch {
		case projectID != "":
			ao.Scope = &gophercloud.AuthScope{ProjectID: projectID}
		case projectName != "":
			ao.Scope = &gophercloud.AuthScope{ProjectName: projectName, DomainID: projectDomainID}
			if projectDomainID == "" {
				ao.Scope.DomainName = projectDomainName
			}
			if projectDomainID == "" && projectDomainName == "" {
				missing = append(missing, hint("project_domain_name")+" or "+hint("project_domain_id")+" (or domain_name/domain_id) for project "+strconv.Quote(projectName))
			}
		case required:
			missing = append(missing, hint("project_name")+" or "+hint("project_id"))
		}
	}

	switch r.Method {
	case methodToken:
		ao.TokenID = single(func(s source) string { return s.token })
		// With a project the token is exchanged for one scoped to it. Without
		// one gophercloud passes the token through as is, keeping its own
		// scope; there is then nothing to log in again with, so no reauth.
		setProject(false)
		ao.AllowReauth = ao.Scope != nil
	case methodAppCred:
		id, name := pair(func(s source) (string, string) { return s.appCredID, s.appCredName })
		ao.ApplicationCredentialSecret = single(func(s source) string { return s.appCredSecret })
		switch {
		case id != "":
			ao.ApplicationCredentialID = id
		case name != "":
			ao.ApplicationCredentialName = name
			// A credential name is unique only per user.
			setUser()
		default:
			missing = append(missing, hint("application_credential_id")+" or "+hint("application_credential_name"))
		}
		if ao.ApplicationCredentialSecret == "" {
			missing = append(missing, hint("application_credential_secret"))
		}
	case methodPassword:
		ao.Password = single(func(s source) string { return s.password })
		setUser()
		// Magnum needs a project-scoped token: an unscoped one has no catalog.
		setProject(true)
	default:
		missing = append(missing, "credentials")
	}
	if len(missing) > 0 {
		summary := "Missing OpenStack credentials"
		lead := "The provider found no credentials."
		if r.Method != "" {
			summary = "Incomplete OpenStack credentials"
			lead = fmt.Sprintf("The provider authenticates with %s credentials from %s, but these settings are missing:\n  - %s",
				r.Method, r.MethodSource, strings.Join(missing, "\n  - "))
		} else if ao.IdentityEndpoint == "" {
			lead = "The provider found neither an auth URL nor credentials."
		}
		diags.AddError(summary, lead+"\n\n"+authHelp)
		return r, diags
	}
	r.AuthOptions = ao

	r.Region = single(func(s source) string { return s.region })

	r.Availability = gophercloud.AvailabilityPublic
	if cloud != nil && cloud.Endpoint.Availability != "" {
		r.Availability = cloud.Endpoint.Availability
	}
	if et := val("endpoint_type"); et != "" {
		r.Availability = endpointTypes[et]
	} else {
		for _, name := range settingEnv["endpoint_type"] {
			et := getenv(name)
			if et == "" {
				continue
			}
			a, ok := endpointTypes[et]
			if !ok {
				diags.AddError("Invalid "+name,
					fmt.Sprintf("%s is %q; use one of public, internal, admin (or publicURL, internalURL, adminURL).", name, et))
				return r, diags
			}
			r.Availability = a
			break
		}
	}

	if !cfg.EndpointOverrides.IsNull() {
		for k, v := range cfg.EndpointOverrides.Elements() {
			s, _ := v.(types.String)
			switch k {
			case overrideContainerInfra:
				r.ContainerInfraEndpoint = s.ValueString()
			case overrideOrchestration:
				r.OrchestrationEndpoint = s.ValueString()
			}
		}
	}

	r.MaxMicroversion = val("max_microversion")
	if r.MaxMicroversion == "" {
		if mv := env("max_microversion"); mv != "" && mv != "latest" {
			if !microversionPattern.MatchString(mv) {
				diags.AddError("Invalid OS_CONTAINER_INFRA_API_VERSION",
					fmt.Sprintf("OS_CONTAINER_INFRA_API_VERSION is %q; use a Magnum microversion such as 1.10, or latest.", mv))
				return r, diags
			}
			r.MaxMicroversion = mv
		}
	}

	switch {
	case !cfg.Insecure.IsNull():
		r.Insecure = cfg.Insecure.ValueBool()
	case getenv("OS_INSECURE") != "":
		b, err := strconv.ParseBool(getenv("OS_INSECURE"))
		if err != nil {
			diags.AddError("Invalid OS_INSECURE", fmt.Sprintf("OS_INSECURE is %q; use true or false.", getenv("OS_INSECURE")))
			return r, diags
		}
		r.Insecure = b
	case cloud != nil && cloud.TLS != nil:
		r.Insecure = cloud.TLS.InsecureSkipVerify
	}
	r.CACertFile = coalesce(val("cacert_file"), env("cacert_file"))
	r.ClientCertFile = coalesce(val("cert"), env("cert"))
	r.ClientKeyFile = coalesce(val("key"), env("key"))
	if (r.ClientCertFile == "") != (r.ClientKeyFile == "") {
		diags.AddAttributeError(path.Root("cert"), "Client certificate without key",
			"TLS client authentication needs both "+hint("cert")+" and "+hint("key")+"; only one is set.")
		return r, diags
	}
	if cloud != nil {
		r.CloudTLS = cloud.TLS
	}
	r.APITimeout, diags = resolveAPITimeout(cfg.APITimeout, getenv, diags)
	return r, diags
}

const authHelp = `Set auth_url (OS_AUTH_URL) and one of:
  - user_name (OS_USERNAME) or user_id (OS_USER_ID), password (OS_PASSWORD), and project_name (OS_PROJECT_NAME) or project_id (OS_PROJECT_ID); names also need user_domain_name/project_domain_name or domain_name (OS_*_DOMAIN_NAME);
  - application_credential_id (OS_APPLICATION_CREDENTIAL_ID), or application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) with its user, plus application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET);
  - token (OS_TOKEN).
Or set cloud (OS_CLOUD) to an entry of clouds.yaml that holds them.`

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

func mapHasUnknown(m types.Map) bool {
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

func coalesce(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// buildTLS turns the resolved file paths into a tls.Config. Files named by
// the configuration or environment replace what clouds.yaml set.
func buildTLS(r resolved) (*tls.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.CloudTLS != nil {
		cfg.RootCAs = r.CloudTLS.RootCAs
		cfg.Certificates = r.CloudTLS.Certificates
	}
	if r.CACertFile != "" {
		name := expandHome(r.CACertFile)
		pemBytes, err := os.ReadFile(name)
		if err != nil {
			diags.AddAttributeError(path.Root("cacert_file"), "Cannot read CA certificate file",
				fmt.Sprintf("Reading %q (cacert_file or OS_CACERT) failed: %s", name, err))
			return nil, diags
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			diags.AddAttributeError(path.Root("cacert_file"), "Invalid CA certificate file",
				fmt.Sprintf("%q (cacert_file or OS_CACERT) holds no PEM certificate.", name))
			return nil, diags
		}
		cfg.RootCAs = pool
	}
	if r.ClientCertFile != "" {
		certFile, keyFile := expandHome(r.ClientCertFile), expandHome(r.ClientKeyFile)
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			diags.AddAttributeError(path.Root("cert"), "Cannot load TLS client certificate",
				fmt.Sprintf("Loading the client certificate %q with key %q (cert/key or OS_CERT/OS_KEY) failed: %s", certFile, keyFile, err))
			return nil, diags
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if r.Insecure {
		cfg.InsecureSkipVerify = true
		diags.AddAttributeWarning(path.Root("insecure"), "TLS certificate verification is disabled",
			"insecure (or OS_INSECURE, or verify: false in clouds.yaml) turns off certificate checks for Keystone, Magnum and Heat, "+
				"so credentials can be intercepted. Prefer cacert_file with the cloud's CA.")
	}
	return cfg, diags
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// authenticate builds the single ProviderClient every resource shares and
// gets a token. The User-Agent is set before the first request so Keystone's
// logs attribute the login to the provider too.
func authenticate(ctx context.Context, r resolved, tlsConfig *tls.Config, version string) (*gophercloud.ProviderClient, error) {
	pc, err := openstack.NewClient(r.AuthOptions.IdentityEndpoint)
	if err != nil {
		return nil, err
	}
	// A private clone: mutating http.DefaultTransport would leak TLS
	// settings into every other provider instance in the process.
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig
	pc.HTTPClient = http.Client{Transport: newLoggingTransport(base, r.secrets(), pc.Token), Timeout: r.APITimeout}
	pc.UserAgent.Prepend("terraform-provider-magnum/" + version)
	if err := openstack.Authenticate(ctx, pc, r.AuthOptions); err != nil {
		return nil, err
	}
	return pc, nil
}

// describeAuthError puts Keystone's own words first: they say whether the
// password, the project or the domain is wrong, which a status code cannot.
func describeAuthError(err error, authURL string) string {
	var code gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &code) {
		msg := keystoneMessage(code.Body)
		if msg == "" {
			msg = strings.TrimSpace(string(code.Body))
		}
		if msg == "" {
			msg = http.StatusText(code.Actual)
		}
		return fmt.Sprintf("Keystone at %s answered HTTP %d: %s", authURL, code.Actual, msg)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg := fmt.Sprintf("Could not reach Keystone at %s: %s", authURL, uerr.Err)
		if h := tlsHint(err); h != "" {
			msg += "\n\n" + h
		}
		return msg
	}
	return fmt.Sprintf("Authenticating against %s failed: %s", authURL, err)
}

func keystoneMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Message
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
