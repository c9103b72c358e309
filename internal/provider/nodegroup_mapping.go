package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Pure functions between a nodegroup's Terraform model and Magnum's
// nodegroup: the create request, the PATCH for an update, and the model
// read back from the API. nodegroup_resource_test.go covers them.

func nodegroupCreateRequest(ctx context.Context, m nodegroupModel) (magnum.NodeGroupCreate, diag.Diagnostics) {
	labels, diags := stringMap(ctx, m.Labels)
	nodeLabels, d := stringMap(ctx, m.NodeLabels)
	diags.Append(d...)
	taints, d := taintsFrom(ctx, m.NodeTaints)
	diags.Append(d...)
	req := magnum.NodeGroupCreate{
		Name:             m.Name.ValueString(),
		NodeCount:        optInt(m.NodeCount),
		MinNodeCount:     optInt(m.MinNodeCount),
		MaxNodeCount:     optInt(m.MaxNodeCount),
		DockerVolumeSize: optInt(m.DockerVolumeSize),
		Labels:           labels,
		NodeLabels:       nodeLabels,
		NodeTaints:       taints,
	}
	if v := optStr(m.Role); v != nil {
		req.Role = *v
	}
	if v := optStr(m.FlavorID); v != nil {
		req.FlavorID = *v
	}
	if v := optStr(m.ImageID); v != nil {
		req.ImageID = *v
	}
	merge := m.MergeLabels.ValueBool()
	if as, ok, d := readAutoScaling(ctx, m.AutoScaling); ok {
		diags.Append(d...)
		l, mg, err := withAutoScalingLabels(labels, merge, as)
		if err != nil {
			diags.AddAttributeError(path.Root("auto_scaling"), "Conflicting labels", err.Error())
			return req, diags
		}
		req.Labels, merge = l, mg
		// The drivers size the autoscaler from the nodegroup's own fields;
		// Magnum's bounds checks use them too.
		if req.MinNodeCount == nil {
			req.MinNodeCount = optInt(as.MinNodeCount)
		}
		if req.MaxNodeCount == nil {
			req.MaxNodeCount = optInt(as.MaxNodeCount)
		}
	}
	if merge {
		t := true
		req.MergeLabels = &t
	}
	return req, diags
}

// nodegroupPatch is the PATCH for what changes in place, other than the
// node count (a resize).
func nodegroupPatch(ctx context.Context, from, to nodegroupModel) ([]magnum.PatchOp, diag.Diagnostics) {
	var ops []magnum.PatchOp
	var diags diag.Diagnostics
	if !to.MinNodeCount.IsUnknown() && !to.MinNodeCount.Equal(from.MinNodeCount) && !to.MinNodeCount.IsNull() {
		ops = append(ops, magnum.Replace("/min_node_count", to.MinNodeCount.ValueInt64()))
	}
	if !to.MaxNodeCount.Equal(from.MaxNodeCount) {
		if to.MaxNodeCount.IsNull() {
			ops = append(ops, magnum.Remove("/max_node_count"))
		} else {
			ops = append(ops, magnum.Replace("/max_node_count", to.MaxNodeCount.ValueInt64()))
		}
	}
	if !to.NodeLabels.Equal(from.NodeLabels) {
		m, d := stringMap(ctx, to.NodeLabels)
		diags.Append(d...)
		ops = append(ops, magnum.Replace("/node_labels", magnum.PythonDict(nonNilMap(m))))
	}
	if !to.NodeTaints.Equal(from.NodeTaints) {
		t, d := taintsFrom(ctx, to.NodeTaints)
		diags.Append(d...)
		ops = append(ops, magnum.Replace("/node_taints", magnum.PythonTaints(t)))
	}
	return ops, diags
}

func taintsFrom(ctx context.Context, v types.List) ([]magnum.Taint, diag.Diagnostics) {
	if v.IsNull() || v.IsUnknown() {
		return nil, nil
	}
	var ms []taintModel
	diags := v.ElementsAs(ctx, &ms, false)
	out := make([]magnum.Taint, len(ms))
	for i, m := range ms {
		out[i] = magnum.Taint{Key: m.Key.ValueString(), Value: m.Value.ValueString(), Effect: m.Effect.ValueString()}
	}
	return out, diags
}

// nodegroupFromAPI copies what Magnum reports into the model. keepCount
// leaves node_count as configured: the autoscaler owns the live count.
func nodegroupFromAPI(ctx context.Context, ng *magnum.NodeGroup, m *nodegroupModel, keepCount bool) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(ng.UUID)
	if ng.ClusterID != "" && m.BayID.ValueString() != ng.ClusterID && (m.BayID.IsNull() || m.BayID.IsUnknown()) {
		m.BayID = types.StringValue(ng.ClusterID)
	}
	m.Name = types.StringValue(ng.Name)
	m.Role = nullableStr(ng.Role)
	m.FlavorID = nullableStr(ng.FlavorID)
	m.ImageID = nullableStr(ng.ImageID)
	m.DockerVolumeSize = nullableInt(ng.DockerVolumeSize)
	if !keepCount || m.NodeCount.IsNull() || m.NodeCount.IsUnknown() {
		m.NodeCount = types.Int64Value(int64(ng.NodeCount))
	}
	m.MinNodeCount = nullableInt(ng.MinNodeCount)
	if m.MinNodeCount.IsNull() {
		m.MinNodeCount = types.Int64Value(0)
	}
	m.MaxNodeCount = nullableInt(ng.MaxNodeCount)
	m.Status = nullableStr(ng.Status)
	m.StatusReason = nullableStr(ng.StatusReason)
	m.StackID = nullableStr(ng.StackID)
	m.ProjectID = nullableStr(ng.ProjectID)
	m.CreatedAt = timeString(ng.CreatedAt)
	m.UpdatedAt = timeString(ng.UpdatedAt)

	var d diag.Diagnostics
	m.EffectiveLabels, d = types.MapValueFrom(ctx, types.StringType, nonNilMap(ng.Labels))
	diags.Append(d...)
	actual := map[string]string(ng.Labels)
	if _, ok, _ := readAutoScaling(ctx, m.AutoScaling); ok {
		user, d := stringMap(ctx, m.Labels)
		diags.Append(d...)
		actual = withoutAutoScalingLabels(actual, user)
	}
	m.Labels, d = configuredLabels(ctx, m.Labels, m.MergeLabels.ValueBool(), actual)
	diags.Append(d...)
	// node_labels and node_taints exist only from 1.14; an older cloud
	// never reports them, so null stays null rather than becoming {}.
	if len(ng.NodeLabels) > 0 || !m.NodeLabels.IsNull() {
		m.NodeLabels, d = types.MapValueFrom(ctx, types.StringType, nonNilMap(ng.NodeLabels))
		diags.Append(d...)
	}
	if len(ng.NodeTaints) > 0 || !m.NodeTaints.IsNull() {
		taints := make([]taintModel, len(ng.NodeTaints))
		for i, t := range ng.NodeTaints {
			taints[i] = taintModel{Key: types.StringValue(t.Key), Value: types.StringValue(t.Value), Effect: types.StringValue(t.Effect)}
			if t.Value == "" {
				taints[i].Value = types.StringNull()
			}
		}
		m.NodeTaints, d = types.ListValueFrom(ctx, types.ObjectType{AttrTypes: taintAttrTypes}, taints)
		diags.Append(d...)
	}
	return diags
}
