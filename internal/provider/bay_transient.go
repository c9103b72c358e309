package provider

import (
	"context"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// isTransientBayError classifies errors while a bay is polled: the
// waiter's usual transient errors, and Magnum 15's nodegroup gap (see
// magnum.IsNodegroupGap).
func isTransientBayError(err error) bool {
	return waiter.DefaultIsTransient(err) || magnum.IsNodegroupGap(err)
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
	const creating, ready = "CREATE_IN_PROGRESS without a stack id", "ready to delete"
	// The outcome does not matter: the delete proceeds, and reports any
	// error the bay still answers.
	_, _ = waiter.Wait(ctx, waiter.Config{
		What:     "the bay's stack id",
		Timeout:  limit,
		Schedule: func(time.Duration) time.Duration { return interval },
		// Any error ends the wait, as a 404 does.
		IsTransient: func(error) bool { return false },
	}, func(ctx context.Context) (*magnum.Cluster, string, error) {
		c, err := get(ctx)
		switch {
		case err != nil:
			return nil, "", err
		case c.StackID == "" && c.Status == "CREATE_IN_PROGRESS":
			return c, creating, nil
		}
		return c, ready, nil
	}, waiter.Conditions[*magnum.Cluster]{
		Target:           []string{ready},
		Pending:          []string{creating},
		NotFoundIsTarget: true,
		IsFailed:         func(string) bool { return false },
	})
}

// bayWaitMaxErrors is how many polls in a row may fail transiently (5xx,
// 429, a dropped connection, each after the client's own retries) before a
// bay wait gives up: about a minute of an unreachable API.
const bayWaitMaxErrors = 15

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
	var c *magnum.Cluster
	err := rideOutTransient400(ctx, func(ctx context.Context) error {
		var err error
		c, err = get(ctx)
		return err
	}, tries, interval)
	return c, err
}

// rideOutTransient400 calls fn until it returns anything but Magnum 15's
// transient 400, at most tries times, interval apart.
func rideOutTransient400(ctx context.Context, fn func(context.Context) error, tries int, interval time.Duration) error {
	for i := 1; ; i++ {
		err := fn(ctx)
		if err == nil || i >= tries || !magnum.IsNodegroupGap(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(interval):
		}
	}
}
