package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// magnum_bay. This file holds the resource's methods in Terraform's order
// and is longer than 600 lines because the schema alone is about 190 (a
// description on every attribute) and Update handles resize, upgrade and
// the repair of a failed bay; everything else lives in bay_*.go by
// concern: bay_mapping.go (model <-> API), bay_wait.go, bay_actions.go,
// bay_upgrade.go, bay_repair.go, bay_node_count.go, bay_adopt.go,
// bay_private_state.go, bay_credentials*.go.

var (
	_ resource.Resource                   = &bayResource{}
	_ resource.ResourceWithConfigure      = &bayResource{}
	_ resource.ResourceWithImportState    = &bayResource{}
	_ resource.ResourceWithModifyPlan     = &bayResource{}
	_ resource.ResourceWithValidateConfig = &bayResource{}
)

const (
	defaultBayCreateTimeout = 75 * time.Minute
	defaultBayUpdateTimeout = 60 * time.Minute
	defaultBayDeleteTimeout = 30 * time.Minute

	// privateBayMeta is the private-state key holding what the bay inherits
	// from its baymodel and Read needs without fetching the baymodel again.
	privateBayMeta = "bay_meta"
)

// NewBayResource is the magnum_bay resource: a Magnum cluster, created
// through /v1/clusters and followed until Magnum reports it ready.
func NewBayResource() resource.Resource {
	return &bayResource{}
}

type bayResource struct {
	data *ProviderData
}

