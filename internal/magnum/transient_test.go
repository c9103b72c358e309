package magnum

import (
	"errors"
	"fmt"
	"testing"
)

func TestTransientClassifiers(t *testing.T) {
	gap := &Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"}
	cases := []struct {
		name               string
		err                error
		gap, whileDeleting bool
		deleteState        string
	}{
		{"cluster row without its master nodegroup", gap, true, true, "DELETE_IN_PROGRESS"},
		{"the same, wrapped", fmt.Errorf("reading bay: %w", gap), true, true, "DELETE_IN_PROGRESS"},
		{"another bad request", &Error{StatusCode: 400, Message: "Invalid input for field/attribute node_count. Value: '-1'."}, false, true, ""},
		{"a negative master_count the user asked for", &Error{StatusCode: 400, Message: "Invalid input for field/attribute master_count. Value: '-1'."}, false, true, ""},
		{"not found", &Error{StatusCode: 404, Message: "Cluster x could not be found."}, false, false, ""},
		{"server error", &Error{StatusCode: 503}, false, false, ""},
		{"no HTTP status", errors.New("connection refused"), false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsNodegroupGap(tc.err); got != tc.gap {
				t.Errorf("IsNodegroupGap = %v, want %v", got, tc.gap)
			}
			if got := TransientWhileDeleting(tc.err); got != tc.whileDeleting {
				t.Errorf("TransientWhileDeleting = %v, want %v", got, tc.whileDeleting)
			}
			state, ok := DeleteStateOfError(tc.err)
			if state != tc.deleteState || ok != (tc.deleteState != "") {
				t.Errorf("DeleteStateOfError = %q, %v; want %q", state, ok, tc.deleteState)
			}
		})
	}
}
