package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

var (
	_ resource.Resource                = &quotaResource{}
	_ resource.ResourceWithConfigure   = &quotaResource{}
	_ resource.ResourceWithImportState = &quotaResource{}
)

// NewQuotaResource is magnum_quota: how many bays a project may have. Only
// cloud administrators may manage quotas.
func NewQuotaResource() resource.Resource {
	return &quotaResource{}
}

type quotaResource struct {
	data *ProviderData
}

type quotaModel struct {
	ID        types.String `tfsdk:"id"`
	ProjectID types.String `tfsdk:"project_id"`
	Resource  types.String `tfsdk:"resource"`
	HardLimit types.Int64  `tfsdk:"hard_limit"`
	CreatedAt types.String `tfsdk:"created_at"`
	UpdatedAt types.String `tfsdk:"updated_at"`
}

func (r *quotaResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_quota"
}

func (r *quotaResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Magnum quota: the most bays (Magnum clusters) a project may have. Magnum counts bays only when one is created; nodes are not limited.\n\n" +
			"Managing quotas needs a cloud administrator's credentials (Magnum's `quota:*` policies default to the `admin` role). " +
			"Without a quota of its own a project gets the cloud's default (`[quotas] max_clusters_per_project`, 20 unless the operator changed it); " +
			"destroying this resource returns the project to that default.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<project_id>/<resource>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The Keystone project ID the quota applies to. A change replaces the quota.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       replace,
			},
			"resource": schema.StringAttribute{
				MarkdownDescription: "What is limited. Magnum knows only `Cluster` (bays), the default.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(magnum.QuotaResourceCluster),
				Validators:          []validator.String{stringvalidator.OneOf(magnum.QuotaResourceCluster)},
				PlanModifiers:       replace,
			},
			"hard_limit": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("The most bays the project may have; 0 forbids new bays, and at most %d. Changes in place.", maxQuotaClusters),
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxQuotaClusters)},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the quota was created (RFC 3339).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"updated_at": schema.StringAttribute{MarkdownDescription: "When the quota last changed (RFC 3339).", Computed: true},
		},
	}
}

func (r *quotaResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "Resource", &resp.Diagnostics)
}

func (r *quotaResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan quotaModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	project, res := plan.ProjectID.ValueString(), plan.Resource.ValueString()
	q, err := r.data.Magnum.CreateQuota(ctx, project, res, int(plan.HardLimit.ValueInt64()))
	if err != nil {
		detail := diagnose.QuotaError(err, "quota:create")
		if magnum.IsConflict(err) {
			detail += diagnose.QuotaExists(project, res)
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Error creating the %s quota of project %s", res, project), detail)
		return
	}
	quotaFromAPI(q, &plan)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *quotaResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state quotaModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	q, err := r.data.Magnum.GetQuota(ctx, state.ProjectID.ValueString(), state.Resource.ValueString())
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading the quota of project %s", state.ProjectID.ValueString()), diagnose.QuotaError(err, "quota:get"))
		return
	}
	if !q.Exists() {
		// Magnum answers with its default when the row is gone.
		tflog.Warn(ctx, "quota no longer exists; removing it from state", map[string]any{"project_id": state.ProjectID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	quotaFromAPI(q, &state)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *quotaResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan quotaModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	project, res := plan.ProjectID.ValueString(), plan.Resource.ValueString()
	q, err := r.data.Magnum.UpdateQuota(ctx, project, res, int(plan.HardLimit.ValueInt64()))
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error updating the quota of project %s", project), diagnose.QuotaError(err, "quota:update"))
		return
	}
	quotaFromAPI(q, &plan)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *quotaResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state quotaModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.data.Magnum.DeleteQuota(ctx, state.ProjectID.ValueString(), state.Resource.ValueString())
	if err != nil && !magnum.IsNotFound(err) {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting the quota of project %s", state.ProjectID.ValueString()), diagnose.QuotaError(err, "quota:delete"))
	}
}

// ImportState takes "<project_id>/<resource>"; a bare project ID means the
// Cluster quota.
func (r *quotaResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	project, res, ok := strings.Cut(req.ID, "/")
	if !ok {
		res = magnum.QuotaResourceCluster
	}
	if project == "" || res == "" || strings.Contains(res, "/") {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Expected \"<project_id>/<resource>\", such as \"8f0e…/Cluster\"; got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("project_id"), project)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("resource"), res)...)
}

func quotaFromAPI(q *magnum.Quota, m *quotaModel) {
	if q.ProjectID != "" {
		m.ProjectID = types.StringValue(q.ProjectID)
	}
	if q.Resource != "" {
		m.Resource = types.StringValue(q.Resource)
	}
	m.ID = types.StringValue(m.ProjectID.ValueString() + "/" + m.Resource.ValueString())
	m.HardLimit = types.Int64Value(int64(q.HardLimit))
	m.CreatedAt = timeString(q.CreatedAt)
	m.UpdatedAt = timeString(q.UpdatedAt)
}
