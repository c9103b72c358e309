package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// A bay's node_count is its default worker nodegroup's size, but Magnum's
// cluster node_count sums every worker nodegroup, magnum_nodegroup's
// included. These helpers keep the two apart, and let the autoscaler own
// the count when the bay's auto_scaling block says so.

// applyBayAutoScaling adds the auto_scaling labels to a create request.
func applyBayAutoScaling(ctx context.Context, m bayModel, req *magnum.ClusterCreate) diag.Diagnostics {
	as, ok, diags := readAutoScaling(ctx, m.AutoScaling)
	if !ok || diags.HasError() {
		return diags
	}
	if msg := validateAutoScalingCounts(as, m.NodeCount); msg != "" {
		diags.AddAttributeError(path.Root("auto_scaling"), "Inconsistent autoscaling limits", msg)
		return diags
	}
	labels, merge, err := withAutoScalingLabels(req.Labels, req.MergeLabels != nil && *req.MergeLabels, as)
	if err != nil {
		diags.AddAttributeError(path.Root("auto_scaling"), "Conflicting labels", err.Error())
		return diags
	}
	req.Labels = labels
	if merge {
		t := true
		req.MergeLabels = &t
	}
	return diags
}

// reconcileBayAfterRead corrects what bayFromAPI copied from the cluster:
// node_count becomes the default worker's (or stays as configured while
// the autoscaler owns it), and the auto_scaling labels are not counted as
// a difference from the user's labels.
func reconcileBayAfterRead(ctx context.Context, client *magnum.Client, c *magnum.Cluster, m *bayModel, prior types.Int64) diag.Diagnostics {
	var diags diag.Diagnostics
	if _, ok, _ := readAutoScaling(ctx, m.AutoScaling); ok && !m.Labels.IsNull() && !m.MergeLabels.ValueBool() {
		user, d := stringMap(ctx, m.Labels)
		diags.Append(d...)
		m.Labels, d = types.MapValueFrom(ctx, types.StringType, withoutAutoScalingLabels(nonNilMap(c.Labels), user))
		diags.Append(d...)
	}
	if autoScaled(ctx, m.AutoScaling) && !prior.IsNull() && !prior.IsUnknown() {
		m.NodeCount = prior
		return diags
	}
	if n, ok := defaultWorkerCount(ctx, client, c, prior); ok {
		m.NodeCount = types.Int64Value(int64(n))
	}
	return diags
}

// defaultWorkerCount returns the default worker nodegroup's size when it
// may differ from the cluster's node_count. It asks Magnum only when the
// cluster's count disagrees with what Terraform expects, so bays without
// extra nodegroups cost no extra request.
func defaultWorkerCount(ctx context.Context, client *magnum.Client, c *magnum.Cluster, expected types.Int64) (int, bool) {
	if client == nil || c == nil || (!expected.IsNull() && !expected.IsUnknown() && int64(c.NodeCount) == expected.ValueInt64()) {
		return 0, false
	}
	if ok, err := client.Supports(ctx, magnum.VersionNodeGroup.String()); err != nil || !ok {
		return 0, false
	}
	groups, err := client.ListNodeGroups(ctx, c.UUID)
	if err != nil {
		tflog.Warn(ctx, "could not list the bay's nodegroups; using the cluster's node_count", map[string]any{"error": err.Error()})
		return 0, false
	}
	w, ok := magnum.DefaultWorker(groups)
	return w.NodeCount, ok
}

// bayResized reports whether a resize to want has reached the default
// worker, whatever other nodegroups hold.
func bayResized(ctx context.Context, client *magnum.Client, c *magnum.Cluster, want int) bool {
	if c.NodeCount == want {
		return true
	}
	n, ok := defaultWorkerCount(ctx, client, c, types.Int64Value(int64(want)))
	return ok && n == want
}