type bayModel struct {
	bayAttributes
	StoreCredentials types.Bool     `tfsdk:"store_credentials"`
	AdoptExisting    types.Bool     `tfsdk:"adopt_existing"`
	AutoScaling      types.Object   `tfsdk:"auto_scaling"`
	Upgrade          types.Object   `tfsdk:"upgrade"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

// bayAttributes are the attributes the resource and the data source share.
type bayAttributes struct {
	ID                 types.String `tfsdk:"id"`
	Name               types.String `tfsdk:"name"`
	BaymodelID         types.String `tfsdk:"baymodel_id"`
	NodeCount          types.Int64  `tfsdk:"node_count"`
	MasterCount        types.Int64  `tfsdk:"master_count"`
	CreateTimeout      types.Int64  `tfsdk:"create_timeout"`
	DiscoveryURL       types.String `tfsdk:"discovery_url"`
	Keypair            types.String `tfsdk:"keypair"`
	FlavorID           types.String `tfsdk:"flavor_id"`
	MasterFlavorID     types.String `tfsdk:"master_flavor_id"`
	DockerVolumeSize   types.Int64  `tfsdk:"docker_volume_size"`
	Labels             types.Map    `tfsdk:"labels"`
	MergeLabels        types.Bool   `tfsdk:"merge_labels"`
	MasterLBEnabled    types.Bool   `tfsdk:"master_lb_enabled"`
	FloatingIPEnabled  types.Bool   `tfsdk:"floating_ip_enabled"`
	FixedNetwork       types.String `tfsdk:"fixed_network"`
	FixedSubnet        types.String `tfsdk:"fixed_subnet"`
	COE                types.String `tfsdk:"coe"`
	Status             types.String `tfsdk:"status"`
	StatusReason       types.String `tfsdk:"status_reason"`
	Faults             types.Map    `tfsdk:"faults"`
	HealthStatus       types.String `tfsdk:"health_status"`
	HealthStatusReason types.Map    `tfsdk:"health_status_reason"`
	APIAddress         types.String `tfsdk:"api_address"`
	COEVersion         types.String `tfsdk:"coe_version"`
	ContainerVersion   types.String `tfsdk:"container_version"`
	MasterAddresses    types.List   `tfsdk:"master_addresses"`
	NodeAddresses      types.List   `tfsdk:"node_addresses"`
	StackID            types.String `tfsdk:"stack_id"`
	ProjectID          types.String `tfsdk:"project_id"`
	UserID             types.String `tfsdk:"user_id"`
	CreatedAt          types.String `tfsdk:"created_at"`
	UpdatedAt          types.String `tfsdk:"updated_at"`
	EffectiveLabels    types.Map    `tfsdk:"effective_labels"`
	CACert             types.String `tfsdk:"ca_cert"`
	Kubeconfig         types.Object `tfsdk:"kubeconfig"`
	DockerTLS          types.Object `tfsdk:"docker_tls"`
}

func (r *bayResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bay"
}

func (r *bayResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace(), stringplanmodifier.UseStateForUnknown()}
	inherited := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc + " Inherited from the baymodel when left out. Magnum cannot change it on a running bay, so a change replaces the bay.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			PlanModifiers:       replace,
		}
	}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	stable := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A bay: a Magnum container cluster (Kubernetes or Swarm), created from a baymodel. " +
			"The provider creates it through `/v1/clusters`, waits until Magnum reports it ready (following Heat where the cloud has it), " +
			"and exposes its API endpoint, CA and client credentials so the `kubernetes` and `helm` providers can use it in the same apply.\n\n" +
			"`node_count` changes in place (a resize); a new `baymodel_id` upgrades the bay in place where the cloud supports upgrades " +
			"(API microversion 1.8 or later, and a driver that upgrades: Magnum 2024.1 and later refuse for Heat bays) and replaces it elsewhere; " +
			"every other argument replaces the bay, because Magnum cannot change it.\n\n" +
			"A bay whose create fails or times out stays in the state, marked tainted, so the next apply replaces it and nothing is orphaned.",
		Attributes: map[string]schema.Attribute{
			"id": stable("The bay's UUID."),
			"name": schema.StringAttribute{
				MarkdownDescription: "The bay's name: a letter, then letters, digits, `_`, `.` or `-`, up to 242 characters. The provider generates one (`tf-bay-` and 8 hex digits) when it is left out, so that a create whose outcome is unknown can be found again.",
				Optional:            true,
				Computed:            true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 242),
					stringvalidator.RegexMatches(bayNameRegexp, "must start with a letter and contain only letters, digits, '_', '.' and '-'"),
				},
				PlanModifiers: replace,
			},
			"baymodel_id": schema.StringAttribute{
				MarkdownDescription: "The baymodel (UUID or name) to build the bay from. A change upgrades the bay in place when the cloud supports upgrades (Magnum API microversion 1.8 or later) and the bay's driver can: Magnum 2024.1 and later refuse for bays on the Heat driver. Otherwise the plan replaces the bay, with a warning that says why (see the upgrades guide).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"node_count": schema.Int64Attribute{
				MarkdownDescription: "The number of worker nodes (the default worker nodegroup). Defaults to 1. Changes resize the bay in place; 0 needs Magnum API microversion 1.10 or later." + nodeCountNote(),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(1),
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxNodeCount)},
			},
			"master_count": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("The number of master nodes, 1 to %d (etcd's largest recommended cluster). Defaults to 1. More than one needs `master_lb_enabled` (here or in the baymodel). A change replaces the bay.", maxMasterCount),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(1),
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxMasterCount)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"create_timeout": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Minutes Magnum (Heat) allows the create to take before it marks the bay `CREATE_FAILED` (the original `bay_create_timeout`), at most %d (a day). Defaults to Magnum's 60. This is the cloud's own limit; the `timeouts` block bounds how long Terraform waits. A change replaces the bay.", maxCreateTimeoutMinutes),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxCreateTimeoutMinutes)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace(), int64planmodifier.UseStateForUnknown()},
			},
			"discovery_url": schema.StringAttribute{
				MarkdownDescription: "The etcd discovery URL for the masters. Magnum requests one from its discovery service when it is left out. A change replaces the bay.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       replace,
			},
			"keypair":          inherited("The Nova keypair for the bay's servers."),
			"flavor_id":        inherited("The Nova flavor for worker nodes."),
			"master_flavor_id": inherited("The Nova flavor for master nodes."),
			"docker_volume_size": schema.Int64Attribute{
				MarkdownDescription: "The size in GB of each node's container storage volume. Inherited from the baymodel when left out. A change replaces the bay." + volumeSizeNote(),
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxVolumeSizeGB)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace(), int64planmodifier.UseStateForUnknown()},
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: "Labels for this bay. Left out, the bay inherits the baymodel's labels. Set, they replace the baymodel's labels, or, with `merge_labels`, are merged over them. `effective_labels` shows what Magnum applied. Magnum cannot change labels on a running bay, so a change replaces the bay.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(labelKeyRegexp, "must be letters, digits, '_', '-', '.' or '/'"))},
				PlanModifiers:       []planmodifier.Map{movedLabelsRequireReplace("bay")},
			},
			"merge_labels": schema.BoolAttribute{
				MarkdownDescription: "Merge `labels` over the baymodel's labels instead of replacing them. Defaults to `false`. Magnum does not report it back, so the provider keeps the configured value.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"master_lb_enabled": schema.BoolAttribute{
				MarkdownDescription: "Put a load balancer in front of the masters. Inherited from the baymodel when left out. A change replaces the bay.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.RequiresReplace(), boolplanmodifier.UseStateForUnknown()},
			},
			"floating_ip_enabled": schema.BoolAttribute{
				MarkdownDescription: "Give the bay's nodes floating IPs. Inherited from the baymodel when left out. A change replaces the bay.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.RequiresReplace(), boolplanmodifier.UseStateForUnknown()},
			},
			"fixed_network": inherited("An existing Neutron network for the bay."),
			"fixed_subnet":  inherited("An existing Neutron subnet for the bay."),
			"coe":           stable("The container orchestration engine, from the baymodel: `kubernetes`, `swarm` or `swarm-mode`."),
			"status":        computed("Magnum's status for the bay, such as `CREATE_COMPLETE` or `UPDATE_FAILED`."),
			"status_reason": computed("Why the bay is in its status; Magnum sets it when something failed."),
			"faults": schema.MapAttribute{
				MarkdownDescription: "Failure reasons by nodegroup (or, for bays, by Heat resource), present while the bay is in a `*_FAILED` status.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"health_status": computed("The bay's health as Magnum's periodic check sees it: `HEALTHY`, `UNHEALTHY` or `UNKNOWN`."),
			"health_status_reason": schema.MapAttribute{
				MarkdownDescription: "Details of the health check, by component.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"api_address":       stable("The bay's API endpoint, such as `https://203.0.113.10:6443` (Kubernetes) or `tcp://203.0.113.10:2376` (Swarm)."),
			"coe_version":       computed("The version of the orchestration engine, such as `v1.23.3`."),
			"container_version": stable("The version of the container runtime, where the driver reports one."),
			"master_addresses": schema.ListAttribute{
				MarkdownDescription: "The masters' addresses.",
				ElementType:         types.StringType,
				Computed:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"node_addresses": schema.ListAttribute{
				MarkdownDescription: "The worker nodes' addresses.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"stack_id":   stable("The bay's Heat stack, or the driver's cluster id on clouds without Heat (`cluster_id` from API microversion 1.13)."),
			"project_id": stable("The project that owns the bay."),
			"user_id":    stable("The user who created the bay."),
			"created_at": stable("When the bay was created (RFC 3339)."),
			"updated_at": computed("When the bay last changed (RFC 3339)."),
			"effective_labels": schema.MapAttribute{
				MarkdownDescription: "The labels Magnum applied: the baymodel's, this bay's, or both merged.",
				ElementType:         types.StringType,
				Computed:            true,
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
			},
			"ca_cert": stable("The bay's CA certificate (PEM), to verify its API endpoint. Empty when the baymodel disables TLS."),
			// The whole object is sensitive rather than its key fields: OpenTofu
			// before 1.11 loses sensitivity marks nested inside a value that was
			// unknown at plan time and then plans a spurious update forever.
			"kubeconfig": schema.SingleNestedAttribute{
				MarkdownDescription: "Credentials for a Kubernetes bay, ready for the `kubernetes` and `helm` providers. The client certificate is signed by the bay's CA for `CN=admin, O=system:masters`, and renewed on refresh when the CA or `api_address` changes or it is within 30 days of expiry. Null for other engines. Sensitive as a whole; `api_address` and `ca_cert` carry the endpoint and CA in the clear.",
				Computed:            true,
				Sensitive:           true,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown(), credentialsFollowStorage{}},
				Attributes: map[string]schema.Attribute{
					"raw_config":             schema.StringAttribute{MarkdownDescription: "A complete kubeconfig file (YAML).", Computed: true},
					"host":                   schema.StringAttribute{MarkdownDescription: "The API server URL.", Computed: true},
					"cluster_ca_certificate": schema.StringAttribute{MarkdownDescription: "The bay's CA certificate (PEM).", Computed: true},
					"client_certificate":     schema.StringAttribute{MarkdownDescription: "The client certificate (PEM).", Computed: true},
					"client_key":             schema.StringAttribute{MarkdownDescription: "The client certificate's private key (PEM).", Computed: true},
					"client_certificate_not_after": schema.StringAttribute{
						MarkdownDescription: "When the client certificate expires (RFC 3339).",
						Computed:            true,
					},
				},
			},
			storeCredentialsAttr: storeCredentialsAttribute(),
			"adopt_existing":     adoptExistingAttribute("bay"),
			"auto_scaling":       autoScalingAttribute("bay"),
			"upgrade":            bayUpgradeAttribute(),
			"docker_tls": schema.SingleNestedAttribute{
				MarkdownDescription: "Docker TLS settings for a Swarm bay: what `DOCKER_HOST`, `DOCKER_CERT_PATH` (`ca.pem`, `cert.pem`, `key.pem`) and `DOCKER_TLS_VERIFY` need. Null for other engines. Sensitive as a whole, like `kubeconfig`.",
				Computed:            true,
				Sensitive:           true,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown(), credentialsFollowStorage{}},
				Attributes: map[string]schema.Attribute{
					"docker_host": schema.StringAttribute{MarkdownDescription: "The value for `DOCKER_HOST`.", Computed: true},
					"ca_pem":      schema.StringAttribute{MarkdownDescription: "The contents of `ca.pem`.", Computed: true},
					"cert_pem":    schema.StringAttribute{MarkdownDescription: "The contents of `cert.pem`.", Computed: true},
					"key_pem":     schema.StringAttribute{MarkdownDescription: "The contents of `key.pem`.", Computed: true},
					"tls_verify":  schema.BoolAttribute{MarkdownDescription: "The value for `DOCKER_TLS_VERIFY`.", Computed: true},
				},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func (r *bayResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "Resource", &resp.Diagnostics)
}

func (r *bayResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m bayModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(validateTimeouts(m.Timeouts.Object)...)
	if m.MasterCount.IsUnknown() || m.MasterCount.IsNull() || m.MasterCount.ValueInt64() <= 1 {
		return
	}
	if !m.MasterLBEnabled.IsNull() && !m.MasterLBEnabled.IsUnknown() && !m.MasterLBEnabled.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("master_count"), "More than one master needs a load balancer",
			fmt.Sprintf("master_count is %d but master_lb_enabled is false; Magnum requires master_count 1 without a master load balancer.", m.MasterCount.ValueInt64()))
	}
}

