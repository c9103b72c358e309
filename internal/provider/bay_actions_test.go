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

func TestUpdateStarted(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 19, 0, 0, 0, time.UTC)
	at := func(status, template string, nodes int, d time.Duration) *magnum.Cluster {
		return &magnum.Cluster{Status: status, ClusterTemplateID: template, NodeCount: nodes, UpdatedAt: t0.Add(d)}
	}
	before := at("UPDATE_COMPLETE", "old", 1, 0)
	resized := func(c *magnum.Cluster) bool { return c.NodeCount == 2 }
	upgraded := func(c *magnum.Cluster) bool { return c.ClusterTemplateID == "new" }
	conductorWrote := func(before, c *magnum.Cluster) bool { return !upgraded(before) && upgraded(c) }
	// The API writes node_count itself: the first look proves nothing.
	apiWroteCount := at("UPDATE_COMPLETE", "old", 2, time.Second)
	cases := []struct {
		name     string
		first, c *magnum.Cluster
		done     func(*magnum.Cluster) bool
		proves   func(before, c *magnum.Cluster) bool
		want     bool
	}{
		{"resize, first look: the API's own write of node_count", apiWroteCount, apiWroteCount, resized, nil, false},
		{"resize, later look with updated_at moved", apiWroteCount, at("UPDATE_COMPLETE", "old", 2, 12*time.Second), resized, nil, true},
		{"resize, later look unchanged", apiWroteCount, apiWroteCount, resized, nil, false},
		{"failed at once", at("UPDATE_FAILED", "old", 1, time.Second), at("UPDATE_FAILED", "old", 1, time.Second), resized, nil, true},
		{"upgrade completed before the first look", at("UPDATE_COMPLETE", "new", 1, 8*time.Second), at("UPDATE_COMPLETE", "new", 1, 8*time.Second), upgraded, conductorWrote, true},
		{"upgrade not yet run at the first look", before, before, upgraded, conductorWrote, false},
		{"upgrade without the proof, first look", at("UPDATE_COMPLETE", "new", 1, 8*time.Second), at("UPDATE_COMPLETE", "new", 1, 8*time.Second), upgraded, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := updateStarted(before, tc.first, tc.c, tc.done, tc.proves); got != tc.want {
				t.Errorf("updateStarted = %v, want %v", got, tc.want)
			}
		})
	}
	// A bay already on the target baymodel is no proof of this upgrade.
	on := at("UPDATE_COMPLETE", "new", 1, 0)
	if updateStarted(on, on, on, upgraded, conductorWrote) {
		t.Error("a bay already on the new baymodel proved the upgrade ran")
	}
}
