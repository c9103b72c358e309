package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

var (
	_ resource.Resource                   = &baymodelResource{}
	_ resource.ResourceWithConfigure      = &baymodelResource{}
	_ resource.ResourceWithImportState    = &baymodelResource{}
	_ resource.ResourceWithValidateConfig = &baymodelResource{}
	_ resource.ResourceWithModifyPlan     = &baymodelResource{}
)

// NewBaymodelResource is the magnum_baymodel resource: a Magnum cluster
// template, spoken to through /v1/clustertemplates so it keeps working on
// clouds that no longer serve /v1/baymodels.
func NewBaymodelResource() resource.Resource {
	return &baymodelResource{}
}

type baymodelResource struct {
	data *ProviderData
}

type baymodelModel struct {
	ID                  types.String `tfsdk:"id"`
	Name                types.String `tfsdk:"name"`
	COE                 types.String `tfsdk:"coe"`
	ImageID             types.String `tfsdk:"image_id"`
	KeypairID           types.String `tfsdk:"keypair_id"`
	ExternalNetworkID   types.String `tfsdk:"external_network_id"`
	FlavorID            types.String `tfsdk:"flavor_id"`
	MasterFlavorID      types.String `tfsdk:"master_flavor_id"`
	DockerVolumeSize    types.Int64  `tfsdk:"docker_volume_size"`
	DockerStorageDriver types.String `tfsdk:"docker_storage_driver"`
	NetworkDriver       types.String `tfsdk:"network_driver"`
	VolumeDriver        types.String `tfsdk:"volume_driver"`
	DNSNameserver       types.String `tfsdk:"dns_nameserver"`
	FixedNetwork        types.String `tfsdk:"fixed_network"`
	FixedSubnet         types.String `tfsdk:"fixed_subnet"`
	HTTPProxy           types.String `tfsdk:"http_proxy"`
	HTTPSProxy          types.String `tfsdk:"https_proxy"`
	NoProxy             types.String `tfsdk:"no_proxy"`
	Labels              types.Map    `tfsdk:"labels"`
	TLSDisabled         types.Bool   `tfsdk:"tls_disabled"`
	Public              types.Bool   `tfsdk:"public"`
	Hidden              types.Bool   `tfsdk:"hidden"`
	RegistryEnabled     types.Bool   `tfsdk:"registry_enabled"`
	InsecureRegistry    types.String `tfsdk:"insecure_registry"`
	ServerType          types.String `tfsdk:"server_type"`
	MasterLBEnabled     types.Bool   `tfsdk:"master_lb_enabled"`
	FloatingIPEnabled   types.Bool   `tfsdk:"floating_ip_enabled"`
	APIServerPort       types.Int64  `tfsdk:"apiserver_port"`
	Tags                types.String `tfsdk:"tags"`
	ClusterDistro       types.String `tfsdk:"cluster_distro"`
	Driver              types.String `tfsdk:"driver"`
	ProjectID           types.String `tfsdk:"project_id"`
	UserID              types.String `tfsdk:"user_id"`
	CreatedAt           types.String `tfsdk:"created_at"`
	UpdatedAt           types.String `tfsdk:"updated_at"`
}

// baymodelResourceModel is the resource's model: the attributes the data
// source shares, and the create-time arguments only the resource has.
type baymodelResourceModel struct {
	baymodelModel
	AdoptExisting types.Bool `tfsdk:"adopt_existing"`
}

func (r *baymodelResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_baymodel"
}

func (r *baymodelResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A baymodel: Magnum's template for bays (a *cluster template* in today's Magnum). " +
			"The provider manages it through `/v1/clustertemplates`, which every Magnum release serves, so it also works " +
			"where `/v1/baymodels` is gone (Magnum 17.0 and later).\n\n" +
			"Every argument can change in place while no bay uses the baymodel. Once bays use it, Magnum accepts only a " +
			"change of `name`, `public` (to `true`), `hidden` or `tags` (to a value), one per request: the provider sends such changes one at a time. " +
			"For anything else create a new baymodel (see the `create_before_destroy` pattern in the upgrades guide) and move the bays to it.",
		Attributes: baymodelResourceOnlyAttributes(),
	}
}

func (r *baymodelResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "Resource", &resp.Diagnostics)
}

func (r *baymodelResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m baymodelResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateBaymodelCombination(m.baymodelModel)...)
}

