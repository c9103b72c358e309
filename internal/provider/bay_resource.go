package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
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

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

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

// bayMeta is what a bay inherits from its baymodel that decides which
// credentials it has. It lives in private state.
type bayMeta struct {
	BaymodelUUID string `json:"baymodel_uuid"`
	COE          string `json:"coe"`
	TLSDisabled  bool   `json:"tls_disabled"`
	// UpgradeRefused is the cloud's answer when it refused to upgrade this
	// bay in place; later plans replace the bay instead of asking again.
	UpgradeRefused string `json:"upgrade_refused,omitempty"`
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
	if templateChanged && r.sameBaymodel(ctx, req.Private, state, plan, resp) {
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
				resp.Diagnostics.AddWarning("Could not tell whether the cloud supports upgrades",
					"Planning a replacement of the bay instead of an in-place upgrade.\n\n"+apiErrorDetail(err))
			}
			upgradable = ok
			if ok {
				if why := r.inPlaceUpgradeRefusal(ctx, req.Private, state); why != "" {
					upgradable = false
					resp.Diagnostics.AddAttributeWarning(path.Root("baymodel_id"), "This bay cannot be upgraded in place; the plan replaces it",
						fmt.Sprintf("Bay %q moves to another baymodel, but %s.\n\n"+
							"So the plan replaces the bay: a new bay is built from the new baymodel and the old one is deleted, with "+
							"everything running on it. To keep the old bay serving until the new one is ready, declare the new bay as a "+
							"second resource with its own name and move the workloads first (create_before_destroy cannot keep the name: "+
							"two bays of one name make every look-up ambiguous; see the upgrades guide). To upgrade bays "+
							"in place, build them from a baymodel on a Cluster API driver (an image whose magnum_driver property names "+
							"one, such as k8s_capi_helm_v1), which Magnum upgrades in place.", state.Name.ValueString(), why))
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
			resp.Diagnostics.Append(r.checkBayDowngrade(ctx, plan, state.BaymodelID.ValueString(), plan.BaymodelID.ValueString())...)
			resp.Diagnostics.Append(r.checkUpgradeLabels(ctx, plan, current, plan.BaymodelID.ValueString())...)
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("coe_version"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("effective_labels"), types.MapUnknown(types.StringType))...)
	}
}

// inPlaceUpgradeRefusal says why the cloud will not upgrade this bay in
// place, or "": it refused before (recorded in the private state), or its
// baymodel is on the Heat driver of a Magnum that no longer upgrades those
// (2024.1 and later).
func (r *bayResource) inPlaceUpgradeRefusal(ctx context.Context, private privateState, state bayModel) string {
	meta, _ := r.bayMeta(ctx, private, nil)
	if meta.UpgradeRefused != "" {
		return fmt.Sprintf("the cloud refused to upgrade it in place before: %q", meta.UpgradeRefused)
	}
	current := meta.BaymodelUUID
	if current == "" {
		current = state.BaymodelID.ValueString()
	}
	ct, err := r.data.Magnum.GetClusterTemplate(ctx, current)
	if err != nil {
		tflog.Debug(ctx, "could not read the bay's baymodel to tell whether it upgrades in place", map[string]any{"baymodel": current, "error": err.Error()})
		return ""
	}
	if !ct.RefusesInPlaceUpgrade() {
		return ""
	}
	driver := ct.Driver
	if driver == "" {
		driver = "none named, so Magnum's Heat driver " + magnum.HeatDriverName + " for os_distro " + ct.ClusterDistro
	}
	return fmt.Sprintf("its baymodel %q (%s) runs on Magnum's Heat driver (driver: %s), and this cloud, Magnum 18.0 (2024.1) or later "+
		"(it reports baymodel drivers), refuses to upgrade Heat bays in place: \"Upgrading a cluster that uses the Magnum Heat "+
		"driver is not supported.\"", ct.Name, ct.UUID, driver)
}

