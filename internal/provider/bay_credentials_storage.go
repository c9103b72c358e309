package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// storeCredentialsAttr is magnum_bay's switch between credentials kept in
// state (the default, and the only way before Terraform 1.10) and the
// ephemeral magnum_bay_credentials, which keeps them out of state.
const storeCredentialsAttr = "store_credentials"

func storeCredentialsAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: "Keep a client certificate and its private key in `kubeconfig` (or `docker_tls`), and so in the Terraform state. " +
			"Defaults to `true`. Set it to `false` when the `magnum_bay_credentials` ephemeral resource (Terraform 1.10 or later) supplies the " +
			"credentials instead: `kubeconfig` then holds only `host` and `cluster_ca_certificate` (`docker_tls` only `docker_host` and `ca_pem`), " +
			"the state holds no private key, and the provider signs no certificate for the bay. A change takes effect in place.",
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(true),
	}
}

// storesCredentials reads store_credentials. Null means true: states
// written before the argument existed, and fresh imports, hold credentials.
func storesCredentials(v types.Bool) bool {
	return v.IsNull() || v.IsUnknown() || v.ValueBool()
}

// credentialsFollowStorage plans kubeconfig and docker_tls as unknown when
// store_credentials changes, because the update then adds or drops the
// client certificate; UseStateForUnknown alone would promise the old value.
type credentialsFollowStorage struct{}

func (credentialsFollowStorage) Description(context.Context) string {
	return "Recomputed when store_credentials changes."
}

func (m credentialsFollowStorage) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (credentialsFollowStorage) PlanModifyObject(ctx context.Context, req planmodifier.ObjectRequest, resp *planmodifier.ObjectResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var planned, prior types.Bool
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(storeCredentialsAttr), &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(storeCredentialsAttr), &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if planned.IsUnknown() || storesCredentials(planned) != storesCredentials(prior) {
		resp.PlanValue = types.ObjectUnknown(req.PlanValue.AttributeTypes(ctx))
	}
}

// fillWithoutClientCert sets what a bay that keeps no credentials in state
// still shows: where its API is and the CA to verify it with.
func fillWithoutClientCert(ctx context.Context, c *magnum.Cluster, caPEM string, isSwarm bool, m *bayAttributes) diag.Diagnostics {
	if isSwarm {
		d := kubeconfig.DockerTLS(c.APIAddress, "", "", "")
		obj, diags := types.ObjectValueFrom(ctx, dockerTLSAttrTypes, dockerTLSModel{
			DockerHost: types.StringValue(d.Host),
			CAPEM:      nullableStr(caPEM),
			CertPEM:    types.StringNull(),
			KeyPEM:     types.StringNull(),
			// The daemon still verifies clients: whoever brings the
			// certificate must turn verification on.
			TLSVerify: types.BoolValue(caPEM != ""),
		})
		m.DockerTLS = obj
		return diags
	}
	obj, diags := types.ObjectValueFrom(ctx, kubeconfigAttrTypes, kubeconfigModel{
		RawConfig:            types.StringNull(),
		Host:                 types.StringValue(c.APIAddress),
		ClusterCACertificate: nullableStr(caPEM),
		ClientCertificate:    types.StringNull(),
		ClientKey:            types.StringNull(),
		ClientCertNotAfter:   types.StringNull(),
	})
	m.Kubeconfig = obj
	return diags
}