// ModifyPlan decides how a new baymodel_id is applied: an in-place upgrade
// where the cloud supports it, otherwise a replacement. It also marks the
// values an update recomputes as unknown.
func (r *bayResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	ctx = r.data.MaskSecrets(ctx)
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state bayModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planRepair(ctx, state, plan, resp)
	templateChanged := !plan.BaymodelID.IsUnknown() && !plan.BaymodelID.Equal(state.BaymodelID)
	var bm *baymodelReads
	if r.data != nil {
		bm = newBaymodelReads(r.data)
	}
	if templateChanged && r.sameBaymodel(ctx, bm, req.Private, state, plan, resp) {
		// The framework marked the computed values unknown for what
		// looked like a change; with nothing else asked for, the plan is
		// the state.
		if plan.BaymodelID = state.BaymodelID; onlyBaymodelSpelling(plan, state) && repairFor(state.Status.ValueString()) == repairNone {
			resp.Diagnostics.Append(resp.Plan.Set(ctx, state)...)
		}
		return
	}
	if plan.BaymodelID.IsUnknown() || templateChanged {
		upgradable := false
		if r.data != nil {
			ok, err := r.data.Magnum.Supports(ctx, magnum.VersionUpgrade.String())
			if err != nil {
				resp.Diagnostics.AddWarning(diagnose.UpgradeSupportUnknown(err))
			}
			upgradable = ok
			if ok {
				if why := r.inPlaceUpgradeRefusal(ctx, bm, req.Private, state); why != "" {
					upgradable = false
					summary, detail := diagnose.UpgradeReplaces(state.Name.ValueString(), why)
					resp.Diagnostics.AddAttributeWarning(path.Root("baymodel_id"), summary, detail)
				}
			}
		}
		if !upgradable {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("baymodel_id"))
			return
		}
		if templateChanged {
			current := state.BaymodelID.ValueString()
			if meta, _ := r.bayMeta(ctx, req.Private, nil); meta.BaymodelUUID != "" {
				current = meta.BaymodelUUID
			}
			resp.Diagnostics.Append(r.checkBayDowngrade(ctx, bm, plan, state.BaymodelID.ValueString(), plan.BaymodelID.ValueString())...)
			resp.Diagnostics.Append(r.checkUpgradeLabels(ctx, bm, plan, current, plan.BaymodelID.ValueString())...)
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("coe_version"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("effective_labels"), types.MapUnknown(types.StringType))...)
	}
}

