package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/ephemeralvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

var (
	_ ephemeral.EphemeralResource                     = &bayCredentialsEphemeral{}
	_ ephemeral.EphemeralResourceWithConfigure        = &bayCredentialsEphemeral{}
	_ ephemeral.EphemeralResourceWithConfigValidators = &bayCredentialsEphemeral{}
)

// NewBayCredentialsEphemeralResource is magnum_bay_credentials: client
// credentials for a bay that Terraform hands to other providers without ever
// writing them to the plan or the state.
func NewBayCredentialsEphemeralResource() ephemeral.EphemeralResource {
	return &bayCredentialsEphemeral{}
}

type bayCredentialsEphemeral struct {
	data *ProviderData
}

type bayCredentialsModel struct {
	ID                   types.String `tfsdk:"id"`
	Name                 types.String `tfsdk:"name"`
	COE                  types.String `tfsdk:"coe"`
	Host                 types.String `tfsdk:"host"`
	ClusterCACertificate types.String `tfsdk:"cluster_ca_certificate"`
	ClientCertificate    types.String `tfsdk:"client_certificate"`
	ClientKey            types.String `tfsdk:"client_key"`
	ClientCertNotAfter   types.String `tfsdk:"client_certificate_not_after"`
	Kubeconfig           types.String `tfsdk:"kubeconfig"`
	DockerTLS            types.Object `tfsdk:"docker_tls"`
}

func (e *bayCredentialsEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bay_credentials"
}

func (e *bayCredentialsEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	secret := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true, Sensitive: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Client credentials for a bay (Magnum cluster), for configuring the `kubernetes`, `helm` or `docker` " +
			"providers without keeping a private key in the Terraform state or plan. Needs Terraform 1.10 or later.\n\n" +
			"Every time Terraform opens it (while planning, once its arguments are known, and again while applying) the provider generates a new private key " +
			"and has Magnum sign a client certificate for it (`CN=admin, O=system:masters`, as `openstack coe cluster config` does). " +
			"Magnum cannot revoke certificates: each stays valid until it expires or the bay's CA is rotated.\n\n" +
			"Pair it with `store_credentials = false` on the `magnum_bay` resource so that the bay keeps no credentials of its own in state.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The bay's UUID. Set either `id` or `name`.",
				Optional:            true,
				Computed:            true,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The bay's name. Set either `id` or `name`; a name several bays share is an error.",
				Optional:            true,
				Computed:            true,
			},
			"coe":                          computed("The bay's container orchestration engine: `kubernetes`, `swarm` or `swarm-mode`."),
			"host":                         computed("The bay's API endpoint (`api_address`): the `host` of the `kubernetes` provider, or `DOCKER_HOST` for Swarm."),
			"cluster_ca_certificate":       computed("The bay's CA certificate (PEM). Null when the baymodel disables TLS."),
			"client_certificate":           computed("A client certificate (PEM) signed for this opening. Null when the baymodel disables TLS."),
			"client_key":                   secret("The client certificate's private key (PEM). Null when the baymodel disables TLS."),
			"client_certificate_not_after": computed("When the client certificate expires (RFC 3339)."),
			"kubeconfig":                   secret("A complete kubeconfig file (YAML) for a Kubernetes bay; null for Swarm."),
			"docker_tls": schema.SingleNestedAttribute{
				MarkdownDescription: "Docker TLS settings for a Swarm bay: what `DOCKER_HOST`, `DOCKER_CERT_PATH` (`ca.pem`, `cert.pem`, `key.pem`) and `DOCKER_TLS_VERIFY` need. Null for Kubernetes.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"docker_host": computed("The value for `DOCKER_HOST`."),
					"ca_pem":      computed("The contents of `ca.pem`."),
					"cert_pem":    computed("The contents of `cert.pem`."),
					"key_pem":     secret("The contents of `key.pem`."),
					"tls_verify":  schema.BoolAttribute{MarkdownDescription: "The value for `DOCKER_TLS_VERIFY`.", Computed: true},
				},
			},
		},
	}
}