// upgradeNotSupported reports a refusal that no other baymodel would get
// past: Magnum's NotSupported for the bay's driver (a 400 such as
// "Upgrading a cluster that uses the Magnum Heat driver is not
// supported."), not a complaint about the new baymodel.
func upgradeNotSupported(err error) bool {
	msg := strings.ToLower(magnum.Message(err))
	return magnum.StatusCode(err) == 400 && strings.Contains(msg, "upgrad") && strings.Contains(msg, "not supported")
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

	ct, err := r.data.Magnum.GetClusterTemplate(ctx, plan.BaymodelID.ValueString())
	if err != nil {
		if summary, detail, ok := r.data.ambiguousName(ctx, "baymodel", plan.BaymodelID.ValueString(), "to create the bay from", err); ok {
			resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
			return
		}
		resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), "Baymodel not found",
			fmt.Sprintf("Could not read baymodel %q to create the bay from.\n\n%s", plan.BaymodelID.ValueString(), apiErrorDetail(err)))
		return
	}
	meta := bayMeta{BaymodelUUID: ct.UUID, COE: ct.COE, TLSDisabled: ct.TLSDisabled}
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
	id, adopted, err := guardedCreate(ctx, r.data, "bay", name, plan.AdoptExisting.ValueBool(), r.data.listBays,
		func(ctx context.Context) (string, error) { return r.data.Magnum.CreateCluster(ctx, create) })
	if err == nil && adopted {
		err = r.checkAdoptable(ctx, id, plan, ct.UUID)
	}
	if err != nil {
		resp.Diagnostics.AddError(createErrorSummary("bay", name, err), apiErrorDetail(err))
		return
	}
	tflog.Info(ctx, "bay create accepted; waiting for it to become ready", map[string]any{"bay": plan.Name.ValueString(), "id": id})
	plan.ID = types.StringValue(id)
	plan.COE = types.StringValue(meta.COE)
	// Saved before waiting: a failed or interrupted wait leaves the bay in
	// state (tainted), never orphaned.
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)

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
	c, werr := r.waitForBay(ctx, id, plan.Name.ValueString(), "created", cond, timeout)
	if werr == nil && adopted {
		c, werr = r.resizeAdopted(ctx, c, plan, timeout)
	}
	if c != nil {
		resp.Diagnostics.Append(bayFromAPI(ctx, c, &plan.bayAttributes, meta)...)
	}
	if werr != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
		resp.Diagnostics.AddError(fmt.Sprintf("Bay %q (%s) did not become ready", plan.Name.ValueString(), id),
			r.describeWaitError(ctx, werr, c)+"\n\nThe bay stays in the Terraform state, marked tainted: the next apply replaces it, and destroy deletes it."+
				unreadHint(werr, id))
		return
	}
	resp.Diagnostics.Append(r.refreshCredentials(ctx, c, meta, &plan.bayAttributes, plan.StoreCredentials)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
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
	c, err := readBay(ctx, func(ctx context.Context) (*magnum.Cluster, error) {
		return r.data.Magnum.GetCluster(ctx, state.ID.ValueString())
	}, readBayTries, readBayInterval)
	if magnum.IsNotFound(err) {
		tflog.Warn(ctx, "bay no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", state.ID.ValueString()), apiErrorDetail(err))
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
	resp.Diagnostics.Append(r.refreshCredentials(ctx, c, meta, &state.bayAttributes, state.StoreCredentials)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
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

	var last *magnum.Cluster
	if !plan.BaymodelID.Equal(state.BaymodelID) {
		ct, err := r.data.Magnum.GetClusterTemplate(ctx, plan.BaymodelID.ValueString())
		if err != nil {
			if summary, detail, ok := r.data.ambiguousName(ctx, "baymodel", plan.BaymodelID.ValueString(), fmt.Sprintf("to upgrade bay %q to", name), err); ok {
				resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), summary, detail)
				return
			}
			resp.Diagnostics.AddAttributeError(path.Root("baymodel_id"), "Baymodel not found",
				fmt.Sprintf("Could not read baymodel %q to upgrade bay %q to.\n\n%s", plan.BaymodelID.ValueString(), name, apiErrorDetail(err)))
			return
		}
		if ct.UUID != meta.BaymodelUUID {
			// The plan could not check a baymodel created in the same apply;
			// its warnings were shown then, so only a refusal counts here.
			opts, diags := bayUpgradeOpts(ctx, plan, ct.UUID)
			resp.Diagnostics.Append(diags...)
			resp.Diagnostics.Append(r.checkBayDowngrade(ctx, plan, meta.BaymodelUUID, ct.UUID).Errors()...)
			resp.Diagnostics.Append(r.checkUpgradeLabels(ctx, plan, meta.BaymodelUUID, ct.UUID).Errors()...)
			if resp.Diagnostics.HasError() {
				return
			}
			c, err := r.applyAndWait(ctx, id, name, "upgraded to baymodel "+ct.Name, timeout, func(ctx context.Context) error {
				return r.data.Magnum.UpgradeCluster(ctx, id, opts)
			}, func(c *magnum.Cluster) bool { return c.ClusterTemplateID == ct.UUID })
			if c != nil {
				last = c
			}
			if err != nil {
				detail := r.describeWaitError(ctx, err, c)
				if upgradeNotSupported(err) {
					// Refused before anything changed: the next plan replaces
					// the bay rather than asking again.
					meta.UpgradeRefused = magnum.Message(err)
					detail += "\n\nThe bay is unchanged. The next plan replaces it instead of upgrading it in place; to keep the old " +
						"bay serving until the new one is ready, declare the new bay as a second resource with its own name (see the upgrades guide)."
				}
				resp.Diagnostics.AddError(fmt.Sprintf("Error upgrading bay %q (%s)", name, id), detail)
				r.saveAfterFailedUpdate(ctx, resp, state, last, meta)
				return
			}
		}
		meta = bayMeta{BaymodelUUID: ct.UUID, COE: ct.COE, TLSDisabled: ct.TLSDisabled}
	}

	if !plan.NodeCount.Equal(state.NodeCount) {
		want := int(plan.NodeCount.ValueInt64())
		c, err := r.applyAndWait(ctx, id, name, fmt.Sprintf("resized to %d nodes", want), timeout, func(ctx context.Context) error {
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
		c, diags := r.retryFailedUpdate(ctx, id, name, plan, timeout)
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
			resp.Diagnostics.AddError(fmt.Sprintf("Error reading bay %q", name), apiErrorDetail(err))
			return
		}
		last = c
	}
	plan.Kubeconfig, plan.DockerTLS, plan.CACert = state.Kubeconfig, state.DockerTLS, state.CACert
	plannedCount := plan.NodeCount
	resp.Diagnostics.Append(bayFromAPI(ctx, last, &plan.bayAttributes, meta)...)
	resp.Diagnostics.Append(reconcileBayAfterRead(ctx, r.data.Magnum, last, &plan, plannedCount)...)
	resp.Diagnostics.Append(r.refreshCredentials(ctx, last, meta, &plan.bayAttributes, plan.StoreCredentials)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, plan))...)
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
}

