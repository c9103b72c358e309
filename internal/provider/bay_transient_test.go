package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestIsTransientBayError(t *testing.T) {
	nodegroupGap := &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"cluster row without its master nodegroup", nodegroupGap, true},
		{"the same, wrapped", fmt.Errorf("reading bay: %w", nodegroupGap), true},
		{"another bad request", &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute node_count. Value: '-1'."}, false},
		{"a negative master_count the user asked for", &magnum.Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '-1'."}, false},
		{"not found", &magnum.Error{StatusCode: 404, Message: "Cluster x could not be found."}, false},
		{"server error", &magnum.Error{StatusCode: 503, Message: "Service Unavailable"}, true},
		{"connection refused", errors.New("dial tcp 127.0.0.1:9511: connect: connection refused"), true},
		{"context canceled", context.Canceled, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isTransientBayError(tc.err); got != tc.want {
				t.Errorf("isTransientBayError(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestDeleteStarted(t *testing.T) {
	before := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(status string, updated time.Time) obs { return obs{status, updated} }
	cases := []struct {
		name   string
		prev   string
		seen   []obs
		starts []bool
	}{
		{"the old failure is not this delete's outcome", "DELETE_FAILED",
			[]obs{at("DELETE_FAILED", before), at("DELETE_FAILED", before)}, []bool{false, false}},
		{"this delete's own failure, seen in progress first", "DELETE_FAILED",
			[]obs{at("DELETE_FAILED", before), at("DELETE_IN_PROGRESS", before.Add(time.Second)), at("DELETE_FAILED", before.Add(12*time.Second))},
			[]bool{false, true, true}},
		{"a failure written after the state's", "DELETE_FAILED",
			[]obs{at("DELETE_FAILED", before.Add(15*time.Second))}, []bool{true}},
		{"a failure of a bay that was fine", "CREATE_COMPLETE",
			[]obs{at("CREATE_COMPLETE", before), at("DELETE_FAILED", before.Add(15*time.Second))}, []bool{false, true}},
		{"an unknown earlier status", "",
			[]obs{at("DELETE_FAILED", before)}, []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			started := deleteStarted(tc.prev, before)
			for i, o := range tc.seen {
				if got := started(&magnum.Cluster{Status: o.status, UpdatedAt: o.updated}, o.status); got != tc.starts[i] {
					t.Errorf("observation %d (%s at %s): started = %v, want %v", i, o.status, o.updated.Format(time.TimeOnly), got, tc.starts[i])
				}
			}
		})
	}
}

type obs struct {
	status  string
	updated time.Time
}
