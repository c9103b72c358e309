package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Pure functions between a baymodel's Terraform model and Magnum's
// cluster template: the create request, the PATCH for an update, the
// model read back from the API, and the changes that force a replacement.
// baymodel_mapping_test.go covers them.

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