func (r *bayResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.MaskSecrets(ctx)
	var state bayModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.data.checkProject("bay", state.Name.ValueString(), state.ID.ValueString(), state.ProjectID)...)
	timeout, diags := state.Timeouts.Delete(ctx, defaultBayDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, name := state.ID.ValueString(), state.Name.ValueString()

	waitForStackID(ctx, func(ctx context.Context) (*magnum.Cluster, error) { return r.data.Magnum.GetCluster(ctx, id) },
		2*time.Second, 30*time.Second)
	err := r.data.Magnum.DeleteCluster(ctx, id)
	if magnum.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Error deleting bay %q (%s)", name, id), apiErrorDetail(err))
		return
	}
	c, err := r.waitForBay(ctx, id, name, "deleted", waiter.Conditions[*magnum.Cluster]{
		Pending:          []string{"DELETE_IN_PROGRESS"},
		NotFoundIsTarget: true,
		IsFailed:         func(s string) bool { return s == "DELETE_FAILED" },
		// Right after DELETE the cluster can still show its old status
		// (even an old *_FAILED one) until the conductor picks the cast up.
		Started:      deleteStarted(),
		StateOfError: deleteUnderWay,
	}, timeout)
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
		resp.Diagnostics.AddError("Error importing bay", fmt.Sprintf("Could not find bay %q by UUID or name.\n\n%s", req.ID, apiErrorDetail(err)))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), c.UUID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("baymodel_id"), c.ClusterTemplateID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("merge_labels"), false)...)
}

