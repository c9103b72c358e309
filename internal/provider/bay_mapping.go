package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Pure functions between a bay's Terraform model and Magnum's cluster:
// the create request, the model read back from the API, and the labels as
// configured. bay_mapping_test.go covers them.

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
