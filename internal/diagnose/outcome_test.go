package diagnose

import (
	"errors"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestLostUpdateTexts(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, got, want string }{
		{"unchecked", UpdateUnchecked(errors.New("connection reset")),
			"The request may or may not have reached Magnum, and reading the bay to find out failed too: connection reset"},
		{"failed", UpdateFailed(&magnum.Cluster{StatusReason: "No valid host"}), "The request reached Magnum, but the update failed: status_reason: No valid host"},
		{"undecided", UpdateUndecided("resized to 3 nodes", "CREATE_COMPLETE"),
			"The bay showed no sign of being resized to 3 nodes before the look-up ran out of time (status CREATE_COMPLETE); check it before applying again"},
		{"not taken", UpdateNotTaken("resized to 3 nodes", "CREATE_COMPLETE", 15, 14*time.Second),
			"The bay shows no sign of being resized to 3 nodes (status CREATE_COMPLETE, read 15 times over 14s), so the request did not take effect; it is safe to apply again"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, tc.got, tc.want)
		}
	}
}