func (r *bayResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan bayModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultBayCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// The name look-up does not need the baymodel: both go out at once.
	names := startListing(ctx, r.data.listBays)
	ct, err := r.data.readBaymodel(ctx, plan.BaymodelID.ValueString())
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "baymodel", plan.BaymodelID.ValueString(), "to create the bay from", err); ok {
			resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
			return
		}
		summary, detail := diagnose.NotReadable("baymodel", plan.BaymodelID.ValueString(), "to create the bay from", err)
		resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
		return
	}
	meta := newBayMeta(ct)
	if plan.Name.IsUnknown() || plan.Name.IsNull() {
		plan.Name = types.StringValue(generateBayName())
	}
	create, diags := bayCreateRequest(ctx, plan, ct.UUID)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(applyBayAutoScaling(ctx, plan, &create)...)
	if resp.Diagnostics.HasError() {
		return
	}

	name := plan.Name.ValueString()
	id, adopted, err := guardedCreate(ctx, r.data, "bay", name, plan.AdoptExisting.ValueBool(), names.get,
		func(ctx context.Context) (string, error) { return r.data.Magnum.CreateCluster(ctx, create) })
	if err == nil && adopted {
		err = r.checkAdoptable(ctx, id, plan, ct.UUID)
	}
	if err != nil {
		resp.Diagnostics.AddError(createErrorSummary("bay", name, err), diagnose.APIError(err))
		return
	}
	tflog.Info(ctx, "bay create accepted; waiting for it to become ready", map[string]any{"bay": plan.Name.ValueString(), "id": id})
	plan.ID = types.StringValue(id)
	plan.COE = types.StringValue(meta.COE)
	// Saved before waiting: a failed or interrupted wait leaves the bay in
	// state (tainted), never orphaned.
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	resp.Diagnostics.Append(r.data.keepPhase(ctx, resp.Private)...)

	cond := waiter.Conditions[*magnum.Cluster]{
		Target:        []string{"CREATE_COMPLETE"},
		Pending:       []string{"CREATE_IN_PROGRESS"},
		NotFoundGrace: 2 * time.Minute,
		Hint:          r.createProgress(plan.Name.ValueString()),
	}
	if adopted {
		// An adopted bay may have been resized since its create.
		cond.Target = append(cond.Target, "UPDATE_COMPLETE")
		cond.Pending = append(cond.Pending, "UPDATE_IN_PROGRESS")
	}
	// The client key is made, the CA read and the certificate signed
	// while Magnum builds the bay, not after.
	var ahead *credentialsAhead
	if storesCredentials(plan.StoreCredentials) && (meta.COE == "kubernetes" || meta.COE == "swarm" || meta.COE == "swarm-mode") && !meta.TLSDisabled {
		ahead = newCredentialsAhead(kubeconfig.KeyRSA2048)
	}
	c, werr := r.waitForBay(ctx, id, plan.Name.ValueString(), "created", cond, timeout,
		func(c *magnum.Cluster) { ahead.see(ctx, r.data.Magnum, c) })
	if werr == nil && adopted {
		c, werr = r.resizeAdopted(ctx, c, plan, timeout)
	}
	if c != nil {
		resp.Diagnostics.Append(bayFromAPI(ctx, c, &plan.bayAttributes, meta)...)
	}
	if werr != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
		resp.Diagnostics.AddError(fmt.Sprintf("Bay %q (%s) did not become ready", plan.Name.ValueString(), id),
			r.describeWaitError(ctx, werr, c)+diagnose.Tainted("bay")+
				diagnose.BayUnread(werr, id))
		return
	}
	resp.Diagnostics.Append(r.refreshCredentials(ctx, c, &meta, &plan.bayAttributes, plan.StoreCredentials, ahead)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	resp.Diagnostics.Append(r.data.keepPhase(ctx, resp.Private)...)
}

