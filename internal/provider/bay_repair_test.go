package provider

import "testing"

func TestRepairFor(t *testing.T) {
	cases := []struct {
		status string
		want   bayRepair
	}{
		{"CREATE_COMPLETE", repairNone},
		{"UPDATE_COMPLETE", repairNone},
		{"CREATE_IN_PROGRESS", repairNone},
		{"UPDATE_IN_PROGRESS", repairNone},
		{"UPDATE_FAILED", repairRetry},
		{"CREATE_FAILED", repairReplace},
		{"DELETE_FAILED", repairReplace},
		{"DELETE_IN_PROGRESS", repairReplace},
		// Between the save of DELETE_COMPLETE and the destroy of the row
		// (long enough to plan in on a Cluster API driver), the bay is
		// gone: a plan must not say "No changes".
		{"DELETE_COMPLETE", repairReplace},
	}
	for _, tc := range cases {
		t.Run(tc.status, func(t *testing.T) {
			if got := repairFor(tc.status); got != tc.want {
				t.Errorf("repairFor(%s) = %d, want %d", tc.status, got, tc.want)
			}
		})
	}
}
