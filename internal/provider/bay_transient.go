package provider

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

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
// the previous attempt's failure two seconds after its DELETE. A delete
// shows DELETE_IN_PROGRESS for at least one conductor poll (10 s) before it
// can fail, so a DELETE_FAILED counts only after this wait has seen another
// status; updated_at is no evidence, as Magnum's health checks move it.
func deleteStarted() func(*magnum.Cluster, string) bool {
	seenOther := false
	return func(_ *magnum.Cluster, status string) bool {
		if status == "DELETE_FAILED" {
			return seenOther
		}
		seenOther = true
		return status == "DELETE_IN_PROGRESS"
	}
}

// waitForStackID holds a bay delete back while Magnum's conductor is still
// inside cluster_create, before it has saved the bay's stack id. Magnum 15
// deletes such a bay's row at once, and the Heat stack the create goes on
// to build is never deleted: replacing a bay whose create was interrupted
// with Ctrl-C left an orphan stack on real Magnum. The wait ends when the
// bay has a stack id, leaves CREATE_IN_PROGRESS, is gone or cannot be read,
// or after limit; the delete proceeds in every case.
func waitForStackID(ctx context.Context, get func(context.Context) (*magnum.Cluster, error), interval, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		c, err := get(ctx)
		if err != nil || c.StackID != "" || c.Status != "CREATE_IN_PROGRESS" || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// readBayTries and readBayInterval bound how long a refresh rides out
// Magnum 15's transient 400 before it reports it.
const (
	readBayTries    = 6
	readBayInterval = time.Second
)

// readBay reads a bay for a refresh. A bay whose delete is tearing down
// its nodegroups answers Magnum 15's transient 400 for a moment (FINDINGS
// 4z); the refresh waits it out, a few seconds at most, instead of failing
// the plan. Other errors, and 5xx the client already retried, are returned
// at once.
func readBay(ctx context.Context, get func(context.Context) (*magnum.Cluster, error), tries int, interval time.Duration) (*magnum.Cluster, error) {
	for i := 1; ; i++ {
		c, err := get(ctx)
		if err == nil || i >= tries || !isTransientBayError(err) || magnum.StatusCode(err) != http.StatusBadRequest {
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, err
		case <-time.After(interval):
		}
	}
}
