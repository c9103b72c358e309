package provider

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Upper bounds on every count and size, checked at plan time. Magnum 15
// checks none of them: a node_count of 99999999999 is accepted (HTTP 202)
// and then breaks the conductor's database insert, leaving a bay stuck in
// CREATE_IN_PROGRESS, and 100000 nodes go straight to Heat. The bounds are
// far above what any real cloud runs; quotas decide below them.
const (
	// maxNodeCount is Kubernetes' largest supported cluster (5000 nodes).
	maxNodeCount = 5000
	// maxMasterCount: etcd recommends at most 7 members.
	maxMasterCount = 7
	// maxVolumeSizeGB is 16 TiB per node, beyond any container volume.
	maxVolumeSizeGB = 16384
	// maxCreateTimeoutMinutes is Heat's create timeout, one day.
	maxCreateTimeoutMinutes = 1440
	// maxWait bounds the timeouts blocks: no Magnum operation legitimately
	// takes longer than a day.
	maxWait = 24 * time.Hour
	// maxQuotaClusters is the largest Cluster hard limit for a project.
	maxQuotaClusters = 100000
)

// atMost is the upper bound validator, kept apart from the lower bound so
// each error says which side was crossed.
func atMost(n int64) validator.Int64 { return int64validator.AtMost(n) }

func nodeCountNote() string {
	return fmt.Sprintf(" At most %d, the largest cluster Kubernetes supports; the cloud's quotas decide below that.", maxNodeCount)
}

func volumeSizeNote() string {
	return fmt.Sprintf(" At most %d (16 TiB).", maxVolumeSizeGB)
}

// validateTimeouts checks a timeouts block's durations against maxWait.
// The timeouts package checks only that they parse.
func validateTimeouts(v types.Object) diag.Diagnostics {
	var diags diag.Diagnostics
	if v.IsNull() || v.IsUnknown() {
		return diags
	}
	for name, attr := range v.Attributes() {
		s, ok := attr.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		d, err := time.ParseDuration(s.ValueString())
		if err != nil {
			continue
		}
		if d > maxWait {
			diags.AddAttributeError(path.Root("timeouts").AtName(name), "Timeout too long",
				fmt.Sprintf("timeouts.%s is %s; at most %s. No Magnum operation takes longer; a wait that long would hide a stuck bay.", name, s.ValueString(), maxWait))
		}
	}
	return diags
}
