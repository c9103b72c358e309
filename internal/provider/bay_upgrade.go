package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// How a bay moves to a new baymodel: the options of Magnum's upgrade
// action, and a refusal of downgrades at plan time, before anything on
// the cloud changes.

var bayUpgradeAttrTypes = map[string]attr.Type{
	"max_batch_size":  types.Int64Type,
	"nodegroup":       types.StringType,
	"allow_downgrade": types.BoolType,
}

type bayUpgradeModel struct {
	MaxBatchSize   types.Int64  `tfsdk:"max_batch_size"`
	NodeGroup      types.String `tfsdk:"nodegroup"`
	AllowDowngrade types.Bool   `tfsdk:"allow_downgrade"`
}

// bayUpgradeAttribute is magnum_bay's `upgrade` argument. It only shapes
// future upgrades, so changing it never touches the bay.
func bayUpgradeAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "How a change of `baymodel_id` is applied as an in-place upgrade (Magnum API microversion 1.8 or later). " +
			"Read only when `baymodel_id` changes; changing this block alone changes nothing on the cloud.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"max_batch_size": schema.Int64Attribute{
				MarkdownDescription: "How many nodes Magnum's driver upgrades at a time. Defaults to 1, which the provider sends when this is left out, as the `openstack` CLI does: Magnum 15 fails an upgrade request without it. Drivers that roll nodes in their own way may ignore it." + nodeCountNote(),
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxNodeCount)},
			},
			"nodegroup": schema.StringAttribute{
				MarkdownDescription: "The nodegroup (name or UUID) Magnum upgrades. Magnum's default is the bay's default worker nodegroup. " +
					"Magnum moves other nodegroups only to the bay's own baymodel, so with a new `baymodel_id` this names a default nodegroup.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"allow_downgrade": schema.BoolAttribute{
				MarkdownDescription: "Let `baymodel_id` move to a baymodel whose `kube_tag` label is an older version. Defaults to `false`: " +
					"the plan fails instead, because Kubernetes does not support downgrades and most drivers refuse them half-way.",
				Optional: true,
			},
		},
	}
}

func readBayUpgrade(ctx context.Context, v types.Object) (bayUpgradeModel, diag.Diagnostics) {
	var m bayUpgradeModel
	if v.IsNull() || v.IsUnknown() {
		return m, nil
	}
	diags := v.As(ctx, &m, struct {
		UnhandledNullAsEmpty    bool
		UnhandledUnknownAsEmpty bool
	}{true, true})
	return m, diags
}

// bayUpgradeOpts builds the upgrade action's body from the plan.
func bayUpgradeOpts(ctx context.Context, plan bayModel, templateUUID string) (magnum.UpgradeOpts, diag.Diagnostics) {
	u, diags := readBayUpgrade(ctx, plan.Upgrade)
	opts := magnum.UpgradeOpts{ClusterTemplate: templateUUID, NodeGroup: u.NodeGroup.ValueString()}
	// Magnum 15 answers 500 "Circular reference detected" to an upgrade
	// without max_batch_size: the unset field cannot be serialised into its
	// conductor call. magnumclient always sends 1; so does this.
	n := 1
	if !u.MaxBatchSize.IsNull() && !u.MaxBatchSize.IsUnknown() {
		n = int(u.MaxBatchSize.ValueInt64())
	}
	opts.MaxBatchSize = &n
	return opts, diags
}

// checkBayDowngrade refuses moving a bay to a baymodel with an older
// kube_tag. It needs both baymodels: when either cannot be read (the new
// one may not exist until apply), Update checks again before upgrading.
func (r *bayResource) checkBayDowngrade(ctx context.Context, bm *baymodelReads, plan bayModel, fromID, toID string) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.data == nil || fromID == "" || toID == "" {
		return diags
	}
	u, d := readBayUpgrade(ctx, plan.Upgrade)
	diags.Append(d...)
	if u.AllowDowngrade.ValueBool() {
		return diags
	}
	from, err := bm.read(ctx, fromID)
	if err != nil {
		tflog.Debug(ctx, "downgrade check skipped: the current baymodel is unreadable", map[string]any{"baymodel": fromID, "error": err.Error()})
		return diags
	}
	to, err := bm.read(ctx, toID)
	if err != nil {
		tflog.Debug(ctx, "downgrade check skipped: the new baymodel is unreadable", map[string]any{"baymodel": toID, "error": err.Error()})
		return diags
	}
	if from.UUID == to.UUID {
		return diags
	}
	fromTag, toTag := from.Labels["kube_tag"], to.Labels["kube_tag"]
	cmp, err := compareKubeVersions(toTag, fromTag)
	if err != nil {
		summary, detail := diagnose.DowngradeUnknown(plan.Name.ValueString(), from.Name, to.Name, err)
		diags.AddAttributeWarning(path.Root("baymodel_id"), summary, detail)
		return diags
	}
	if cmp < 0 {
		summary, detail := diagnose.DowngradeRefused(plan.Name.ValueString(), *from, *to)
		diags.AddAttributeError(path.Root("baymodel_id"), summary, detail)
	}
	return diags
}