// ModifyPlan marks what Magnum recomputes as unknown, and replaces the
// baymodel where Magnum has no in-place path.
func (r *baymodelResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	ctx = r.data.MaskSecrets(ctx)
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state baymodelResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.ImageID.Equal(state.ImageID) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("cluster_distro"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("driver"), types.StringUnknown())...)
	}
	for _, p := range baymodelReplacePaths(state.baymodelModel, plan.baymodelModel) {
		resp.RequiresReplace = append(resp.RequiresReplace, p)
	}
	// The driver is known here while the image stays: a baymodel that
	// keeps it, or changes only dns_nameserver, is warned about at plan
	// time; a new one when its create tells the driver.
	planned := plan.baymodelModel
	if plan.ImageID.Equal(state.ImageID) {
		planned.Driver = state.Driver
	}
	if planned.Name.IsUnknown() {
		planned.Name = state.Name
	}
	warnMissingDNSNameserver(planned, &resp.Diagnostics)
	warnMissingMasterFlavor(planned, &resp.Diagnostics)
}

func (r *baymodelResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan baymodelResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		plan.Name = types.StringValue(generateBaymodelName())
	}
	create, diags := baymodelCreateRequest(ctx, plan.baymodelModel)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	var created *magnum.ClusterTemplate
	id, adopted, err := guardedCreate(ctx, r.data, "baymodel", name, plan.AdoptExisting.ValueBool(), r.data.listBaymodels,
		func(ctx context.Context) (string, error) {
			ct, err := r.data.Magnum.CreateClusterTemplate(ctx, create)
			if err != nil {
				return "", err
			}
			created = ct
			return ct.UUID, nil
		})
	if err != nil {
		summary, hint := refusedCOEHint(ctx, r.data.Magnum, err)
		if summary == "" {
			summary = createErrorSummary("baymodel", name, err)
		}
		resp.Diagnostics.AddError(summary, diagnose.APIError(err)+hint)
		return
	}
	ct := created
	if ct == nil || adopted {
		// Adopted, or found after a lost answer: read exactly what a
		// successful POST would have returned.
		if ct, err = r.data.Magnum.GetClusterTemplate(ctx, id); err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Error reading baymodel %q (%s)", name, id), diagnose.APIError(err))
			return
		}
	}
	if adopted {
		// The adopted baymodel becomes what the configuration says, the
		// way an update would change it.
		var have baymodelModel
		resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &have)...)
		ops, diags := baymodelPatch(ctx, have, plan.baymodelModel)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		if ct, err = r.readOrPatch(ctx, id, ops); err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Error updating adopted baymodel %q (%s)", name, id), diagnose.APIError(err))
			return
		}
	}
	tflog.Info(ctx, "created baymodel", map[string]any{"id": ct.UUID, "name": ct.Name, "adopted": adopted})
	r.data.baymodels.remember(ct)
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &plan.baymodelModel)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	warnMissingDNSNameserver(plan.baymodelModel, &resp.Diagnostics)
	warnMissingMasterFlavor(plan.baymodelModel, &resp.Diagnostics)
}

func (r *baymodelResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state baymodelResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("baymodel", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.holdInState("baymodel", state.Name.ValueString(), state.ID.ValueString())
	ct, err := r.data.Magnum.GetClusterTemplate(ctx, state.ID.ValueString())
	if magnum.IsNotFound(err) {
		tflog.Warn(ctx, "baymodel no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error reading baymodel", diagnose.APIError(err))
		return
	}
	r.data.baymodels.remember(ct)
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &state.baymodelModel)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *baymodelResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan, state baymodelResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("baymodel", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.holdInState("baymodel", state.Name.ValueString(), state.ID.ValueString())
	ops, diags := baymodelPatch(ctx, state.baymodelModel, plan.baymodelModel)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ct, err := r.readOrPatch(ctx, state.ID.ValueString(), ops)
	refused := diagnose.RefusedWhileInUse(ops)
	if isTemplateReferenced(err) && len(refused) == 0 && len(ops) > 1 {
		// Each change alone is one Magnum allows on a baymodel in use.
		ct, err = r.patchInUse(ctx, state.ID.ValueString(), ops)
	}
	if err != nil {
		summary, detail := "Error updating baymodel", diagnose.APIError(err)
		if isTemplateReferenced(err) {
			summary, detail = diagnose.UpdateInUse(state.Name.ValueString(), refused, err)
		}
		resp.Diagnostics.AddError(summary, detail)
		return
	}
	r.data.baymodels.remember(ct)
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &plan.baymodelModel)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	kept, diags := keepPlanned(ctx, req.Plan, &resp.State, allAttributes(req.Plan))
	resp.Diagnostics.Append(diags...)
	if len(kept) > 0 {
		resp.Diagnostics.AddWarning(changedElsewhereWarning("baymodel", state.Name.ValueString(), state.ID.ValueString(), kept))
	}
}

