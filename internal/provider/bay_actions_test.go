package provider

import (
	"context"
	"errors"
	"testing"
	"time"

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

// failedAgain tells a retry the conductor failed again without touching the
// bay's row from one it has not run: only the worker nodegroup, saved by
// the conductor before and after the driver, moves.
func TestFailedAgain(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	later := t0.Add(3 * time.Second)
	failed := &magnum.Cluster{Status: "UPDATE_FAILED", StatusReason: "'annotations'"}
	evidence := func(g *magnum.NodeGroup, err error) *failedAgainEvidence {
		return &failedAgainEvidence{before: t0, read: func(context.Context) (*magnum.NodeGroup, error) { return g, err }}
	}
	cases := []struct {
		name string
		now  *magnum.Cluster
		ev   *failedAgainEvidence
		want bool
	}{
		{"the worker nodegroup saved failed again", failed, evidence(&magnum.NodeGroup{Status: "UPDATE_FAILED", UpdatedAt: later}, nil), true},
		{"the worker nodegroup as it was: not run yet", failed, evidence(&magnum.NodeGroup{Status: "UPDATE_FAILED", UpdatedAt: t0}, nil), false},
		{"the worker nodegroup under way", failed, evidence(&magnum.NodeGroup{Status: "UPDATE_IN_PROGRESS", UpdatedAt: later}, nil), false},
		{"the bay moved on: its own status tells", &magnum.Cluster{Status: "UPDATE_IN_PROGRESS"},
			evidence(&magnum.NodeGroup{Status: "UPDATE_FAILED", UpdatedAt: later}, nil), false},
		{"the nodegroup cannot be read now", failed, evidence(nil, errors.New("503")), false},
		{"no evidence taken (the bay was not failed, or no nodegroup API)", failed, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := failedAgain(context.Background(), failed, tc.now, tc.ev); got != tc.want {
				t.Errorf("failedAgain = %v, want %v", got, tc.want)
			}
		})
	}
}
