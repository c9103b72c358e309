package magnum

import (
	"errors"
	"net/http"
	"strings"
)

// Magnum answers some errors that say nothing about the request: they come
// from the conductor being half-way through its own work on a cluster. The
// classifiers here name them, so the provider can hand them to a wait (which
// knows no API's errors) or ride them out on a read.

// IsNodegroupGap reports Magnum 15's HTTP 400 "Invalid input for
// field/attribute master_count. Value: '0'", answered while a cluster row
// exists without its master nodegroup: the conductor inserts the cluster
// first and the nodegroups right after (and deletes them first). Against a
// real Magnum serving requests in parallel, a poll right after a create, or
// during a delete, lands in that gap now and then.
func IsNodegroupGap(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusBadRequest &&
		strings.Contains(e.Message, "Invalid input for field/attribute master_count. Value: '0'")
}

// TransientWhileDeleting reports an error a delete wait rides out (within
// its bound on errors in a row): Magnum answers HTTP 400 while its
// conductor tears a cluster's or nodegroup's rows down.
func TransientWhileDeleting(err error) bool {
	return StatusCode(err) == http.StatusBadRequest
}

// DeleteStateOfError reads the nodegroup gap during a cluster delete as
// what it is, an observation: the conductor is tearing the cluster's
// nodegroups down, so the delete has started.
func DeleteStateOfError(err error) (string, bool) {
	if IsNodegroupGap(err) {
		return "DELETE_IN_PROGRESS", true
	}
	return "", false
}