func (r *bayResource) resize(ctx context.Context, id string, n int) error {
	ok, err := r.data.Magnum.Supports(ctx, magnum.VersionResize.String())
	if err != nil {
		return err
	}
	if ok {
		return r.data.Magnum.ResizeCluster(ctx, id, magnum.ResizeOpts{NodeCount: n})
	}
	return r.data.Magnum.UpdateClusterNodeCount(ctx, id, n)
}

// applyAndWait sends an update and waits for the update it started, not for
// an UPDATE_COMPLETE left over from an earlier one: Magnum answers 202 even
// when it ignores the request.
func (r *bayResource) applyAndWait(ctx context.Context, id, name, what string, timeout time.Duration, apply func(context.Context) error, done func(*magnum.Cluster) bool) (*magnum.Cluster, error) {
	before, err := r.data.Magnum.GetCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := apply(ctx); err != nil {
		if !magnum.IsOutcomeUnknown(err) {
			return before, err
		}
		c, finished, err := r.settleUnknownUpdate(ctx, id, what, before, done, err)
		if err != nil {
			return before, err
		}
		if finished {
			return c, nil
		}
	}
	// Magnum's API can write the new value (and updated_at) before the
	// conductor moves the status, so an UPDATE_COMPLETE with the new value
	// proves nothing on the first look. Without an UPDATE_IN_PROGRESS in
	// between, only a later change of updated_at shows the update ran.
	var first *magnum.Cluster
	return r.waitForBay(ctx, id, name, what, waiter.Conditions[*magnum.Cluster]{
		Target:  []string{"UPDATE_COMPLETE"},
		Pending: []string{"UPDATE_IN_PROGRESS"},
		Started: func(c *magnum.Cluster, _ string) bool {
			if first == nil {
				first = c
				return false
			}
			return c.UpdatedAt.After(first.UpdatedAt) && c.UpdatedAt.After(before.UpdatedAt) && done(c)
		},
	}, timeout)
}

func (r *bayResource) waitForBay(ctx context.Context, id, name, what string, cond waiter.Conditions[*magnum.Cluster], timeout time.Duration) (*magnum.Cluster, error) {
	start := time.Now()
	cond.Describe = describeBay
	// The Heat stack's own status is read once per change of the bay's
	// status, for the progress log only: a few requests per wait.
	var seen, stack string
	return waiter.Wait(ctx, waiter.Config{
		What:    fmt.Sprintf("bay %q (%s) to be %s", name, id, what),
		Timeout: timeout,
		OnChange: func(ch waiter.Change) {
			msg := fmt.Sprintf("bay %q: %s (%s elapsed)", name, ch.To, time.Since(start).Round(time.Second))
			if stack != "" {
				msg = fmt.Sprintf("bay %q: %s, Heat stack %s (%s elapsed)", name, ch.To, stack, time.Since(start).Round(time.Second))
			}
			tflog.Info(ctx, msg, map[string]any{
				"bay": name, "id": id, "from": ch.From, "status": ch.To, "stack_status": stack, "elapsed": ch.Elapsed.String(), "polls": ch.Polls,
			})
		},
		Logf:        func(format string, args ...any) { tflog.Debug(ctx, fmt.Sprintf(format, args...)) },
		IsTransient: isTransientBayError,
		// Each poll's request is already retried by the client; a bay
		// that is fine must not be given up (and tainted) over an API
		// that answers 5xx for a minute.
		MaxConsecutiveErrors: bayWaitMaxErrors,
	}, func(ctx context.Context) (*magnum.Cluster, string, error) {
		c, err := r.data.Magnum.GetCluster(ctx, id)
		if err != nil {
			return nil, "", err
		}
		if key := c.Status + "/" + c.StackID; key != seen {
			seen, stack = key, r.stackStatus(ctx, c)
		}
		return c, c.Status, nil
	}, cond)
}