// compareKubeVersions compares two kube_tag values such as v1.23.3 and
// v1.24.3-rancher1 numerically, component by component, so v1.9 sorts
// before v1.10. A suffix after the numbers names a build, not a version,
// and is ignored. The error says why no comparison was possible.
func compareKubeVersions(a, b string) (int, error) {
	switch {
	case a == "" && b == "":
		return 0, fmt.Errorf("neither baymodel sets the kube_tag label (the driver may take the version from the image instead)")
	case a == "" || b == "":
		return 0, fmt.Errorf("only one of the baymodels sets the kube_tag label")
	}
	va, ok := parseKubeVersion(a)
	if !ok {
		return 0, fmt.Errorf("kube_tag %q is not a version the provider can read", a)
	}
	vb, ok := parseKubeVersion(b)
	if !ok {
		return 0, fmt.Errorf("kube_tag %q is not a version the provider can read", b)
	}
	for i := range max(len(va), len(vb)) {
		x, y := component(va, i), component(vb, i)
		if x != y {
			if x < y {
				return -1, nil
			}
			return 1, nil
		}
	}
	return 0, nil
}

func component(v []int, i int) int {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// parseKubeVersion reads "v1.24.3", "1.24" or "v1.24.3-rancher1" into
// its numbers. It needs at least MAJOR.MINOR: a tag like "latest" or "v1"
// says too little to order.
func parseKubeVersion(tag string) ([]int, bool) {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(tag), "v"), "V")
	end := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end >= 0 {
		if end == 0 || (s[end] != '-' && s[end] != '+' && s[end] != '_') {
			return nil, false
		}
		s = s[:end]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		nums[i] = n
	}
	return nums, true
}

// inPlaceUpgradeRefusal says why the cloud will not upgrade this bay in
// place, or "": it refused before (recorded in the private state), or its
// baymodel is on the Heat driver of a Magnum that no longer upgrades those
// (2024.1 and later).
func (r *bayResource) inPlaceUpgradeRefusal(ctx context.Context, bm *baymodelReads, private privateState, state bayModel) string {
	meta, _ := r.bayMeta(ctx, private, nil)
	if meta.UpgradeRefused != "" {
		return diagnose.UpgradeRefusedBefore(meta.UpgradeRefused)
	}
	current := meta.BaymodelUUID
	if current == "" {
		current = state.BaymodelID.ValueString()
	}
	ct, err := bm.read(ctx, current)
	if err != nil {
		tflog.Debug(ctx, "could not read the bay's baymodel to tell whether it upgrades in place", map[string]any{"baymodel": current, "error": err.Error()})
		return ""
	}
	if !ct.RefusesInPlaceUpgrade() {
		return ""
	}
	return diagnose.HeatUpgradeRefused(*ct)
}

// upgradeNotSupported reports a refusal that no other baymodel would get
// past: Magnum's NotSupported for the bay's driver (a 400 such as
// "Upgrading a cluster that uses the Magnum Heat driver is not
// supported."), not a complaint about the new baymodel.
func upgradeNotSupported(err error) bool {
	msg := strings.ToLower(magnum.Message(err))
	return magnum.StatusCode(err) == 400 && strings.Contains(msg, "upgrad") && strings.Contains(msg, "not supported")
}

// upgradeLabels are the labels Magnum's drivers upgrade a bay by: a target
// baymodel without any is refused (the Heat driver's 409 "does not contain
// any supported upgrade labels", the Cluster API driver's 500 'kube_tag'),
// and the bay is left UPDATE_FAILED.
var upgradeLabels = []string{"kube_tag", "ostree_commit", "ostree_remote"}

// checkUpgradeLabels refuses, before anything is sent, an in-place upgrade
// Magnum always refuses. Without it a configuration that points a bay back
// at such a baymodel (after an upgrade made outside Terraform, say) would
// plan an upgrade that fails on every apply.
func (r *bayResource) checkUpgradeLabels(ctx context.Context, bm *baymodelReads, plan bayModel, fromID, toID string) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.data == nil || toID == "" {
		return diags
	}
	to, err := bm.read(ctx, toID)
	if err != nil || to.UUID == fromID {
		return diags
	}
	for _, l := range upgradeLabels {
		if to.Labels[l] != "" {
			return diags
		}
	}
	current := fromID
	if from, err := bm.read(ctx, fromID); err == nil {
		current = fmt.Sprintf("%q (%s)", from.Name, from.UUID)
	}
	summary, detail := diagnose.NoUpgradeLabels(plan.Name.ValueString(), current, *to)
	diags.AddAttributeError(path.Root("baymodel_id"), summary, detail)
	return diags
}
