package provider

import (
	"context"
	"regexp"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// magnum_bays and magnum_baymodels list what the project can see and
// filter it client-side: Magnum's list API has no filters, only paging,
// which the client follows to the end.

var (
	_ datasource.DataSourceWithConfigure = &baysDataSource{}
	_ datasource.DataSourceWithConfigure = &baymodelsDataSource{}
)

// NewBaysDataSource lists bays, filtered.
func NewBaysDataSource() datasource.DataSource { return &baysDataSource{} }

// NewBaymodelsDataSource lists baymodels, filtered.
func NewBaymodelsDataSource() datasource.DataSource { return &baymodelsDataSource{} }

type baysDataSource struct{ data *ProviderData }

type baymodelsDataSource struct{ data *ProviderData }

// listFilter is what both data sources filter on.
type listFilter struct {
	NameRegex types.String `tfsdk:"name_regex"`
	COE       types.String `tfsdk:"coe"`
	Labels    types.Map    `tfsdk:"labels"`
	PageSize  types.Int64  `tfsdk:"page_size"`
}

type baysModel struct {
	listFilter
	Status types.String `tfsdk:"status"`
	IDs    types.List   `tfsdk:"ids"`
	Bays   types.List   `tfsdk:"bays"`
}

type baymodelsModel struct {
	listFilter
	IDs       types.List `tfsdk:"ids"`
	Baymodels types.List `tfsdk:"baymodels"`
}

var bayItemTypes = map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "baymodel_id": types.StringType, "coe": types.StringType,
	"status": types.StringType, "health_status": types.StringType, "node_count": types.Int64Type,
	"master_count": types.Int64Type, "api_address": types.StringType, "coe_version": types.StringType,
	"labels": types.MapType{ElemType: types.StringType}, "created_at": types.StringType,
}

var baymodelItemTypes = map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "coe": types.StringType, "image_id": types.StringType,
	"public": types.BoolType, "hidden": types.BoolType, "labels": types.MapType{ElemType: types.StringType},
	"created_at": types.StringType,
}

func (d *baysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bays"
}

func (d *baymodelsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_baymodels"
}

func (d *baysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := filterAttributes("bays")
	attrs["status"] = schema.StringAttribute{MarkdownDescription: "Keep only bays in this status, such as `CREATE_COMPLETE`.", Optional: true}
	attrs["ids"] = schema.ListAttribute{MarkdownDescription: "The UUIDs of the matching bays, sorted by name.", ElementType: types.StringType, Computed: true}
	attrs["bays"] = schema.ListNestedAttribute{
		MarkdownDescription: "The matching bays, sorted by name (then UUID).",
		Computed:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"id":            schema.StringAttribute{MarkdownDescription: "The bay's UUID.", Computed: true},
			"name":          schema.StringAttribute{MarkdownDescription: "The bay's name.", Computed: true},
			"baymodel_id":   schema.StringAttribute{MarkdownDescription: "The bay's baymodel UUID.", Computed: true},
			"coe":           schema.StringAttribute{MarkdownDescription: "The bay's container orchestration engine, from its baymodel (null if the baymodel is not visible).", Computed: true},
			"status":        schema.StringAttribute{MarkdownDescription: "Magnum's status for the bay.", Computed: true},
			"health_status": schema.StringAttribute{MarkdownDescription: "The bay's health status.", Computed: true},
			"node_count":    schema.Int64Attribute{MarkdownDescription: "Worker nodes across all of the bay's nodegroups.", Computed: true},
			"master_count":  schema.Int64Attribute{MarkdownDescription: "Master nodes.", Computed: true},
			"api_address":   schema.StringAttribute{MarkdownDescription: "The bay's API endpoint.", Computed: true},
			"coe_version":   schema.StringAttribute{MarkdownDescription: "The orchestration engine's version.", Computed: true},
			"labels":        schema.MapAttribute{MarkdownDescription: "The bay's labels.", ElementType: types.StringType, Computed: true},
			"created_at":    schema.StringAttribute{MarkdownDescription: "When the bay was created (RFC 3339).", Computed: true},
		}},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the bays the credentials can see, filtered by name, status, engine and labels. Magnum's list API cannot filter, so the provider reads every page and filters itself.",
		Attributes:          attrs,
	}
}