// stackStatus is best effort: clouds without Heat, or a stack not created
// yet, simply log without it.
func (r *bayResource) stackStatus(ctx context.Context, c *magnum.Cluster) string {
	if r.data.Heat == nil || c.StackID == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := r.data.Heat.GetStack(ctx, c.StackID)
	if err != nil {
		tflog.Debug(ctx, "could not read the bay's Heat stack for the progress log", map[string]any{"stack": c.StackID, "error": err.Error()})
		return ""
	}
	return st.Status
}

// describeWaitError turns a failed wait into the error a user can act on:
// the status and reason, Magnum's faults, and, where the cloud has Heat,
// the nested resources that failed with Heat's reasons.
func (r *bayResource) describeWaitError(ctx context.Context, err error, c *magnum.Cluster) string {
	var b strings.Builder
	var me *magnum.Error
	if errors.As(err, &me) {
		b.WriteString(apiErrorDetail(err))
	} else {
		b.WriteString(err.Error())
	}
	var fe *waiter.FailedError
	if errors.As(err, &fe) && c != nil {
		if hint := trustFailureHint(c.StatusReason, r.data.AppCredential); hint != "" {
			b.WriteString("\n\n" + hint)
		}
	}
	if fe == nil || c == nil || c.StackID == "" || r.data.Heat == nil {
		return b.String()
	}
	failed, herr := r.data.Heat.FailedResources(ctx, c.StackID, 5)
	switch {
	case herr != nil:
		fmt.Fprintf(&b, "\n\nHeat's failed resources could not be read: %v", herr)
	case len(failed) > 0:
		fmt.Fprintf(&b, "\n\nFailed Heat resources (stack %s):\n%s", c.StackID, formatHeat(failed))
	}
	return b.String()
}

// saveAfterFailedUpdate records what the cloud reports after a failed
// update, keeping the old arguments so the next plan retries the change.
func (r *bayResource) saveAfterFailedUpdate(ctx context.Context, resp *resource.UpdateResponse, state bayModel, c *magnum.Cluster, meta bayMeta) {
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	if c == nil {
		return
	}
	resp.Diagnostics.Append(bayFromAPI(ctx, c, &state.bayAttributes, meta)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
}

// bayMeta reads the private state, or rebuilds it from the baymodel after
// an import or when the bay moved to another baymodel out of band.
func (r *bayResource) bayMeta(ctx context.Context, private privateState, c *magnum.Cluster) (bayMeta, diag.Diagnostics) {
	var meta bayMeta
	var diags diag.Diagnostics
	raw, d := private.GetKey(ctx, privateBayMeta)
	diags.Append(d...)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &meta); err != nil {
			meta = bayMeta{}
		}
	}
	if c == nil || (meta.COE != "" && meta.BaymodelUUID == c.ClusterTemplateID) {
		return meta, diags
	}
	ct, err := r.data.Magnum.GetClusterTemplate(ctx, c.ClusterTemplateID)
	if err != nil {
		// The bay outlives a deleted baymodel only in odd cases; keep what
		// we knew rather than failing the refresh.
		tflog.Warn(ctx, "could not read the bay's baymodel", map[string]any{"baymodel": c.ClusterTemplateID, "error": err.Error()})
		if meta.BaymodelUUID == "" {
			meta.BaymodelUUID = c.ClusterTemplateID
		}
		return meta, diags
	}
	return bayMeta{BaymodelUUID: ct.UUID, COE: ct.COE, TLSDisabled: ct.TLSDisabled}, diags
}

