package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
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

func baymodelResourceOnlyAttributes() map[string]schema.Attribute {
	attrs := baymodelResourceAttributes()
	attrs["adopt_existing"] = adoptExistingAttribute("baymodel")
	return attrs
}

func baymodelResourceAttributes() map[string]schema.Attribute {
	optString := func(desc string, validators ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc,
			Optional:            true,
			Validators:          append([]validator.String{stringvalidator.LengthBetween(1, 255)}, validators...),
		}
	}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The baymodel's UUID.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "The baymodel's name, 1 to 255 characters. The provider generates one (`tf-baymodel-` and 8 hex digits, such as `tf-baymodel-3f9a0c1e`) when it is left out, so that a create whose answer is lost can be found again. Names need not be unique in Magnum, but a name shared by several baymodels cannot be used to look one up, so the provider refuses to create a second baymodel of a name that exists in the project.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"coe": schema.StringAttribute{
			MarkdownDescription: "The container orchestration engine: " + mdValues(coeValues) + ". Clouds accept only the engines their drivers provide (Magnum 15: `kubernetes`, `swarm`, `swarm-mode`; current Magnum: `kubernetes`).",
			Required:            true,
			Validators:          []validator.String{stringvalidator.OneOf(coeValues...)},
		},
		"image_id": schema.StringAttribute{
			MarkdownDescription: "The Glance image (name or UUID) for the bay's servers. Its `os_distro` property selects Magnum's driver and becomes `cluster_distro`.",
			Required:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
		},
		"keypair_id":          optString("The Nova keypair injected into the bay's servers. Bays may override it with their own `keypair`."),
		"external_network_id": optString("The Neutron external network (name or UUID) that provides floating IPs. Magnum cannot unset it in place, so removing it replaces the baymodel."),
		"flavor_id":           optString("The Nova flavor (name or UUID) for worker nodes."),
		"master_flavor_id":    optString("The Nova flavor (name or UUID) for master nodes."),
		"docker_volume_size": schema.Int64Attribute{
			MarkdownDescription: "The size in GB of the Cinder volume for container storage on each node; at least 1 (at least 3 with the `devicemapper` storage driver)." + volumeSizeNote(),
			Optional:            true,
			Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxVolumeSizeGB)},
		},
		"docker_storage_driver": optString("The Docker storage driver: "+mdValues(storageDriverValues)+".", stringvalidator.OneOf(storageDriverValues...)),
		"network_driver": schema.StringAttribute{
			MarkdownDescription: "The container network driver. Kubernetes: `flannel`, `calico` (and `cilium` on current Magnum); Swarm: `docker` or `flannel`. Magnum picks `flannel` (Kubernetes) or `docker` (Swarm) when it is left out.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.OneOf(networkDriverValues...)},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"volume_driver": optString("The volume driver for persistent storage: `cinder` (Kubernetes) or `rexray` (Swarm).", stringvalidator.OneOf(volumeDriverValues...)),
		"dns_nameserver": schema.StringAttribute{
			MarkdownDescription: "The DNS server(s) for the bay's private network: a comma-separated list of IP addresses.",
			Optional:            true,
			Validators:          []validator.String{ipListValidator{}},
		},
		"fixed_network": optString("An existing Neutron network (name or UUID) for the bay, instead of a new one."),
		"fixed_subnet":  optString("An existing Neutron subnet (name or UUID) for the bay, with `fixed_network`."),
		"http_proxy":    optString("The `http_proxy` set on the bay's nodes."),
		"https_proxy":   optString("The `https_proxy` set on the bay's nodes."),
		"no_proxy":      optString("The `no_proxy` set on the bay's nodes."),
		"labels": schema.MapAttribute{
			MarkdownDescription: "Driver-specific key/value settings, such as `kube_tag` or `auto_scaling_enabled`. Magnum stores every value as a string.",
			ElementType:         types.StringType,
			Optional:            true,
			Computed:            true,
			Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			Validators:          []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(labelKeyRegexp, "must be letters, digits, '_', '-', '.' or '/'"))},
		},
		"tls_disabled": schema.BoolAttribute{
			MarkdownDescription: "Serve the bay's API without TLS. Defaults to `false`. Bays of a TLS-disabled baymodel have no CA or client certificates.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"public": schema.BoolAttribute{
			MarkdownDescription: "Share the baymodel with every project. Defaults to `false`; setting it needs Magnum's `clustertemplate:publish` policy (admins by default).",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"hidden": schema.BoolAttribute{
			MarkdownDescription: "Hide a public baymodel from other projects' lists while keeping it usable by id. Defaults to `false`; needs the same policy as `public`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"registry_enabled": schema.BoolAttribute{
			MarkdownDescription: "Run a Docker registry in the bay, backed by Swift. Defaults to `false`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"insecure_registry": optString("An insecure Docker registry URL the bay's nodes may pull from."),
		"server_type": schema.StringAttribute{
			MarkdownDescription: "The kind of servers: " + mdValues(serverTypeValues) + ". Defaults to `vm`.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString("vm"),
			Validators:          []validator.String{stringvalidator.OneOf(serverTypeValues...)},
		},
		"master_lb_enabled": schema.BoolAttribute{
			MarkdownDescription: "Put a load balancer in front of the masters; needed for more than one master. Defaults to `false`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"floating_ip_enabled": schema.BoolAttribute{
			MarkdownDescription: "Give the bay's nodes floating IPs. Defaults to `true`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(true),
		},
		"apiserver_port": schema.Int64Attribute{
			MarkdownDescription: "The port the bay's API server listens on, 1024 to 65535.",
			Optional:            true,
			Validators:          []validator.Int64{int64validator.Between(1024, 65535)},
		},
		"tags": schema.StringAttribute{
			MarkdownDescription: "Free-form tags, up to 255 characters. Like `name`, `public` and `hidden`, they can change while bays use the baymodel.",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtMost(255)},
		},
		"cluster_distro": schema.StringAttribute{
			MarkdownDescription: "The image's operating system as Magnum read it from the Glance image's `os_distro` property (for example `fedora-coreos`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"driver": schema.StringAttribute{
			MarkdownDescription: "The Magnum driver that builds this baymodel's bays, as the cloud reports it (Magnum 18.0, 2024.1, and later). " +
				"Magnum copies it from the Glance image's `magnum_driver` property (for example `k8s_capi_helm_v1` for a Cluster API driver); " +
				"it is null when the image has no such property, in which case Magnum picks the driver from the image's `os_distro` " +
				"(`k8s_fedora_coreos_v1`, the Heat driver, for `fedora-coreos`), and on clouds older than 2024.1, which do not report it.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"project_id": schema.StringAttribute{
			MarkdownDescription: "The project that owns the baymodel.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"user_id": schema.StringAttribute{
			MarkdownDescription: "The user who created the baymodel.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "When the baymodel was created (RFC 3339).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"updated_at": schema.StringAttribute{
			MarkdownDescription: "When the baymodel was last changed (RFC 3339); empty until the first change.",
			Computed:            true,
		},
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
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &plan.baymodelModel)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
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
	refused := refusedWhileInUse(ops)
	if isTemplateReferenced(err) && len(refused) == 0 && len(ops) > 1 {
		// Each change alone is one Magnum allows on a baymodel in use.
		ct, err = r.patchInUse(ctx, state.ID.ValueString(), ops)
	}
	if err != nil {
		summary, detail := "Error updating baymodel", diagnose.APIError(err)
		if isTemplateReferenced(err) {
			summary = "Baymodel is in use by bays"
			what := "While bays use it, Magnum accepts only a change of name, public (to true), hidden or tags (to a value), one per request."
			if len(refused) > 0 {
				what += " Refused here:\n  - " + strings.Join(refused, "\n  - ")
			}
			detail = fmt.Sprintf("Magnum refuses to change baymodel %q while bays use it. %s\n\nTo change anything else, create a new baymodel (for example with "+
				"lifecycle { create_before_destroy = true } and a new name), point the bays' baymodel_id at it so they are "+
				"upgraded or replaced, and let Terraform delete the old one afterwards.\n\n%s", state.Name.ValueString(), what, detail)
		}
		resp.Diagnostics.AddError(summary, detail)
		return
	}
	resp.Diagnostics.Append(baymodelFromAPI(ctx, ct, &plan.baymodelModel)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *baymodelResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state baymodelResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(r.data.checkProject("baymodel", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	users, err := r.deleteWhenUnused(ctx, state.ID.ValueString(), state.Name.ValueString())
	if err == nil || magnum.IsNotFound(err) {
		return
	}
	if isTemplateReferenced(err) {
		resp.Diagnostics.AddError("Baymodel is still in use by bays",
			fmt.Sprintf("Magnum refuses to delete baymodel %q while bays use it%s. Delete those bays, or move them to another "+
				"baymodel, first.\n\n%s", state.Name.ValueString(), describeTemplateUsers(": ", users), diagnose.APIError(err)))
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
		resp.Diagnostics.AddError("Error importing baymodel", fmt.Sprintf("Could not find baymodel %q by UUID or name.\n\n%s", req.ID, diagnose.APIError(err)))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), ct.UUID)...)
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

// A baymodel delete that Magnum refuses because bays use it waits for
// those bays while they are being deleted: Terraform deletes a bay and a
// baymodel the bay's state no longer depends on at the same time (after an
// upgrade the cloud refused, the bay still runs on the old baymodel), so
// the baymodel's delete can come first. templateUsersGrace is how long a
// bay that uses it may take to show DELETE_IN_PROGRESS: the bay's delete
// may first wait up to 30 s for its stack id, and Magnum's conductor, not
// its API, sets that status when it takes the request (on real Magnum at
// load 15 to 20 that took more than 20 s); templateUsersWait bounds the
// whole wait.
const (
	templateUsersGrace = 2 * time.Minute
	templateUsersWait  = defaultBayDeleteTimeout
)

// deleteWhenUnused deletes the baymodel, retrying while the only bays that
// use it are being deleted. The grace runs from the last time every bay
// in the way was seen deleting: a bay that is not, or users this project
// cannot see (a public baymodel), end the wait after the grace. Listing
// the bays can meet Magnum's transient 400 of a cluster being deleted;
// that is waited out too. On a refusal it returns the bays in the way.
func (r *baymodelResource) deleteWhenUnused(ctx context.Context, id, name string) ([]magnum.Cluster, error) {
	start := time.Now()
	lastDeleting := start
	delay := 2 * time.Second
	var users []magnum.Cluster
	for {
		err := r.data.Magnum.DeleteClusterTemplate(ctx, id)
		if err == nil || !isTemplateReferenced(err) {
			return nil, err
		}
		listed, lerr := r.templateUsers(ctx, id)
		switch {
		case lerr != nil && !isTransientBayError(lerr):
			tflog.Debug(ctx, "could not list the bays that use the baymodel", map[string]any{"baymodel": id, "error": lerr.Error()})
			return users, err
		case lerr == nil:
			users = listed
			deleting := len(users) > 0
			for _, c := range users {
				deleting = deleting && c.Status == "DELETE_IN_PROGRESS"
			}
			if deleting {
				lastDeleting = time.Now()
			}
		}
		if time.Since(lastDeleting) >= templateUsersGrace || time.Since(start) >= templateUsersWait {
			return users, err
		}
		tflog.Info(ctx, fmt.Sprintf("baymodel %q is still used by bays%s; waiting for them to be deleted (%s elapsed)",
			name, describeTemplateUsers(" ", users), time.Since(start).Round(time.Second)), map[string]any{"baymodel": id})
		select {
		case <-ctx.Done():
			return users, err
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// templateUsers lists the bays built from the baymodel that the caller
// can see.
func (r *baymodelResource) templateUsers(ctx context.Context, id string) ([]magnum.Cluster, error) {
	all, err := r.data.Magnum.ListClusters(ctx, magnum.ListOpts{})
	if err != nil {
		return nil, err
	}
	var users []magnum.Cluster
	for _, c := range all {
		if c.ClusterTemplateID == id {
			users = append(users, c)
		}
	}
	return users, nil
}

// describeTemplateUsers lists the bays after prefix, or says nothing.
func describeTemplateUsers(prefix string, users []magnum.Cluster) string {
	if len(users) == 0 {
		return ""
	}
	parts := make([]string, len(users))
	for i, c := range users {
		parts[i] = fmt.Sprintf("%q (%s, %s)", c.Name, c.UUID, c.Status)
	}
	return prefix + strings.Join(parts, ", ")
}

func isTemplateReferenced(err error) bool {
	return magnum.StatusCode(err) == 400 && strings.Contains(err.Error(), "is referenced by")
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

// baymodelReplacePaths lists attributes whose planned change Magnum cannot
// make in place: it refuses to remove these once set.
func baymodelReplacePaths(state, plan baymodelModel) []path.Path {
	var out []path.Path
	removed := func(s, p types.String) bool { return !s.IsNull() && p.IsNull() }
	if removed(state.ExternalNetworkID, plan.ExternalNetworkID) {
		out = append(out, path.Root("external_network_id"))
	}
	return out
}

// baymodelCreateRequest maps the plan to Magnum's POST body. Unset optional
// values stay nil so Magnum applies its own defaults.
func baymodelCreateRequest(ctx context.Context, m baymodelModel) (magnum.ClusterTemplateCreate, diag.Diagnostics) {
	labels, diags := stringMap(ctx, m.Labels)
	return magnum.ClusterTemplateCreate{
		Name:                optStr(m.Name),
		COE:                 m.COE.ValueString(),
		ImageID:             m.ImageID.ValueString(),
		KeypairID:           optStr(m.KeypairID),
		FlavorID:            optStr(m.FlavorID),
		MasterFlavorID:      optStr(m.MasterFlavorID),
		DNSNameserver:       optStr(m.DNSNameserver),
		ExternalNetworkID:   optStr(m.ExternalNetworkID),
		FixedNetwork:        optStr(m.FixedNetwork),
		FixedSubnet:         optStr(m.FixedSubnet),
		NetworkDriver:       optStr(m.NetworkDriver),
		VolumeDriver:        optStr(m.VolumeDriver),
		DockerStorageDriver: optStr(m.DockerStorageDriver),
		DockerVolumeSize:    optInt(m.DockerVolumeSize),
		APIServerPort:       optInt(m.APIServerPort),
		HTTPProxy:           optStr(m.HTTPProxy),
		HTTPSProxy:          optStr(m.HTTPSProxy),
		NoProxy:             optStr(m.NoProxy),
		InsecureRegistry:    optStr(m.InsecureRegistry),
		Labels:              labels,
		RegistryEnabled:     optBool(m.RegistryEnabled),
		TLSDisabled:         optBool(m.TLSDisabled),
		Public:              optBool(m.Public),
		Hidden:              optBool(m.Hidden),
		MasterLBEnabled:     optBool(m.MasterLBEnabled),
		FloatingIPEnabled:   optBool(m.FloatingIPEnabled),
		ServerType:          optStr(m.ServerType),
		Tags:                optStr(m.Tags),
	}, diags
}

// baymodelPatch computes the JSON-patch that turns state into plan. Values
// Magnum computed (name, network_driver) are only sent when the plan knows
// them.
func baymodelPatch(ctx context.Context, state, plan baymodelModel) ([]magnum.PatchOp, diag.Diagnostics) {
	var diags diag.Diagnostics
	from, d := baymodelCreateRequest(ctx, state)
	diags.Append(d...)
	to, d := baymodelCreateRequest(ctx, plan)
	diags.Append(d...)
	if plan.Name.IsUnknown() {
		to.Name = from.Name
	}
	if plan.NetworkDriver.IsUnknown() {
		to.NetworkDriver = from.NetworkDriver
	}
	// Magnum allows one change at a time on a template that bays use; a
	// lone rename must stay a lone op so that path keeps working.
	return magnum.DiffClusterTemplate(from, to), diags
}

// baymodelFromAPI copies what Magnum reports into the model. Optional
// attributes Magnum leaves empty stay null so an unset argument never shows
// a diff.
func baymodelFromAPI(ctx context.Context, ct *magnum.ClusterTemplate, m *baymodelModel) diag.Diagnostics {
	m.ID = types.StringValue(ct.UUID)
	m.Name = types.StringValue(ct.Name)
	m.COE = types.StringValue(ct.COE)
	m.ImageID = types.StringValue(ct.ImageID)
	m.KeypairID = nullableStr(ct.KeypairID)
	m.ExternalNetworkID = nullableStr(ct.ExternalNetworkID)
	m.FlavorID = nullableStr(ct.FlavorID)
	m.MasterFlavorID = nullableStr(ct.MasterFlavorID)
	m.DockerVolumeSize = nullableInt(ct.DockerVolumeSize)
	m.DockerStorageDriver = nullableStr(ct.DockerStorageDriver)
	m.NetworkDriver = nullableStr(ct.NetworkDriver)
	m.VolumeDriver = nullableStr(ct.VolumeDriver)
	m.DNSNameserver = nullableStr(ct.DNSNameserver)
	m.FixedNetwork = nullableStr(ct.FixedNetwork)
	m.FixedSubnet = nullableStr(ct.FixedSubnet)
	m.HTTPProxy = nullableStr(ct.HTTPProxy)
	m.HTTPSProxy = nullableStr(ct.HTTPSProxy)
	m.NoProxy = nullableStr(ct.NoProxy)
	m.TLSDisabled = types.BoolValue(ct.TLSDisabled)
	m.Public = types.BoolValue(ct.Public)
	m.Hidden = types.BoolValue(ct.Hidden)
	m.RegistryEnabled = types.BoolValue(ct.RegistryEnabled)
	m.InsecureRegistry = nullableStr(ct.InsecureRegistry)
	m.ServerType = types.StringValue(ct.ServerType)
	m.MasterLBEnabled = types.BoolValue(ct.MasterLBEnabled)
	m.FloatingIPEnabled = types.BoolValue(ct.FloatingIPEnabled)
	m.APIServerPort = nullableInt(ct.APIServerPort)
	m.Tags = nullableStr(ct.Tags)
	m.ClusterDistro = nullableStr(ct.ClusterDistro)
	m.Driver = nullableStr(ct.Driver)
	m.ProjectID = nullableStr(ct.ProjectID)
	m.UserID = nullableStr(ct.UserID)
	m.CreatedAt = timeString(ct.CreatedAt)
	m.UpdatedAt = timeString(ct.UpdatedAt)
	labels, diags := types.MapValueFrom(ctx, types.StringType, map[string]string(ct.Labels))
	if ct.Labels == nil {
		labels = types.MapValueMust(types.StringType, map[string]attr.Value{})
	}
	m.Labels = labels
	return diags
}

func generateBaymodelName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "tf-baymodel-" + hex.EncodeToString(b[:])
}
