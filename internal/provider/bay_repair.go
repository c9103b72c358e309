package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// A bay Magnum reports as failed, or as going away, must never plan
// "No changes": the plan says what is wrong and proposes the repair.

// bayRepair is what a plan does about the bay's status.
type bayRepair int

const (
	repairNone bayRepair = iota
	// repairRetry runs the update again (a resize to the configured count).
	repairRetry
	// repairReplace deletes the bay (again) and creates it anew.
	repairReplace
)

// repairFor decides the repair for a bay's status.
func repairFor(status string) bayRepair {
	switch status {
	case "UPDATE_FAILED":
		return repairRetry
	case "CREATE_FAILED", "DELETE_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE":
		return repairReplace
	}
	return repairNone
}

// repairWarning explains the status and what the plan does about it.
func repairWarning(state, plan bayModel) (summary, detail string) {
	r := diagnose.BayRepair{
		Name: state.Name.ValueString(), ID: state.ID.ValueString(), Status: state.Status.ValueString(),
		StatusReason: state.StatusReason.ValueString(), NodeCount: plan.NodeCount.ValueInt64(),
		Changed: !plan.NodeCount.Equal(state.NodeCount) || !plan.BaymodelID.Equal(state.BaymodelID),
	}
	if !state.Faults.IsNull() && !state.Faults.IsUnknown() {
		r.Faults = stringElems(state.Faults)
	}
	return r.Warning()
}

func stringElems(m types.Map) map[string]string {
	out := map[string]string{}
	for k, v := range m.Elements() {
		if s, ok := v.(types.String); ok {
			out[k] = s.ValueString()
		}
	}
	return out
}

// planRepair adds the warning and the repair to a plan.
func planRepair(ctx context.Context, state, plan bayModel, resp *resource.ModifyPlanResponse) {
	repair := repairFor(state.Status.ValueString())
	if repair == repairNone {
		return
	}
	summary, detail := repairWarning(state, plan)
	resp.Diagnostics.AddWarning(summary, detail)
	// An unknown status is a change: the plan cannot say "No changes".
	// The update changes what Magnum reports about the bay, so those
	// values are unknown too, as for any other update.
	for _, p := range volatileBayAttributes {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p.name), p.unknown)...)
	}
	if repair == repairReplace {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
	}
}

// volatileBayAttributes are the computed attributes any update may
// change, which the framework marks unknown when the configuration
// changes.
var volatileBayAttributes = []struct {
	name    string
	unknown attr.Value
}{
	{"status", types.StringUnknown()},
	{"status_reason", types.StringUnknown()},
	{"faults", types.MapUnknown(types.StringType)},
	{"health_status", types.StringUnknown()},
	{"health_status_reason", types.MapUnknown(types.StringType)},
	{"coe_version", types.StringUnknown()},
	{"node_addresses", types.ListUnknown(types.StringType)},
	{"updated_at", types.StringUnknown()},
}

// onlyBaymodelSpelling reports whether plan asks for nothing but what
// state has, once baymodel_id is taken as the same: every argument is
// equal and known.
func onlyBaymodelSpelling(plan, state bayModel) bool {
	pairs := [][2]attr.Value{
		{plan.Name, state.Name}, {plan.NodeCount, state.NodeCount}, {plan.MasterCount, state.MasterCount},
		{plan.CreateTimeout, state.CreateTimeout}, {plan.DiscoveryURL, state.DiscoveryURL}, {plan.Keypair, state.Keypair},
		{plan.FlavorID, state.FlavorID}, {plan.MasterFlavorID, state.MasterFlavorID}, {plan.DockerVolumeSize, state.DockerVolumeSize},
		{plan.Labels, state.Labels}, {plan.MergeLabels, state.MergeLabels}, {plan.MasterLBEnabled, state.MasterLBEnabled},
		{plan.FloatingIPEnabled, state.FloatingIPEnabled}, {plan.FixedNetwork, state.FixedNetwork}, {plan.FixedSubnet, state.FixedSubnet},
		{plan.StoreCredentials, state.StoreCredentials}, {plan.AdoptExisting, state.AdoptExisting}, {plan.AutoScaling, state.AutoScaling},
		{plan.Upgrade, state.Upgrade}, {plan.Timeouts.Object, state.Timeouts.Object},
	}
	for _, p := range pairs {
		if p[0].IsUnknown() || !p[0].Equal(p[1]) {
			return false
		}
	}
	return true
}

// sameBaymodel keeps the state's spelling of baymodel_id when the
// configuration names the same baymodel another way (its name where the
// state has its UUID, as after an import by name): Terraform then plans no
// change. It reports whether it did.
func (r *bayResource) sameBaymodel(ctx context.Context, bm *baymodelReads, private privateState, state, plan bayModel, resp *resource.ModifyPlanResponse) bool {
	if r.data == nil || plan.BaymodelID.IsUnknown() || plan.BaymodelID.IsNull() || state.BaymodelID.IsNull() {
		return false
	}
	meta, diags := r.bayMeta(ctx, private, nil)
	if diags.HasError() {
		return false
	}
	current := meta.BaymodelUUID
	if current == "" {
		current = state.BaymodelID.ValueString()
	}
	ct, err := bm.read(ctx, plan.BaymodelID.ValueString())
	if err != nil || ct.UUID != current {
		if err != nil {
			tflog.Debug(ctx, "could not resolve the configured baymodel_id", map[string]any{"baymodel_id": plan.BaymodelID.ValueString(), "error": err.Error()})
		}
		return false
	}
	// Terraform accepts the prior value in place of an equivalent
	// configured one.
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("baymodel_id"), state.BaymodelID)...)
	return true
}

// retryFailedUpdate is the update a plan proposed for an UPDATE_FAILED bay
// whose arguments did not change: a resize to the configured count, which
// Magnum allows from UPDATE_FAILED to recover a bay.
func (r *bayResource) retryFailedUpdate(ctx context.Context, id, name string, plan bayModel, timeout time.Duration, ca *caAcross) (*magnum.Cluster, diag.Diagnostics) {
	var diags diag.Diagnostics
	want := int(plan.NodeCount.ValueInt64())
	tflog.Info(ctx, "bay is UPDATE_FAILED; retrying the update with a resize to the configured count", map[string]any{"bay": name, "node_count": want})
	c, err := r.applyAndWait(ctx, id, name, fmt.Sprintf("updated again (resized to %d nodes)", want), timeout, ca, func(ctx context.Context) error {
		return r.resize(ctx, id, want)
	}, func(c *magnum.Cluster) bool { return bayResized(ctx, r.data.Magnum, c, want) })
	if err != nil {
		diags.AddError(fmt.Sprintf("Error retrying the failed update of bay %q (%s)", name, id), r.describeWaitError(ctx, err, c))
	}
	return c, diags
}