type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func setBayMeta(ctx context.Context, private privateSetter, meta bayMeta) diag.Diagnostics {
	raw, err := json.Marshal(meta)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Internal error", err.Error())
		return diags
	}
	return private.SetKey(ctx, privateBayMeta, raw)
}

func generateBayName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "tf-bay-" + hex.EncodeToString(b[:])
}

func bayCreateRequest(ctx context.Context, m bayModel, templateUUID string) (magnum.ClusterCreate, diag.Diagnostics) {
	labels, diags := stringMap(ctx, m.Labels)
	req := magnum.ClusterCreate{
		Name:              m.Name.ValueString(),
		ClusterTemplateID: templateUUID,
		Keypair:           optStr(m.Keypair),
		NodeCount:         optInt(m.NodeCount),
		MasterCount:       optInt(m.MasterCount),
		DockerVolumeSize:  optInt(m.DockerVolumeSize),
		MasterFlavorID:    optStr(m.MasterFlavorID),
		FlavorID:          optStr(m.FlavorID),
		FixedNetwork:      optStr(m.FixedNetwork),
		FixedSubnet:       optStr(m.FixedSubnet),
		Labels:            labels,
		CreateTimeout:     optInt(m.CreateTimeout),
		FloatingIPEnabled: optBool(m.FloatingIPEnabled),
		MasterLBEnabled:   optBool(m.MasterLBEnabled),
		DiscoveryURL:      optStr(m.DiscoveryURL),
	}
	if m.MergeLabels.ValueBool() {
		req.MergeLabels = optBool(m.MergeLabels)
	}
	return req, diags
}

// bayFromAPI copies what Magnum reports into the model. Arguments that
// Magnum normalises keep the user's spelling where they still mean the same
// thing (a baymodel given by name, labels that were merged).
func bayFromAPI(ctx context.Context, c *magnum.Cluster, m *bayAttributes, meta bayMeta) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(c.UUID)
	m.Name = types.StringValue(c.Name)
	if c.ClusterTemplateID != m.BaymodelID.ValueString() && c.ClusterTemplateID != meta.BaymodelUUID {
		m.BaymodelID = types.StringValue(c.ClusterTemplateID)
	}
	if m.BaymodelID.IsNull() || m.BaymodelID.IsUnknown() {
		m.BaymodelID = types.StringValue(c.ClusterTemplateID)
	}
	m.NodeCount = types.Int64Value(int64(c.NodeCount))
	m.MasterCount = types.Int64Value(int64(c.MasterCount))
	m.CreateTimeout = types.Int64Value(int64(c.CreateTimeout))
	m.DiscoveryURL = nullableStr(c.DiscoveryURL)
	m.Keypair = nullableStr(c.Keypair)
	m.FlavorID = nullableStr(c.FlavorID)
	m.MasterFlavorID = nullableStr(c.MasterFlavorID)
	m.DockerVolumeSize = nullableInt(c.DockerVolumeSize)
	if c.MasterLBEnabled != nil {
		m.MasterLBEnabled = types.BoolValue(*c.MasterLBEnabled)
	} else if m.MasterLBEnabled.IsUnknown() {
		m.MasterLBEnabled = types.BoolNull()
	}
	if c.FloatingIPEnabled != nil {
		m.FloatingIPEnabled = types.BoolValue(*c.FloatingIPEnabled)
	} else if m.FloatingIPEnabled.IsUnknown() {
		m.FloatingIPEnabled = types.BoolNull()
	}
	m.FixedNetwork = nullableStr(c.FixedNetwork)
	m.FixedSubnet = nullableStr(c.FixedSubnet)
	if meta.COE != "" {
		m.COE = types.StringValue(meta.COE)
	}
	m.Status = types.StringValue(c.Status)
	m.StatusReason = nullableStr(c.StatusReason)
	m.HealthStatus = nullableStr(c.HealthStatus)
	m.APIAddress = nullableStr(c.APIAddress)
	m.COEVersion = nullableStr(c.COEVersion)
	m.ContainerVersion = nullableStr(c.ContainerVersion)
	m.StackID = nullableStr(c.StackID)
	m.ProjectID = nullableStr(c.ProjectID)
	m.UserID = nullableStr(c.UserID)
	m.CreatedAt = timeString(c.CreatedAt)
	m.UpdatedAt = timeString(c.UpdatedAt)

	var d diag.Diagnostics
	m.Faults, d = types.MapValueFrom(ctx, types.StringType, nonNilMap(c.Faults))
	diags.Append(d...)
	m.HealthStatusReason, d = types.MapValueFrom(ctx, types.StringType, stringifyValues(c.HealthStatusReason))
	diags.Append(d...)
	m.MasterAddresses, d = stringList(ctx, c.MasterAddresses)
	diags.Append(d...)
	m.NodeAddresses, d = stringList(ctx, c.NodeAddresses)
	diags.Append(d...)
	m.EffectiveLabels, d = types.MapValueFrom(ctx, types.StringType, nonNilMap(c.Labels))
	diags.Append(d...)
	m.Labels, d = configuredLabels(ctx, m.Labels, m.MergeLabels.ValueBool(), c.Labels)
	diags.Append(d...)
	return diags
}

