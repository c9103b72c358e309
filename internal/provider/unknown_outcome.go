package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
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
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// settleLooks and settleInterval bound how long settleUnknownUpdate reads
// the bay before it concludes an update did not take: Magnum casts updates
// to its conductor, which may take a few seconds to pick them up, and until
// then the bay shows its old status.
const (
	settleLooks    = 15
	settleInterval = time.Second
)

// settleUnknownUpdate decides whether an update action (resize, upgrade)
// whose answer was lost took effect, by reading the bay before anything
// else, until the reads decide it (at most settleLooks). With no error,
// the update is under way, or already finished (the bay is returned).
// Otherwise the error says whether applying again is safe.
func (r *bayResource) settleUnknownUpdate(ctx context.Context, id, what string, before *magnum.Cluster, done func(*magnum.Cluster) bool, postErr error) (*magnum.Cluster, bool, error) {
	lookupCtx, cancel := settleContext(ctx)
	defer cancel()
	var after *magnum.Cluster
	for look := 1; ; look++ {
		var err error
		after, err = r.data.Magnum.GetCluster(lookupCtx, id)
		if err != nil {
			return nil, false, fmt.Errorf("%w\n\nThe request may or may not have reached Magnum, and reading the bay to find out failed too: %v", postErr, err)
		}
		moved := after.UpdatedAt.After(before.UpdatedAt) && done(after)
		switch {
		case after.Status == "UPDATE_IN_PROGRESS":
			tflog.Info(ctx, "the update request's answer was lost, but the bay shows it under way; waiting for it", map[string]any{"id": id})
			return after, false, nil
		case moved && after.Status == "UPDATE_COMPLETE":
			return after, true, nil
		case moved && after.Status == "UPDATE_FAILED":
			return after, false, fmt.Errorf("%w\n\nThe request reached Magnum, but the update failed: %s", postErr, diagnose.ClusterStatus(after))
		case done(after) && !done(before):
			// The new value is written; the conductor has yet to move the
			// status. The wait that follows needs the update to start.
			tflog.Info(ctx, "the update request's answer was lost, but the bay already shows the new value; waiting for the update", map[string]any{"id": id})
			return after, false, nil
		}
		if look >= settleLooks {
			break
		}
		select {
		case <-lookupCtx.Done():
			return nil, false, fmt.Errorf("%w\n\nThe bay showed no sign of being %s before the look-up ran out of time (status %s); check it before applying again", postErr, what, after.Status)
		case <-time.After(settleInterval):
		}
	}
	return nil, false, fmt.Errorf("%w\n\nThe bay shows no sign of being %s (status %s, read %d times over %s), so the request did not take effect; it is safe to apply again",
		postErr, what, after.Status, settleLooks, time.Duration(settleLooks-1)*settleInterval)
}