func (e *bayCredentialsEphemeral) ConfigValidators(context.Context) []ephemeral.ConfigValidator {
	return []ephemeral.ConfigValidator{
		ephemeralvalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (e *bayCredentialsEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, "Ephemeral Resource", &resp.Diagnostics)
}

// Open fails where the resource and the data source only warn: credentials
// are all this exists for, so a configuration that depends on them must not
// go on without them.
func (e *bayCredentialsEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	ctx = e.data.MaskSecrets(ctx)
	var m bayCredentialsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ident := m.ID.ValueString()
	if ident == "" {
		ident = m.Name.ValueString()
	}
	c, err := e.data.Magnum.GetCluster(ctx, ident)
	if err != nil {
		detail := diagnose.APIError(err)
		if magnum.IsNotFound(err) && !m.Name.IsNull() {
			// Terraform opens an ephemeral resource while planning as soon
			// as its arguments are known, even when they name a bay the
			// same apply is about to create.
			detail += diagnose.EphemeralBayMissing()
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", ident), detail)
		return
	}
	if c.APIAddress == "" {
		resp.Diagnostics.AddError(diagnose.NoAPIAddress(c.Name, c.Status))
		return
	}
	ct, err := e.data.Magnum.GetClusterTemplate(ctx, c.ClusterTemplateID)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading the baymodel of bay %q", c.Name), diagnose.APIError(err))
		return
	}
	isKube, isSwarm := ct.COE == "kubernetes", ct.COE == "swarm" || ct.COE == "swarm-mode"
	if !isKube && !isSwarm {
		resp.Diagnostics.AddError(diagnose.NoClientCredentials(c.Name, ct.COE))
		return
	}

	var caPEM, certPEM, keyPEM string
	if !ct.TLSDisabled {
		caPEM, err = e.data.Magnum.GetCA(ctx, c.UUID, magnum.CATypeKubernetes)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Could not read the CA of bay %q", c.Name), diagnose.CertificateError(err))
			return
		}
		tflog.Info(ctx, "signing a client certificate for ephemeral bay credentials", map[string]any{"bay": c.Name})
		certPEM, keyPEM, err = credentialSource{magnum: e.data.Magnum}.sign(ctx, c.UUID)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Could not sign a client certificate for bay %q", c.Name), diagnose.CertificateError(err))
			return
		}
	}

	m.ID = types.StringValue(c.UUID)
	m.Name = types.StringValue(c.Name)
	m.COE = types.StringValue(ct.COE)
	m.Host = types.StringValue(c.APIAddress)
	m.ClusterCACertificate = nullableStr(caPEM)
	m.ClientCertificate = nullableStr(certPEM)
	m.ClientKey = nullableStr(keyPEM)
	m.ClientCertNotAfter = types.StringNull()
	if certPEM != "" {
		if t, err := kubeconfig.CertNotAfter(certPEM); err == nil {
			m.ClientCertNotAfter = types.StringValue(t.UTC().Format(time.RFC3339))
		}
	}
	m.Kubeconfig = types.StringNull()
	m.DockerTLS = types.ObjectNull(dockerTLSAttrTypes)

	if isSwarm {
		d := kubeconfig.DockerTLS(c.APIAddress, caPEM, certPEM, keyPEM)
		obj, diags := types.ObjectValueFrom(ctx, dockerTLSAttrTypes, dockerTLSModel{
			DockerHost: types.StringValue(d.Host),
			CAPEM:      nullableStr(d.CAPEM),
			CertPEM:    nullableStr(d.CertPEM),
			KeyPEM:     nullableStr(d.KeyPEM),
			TLSVerify:  types.BoolValue(d.TLSVerify),
		})
		resp.Diagnostics.Append(diags...)
		m.DockerTLS = obj
	} else {
		raw, err := kubeconfig.Render(kubeconfig.Params{
			ClusterName: c.Name, APIAddress: c.APIAddress, TLSDisabled: ct.TLSDisabled,
			CACertPEM: caPEM, ClientCertPEM: certPEM, ClientKeyPEM: keyPEM,
		})
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Could not build a kubeconfig for bay %q", c.Name), err.Error())
			return
		}
		m.Kubeconfig = types.StringValue(raw)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
