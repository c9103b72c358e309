package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var _ provider.Provider = &MagnumProvider{}

// MagnumProvider is a placeholder until provider configuration lands.
type MagnumProvider struct {
	version string
}

func New(version string) func() provider.Provider {
	return func() provider.Provider { return &MagnumProvider{version: version} }
}

func (p *MagnumProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "magnum"
	resp.Version = p.version
}

func (p *MagnumProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{MarkdownDescription: "OpenStack Magnum."}
}

func (p *MagnumProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *MagnumProvider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *MagnumProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
