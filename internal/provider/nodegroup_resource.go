package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

var (
	_ resource.Resource                   = &nodegroupResource{}
	_ resource.ResourceWithConfigure      = &nodegroupResource{}
	_ resource.ResourceWithImportState    = &nodegroupResource{}
	_ resource.ResourceWithValidateConfig = &nodegroupResource{}
	_ resource.ResourceWithModifyPlan     = &nodegroupResource{}
)

const (
	defaultNodegroupCreateTimeout = 60 * time.Minute
	defaultNodegroupUpdateTimeout = 30 * time.Minute
	defaultNodegroupDeleteTimeout = 30 * time.Minute
)

// NewNodegroupResource is magnum_nodegroup: an extra group of worker nodes
// in a bay, with its own flavor, image, labels and size (Magnum API
// microversion 1.9 or later).
func NewNodegroupResource() resource.Resource {
	return &nodegroupResource{}
}

type nodegroupResource struct {
	data *ProviderData
}

type nodegroupModel struct {
	ID               types.String   `tfsdk:"id"`
	BayID            types.String   `tfsdk:"bay_id"`
	Name             types.String   `tfsdk:"name"`
	Role             types.String   `tfsdk:"role"`
	FlavorID         types.String   `tfsdk:"flavor_id"`
	ImageID          types.String   `tfsdk:"image_id"`
	DockerVolumeSize types.Int64    `tfsdk:"docker_volume_size"`
	Labels           types.Map      `tfsdk:"labels"`
	MergeLabels      types.Bool     `tfsdk:"merge_labels"`
	EffectiveLabels  types.Map      `tfsdk:"effective_labels"`
	NodeCount        types.Int64    `tfsdk:"node_count"`
	MinNodeCount     types.Int64    `tfsdk:"min_node_count"`
	MaxNodeCount     types.Int64    `tfsdk:"max_node_count"`
	NodeLabels       types.Map      `tfsdk:"node_labels"`
	NodeTaints       types.List     `tfsdk:"node_taints"`
	AutoScaling      types.Object   `tfsdk:"auto_scaling"`
	Status           types.String   `tfsdk:"status"`
	StatusReason     types.String   `tfsdk:"status_reason"`
	StackID          types.String   `tfsdk:"stack_id"`
	ProjectID        types.String   `tfsdk:"project_id"`
	CreatedAt        types.String   `tfsdk:"created_at"`
	UpdatedAt        types.String   `tfsdk:"updated_at"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

var taintAttrTypes = map[string]attr.Type{"key": types.StringType, "value": types.StringType, "effect": types.StringType}

type taintModel struct {
	Key    types.String `tfsdk:"key"`
	Value  types.String `tfsdk:"value"`
	Effect types.String `tfsdk:"effect"`
}

func (r *nodegroupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_nodegroup"
}

func (r *nodegroupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace(), stringplanmodifier.UseStateForUnknown()}
	stable := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A nodegroup: an extra group of worker nodes in a bay, with its own flavor, image, labels and size. " +
			"Needs Magnum API microversion 1.9 or later (Magnum 9.0, Train); `node_count = 0` needs 1.10, and `node_labels` and `node_taints` need 1.14.\n\n" +
			"`node_count` changes in place through Magnum's resize action, and `min_node_count`, `max_node_count`, `node_labels` and `node_taints` through a PATCH; " +
			"every other argument replaces the nodegroup, because Magnum cannot change it. Waits follow the operation the provider started, so an old " +
			"`CREATE_COMPLETE` is never taken for the end of a later resize or delete.",
		Attributes: map[string]schema.Attribute{
			"id": stable("The nodegroup's UUID."),
			"bay_id": schema.StringAttribute{
				MarkdownDescription: "The bay (UUID or name) the nodegroup belongs to. A change replaces the nodegroup.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The nodegroup's name, unique within the bay. Cluster API drivers need a lowercase RFC 1123 name (`gpu-workers`). A change replaces the nodegroup.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"role": schema.StringAttribute{
				MarkdownDescription: "A free-form role, `worker` by default; Magnum refuses `master`. It is also a node label on Kubernetes (`magnum.openstack.org/role`). A change replaces the nodegroup.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{stringvalidator.NoneOf("master"), stringvalidator.LengthBetween(1, 255)},
				PlanModifiers:       replace,
			},
			"flavor_id": schema.StringAttribute{
				MarkdownDescription: "The Nova flavor of the nodes. Inherited from the bay when left out. A change replaces the nodegroup.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       replace,
			},
			"image_id": schema.StringAttribute{
				MarkdownDescription: "The Glance image of the nodes. Inherited from the bay's baymodel when left out. A change replaces the nodegroup.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       replace,
			},
			"docker_volume_size": schema.Int64Attribute{
				MarkdownDescription: "The size in GB of each node's container storage volume. A change replaces the nodegroup." + volumeSizeNote(),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxVolumeSizeGB)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace(), int64planmodifier.UseStateForUnknown()},
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: "Labels for the nodegroup's nodes. Left out, the bay's labels are inherited; set, they replace them or, with `merge_labels`, are merged over them. `effective_labels` shows the result. A change replaces the nodegroup.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(labelKeyRegexp, "must be letters, digits, '_', '-', '.' or '/'"))},
				PlanModifiers:       []planmodifier.Map{movedLabelsRequireReplace("nodegroup")},
			},
			"merge_labels": schema.BoolAttribute{
				MarkdownDescription: "Merge `labels` over the bay's labels instead of replacing them. Defaults to `false`. Magnum does not report it back, so the provider keeps the configured value.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"effective_labels": schema.MapAttribute{
				MarkdownDescription: "The labels Magnum applied to the nodegroup.",
				ElementType:         types.StringType,
				Computed:            true,
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
			},
			"node_count": schema.Int64Attribute{
				MarkdownDescription: "The number of nodes. Defaults to 1. Changes resize the nodegroup in place and must stay within `min_node_count` and `max_node_count`; 0 needs Magnum API microversion 1.10. While `auto_scaling` is enabled, counts the autoscaler sets are not drift." + nodeCountNote(),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(1),
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxNodeCount)},
			},
			"min_node_count": schema.Int64Attribute{
				MarkdownDescription: "The fewest nodes a resize may leave. Magnum's default is 0. Changes in place." + nodeCountNote(),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxNodeCount)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"max_node_count": schema.Int64Attribute{
				MarkdownDescription: "The most nodes a resize may reach. Left out, it is `auto_scaling.max_node_count` when that is set, else unlimited. Changes in place (removing it lifts the limit)." + nodeCountNote(),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxNodeCount)},
				PlanModifiers:       []planmodifier.Int64{maxFromAutoScaling{}},
			},
			"node_labels": schema.MapAttribute{
				MarkdownDescription: "Kubernetes labels for the nodes (Magnum API microversion 1.14). Changes in place. Note: neither Cluster API driver applied them to nodes when this was written.",
				ElementType:         types.StringType,
				Optional:            true,
			},
			"node_taints": schema.ListNestedAttribute{
				MarkdownDescription: "Kubernetes taints for the nodes (Magnum API microversion 1.14). Changes in place.",
				Optional:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"key":   schema.StringAttribute{MarkdownDescription: "The taint key.", Required: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
						"value": schema.StringAttribute{MarkdownDescription: "The taint value; empty when left out.", Optional: true},
						"effect": schema.StringAttribute{
							MarkdownDescription: "`NoSchedule`, `PreferNoSchedule` or `NoExecute`.",
							Required:            true,
							Validators:          []validator.String{stringvalidator.OneOf("NoSchedule", "PreferNoSchedule", "NoExecute")},
						},
					},
				},
			},
			"auto_scaling":  autoScalingAttribute("nodegroup"),
			"status":        schema.StringAttribute{MarkdownDescription: "Magnum's status for the nodegroup, such as `CREATE_COMPLETE`.", Computed: true},
			"status_reason": schema.StringAttribute{MarkdownDescription: "Why the nodegroup is in its status.", Computed: true},
			"stack_id":      stable("The nodegroup's Heat stack, or the driver's id on clouds without Heat."),
			"project_id":    stable("The project that owns the nodegroup."),
			"created_at":    stable("When the nodegroup was created (RFC 3339)."),
			"updated_at":    schema.StringAttribute{MarkdownDescription: "When the nodegroup last changed (RFC 3339).", Computed: true},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *nodegroupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "Resource", &resp.Diagnostics)
}

// ValidateConfig catches at plan time the count combinations Magnum
// refuses with a 409 after the apply has started.
func (r *nodegroupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m nodegroupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateTimeouts(m.Timeouts.Object)...)
	if msg := nodeCountProblem(m.NodeCount, m.MinNodeCount, m.MaxNodeCount); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("node_count"), "Inconsistent node counts", msg)
	}
	if as, ok, d := readAutoScaling(ctx, m.AutoScaling); ok && !d.HasError() {
		if msg := validateAutoScalingCounts(as, m.NodeCount); msg != "" {
			resp.Diagnostics.AddAttributeError(path.Root("auto_scaling"), "Inconsistent autoscaling limits", msg)
		}
	}
}

// ModifyPlan never lets a nodegroup Magnum reports as failed, or as going
// away, plan "No changes": a failed update is retried, the rest replaced.
func (r *nodegroupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	ctx = r.data.MaskSecrets(ctx)
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var state, plan nodegroupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	repair := repairFor(state.Status.ValueString())
	if repair == repairNone {
		return
	}
	resp.Diagnostics.AddWarning(nodegroupRepairWarning(state, plan))
	// An unknown status is a change: the plan cannot say "No changes".
	for _, name := range []string{"status", "status_reason", "updated_at"} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), types.StringUnknown())...)
	}
	if repair == repairReplace {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
	}
}

func (r *nodegroupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan nodegroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultNodegroupCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	bay, err := r.data.Magnum.GetCluster(ctx, plan.BayID.ValueString())
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "bay", plan.BayID.ValueString(), fmt.Sprintf("to add nodegroup %q to", plan.Name.ValueString()), err); ok {
			resp.Diagnostics.AddAttributeError(path.Root("bay_id"), summary, detail)
			return
		}
		summary, detail := diagnose.NotReadable("bay", plan.BayID.ValueString(), fmt.Sprintf("to add nodegroup %q to", plan.Name.ValueString()), err)
		resp.Diagnostics.AddAttributeError(path.Root("bay_id"), summary, detail)
		return
	}
	create, diags := nodegroupCreateRequest(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ng, err := r.data.Magnum.CreateNodeGroup(ctx, bay.UUID, create)
	if magnum.IsOutcomeUnknown(err) {
		// Names are unique within a bay, so the name settles it.
		if found, gerr := r.data.Magnum.GetNodeGroup(ctx, bay.UUID, create.Name); gerr == nil {
			ng, err = found, nil
		}
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error creating nodegroup %q in bay %q", plan.Name.ValueString(), bay.Name), diagnose.APIError(err))
		return
	}
	plan.ID = types.StringValue(ng.UUID)
	// Saved before waiting, so a failed wait leaves it tainted, not orphaned.
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)

	got, werr := r.wait(ctx, bay.UUID, ng.UUID, plan.Name.ValueString(), "created", waiter.Conditions[*magnum.NodeGroup]{
		Target:        []string{"CREATE_COMPLETE"},
		Pending:       []string{"CREATE_IN_PROGRESS"},
		NotFoundGrace: 2 * time.Minute,
	}, timeout)
	if got != nil {
		resp.Diagnostics.Append(nodegroupFromAPI(ctx, got, &plan, false)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	if werr != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Nodegroup %q (%s) did not become ready", plan.Name.ValueString(), ng.UUID),
			diagnose.WaitError(werr)+diagnose.Tainted("nodegroup"))
	}
}

func (r *nodegroupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state nodegroupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("nodegroup", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ng, err := r.data.Magnum.GetNodeGroup(ctx, state.BayID.ValueString(), state.ID.ValueString())
	if magnum.IsNotFound(err) {
		tflog.Warn(ctx, "nodegroup no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading nodegroup %q", state.ID.ValueString()), diagnose.APIError(err))
		return
	}
	resp.Diagnostics.Append(nodegroupFromAPI(ctx, ng, &state, autoScaled(ctx, state.AutoScaling))...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
}

func (r *nodegroupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan, state nodegroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("nodegroup", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultNodegroupUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bayID, id, name := state.BayID.ValueString(), state.ID.ValueString(), state.Name.ValueString()

	ops, diags := nodegroupPatch(ctx, state, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Limits first when they widen, so a resize into the new range passes
	// Magnum's bounds check; after it when they narrow around the new count.
	growing := plan.NodeCount.ValueInt64() > state.NodeCount.ValueInt64()
	patch := func() bool {
		if len(ops) == 0 {
			return true
		}
		if _, err := r.data.Magnum.UpdateNodeGroup(ctx, bayID, id, ops); err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Error updating nodegroup %q (%s)", name, id), diagnose.APIError(err))
			return false
		}
		ops = nil
		return true
	}
	if growing && !patch() {
		return
	}
	var last *magnum.NodeGroup
	// A nodegroup left UPDATE_FAILED is updated again by a resize to the
	// configured count, as the plan's repair said.
	retry := repairFor(state.Status.ValueString()) == repairRetry
	if !plan.NodeCount.Equal(state.NodeCount) || retry {
		want := int(plan.NodeCount.ValueInt64())
		what, failed := fmt.Sprintf("resized to %d nodes", want), fmt.Sprintf("Error resizing nodegroup %q (%s)", name, id)
		if retry {
			tflog.Info(ctx, "nodegroup is UPDATE_FAILED; retrying the update with a resize to the configured count", map[string]any{"nodegroup": name, "node_count": want})
			what, failed = fmt.Sprintf("updated again (resized to %d nodes)", want), fmt.Sprintf("Error retrying the failed update of nodegroup %q (%s)", name, id)
		}
		before, err := r.data.Magnum.GetNodeGroup(ctx, bayID, id)
		if err == nil {
			err = r.data.Magnum.ResizeCluster(ctx, bayID, magnum.ResizeOpts{NodeCount: want, NodeGroup: id})
		}
		if err != nil {
			resp.Diagnostics.AddError(failed, diagnose.APIError(err))
			return
		}
		var first *magnum.NodeGroup
		last, err = r.wait(ctx, bayID, id, name, what, waiter.Conditions[*magnum.NodeGroup]{
			Target:  []string{"UPDATE_COMPLETE"},
			Pending: []string{"UPDATE_IN_PROGRESS"},
			// Without UPDATE_IN_PROGRESS in between, only a later
			// updated_at with the new count shows this resize ran.
			Started: func(ng *magnum.NodeGroup, _ string) bool {
				if first == nil {
					first = ng
					return false
				}
				return ng.NodeCount == want && ng.UpdatedAt.After(first.UpdatedAt) && ng.UpdatedAt.After(before.UpdatedAt)
			},
		}, timeout)
		if err != nil {
			resp.Diagnostics.AddError(failed, diagnose.WaitError(err))
			if last != nil {
				resp.Diagnostics.Append(nodegroupFromAPI(ctx, last, &state, false)...)
				resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
			}
			return
		}
	}
	if !patch() {
		return
	}
	got, err := r.data.Magnum.GetNodeGroup(ctx, bayID, id)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading nodegroup %q", name), diagnose.APIError(err))
		return
	}
	resp.Diagnostics.Append(nodegroupFromAPI(ctx, got, &plan, false)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	kept, diags := keepPlanned(ctx, req.Plan, &resp.State, allAttributes(req.Plan))
	resp.Diagnostics.Append(diags...)
	if len(kept) > 0 {
		resp.Diagnostics.AddWarning(changedElsewhereWarning("nodegroup", name, id, kept))
	}
}

func (r *nodegroupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state nodegroupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("nodegroup", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultNodegroupDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bayID, id, name := state.BayID.ValueString(), state.ID.ValueString(), state.Name.ValueString()
	err := r.data.Magnum.DeleteNodeGroup(ctx, bayID, id)
	if magnum.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting nodegroup %q (%s)", name, id), diagnose.APIError(err))
		return
	}
	_, err = r.wait(ctx, bayID, id, name, "deleted", waiter.Conditions[*magnum.NodeGroup]{
		Pending:          []string{"DELETE_IN_PROGRESS"},
		NotFoundIsTarget: true,
		IsTransient:      magnum.TransientWhileDeleting,
		IsFailed:         func(s string) bool { return s == "DELETE_FAILED" },
		// Until the conductor handles the cast the nodegroup shows whatever
		// it showed before (CREATE_COMPLETE, even CREATE_FAILED): that is
		// "not started yet", not an unexpected state (the peer's #2066).
		Started: func(_ *magnum.NodeGroup, s string) bool { return strings.HasPrefix(s, "DELETE_") },
	}, timeout)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting nodegroup %q (%s)", name, id), diagnose.WaitError(err))
	}
}

// ImportState takes "<bay>/<nodegroup>", each a UUID or a name.
func (r *nodegroupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	bayRef, ngRef, ok := parseNodegroupImportID(req.ID)
	if !ok {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected \"<bay>/<nodegroup>\" (UUIDs or names), got %q.", req.ID))
		return
	}
	bay, err := r.data.Magnum.GetCluster(ctx, bayRef)
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "bay", bayRef, "to import a nodegroup of", err); ok {
			resp.Diagnostics.AddError(summary, detail)
			return
		}
		resp.Diagnostics.AddError("Error importing nodegroup", diagnose.CouldNotFind(fmt.Sprintf("bay %q", bayRef), err))
		return
	}
	ng, err := r.data.Magnum.GetNodeGroup(ctx, bay.UUID, ngRef)
	if err != nil {
		resp.Diagnostics.AddError("Error importing nodegroup", diagnose.CouldNotFind(fmt.Sprintf("nodegroup %q in bay %q", ngRef, bay.Name), err))
		return
	}
	if ng.IsDefault {
		resp.Diagnostics.AddError(diagnose.DefaultNodegroupImport(ng.Name))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), ng.UUID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("bay_id"), bay.UUID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("merge_labels"), false)...)
}

func parseNodegroupImportID(id string) (bay, ng string, ok bool) {
	bay, ng, ok = strings.Cut(id, "/")
	return bay, ng, ok && bay != "" && ng != "" && !strings.Contains(ng, "/")
}

func (r *nodegroupResource) wait(ctx context.Context, bayID, id, name, what string, cond waiter.Conditions[*magnum.NodeGroup], timeout time.Duration) (*magnum.NodeGroup, error) {
	cond.HandlerMayFail = nodegroupHandlerMayFail
	cond.Stamp = func(ng *magnum.NodeGroup) time.Time {
		if ng == nil {
			return time.Time{}
		}
		return ng.UpdatedAt
	}
	cond.Describe = func(ng *magnum.NodeGroup) string {
		if ng == nil || ng.StatusReason == "" {
			return ""
		}
		return "status_reason: " + ng.StatusReason
	}
	// What the wait learnt of the sync grid serves the next terraform
	// command on this cloud too, whatever the outcome.
	defer r.data.rememberPhase(ctx)
	return waiter.Wait(ctx, waiter.Config{
		What:    fmt.Sprintf("nodegroup %q (%s) to be %s", name, id, what),
		Timeout: timeout,
		OnChange: func(ch waiter.Change) {
			tflog.Info(ctx, fmt.Sprintf("nodegroup %q: %s", name, ch.To), map[string]any{"nodegroup": name, "id": id, "from": ch.From, "status": ch.To, "elapsed": ch.Elapsed.String()})
		},
		Logf: func(format string, args ...any) { tflog.Debug(ctx, fmt.Sprintf(format, args...)) },
		// Magnum's conductor moves a nodegroup's status on the same
		// periodic sync as its cluster's.
		Phase: r.data.conductorPhase(),
	}, func(ctx context.Context) (*magnum.NodeGroup, string, error) {
		ng, err := r.data.Magnum.GetNodeGroup(ctx, bayID, id)
		if err != nil {
			return nil, "", err
		}
		r.data.shareClockSkew()
		return ng, ng.Status, nil
	}, cond)
}

// nodeCountProblem mirrors Magnum's _validate_node_count; the node count
// defaults to 1 when left out.
func nodeCountProblem(count, minN, maxN types.Int64) string {
	known := func(v types.Int64) bool { return !v.IsNull() && !v.IsUnknown() }
	if count.IsUnknown() || minN.IsUnknown() || maxN.IsUnknown() {
		return ""
	}
	n := int64(1)
	if known(count) {
		n = count.ValueInt64()
	}
	if known(maxN) && known(minN) && minN.ValueInt64() > maxN.ValueInt64() {
		return fmt.Sprintf("min_node_count (%d) is above max_node_count (%d); Magnum would refuse it.", minN.ValueInt64(), maxN.ValueInt64())
	}
	if known(maxN) && n > maxN.ValueInt64() {
		return fmt.Sprintf("node_count (%d) is above max_node_count (%d); Magnum would refuse it.", n, maxN.ValueInt64())
	}
	if known(minN) && minN.ValueInt64() > n {
		return fmt.Sprintf("min_node_count (%d) is above node_count (%d); Magnum would refuse it.", minN.ValueInt64(), n)
	}
	return ""
}

// nodegroupRepairWarning explains a failed nodegroup's status and what the
// plan does about it.
func nodegroupRepairWarning(state, plan nodegroupModel) (string, string) {
	changed := !plan.NodeCount.Equal(state.NodeCount) || !plan.MinNodeCount.Equal(state.MinNodeCount) ||
		!plan.MaxNodeCount.Equal(state.MaxNodeCount) || !plan.NodeLabels.Equal(state.NodeLabels) || !plan.NodeTaints.Equal(state.NodeTaints)
	return diagnose.NodegroupRepair{
		Name: state.Name.ValueString(), ID: state.ID.ValueString(), Bay: state.BayID.ValueString(),
		Status: state.Status.ValueString(), StatusReason: state.StatusReason.ValueString(),
		NodeCount: plan.NodeCount.ValueInt64(), Changed: changed,
	}.Warning()
}
