package diagnose

import (
	"fmt"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// An update action (resize, upgrade) whose answer was lost may or may not
// have been carried out; the provider reads the bay before anything else.
// These texts follow the lost request's own error and say whether applying
// again is safe.

// UpdateUnchecked: reading the bay to find out failed too.
func UpdateUnchecked(readErr error) string {
	return fmt.Sprintf("The request may or may not have reached Magnum, and reading the bay to find out failed too: %v", readErr)
}

// UpdateFailed: the bay shows the update was made and failed.
func UpdateFailed(c *magnum.Cluster) string {
	return "The request reached Magnum, but the update failed: " + ClusterStatus(c)
}

// UpdateUndecided: the look-up ran out of time before the bay showed
// either way; status is what it showed last.
func UpdateUndecided(what, status string) string {
	return fmt.Sprintf("The bay showed no sign of being %s before the look-up ran out of time (status %s); check it before applying again", what, status)
}

// UpdateNotTaken: the bay, read reads times over over, never showed the
// update, so it did not take effect.
func UpdateNotTaken(what, status string, reads int, over time.Duration) string {
	return fmt.Sprintf("The bay shows no sign of being %s (status %s, read %d times over %s), so the request did not take effect; it is safe to apply again",
		what, status, reads, over)
}
