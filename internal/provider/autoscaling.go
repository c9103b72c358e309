package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Autoscaling on Magnum is a set of labels read by the drivers when the
// nodes are created: auto_scaling_enabled, min_node_count, max_node_count.
// Labels cannot change on a running bay or nodegroup, so the block replaces
// the resource when it changes. While it is enabled, the cluster
// autoscaler owns the node count: Read keeps the configured node_count
// instead of copying the live one, so its changes are not drift.

// Label keys the drivers read.
const (
	labelAutoScalingEnabled = "auto_scaling_enabled"
	labelMinNodeCount       = "min_node_count"
	labelMaxNodeCount       = "max_node_count"
)

type autoScalingModel struct {
	Enabled      types.Bool  `tfsdk:"enabled"`
	MinNodeCount types.Int64 `tfsdk:"min_node_count"`
	MaxNodeCount types.Int64 `tfsdk:"max_node_count"`
}

var autoScalingAttrTypes = map[string]attr.Type{
	"enabled":        types.BoolType,
	"min_node_count": types.Int64Type,
	"max_node_count": types.Int64Type,
}

// autoScalingAttribute is the `auto_scaling` argument of magnum_bay and
// magnum_nodegroup. what names the resource in descriptions.
func autoScalingAttribute(what string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Let the cluster autoscaler size this " + what + ". The provider writes Magnum's labels `auto_scaling_enabled`, `min_node_count` and `max_node_count` at create; " +
			"while `enabled` is true, node counts the autoscaler sets are not drift, so plans stay empty (a changed `node_count` in the configuration still resizes). " +
			"Magnum cannot change labels afterwards, so a change to this block replaces the " + what + ".",
		Optional:      true,
		PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplace()},
		Attributes: map[string]schema.Attribute{
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Turn the autoscaler on for these nodes.",
				Required:            true,
			},
			"min_node_count": schema.Int64Attribute{
				MarkdownDescription: "The fewest nodes the autoscaler may leave. Magnum requires it to be at most `node_count`." + nodeCountNote(),
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(0), atMost(maxNodeCount)},
			},
			"max_node_count": schema.Int64Attribute{
				MarkdownDescription: "The most nodes the autoscaler may add. Magnum requires it to be at least `node_count` and `min_node_count`." + nodeCountNote(),
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxNodeCount)},
			},
		},
	}
}

// readAutoScaling decodes the attribute; ok is false when it is null or
// unknown.
func readAutoScaling(ctx context.Context, v types.Object) (autoScalingModel, bool, diag.Diagnostics) {
	var m autoScalingModel
	if v.IsNull() || v.IsUnknown() {
		return m, false, nil
	}
	diags := v.As(ctx, &m, struct {
		UnhandledNullAsEmpty    bool
		UnhandledUnknownAsEmpty bool
	}{true, true})
	return m, true, diags
}

// autoScalingLabels are the labels the block stands for.
func autoScalingLabels(m autoScalingModel) map[string]string {
	out := map[string]string{labelAutoScalingEnabled: strconv.FormatBool(m.Enabled.ValueBool())}
	if !m.MinNodeCount.IsNull() && !m.MinNodeCount.IsUnknown() {
		out[labelMinNodeCount] = strconv.FormatInt(m.MinNodeCount.ValueInt64(), 10)
	}
	if !m.MaxNodeCount.IsNull() && !m.MaxNodeCount.IsUnknown() {
		out[labelMaxNodeCount] = strconv.FormatInt(m.MaxNodeCount.ValueInt64(), 10)
	}
	return out
}

// withAutoScalingLabels adds the block's labels to what the user set. With
// no labels of the user's, the result must be merged over the inherited
// ones, or the autoscaling labels would replace them all (losing kube_tag,
// which some drivers then default to an old version).
func withAutoScalingLabels(user map[string]string, merge bool, as autoScalingModel) (labels map[string]string, mergeOut bool, err error) {
	out := map[string]string{}
	for k, v := range user {
		out[k] = v
	}
	for k, v := range autoScalingLabels(as) {
		if uv, ok := user[k]; ok && uv != v {
			return nil, false, fmt.Errorf("label %q is %q in labels but auto_scaling sets it to %q; set it in one place", k, uv, v)
		}
		out[k] = v
	}
	return out, merge || len(user) == 0, nil
}

// withoutAutoScalingLabels drops the keys the block manages from labels
// read back, so they do not show as a difference from the user's labels.
func withoutAutoScalingLabels(actual map[string]string, user map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range actual {
		switch k {
		case labelAutoScalingEnabled, labelMinNodeCount, labelMaxNodeCount:
			if _, mine := user[k]; !mine {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// autoScaled reports whether the autoscaler owns the node count.
func autoScaled(ctx context.Context, v types.Object) bool {
	m, ok, _ := readAutoScaling(ctx, v)
	return ok && m.Enabled.ValueBool()
}

// validateAutoScalingCounts catches at plan time what Magnum refuses with a
// 409 at create: min ≤ node_count ≤ max.
func validateAutoScalingCounts(m autoScalingModel, nodeCount types.Int64) string {
	if nodeCount.IsNull() || nodeCount.IsUnknown() {
		return ""
	}
	n := nodeCount.ValueInt64()
	if !m.MinNodeCount.IsNull() && !m.MinNodeCount.IsUnknown() && m.MinNodeCount.ValueInt64() > n {
		return fmt.Sprintf("auto_scaling.min_node_count (%d) is above node_count (%d)", m.MinNodeCount.ValueInt64(), n)
	}
	if !m.MaxNodeCount.IsNull() && !m.MaxNodeCount.IsUnknown() {
		if mx := m.MaxNodeCount.ValueInt64(); mx < n {
			return fmt.Sprintf("auto_scaling.max_node_count (%d) is below node_count (%d)", mx, n)
		}
		if !m.MinNodeCount.IsNull() && !m.MinNodeCount.IsUnknown() && m.MinNodeCount.ValueInt64() > m.MaxNodeCount.ValueInt64() {
			return fmt.Sprintf("auto_scaling.min_node_count (%d) is above max_node_count (%d)", m.MinNodeCount.ValueInt64(), m.MaxNodeCount.ValueInt64())
		}
	}
	return ""
}

// maxFromAutoScaling plans a nodegroup's max_node_count when the
// configuration leaves it out: auto_scaling.max_node_count if the block
// sets one (the provider sends it as the field too), otherwise no limit.
// Without it the attribute would have to be Computed-unknown, and leaving
// it out could no longer lift the limit.
type maxFromAutoScaling struct{}

func (maxFromAutoScaling) Description(context.Context) string {
	return "Defaults to auto_scaling.max_node_count, else no limit."
}

func (m maxFromAutoScaling) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (maxFromAutoScaling) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var obj types.Object
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("auto_scaling"), &obj)...)
	if obj.IsUnknown() {
		resp.PlanValue = types.Int64Unknown()
		return
	}
	as, ok, diags := readAutoScaling(ctx, obj)
	resp.Diagnostics.Append(diags...)
	if !ok {
		resp.PlanValue = types.Int64Null()
		return
	}
	resp.PlanValue = as.MaxNodeCount
}
