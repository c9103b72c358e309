package provider

import (
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestUpdateFailedAtOnce(t *testing.T) {
	cases := []struct {
		name           string
		before, now    string
		failedByUpdate bool
	}{
		{"the conductor failed the resize in its handler", "UPDATE_COMPLETE", "UPDATE_FAILED", true},
		{"after a create", "CREATE_COMPLETE", "UPDATE_FAILED", true},
		{"a failure left from an earlier update proves nothing", "UPDATE_FAILED", "UPDATE_FAILED", false},
		{"not picked up yet", "UPDATE_COMPLETE", "UPDATE_COMPLETE", false},
		{"under way", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := updateFailedAtOnce(&magnum.Cluster{Status: tc.before}, &magnum.Cluster{Status: tc.now})
			if got != tc.failedByUpdate {
				t.Errorf("updateFailedAtOnce(%s -> %s) = %v, want %v", tc.before, tc.now, got, tc.failedByUpdate)
			}
		})
	}
}
