package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// The update actions of a bay (resize, and the update Update and the
// repair of a failed update send): each is sent, then waited for, and what
// the cloud reports after a failure is kept in state.

func (r *bayResource) resize(ctx context.Context, id string, n int) error {
	ok, err := r.data.Magnum.Supports(ctx, magnum.VersionResize.String())
	if err != nil {
		return err
	}
	if ok {
		return r.data.Magnum.ResizeCluster(ctx, id, magnum.ResizeOpts{NodeCount: n})
	}
	return r.data.Magnum.UpdateClusterNodeCount(ctx, id, n)
}

// applyAndWait sends an update and waits for the update it started, not for
// an UPDATE_COMPLETE left over from an earlier one: Magnum answers 202 even
// when it ignores the request. ca, when set, sees the bay as it was before.
func (r *bayResource) applyAndWait(ctx context.Context, id, name, what string, timeout time.Duration, ca *caAcross, apply func(context.Context) error, done func(*magnum.Cluster) bool) (*magnum.Cluster, error) {
	before, err := r.data.Magnum.GetCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	ca.before(ctx, before)
	if err := apply(ctx); err != nil {
		if !magnum.IsOutcomeUnknown(err) {
			return before, err
		}
		c, finished, err := r.settleUnknownUpdate(ctx, id, what, before, done, err)
		if err != nil {
			return before, err
		}
		if finished {
			return c, nil
		}
	}
	// Magnum's API can write the new value (and updated_at) before the
	// conductor moves the status, so an UPDATE_COMPLETE with the new value
	// proves nothing on the first look. Without an UPDATE_IN_PROGRESS in
	// between, only a later change of updated_at shows the update ran.
	var first *magnum.Cluster
	return r.waitForBay(ctx, id, name, what, waiter.Conditions[*magnum.Cluster]{
		Target:  []string{"UPDATE_COMPLETE"},
		Pending: []string{"UPDATE_IN_PROGRESS"},
		Started: func(c *magnum.Cluster, _ string) bool {
			if first == nil {
				first = c
				return updateFailedAtOnce(before, c)
			}
			return updateFailedAtOnce(before, c) ||
				(c.UpdatedAt.After(first.UpdatedAt) && c.UpdatedAt.After(before.UpdatedAt) && done(c))
		},
	}, timeout, nil)
}

// updateFailedAtOnce tells an update the conductor failed inside its RPC
// handler, with no UPDATE_IN_PROGRESS in between (magnum-cluster-api 0.16's
// resize raising KeyError: 'annotations' did this on Magnum 20), from an
// update not begun: only the conductor writes a status, so a move into a
// failed one since the request shows the request ran and failed, and its
// status_reason is the error to report.
func updateFailedAtOnce(before, c *magnum.Cluster) bool {
	return strings.HasSuffix(c.Status, "_FAILED") && c.Status != before.Status
}

// saveAfterFailedUpdate records what the cloud reports after a failed
// update, keeping the old arguments so the next plan retries the change.
func (r *bayResource) saveAfterFailedUpdate(ctx context.Context, resp *resource.UpdateResponse, state bayModel, c *magnum.Cluster, meta bayMeta) {
	resp.Diagnostics.Append(setBayMeta(ctx, resp.Private, meta)...)
	if c == nil {
		return
	}
	resp.Diagnostics.Append(bayFromAPI(ctx, c, &state.bayAttributes, meta)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
}
