package session

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// Arguments is the provider block with Terraform's types taken off: the
// string arguments by name ("" when not set), the others nil when not set.
// The provider rejects values known only after apply before it builds one.
type Arguments struct {
	Strings           map[string]string
	Insecure          *bool
	EndpointOverrides map[string]string
	// APITimeout is in seconds.
	APITimeout *int64
}

// Keys accepted in endpoint_overrides, named after the catalog service types
// the OpenStack CLI uses for --os-<type>-endpoint-override.
const (
	OverrideContainerInfra = "container-infra"
	OverrideOrchestration  = "orchestration"
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

// MicroversionPattern matches a Magnum microversion, as max_microversion
// and OS_CONTAINER_INFRA_API_VERSION take it.
var MicroversionPattern = regexp.MustCompile(`^1\.(0|[1-9][0-9]*)$`)

// Authentication methods, in the order a source that sets several is read.
const (
	methodToken    = "token"
	methodAppCred  = "application credential"
	methodPassword = "password"
)

// Settings is the provider configuration after precedence is applied: what
// Login, BuildTLS and the service clients need.
type Settings struct {
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

// Secrets lists the credential values the logs must never show.
func (r Settings) Secrets() []string {
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

// EnvVars names each argument's environment variables; the first is the
// one error messages suggest.
var EnvVars = map[string][]string{
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
	for _, name := range EnvVars[attr] {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// hint names an argument with its environment variables for messages.
func hint(attr string) string {
	return fmt.Sprintf("%s (%s)", attr, strings.Join(EnvVars[attr], " or "))
}

// Resolve applies the OpenStack CLI's precedence (provider block, then OS_*
// environment, then the clouds.yaml entry) and returns the options to
// authenticate with. It does no I/O beyond what load does, so every rule here
// is covered by table tests.
func Resolve(args Arguments, getenv func(string) string, load CloudsLoader) (Settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var r Settings

	val := func(attr string) string { return args.Strings[attr] }
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

	var cloud *CloudEntry
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
		for _, name := range EnvVars["endpoint_type"] {
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

	for k, v := range args.EndpointOverrides {
		switch k {
		case OverrideContainerInfra:
			r.ContainerInfraEndpoint = v
		case OverrideOrchestration:
			r.OrchestrationEndpoint = v
		}
	}

	r.MaxMicroversion = val("max_microversion")
	if r.MaxMicroversion == "" {
		if mv := env("max_microversion"); mv != "" && mv != "latest" {
			if !MicroversionPattern.MatchString(mv) {
				diags.AddError("Invalid OS_CONTAINER_INFRA_API_VERSION",
					fmt.Sprintf("OS_CONTAINER_INFRA_API_VERSION is %q; use a Magnum microversion such as 1.10, or latest.", mv))
				return r, diags
			}
			r.MaxMicroversion = mv
		}
	}

	switch {
	case args.Insecure != nil:
		r.Insecure = *args.Insecure
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
	r.APITimeout, diags = resolveAPITimeout(args.APITimeout, getenv, diags)
	return r, diags
}

const authHelp = `Set auth_url (OS_AUTH_URL) and one of:
  - user_name (OS_USERNAME) or user_id (OS_USER_ID), password (OS_PASSWORD), and project_name (OS_PROJECT_NAME) or project_id (OS_PROJECT_ID); names also need user_domain_name/project_domain_name or domain_name (OS_*_DOMAIN_NAME);
  - application_credential_id (OS_APPLICATION_CREDENTIAL_ID), or application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) with its user, plus application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET);
  - token (OS_TOKEN).
Or set cloud (OS_CLOUD) to an entry of clouds.yaml that holds them.`

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

// DefaultAPITimeout bounds one HTTP exchange. Magnum answers in seconds;
// its slowest call, a certificate signing whose RPC times out, takes about
// 60 s to fail. Without a bound, a connection that stalls after the
// request was sent would hang an apply for ever.
const DefaultAPITimeout = 120 * time.Second

// resolveAPITimeout applies the block, then OS_API_TIMEOUT (which the
// OpenStack SDK also reads, in seconds), then the default.
func resolveAPITimeout(seconds *int64, getenv func(string) string, diags diag.Diagnostics) (time.Duration, diag.Diagnostics) {
	if seconds != nil {
		return time.Duration(*seconds) * time.Second, diags
	}
	env := strings.TrimSpace(getenv("OS_API_TIMEOUT"))
	if env == "" {
		return DefaultAPITimeout, diags
	}
	secs, err := strconv.ParseFloat(env, 64)
	if err != nil || secs < 1 || secs > 3600 {
		diags.AddError("Invalid OS_API_TIMEOUT",
			fmt.Sprintf("OS_API_TIMEOUT is %q; use a number of seconds between 1 and 3600.", env))
		return 0, diags
	}
	return time.Duration(secs * float64(time.Second)), diags
}
