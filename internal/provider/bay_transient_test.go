package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
	cases := []struct {
		name   string
		seen   []string
		starts []bool
	}{
		{"the failure an earlier delete left is not this one's outcome", []string{"DELETE_FAILED", "DELETE_FAILED"}, []bool{false, false}},
		{"this delete's own failure, after it was seen in progress", []string{"DELETE_FAILED", "DELETE_IN_PROGRESS", "DELETE_FAILED"}, []bool{false, true, true}},
		{"a bay that was fine, then fails to delete", []string{"CREATE_COMPLETE", "DELETE_FAILED"}, []bool{false, true}},
		{"an old status is no evidence", []string{"UPDATE_COMPLETE"}, []bool{false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			started := deleteStarted()
			for i, status := range tc.seen {
				if got := started(&magnum.Cluster{Status: status}, status); got != tc.starts[i] {
					t.Errorf("observation %d (%s): started = %v, want %v", i, status, got, tc.starts[i])
				}
			}
		})
	}
}
