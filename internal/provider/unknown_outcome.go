package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// A request whose answer was lost (magnum.IsOutcomeUnknown) may or may
// not have been carried out. Before anything else the provider reads what
// the cloud shows, on a context that outlives Ctrl-C, and only then decides
// whether applying again is safe. guardedCreate does this for creates;
// settleUnknownUpdate for update actions.

// settleTimeout bounds the look-up that settles an unknown outcome.
const settleTimeout = 30 * time.Second

// settleContext outlives the cancellation of ctx: the most common unknown
// outcome is a POST cut off by Ctrl-C, and Terraform waits for the provider
// to finish after it asks it to stop. Giving up the look-up there would
// orphan the bay the POST made.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return settleContextFor(ctx, settleTimeout)
}

func settleContextFor(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// settleLooks and settleInterval bound how long settleUnknownUpdate reads
// the bay before it concludes an update did not take: Magnum casts updates
// to its conductor, which may take a few seconds to pick them up, and until
// then the bay shows its old status.
const (
	settleLooks    = 15
	settleInterval = time.Second
)

// settleBudget is how many looks, how far apart, settle the outcome of
// postErr. Magnum's RPC timeout (magnum.IsRPCTimeout, only the upgrade
// answers it) says the conductor has held the call for 60 s without
// answering: it is behind, and may take as long again to act, so it gets a
// minute of looks two seconds apart.
func settleBudget(postErr error) (looks int, interval time.Duration) {
	if magnum.IsRPCTimeout(postErr) {
		return 30, 2 * time.Second
	}
	return settleLooks, settleInterval
}

// settleUnknownUpdate decides whether an update action (resize, upgrade)
// whose answer was lost took effect, by reading the bay before anything
// else, until the reads decide it (at most settleBudget's looks). With no error,
// the update is under way, or already finished (the bay is returned).
// Otherwise the error says whether applying again is safe.
func (r *bayResource) settleUnknownUpdate(ctx context.Context, id, what string, before *magnum.Cluster, done func(*magnum.Cluster) bool, postErr error) (*magnum.Cluster, bool, error) {
	maxLooks, interval := settleBudget(postErr)
	lookupCtx, cancel := settleContextFor(ctx, max(settleTimeout, time.Duration(maxLooks)*interval+15*time.Second))
	defer cancel()
	const (
		underWay  = "UPDATE_IN_PROGRESS"
		written   = "new value written"
		finished  = "update finished"
		failed    = "update failed"
		noSignYet = "no sign yet"
		noSign    = "no sign"
	)
	var after *magnum.Cluster
	var readErr error
	var outcome string
	looks := 0
	_, werr := waiter.Wait(lookupCtx, waiter.Config{
		What:     fmt.Sprintf("bay %s to show whether it is being %s", id, what),
		Schedule: func(time.Duration) time.Duration { return interval },
		// Any error leaves the outcome unknown.
		IsTransient: func(error) bool { return false },
	}, func(ctx context.Context) (*magnum.Cluster, string, error) {
		c, err := r.data.Magnum.GetCluster(ctx, id)
		if err != nil {
			readErr = err
			return nil, "", err
		}
		looks++
		after = c
		moved := c.UpdatedAt.After(before.UpdatedAt) && done(c)
		switch {
		case c.Status == "UPDATE_IN_PROGRESS":
			outcome = underWay
		case moved && c.Status == "UPDATE_COMPLETE":
			outcome = finished
		case moved && c.Status == "UPDATE_FAILED":
			outcome = failed
		case done(c) && !done(before):
			// The new value is written; the conductor has yet to move the
			// status. The wait that follows needs the update to start.
			outcome = written
		case looks >= maxLooks:
			outcome = noSign
		default:
			outcome = noSignYet
		}
		return c, outcome, nil
	}, waiter.Conditions[*magnum.Cluster]{
		Target:   []string{underWay, written, finished, failed, noSign},
		Pending:  []string{noSignYet},
		IsFailed: func(string) bool { return false },
	})
	switch {
	case readErr != nil:
		return nil, false, fmt.Errorf("%w\n\n%s", postErr, diagnose.UpdateUnchecked(readErr))
	case werr != nil:
		return nil, false, fmt.Errorf("%w\n\n%s", postErr, diagnose.UpdateUndecided(what, after.Status))
	}
	switch outcome {
	case underWay:
		tflog.Info(ctx, "the update request's answer was lost, but the bay shows it under way; waiting for it", map[string]any{"id": id})
		return after, false, nil
	case finished:
		return after, true, nil
	case failed:
		return after, false, fmt.Errorf("%w\n\n%s", postErr, diagnose.UpdateFailed(after))
	case written:
		tflog.Info(ctx, "the update request's answer was lost, but the bay already shows the new value; waiting for the update", map[string]any{"id": id})
		return after, false, nil
	}
	return nil, false, fmt.Errorf("%w\n\n%s", postErr, diagnose.UpdateNotTaken(what, after.Status, maxLooks, time.Duration(maxLooks-1)*interval))
}