func (r *baymodelResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state baymodelResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("baymodel", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.baymodels.forget(state.ID.ValueString())
	users, err := r.deleteWhenUnused(ctx, state.ID.ValueString(), state.Name.ValueString())
	if err == nil || magnum.IsNotFound(err) {
		return
	}
	if isTemplateReferenced(err) {
		resp.Diagnostics.AddError(diagnose.DeleteInUse(state.Name.ValueString(), users, err))
		return
	}
	resp.Diagnostics.AddError("Error deleting baymodel", diagnose.APIError(err))
}

func (r *baymodelResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	// Magnum resolves a name or a UUID; the state always keeps the UUID.
	ct, err := r.data.Magnum.GetClusterTemplate(ctx, req.ID)
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "baymodel", req.ID, "to import", err); ok {
			resp.Diagnostics.AddError(summary, detail)
			return
		}
		resp.Diagnostics.AddError("Error importing baymodel", diagnose.CouldNotFind(fmt.Sprintf("baymodel %q by UUID or name", req.ID), err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), ct.UUID)...)
}

// warnMissingDNSNameserver warns, on dns_nameserver, about a baymodel whose
// driver (once Magnum has told it) fails every bay without one. No default
// is set instead: that would change the plans of existing baymodels.
func warnMissingDNSNameserver(m baymodelModel, diags *diag.Diagnostics) {
	if m.Driver.IsUnknown() || m.DNSNameserver.IsUnknown() {
		return
	}
	if summary, detail := diagnose.MissingDNSNameserver(m.Name.ValueString(), m.Driver.ValueString(), m.DNSNameserver.ValueString()); summary != "" {
		diags.AddAttributeWarning(path.Root("dns_nameserver"), summary, detail)
	}
}

// warnMissingMasterFlavor warns, on master_flavor_id, about a baymodel
// whose driver (once Magnum has told it) never boots the control plane of
// a bay that names no master flavor either.
func warnMissingMasterFlavor(m baymodelModel, diags *diag.Diagnostics) {
	if m.Driver.IsUnknown() || m.MasterFlavorID.IsUnknown() {
		return
	}
	if summary, detail := diagnose.MissingMasterFlavor(m.Name.ValueString(), m.Driver.ValueString(), m.MasterFlavorID.ValueString()); summary != "" {
		diags.AddAttributeWarning(path.Root("master_flavor_id"), summary, detail)
	}
}

// readOrPatch avoids an empty PATCH when only computed values moved.
func (r *baymodelResource) readOrPatch(ctx context.Context, id string, ops []magnum.PatchOp) (*magnum.ClusterTemplate, error) {
	if len(ops) > 0 {
		// Magnum answers a PATCH with the template it loaded plus the
		// changes, and the updated_at from before the save (null after the
		// first change): the state needs the stored template.
		if _, err := r.data.Magnum.UpdateClusterTemplate(ctx, id, ops); err != nil {
			return nil, err
		}
	}
	return r.data.Magnum.GetClusterTemplate(ctx, id)
}

// validateBaymodelCombination catches, before any request, the combinations
// Magnum 15 rejects.
func validateBaymodelCombination(m baymodelModel) diag.Diagnostics {
	var diags diag.Diagnostics
	coe := m.COE.ValueString()
	if m.COE.IsUnknown() || m.COE.IsNull() {
		return diags
	}
	if nd := m.NetworkDriver; !nd.IsNull() && !nd.IsUnknown() {
		if allowed := networkDriversByCOE[coe]; len(allowed) > 0 && !contains(allowed, nd.ValueString()) {
			diags.AddAttributeError(path.Root("network_driver"), "Network driver not supported by this COE",
				fmt.Sprintf("network_driver %q cannot be used with coe %q; allowed values: %s.", nd.ValueString(), coe, strings.Join(allowed, ", ")))
		}
	}
	if vd := m.VolumeDriver; !vd.IsNull() && !vd.IsUnknown() {
		if allowed := volumeDriversByCOE[coe]; len(allowed) > 0 && !contains(allowed, vd.ValueString()) {
			diags.AddAttributeError(path.Root("volume_driver"), "Volume driver not supported by this COE",
				fmt.Sprintf("volume_driver %q cannot be used with coe %q; allowed values: %s.", vd.ValueString(), coe, strings.Join(allowed, ", ")))
		}
	}
	if m.DockerStorageDriver.ValueString() == "devicemapper" && !m.DockerVolumeSize.IsUnknown() {
		if m.DockerVolumeSize.IsNull() || m.DockerVolumeSize.ValueInt64() < 3 {
			diags.AddAttributeError(path.Root("docker_volume_size"), "docker_volume_size too small for devicemapper",
				"docker_storage_driver \"devicemapper\" needs docker_volume_size of at least 3 (GB).")
		}
	}
	return diags
}