// configuredLabels reports the labels the user manages. Left out, they stay
// null (the baymodel's labels are inherited, shown in effective_labels).
// Merged, only the keys the user set are compared, so the baymodel's own
// labels are not drift; otherwise the bay's labels are the user's.
func configuredLabels(ctx context.Context, configured types.Map, merge bool, actual map[string]string) (types.Map, diag.Diagnostics) {
	if configured.IsNull() || configured.IsUnknown() || len(configured.Elements()) == 0 {
		return configured, nil
	}
	if !merge {
		return types.MapValueFrom(ctx, types.StringType, nonNilMap(actual))
	}
	want, diags := stringMap(ctx, configured)
	got := map[string]string{}
	for k := range want {
		if v, ok := actual[k]; ok {
			got[k] = v
		}
	}
	m, d := types.MapValueFrom(ctx, types.StringType, got)
	diags.Append(d...)
	return m, diags
}

// trustFailureHint explains Magnum's first conductor step failing: every
// new bay gets a Keystone trustee and trust, and a Keystone with the fix
// for LP#2150089 refuses trusts to application-credential tokens (real
// Keystone 22 + Magnum 15 fail such bays this way).
func trustFailureHint(statusReason string, appCredential bool) string {
	if !strings.Contains(statusReason, "Failed to create trustee or trust") {
		return ""
	}
	if appCredential {
		return "Magnum creates a Keystone trust for every new bay, and this provider logs in with an application " +
			"credential: Keystone refuses trusts to application-credential tokens unless the cloud sets " +
			"[security_compliance] allow_insecure_application_credential_trust_escalation. Create bays with a " +
			"password or token login (user_name/password, token, or a clouds.yaml entry with them), or ask the " +
			"cloud's operators to allow it."
	}
	return "Magnum could not create the Keystone trustee or trust it needs for every new bay. This is the cloud's " +
		"configuration (the [trust] section of magnum.conf, the trustee domain, or Keystone's policy); " +
		"magnum-conductor's log has Keystone's answer."
}

func describeBay(c *magnum.Cluster) string {
	if c == nil {
		return ""
	}
	var parts []string
	if c.StatusReason != "" {
		parts = append(parts, "status_reason: "+c.StatusReason)
	}
	for _, k := range sortedKeys(c.Faults) {
		parts = append(parts, fmt.Sprintf("fault in %s: %s", k, c.Faults[k]))
	}
	return strings.Join(parts, "; ")
}