func (d *baymodelsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := filterAttributes("baymodels")
	attrs["ids"] = schema.ListAttribute{MarkdownDescription: "The UUIDs of the matching baymodels, sorted by name.", ElementType: types.StringType, Computed: true}
	attrs["baymodels"] = schema.ListNestedAttribute{
		MarkdownDescription: "The matching baymodels, sorted by name (then UUID).",
		Computed:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"id":         schema.StringAttribute{MarkdownDescription: "The baymodel's UUID.", Computed: true},
			"name":       schema.StringAttribute{MarkdownDescription: "The baymodel's name.", Computed: true},
			"coe":        schema.StringAttribute{MarkdownDescription: "The container orchestration engine.", Computed: true},
			"image_id":   schema.StringAttribute{MarkdownDescription: "The Glance image.", Computed: true},
			"public":     schema.BoolAttribute{MarkdownDescription: "Whether every project can use it.", Computed: true},
			"hidden":     schema.BoolAttribute{MarkdownDescription: "Whether the operators hid it from lists of other projects.", Computed: true},
			"labels":     schema.MapAttribute{MarkdownDescription: "The baymodel's labels, such as `kube_tag`.", ElementType: types.StringType, Computed: true},
			"created_at": schema.StringAttribute{MarkdownDescription: "When it was created (RFC 3339).", Computed: true},
		}},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the baymodels the credentials can see (the project's own and public ones), filtered by name, engine and labels, for example to pick the newest template for a Kubernetes version. Magnum's list API cannot filter, so the provider reads every page and filters itself.",
		Attributes:          attrs,
	}
}

func (d *baysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *baymodelsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "Data Source", &resp.Diagnostics)
}

