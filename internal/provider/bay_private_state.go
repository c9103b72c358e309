package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// What a bay keeps in Terraform's private state: the baymodel facts that
// decide its credentials (bayMeta), read from Magnum when missing.

// bayMeta is what a bay inherits from its baymodel that decides which
// credentials it has. It lives in private state.
type bayMeta struct {
	BaymodelUUID string `json:"baymodel_uuid"`
	COE          string `json:"coe"`
	TLSDisabled  bool   `json:"tls_disabled"`
	// UpgradeRefused is the cloud's answer when it refused to upgrade this
	// bay in place; later plans replace the bay instead of asking again.
	UpgradeRefused string `json:"upgrade_refused,omitempty"`
	// Driver and Distro are the baymodel's driver, as Magnum 18 (2024.1)
	// and later report it ("" when the cloud reports none or the state
	// predates them), and its cluster_distro. They decide which fingerprint
	// the CA is kept at (caMayChangeSilently).
	Driver string `json:"driver,omitempty"`
	Distro string `json:"cluster_distro,omitempty"`
	// CARead is the bay's fingerprint (caFingerprint) when the CA in the
	// state was read; a refresh that finds the same reuses that CA. For a
	// bay whose driver cannot rotate its CA the fingerprint leaves out
	// updated_at, which Magnum's health check moves every minute; for any
	// other bay (and states without Driver) it includes it.
	CARead string `json:"ca_read,omitempty"`
}

// newBayMeta is what a bay takes from its baymodel ct, as read just now.
func newBayMeta(ct *magnum.ClusterTemplate) bayMeta {
	return bayMeta{BaymodelUUID: ct.UUID, COE: ct.COE, TLSDisabled: ct.TLSDisabled, Driver: ct.Driver, Distro: ct.ClusterDistro}
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
	ct, err := r.data.readBaymodel(ctx, c.ClusterTemplateID)
	if err != nil {
		// The bay outlives a deleted baymodel only in odd cases; keep what
		// we knew rather than failing the refresh.
		tflog.Warn(ctx, "could not read the bay's baymodel", map[string]any{"baymodel": c.ClusterTemplateID, "error": err.Error()})
		if meta.BaymodelUUID == "" {
			meta.BaymodelUUID = c.ClusterTemplateID
		}
		return meta, diags
	}
	return newBayMeta(ct), diags
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