func (r *bayResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state bayModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.data.checkProject("bay", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.holdInState("bay", state.Name.ValueString(), state.ID.ValueString())
	r.data.seedPhase(ctx, req.Private)
	c, err := readBay(ctx, func(ctx context.Context) (*magnum.Cluster, error) {
		return r.data.Magnum.GetCluster(ctx, state.ID.ValueString())
	}, readBayTries, readBayInterval)
	if magnum.IsNotFound(err) {
		tflog.Warn(ctx, "bay no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", state.ID.ValueString()), diagnose.APIError(err))
		return
	}
	// What the state was built from, before the refresh below follows the
	// bay to a baymodel it may have been moved to out of band: that move is
	// drift the plan must show.
	stored, diags := r.bayMeta(ctx, req.Private, nil)
	resp.Diagnostics.Append(diags...)
	meta, diags := r.bayMeta(ctx, req.Private, c)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	compareWith := meta
	if stored.BaymodelUUID != "" {
		compareWith.BaymodelUUID = stored.BaymodelUUID
	}
	priorCount := state.NodeCount
	resp.Diagnostics.Append(bayFromAPI(ctx, c, &state.bayAttributes, compareWith)...)
	resp.Diagnostics.Append(reconcileBayAfterRead(ctx, r.data.Magnum, c, &state, priorCount)...)
	state.StoreCredentials = types.BoolValue(storesCredentials(state.StoreCredentials))
	resp.Diagnostics.Append(r.refreshCredentials(ctx, c, &meta, &state.bayAttributes, state.StoreCredentials, nil)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	resp.Diagnostics.Append(r.data.keepPhase(ctx, resp.Private)...)
}

func (r *bayResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var plan, state bayModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.data.checkProject("bay", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	r.data.seedPhase(ctx, req.Private)
	timeout, diags := plan.Timeouts.Update(ctx, defaultBayUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.data.holdInState("bay", state.Name.ValueString(), state.ID.ValueString())
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	meta, diags := r.bayMeta(ctx, req.Private, nil)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, name := state.ID.ValueString(), state.Name.ValueString()
	ca := newCAAcross(r.data.Magnum, meta, state)

	var last *magnum.Cluster
	if !plan.BaymodelID.Equal(state.BaymodelID) {
		bm := newBaymodelReads(r.data)
		ct, err := bm.read(ctx, plan.BaymodelID.ValueString())
		if err != nil {
			if summary, detail, ok := r.data.ambiguousName(ctx, "baymodel", plan.BaymodelID.ValueString(), fmt.Sprintf("to upgrade bay %q to", name), err); ok {
				resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
				return
			}
			summary, detail := diagnose.NotReadable("baymodel", plan.BaymodelID.ValueString(), fmt.Sprintf("to upgrade bay %q to", name), err)
			resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
			return
		}
		if ct.UUID != meta.BaymodelUUID {
			// The plan could not check a baymodel created in the same apply;
			// its warnings were shown then, so only a refusal counts here.
			opts, diags := bayUpgradeOpts(ctx, plan, ct.UUID)
			resp.Diagnostics.Append(diags...)
			resp.Diagnostics.Append(r.checkBayDowngrade(ctx, bm, plan, meta.BaymodelUUID, ct.UUID).Errors()...)
			resp.Diagnostics.Append(r.checkUpgradeLabels(ctx, bm, plan, meta.BaymodelUUID, ct.UUID).Errors()...)
			if resp.Diagnostics.HasError() {
				return
			}
			upgraded := func(c *magnum.Cluster) bool { return c.ClusterTemplateID == ct.UUID }
			c, err := r.applyAndWaitProved(ctx, id, name, "upgraded to baymodel "+ct.Name, timeout, ca, func(ctx context.Context) error {
				return r.data.Magnum.UpgradeCluster(ctx, id, opts)
			}, upgraded, func(before, c *magnum.Cluster) bool { return !upgraded(before) && upgraded(c) })
			if c != nil {
				last = c
			}
			if err != nil {
				detail := r.describeWaitError(ctx, err, c)
				if upgradeNotSupported(err) {
					// Refused before anything changed: the next plan replaces
					// the bay rather than asking again.
					meta.UpgradeRefused = magnum.Message(err)
					detail += diagnose.UpgradeRefusedUnchanged()
				}
				resp.Diagnostics.AddError(fmt.Sprintf("Error upgrading bay %q (%s)", name, id), detail)
				r.saveAfterFailedUpdate(ctx, resp, state, last, meta)
				return
			}
			if summary, detail := upgradeNotApplied(name, ct, c); summary != "" {
				resp.Diagnostics.AddAttributeWarning(path.Root("baymodel_id"), summary, detail)
			}
		}
		meta = newBayMeta(ct)
	}

	if !plan.NodeCount.Equal(state.NodeCount) {
		want := int(plan.NodeCount.ValueInt64())
		c, err := r.applyAndWait(ctx, id, name, fmt.Sprintf("resized to %d nodes", want), timeout, ca, func(ctx context.Context) error {
			return r.resize(ctx, id, want)
		}, func(c *magnum.Cluster) bool { return bayResized(ctx, r.data.Magnum, c, want) })
		if c != nil {
			last = c
		}
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Error resizing bay %q (%s)", name, id), r.describeWaitError(ctx, err, c))
			r.saveAfterFailedUpdate(ctx, resp, state, last, meta)
			return
		}
	}

	if last == nil && repairFor(state.Status.ValueString()) == repairRetry {
		c, diags := r.retryFailedUpdate(ctx, id, name, plan, timeout, ca)
		if c != nil {
			last = c
		}
		if diags.HasError() {
			resp.Diagnostics.Append(diags...)
			r.saveAfterFailedUpdate(ctx, resp, state, last, meta)
			return
		}
	}

	if last == nil {
		c, err := r.data.Magnum.GetCluster(ctx, id)
		if err != nil {
			resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", name), diagnose.APIError(err))
			return
		}
		last = c
	}
	plan.Kubeconfig, plan.DockerTLS, plan.CACert = state.Kubeconfig, state.DockerTLS, state.CACert
	if pem := ca.result(ctx); pem != "" {
		// The provider's own update kept the bay's CA: no read after it.
		plan.CACert, meta.CARead = types.StringValue(pem), caFingerprint(last, meta)
	}
	plannedCount := plan.NodeCount
	resp.Diagnostics.Append(bayFromAPI(ctx, last, &plan.bayAttributes, meta)...)
	resp.Diagnostics.Append(reconcileBayAfterRead(ctx, r.data.Magnum, last, &plan, plannedCount)...)
	resp.Diagnostics.Append(r.refreshCredentials(ctx, last, &meta, &plan.bayAttributes, plan.StoreCredentials, nil)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	kept, diags := keepPlanned(ctx, req.Plan, &resp.State, plannedFromState)
	resp.Diagnostics.Append(diags...)
	if len(kept) > 0 {
		// The state's credentials are not the ones Magnum now serves: the
		// next refresh must read them rather than trust the fingerprint.
		meta.CARead = ""
		resp.Diagnostics.AddWarning(changedOutsideWarning(name, id, kept))
	}
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	resp.Diagnostics.Append(r.data.keepPhase(ctx, resp.Private)...)
}

func (r *bayResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state bayModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.data.checkProject("bay", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	r.data.seedPhase(ctx, req.Private)
	timeout, diags := state.Timeouts.Delete(ctx, defaultBayDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, name := state.ID.ValueString(), state.Name.ValueString()

	last := waitForStackID(ctx, func(ctx context.Context) (*magnum.Cluster, error) { return r.data.Magnum.GetCluster(ctx, id) },
		2*time.Second, 30*time.Second)
	// A bay already DELETE_COMPLETE is deleted: Magnum is destroying its
	// row, and a second DELETE would only race that.
	var err error
	if last == nil || last.Status != "DELETE_COMPLETE" {
		err = r.data.Magnum.DeleteCluster(ctx, id)
	}
	if magnum.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting bay %q (%s)", name, id), diagnose.APIError(err))
		return
	}
	c, err := r.waitForBay(ctx, id, name, "deleted", waiter.Conditions[*magnum.Cluster]{
		Pending:          []string{"DELETE_IN_PROGRESS"},
		NotFoundIsTarget: true,
		IsFailed:         func(s string) bool { return s == "DELETE_FAILED" },
		// Right after DELETE the cluster can still show its old status
		// (even an old *_FAILED one) until the conductor picks the cast up.
		Started:      deleteStarted(),
		StateOfError: magnum.DeleteStateOfError,
		IsTransient:  magnum.TransientWhileDeleting,
		Hint:         r.deleteProgress(name),
	}, timeout, nil)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting bay %q (%s)", name, id), r.describeWaitError(ctx, err, c))
	}
}

func (r *bayResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.MaskSecrets(ctx)
	c, err := r.data.Magnum.GetCluster(ctx, req.ID)
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "bay", req.ID, "to import", err); ok {
			resp.Diagnostics.AddError(summary, detail)
			return
		}
		resp.Diagnostics.AddError("Error importing bay", diagnose.CouldNotFind(fmt.Sprintf("bay %q by UUID or name", req.ID), err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), c.UUID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("baymodel_id"), c.ClusterTemplateID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("merge_labels"), false)...)
}