func (d *baysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.MaskSecrets(ctx)
	var m baysModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	match, diags := m.compile(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	clusters, err := d.data.Magnum.ListClusters(ctx, m.listOpts())
	if err != nil {
		resp.Diagnostics.AddError("Error listing bays", diagnose.APIError(err))
		return
	}
	// A bay's engine is its baymodel's; one listing answers for all.
	coes := map[string]string{}
	if match.coe != "" || len(clusters) > 0 {
		templates, err := d.data.Magnum.ListClusterTemplates(ctx, m.listOpts())
		if err != nil {
			resp.Diagnostics.AddError("Error listing baymodels to learn each bay's engine", diagnose.APIError(err))
			return
		}
		for _, t := range templates {
			coes[t.UUID] = t.COE
		}
	}
	sort.SliceStable(clusters, func(i, j int) bool {
		if clusters[i].Name != clusters[j].Name {
			return clusters[i].Name < clusters[j].Name
		}
		return clusters[i].UUID < clusters[j].UUID
	})
	var ids []string
	var items []attr.Value
	for _, c := range clusters {
		coe := coes[c.ClusterTemplateID]
		if (m.Status.ValueString() != "" && c.Status != m.Status.ValueString()) || !match.match(c.Name, coe, c.Labels) {
			continue
		}
		labels, d := types.MapValueFrom(ctx, types.StringType, nonNilMap(c.Labels))
		resp.Diagnostics.Append(d...)
		obj, d := types.ObjectValue(bayItemTypes, map[string]attr.Value{
			"id": types.StringValue(c.UUID), "name": types.StringValue(c.Name), "baymodel_id": types.StringValue(c.ClusterTemplateID),
			"coe": nullableStr(coe), "status": types.StringValue(c.Status), "health_status": nullableStr(c.HealthStatus),
			"node_count": types.Int64Value(int64(c.NodeCount)), "master_count": types.Int64Value(int64(c.MasterCount)),
			"api_address": nullableStr(c.APIAddress), "coe_version": nullableStr(c.COEVersion), "labels": labels,
			"created_at": timeString(c.CreatedAt),
		})
		resp.Diagnostics.Append(d...)
		ids = append(ids, c.UUID)
		items = append(items, obj)
	}
	m.IDs, diags = stringList(ctx, ids)
	resp.Diagnostics.Append(diags...)
	m.Bays, diags = types.ListValue(types.ObjectType{AttrTypes: bayItemTypes}, nonNilValues(items))
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (d *baymodelsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.MaskSecrets(ctx)
	var m baymodelsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	match, diags := m.compile(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	templates, err := d.data.Magnum.ListClusterTemplates(ctx, m.listOpts())
	if err != nil {
		resp.Diagnostics.AddError("Error listing baymodels", diagnose.APIError(err))
		return
	}
	sort.SliceStable(templates, func(i, j int) bool {
		if templates[i].Name != templates[j].Name {
			return templates[i].Name < templates[j].Name
		}
		return templates[i].UUID < templates[j].UUID
	})
	var ids []string
	var items []attr.Value
	for _, t := range templates {
		if !match.match(t.Name, t.COE, t.Labels) {
			continue
		}
		labels, d := types.MapValueFrom(ctx, types.StringType, nonNilMap(t.Labels))
		resp.Diagnostics.Append(d...)
		obj, d := types.ObjectValue(baymodelItemTypes, map[string]attr.Value{
			"id": types.StringValue(t.UUID), "name": types.StringValue(t.Name), "coe": types.StringValue(t.COE),
			"image_id": nullableStr(t.ImageID), "public": types.BoolValue(t.Public), "hidden": types.BoolValue(t.Hidden),
			"labels": labels, "created_at": timeString(t.CreatedAt),
		})
		resp.Diagnostics.Append(d...)
		ids = append(ids, t.UUID)
		items = append(items, obj)
	}
	m.IDs, diags = stringList(ctx, ids)
	resp.Diagnostics.Append(diags...)
	m.Baymodels, diags = types.ListValue(types.ObjectType{AttrTypes: baymodelItemTypes}, nonNilValues(items))
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func filterAttributes(what string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"name_regex": schema.StringAttribute{
			MarkdownDescription: "Keep only " + what + " whose name matches this regular expression (Go RE2 syntax; unanchored, so use `^...$` for a whole-name match).",
			Optional:            true,
		},
		"coe": schema.StringAttribute{
			MarkdownDescription: "Keep only " + what + " of this container orchestration engine, such as `kubernetes`.",
			Optional:            true,
		},
		"labels": schema.MapAttribute{
			MarkdownDescription: "Keep only " + what + " that carry every one of these labels with these values (others may carry more).",
			ElementType:         types.StringType,
			Optional:            true,
		},
		"page_size": schema.Int64Attribute{
			MarkdownDescription: "How many items to ask Magnum for per page; the provider follows every page either way. Left out, Magnum's own limit applies (`[api] max_limit`, 1000 by default).",
			Optional:            true,
			Validators:          []validator.Int64{int64validator.Between(1, 1000)},
		},
	}
}

// matcher is a compiled listFilter.
type matcher struct {
	name   *regexp.Regexp
	coe    string
	labels map[string]string
}

func (f listFilter) compile(ctx context.Context) (matcher, diag.Diagnostics) {
	var m matcher
	var diags diag.Diagnostics
	if v := f.NameRegex.ValueString(); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			diags.AddAttributeError(path.Root("name_regex"), "Invalid regular expression", err.Error())
			return m, diags
		}
		m.name = re
	}
	m.coe = f.COE.ValueString()
	m.labels, diags = stringMap(ctx, f.Labels)
	return m, diags
}

func (m matcher) match(name, coe string, labels map[string]string) bool {
	if m.name != nil && !m.name.MatchString(name) {
		return false
	}
	if m.coe != "" && coe != m.coe {
		return false
	}
	for k, v := range m.labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (f listFilter) listOpts() magnum.ListOpts {
	return magnum.ListOpts{Limit: int(f.PageSize.ValueInt64())}
}

func nonNilValues(v []attr.Value) []attr.Value {
	if v == nil {
		return []attr.Value{}
	}
	return v
}
