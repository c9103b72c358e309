package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
)

var (
	_ datasource.DataSource                     = &baymodelDataSource{}
	_ datasource.DataSourceWithConfigure        = &baymodelDataSource{}
	_ datasource.DataSourceWithConfigValidators = &baymodelDataSource{}
)

// NewBaymodelDataSource looks up one baymodel by UUID or name: yours, or a
// public one shared by the cloud's operators.
func NewBaymodelDataSource() datasource.DataSource {
	return &baymodelDataSource{}
}

type baymodelDataSource struct {
	data *ProviderData
}

func (d *baymodelDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_baymodel"
}

func (d *baymodelDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	// Every attribute mirrors the resource's, computed; only the lookup keys
	// can be set.
	attrs := computedDataSourceAttributes(baymodelResourceAttributes())
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The baymodel's UUID. Set either `id` or `name`.",
		Optional:            true,
		Computed:            true,
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "The baymodel's name. Set either `id` or `name`; a name that several visible baymodels share is an error, since Magnum cannot tell which one is meant.",
		Optional:            true,
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a baymodel (Magnum cluster template) by UUID or name, including public baymodels shared by the cloud's operators.",
		Attributes:          attrs,
	}
}

func (d *baymodelDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *baymodelDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *baymodelDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.MaskSecrets(ctx)
	var m baymodelModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ident := m.ID.ValueString()
	if ident == "" {
		ident = m.Name.ValueString()
	}
	ct, err := d.data.Magnum.GetClusterTemplate(ctx, ident)
	if err != nil {
		if summary, detail, ok := d.data.ambiguousName(ctx, "baymodel", ident, "to read", err); ok {
			resp.Diagnostics.AddError(summary, detail)
			return
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading baymodel %q", ident), diagnose.APIError(err))
		return
	}
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
