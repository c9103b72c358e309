package provider

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// isTransientBayError classifies errors while a bay is polled. Besides the
// waiter's usual transient errors, Magnum 15 answers HTTP 400 "Invalid input
// for field/attribute master_count. Value: '0'" while a cluster row exists
// without its master nodegroup: its conductor inserts the cluster first and
// the nodegroups right after (and deletes them first). Against a real
// Magnum serving requests in parallel, a poll right after the create lands
// in that gap now and then.
func isTransientBayError(err error) bool {
	if waiter.DefaultIsTransient(err) {
		return true
	}
	var e *magnum.Error
	return errors.As(err, &e) && e.StatusCode == http.StatusBadRequest &&
		strings.Contains(e.Message, "Invalid input for field/attribute master_count. Value: '0'")
}

// deleteStarted is the Started condition of a bay delete. Until Magnum's
// conductor picks the delete up, the bay shows its old status; after an
// earlier delete failed that is DELETE_FAILED, which must not be read as
// this attempt's outcome. Against real Magnum 15 a retried destroy reported
// the previous attempt's failure four seconds after its DELETE. A
// DELETE_FAILED counts only when the bay was in another status before, when
// this wait has seen another status, or when updated_at has moved past
// the one the state held.
func deleteStarted(before string, beforeUpdated time.Time) func(*magnum.Cluster, string) bool {
	seenOther := false
	return func(c *magnum.Cluster, status string) bool {
		switch status {
		case "DELETE_IN_PROGRESS":
			return true
		case "DELETE_FAILED":
			return seenOther || before != "DELETE_FAILED" || c.UpdatedAt.After(beforeUpdated)
		}
		seenOther = true
		return false
	}
}

// parseStateTime reads a timestamp the state holds (RFC 3339, as
// timeString writes it); null, unknown or unreadable is the zero time.
func parseStateTime(v types.String) time.Time {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	if err != nil {
		return time.Time{}
	}
	return t
}
