package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
)

var (
	_ datasource.DataSource                     = &bayDataSource{}
	_ datasource.DataSourceWithConfigure        = &bayDataSource{}
	_ datasource.DataSourceWithConfigValidators = &bayDataSource{}
)

// NewBayDataSource looks up one bay by UUID or name.
func NewBayDataSource() datasource.DataSource {
	return &bayDataSource{}
}

type bayDataSource struct {
	data *ProviderData
}

type bayDataModel struct {
	bayAttributes
	IncludeCredentials types.Bool `tfsdk:"include_credentials"`
}

func (d *bayDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bay"
}

func (d *bayDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	var rs resource.SchemaResponse
	(&bayResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	attrs := computedDataSourceAttributes(rs.Schema.Attributes)
	// A resource argument about its own state; include_credentials is the
	// data source's counterpart.
	delete(attrs, storeCredentialsAttr)
	// An instruction for creating the bay; effective_labels shows the labels.
	delete(attrs, "auto_scaling")
	// How the resource applies a future upgrade; nothing to read.
	delete(attrs, "upgrade")
	// What the resource does at create time.
	delete(attrs, "adopt_existing")
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The bay's UUID. Set either `id` or `name`.",
		Optional:            true,
		Computed:            true,
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "The bay's name. Set either `id` or `name`; a name several bays share is an error.",
		Optional:            true,
		Computed:            true,
	}
	attrs["include_credentials"] = schema.BoolAttribute{
		MarkdownDescription: "Also fill `kubeconfig` (or `docker_tls`) with a client certificate. A data source keeps nothing between runs, so this signs a **new** certificate on every refresh; leave it `false` (the default) unless you need the credentials, and prefer the `magnum_bay` resource's, which are reused until they need renewal. `ca_cert` and `api_address` are always filled.",
		Optional:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a bay (Magnum cluster) by UUID or name and exposes its status, endpoint and CA, and on request credentials for the `kubernetes` and `helm` providers.",
		Attributes:          attrs,
	}
}

func (d *bayDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *bayDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *bayDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.MaskSecrets(ctx)
	var m bayDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ident := m.ID.ValueString()
	if ident == "" {
		ident = m.Name.ValueString()
	}
	c, err := d.data.Magnum.GetCluster(ctx, ident)
	if err != nil {
		if summary, detail, ok := d.data.ambiguousName(ctx, "bay", ident, "to read", err); ok {
			resp.Diagnostics.AddError(summary, detail)
			return
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", ident), diagnose.APIError(err))
		return
	}
	ct, err := d.data.Magnum.GetClusterTemplate(ctx, c.ClusterTemplateID)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading the baymodel of bay %q", ident), diagnose.APIError(err))
		return
	}
	meta := newBayMeta(ct)
	resp.Diagnostics.Append(bayFromAPI(ctx, c, &m.bayAttributes, meta)...)
	m.Labels = types.MapNull(types.StringType)
	m.MergeLabels = types.BoolNull()
	m.Kubeconfig = types.ObjectNull(kubeconfigAttrTypes)
	m.DockerTLS = types.ObjectNull(dockerTLSAttrTypes)
	m.CACert = types.StringNull()
	src := credentialSource{magnum: d.data.Magnum, now: time.Now}
	if m.IncludeCredentials.ValueBool() {
		resp.Diagnostics.Append(src.fill(ctx, c, meta, &m.bayAttributes, false)...)
	} else if !meta.TLSDisabled && c.APIAddress != "" {
		pem, err := d.data.Magnum.GetCA(ctx, c.UUID, "")
		if err != nil {
			resp.Diagnostics.AddWarning(fmt.Sprintf("Could not read the CA of bay %q", ident), diagnose.APIError(err))
		} else {
			m.CACert = types.StringValue(pem)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, m))...)
}

// computedDataSourceAttributes mirrors a resource's attributes as computed
// data source attributes, so the two schemas cannot drift apart.
func computedDataSourceAttributes(in map[string]rschema.Attribute) map[string]schema.Attribute {
	out := map[string]schema.Attribute{}
	for name, a := range in {
		desc := a.GetMarkdownDescription()
		sensitive := a.IsSensitive()
		switch t := a.(type) {
		case rschema.StringAttribute:
			out[name] = schema.StringAttribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive}
		case rschema.Int64Attribute:
			out[name] = schema.Int64Attribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive}
		case rschema.BoolAttribute:
			out[name] = schema.BoolAttribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive}
		case rschema.MapAttribute:
			out[name] = schema.MapAttribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive, ElementType: t.ElementType}
		case rschema.ListAttribute:
			out[name] = schema.ListAttribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive, ElementType: t.ElementType}
		case rschema.SingleNestedAttribute:
			out[name] = schema.SingleNestedAttribute{MarkdownDescription: desc, Computed: true, Sensitive: sensitive,
				Attributes: computedDataSourceAttributes(t.Attributes)}
		}
	}
	return out
}
