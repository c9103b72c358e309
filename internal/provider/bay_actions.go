package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

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
	return r.applyAndWaitProved(ctx, id, name, what, timeout, ca, apply, done, nil)
}

// applyAndWaitProved is applyAndWait for an update whose outcome only
// Magnum's conductor writes, never its API: conductorWrote(before, c) tells
// that outcome, and a first look that shows it proves the update ran.
func (r *bayResource) applyAndWaitProved(ctx context.Context, id, name, what string, timeout time.Duration, ca *caAcross,
	apply func(context.Context) error, done func(*magnum.Cluster) bool, conductorWrote func(before, c *magnum.Cluster) bool) (*magnum.Cluster, error) {
	before, err := r.data.Magnum.GetCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	ca.before(ctx, before)
	workerBefore := r.workerFailedAgainEvidence(ctx, before)
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
			}
			return updateStarted(before, first, c, done, conductorWrote) || failedAgain(ctx, before, c, workerBefore)
		},
	}, timeout, nil)
}

// updateStarted tells whether bay c, read after an update was sent to the
// bay read as before, shows that update begun, first being the first look
// after the request (c itself on that look).
func updateStarted(before, first, c *magnum.Cluster, done func(*magnum.Cluster) bool, conductorWrote func(before, c *magnum.Cluster) bool) bool {
	switch {
	case updateFailedAtOnce(before, c):
		return true
	case conductorWrote != nil && conductorWrote(before, c):
		// An upgrade: the conductor saves the new template with
		// UPDATE_IN_PROGRESS inside the call the API answers after, and the
		// next status sync may complete it before the first look (a
		// magnum-cluster-api upgrade back to a release the bay ran, which
		// changes nothing on the cluster, at load 33 on the capi stack).
		return true
	case c == first:
		return false
	}
	return c.UpdatedAt.After(first.UpdatedAt) && c.UpdatedAt.After(before.UpdatedAt) && done(c)
}

// failedAgainEvidence is what shows that an update sent to a bay already
// failed ran and failed again. The conductor's resize saves the default
// worker nodegroup (UPDATE_IN_PROGRESS) before it calls the driver and
// again (UPDATE_FAILED) when the driver raises; the cluster's row it saves
// with the same status and reason as before, which changes nothing, not
// even updated_at (magnum-cluster-api 0.16.0's resize of an UPDATE_FAILED
// bay on the capi stack). So the worker nodegroup's updated_at moving
// while it shows a failure is the only sign. nil where the bay is not
// failed or its nodegroups cannot be read (a cloud before 1.9): then there
// is nothing to compare.
type failedAgainEvidence struct {
	read   func(context.Context) (*magnum.NodeGroup, error)
	before time.Time
}

// workerFailedAgainEvidence reads the default worker nodegroup of a failed
// bay before an update is sent.
func (r *bayResource) workerFailedAgainEvidence(ctx context.Context, before *magnum.Cluster) *failedAgainEvidence {
	if !strings.HasSuffix(before.Status, "_FAILED") {
		return nil
	}
	read := func(ctx context.Context) (*magnum.NodeGroup, error) {
		groups, err := r.data.Magnum.ListNodeGroups(ctx, before.UUID)
		if err != nil {
			return nil, err
		}
		g, ok := magnum.DefaultWorker(groups)
		if !ok {
			return nil, fmt.Errorf("bay %s has no default worker nodegroup", before.UUID)
		}
		// A listing leaves updated_at out.
		return r.data.Magnum.GetNodeGroup(ctx, before.UUID, g.UUID)
	}
	g, err := read(ctx)
	if err != nil {
		tflog.Debug(ctx, "the failed bay's worker nodegroup could not be read; only the bay's status will show whether the update ran",
			map[string]any{"bay": before.UUID, "error": err.Error()})
		return nil
	}
	return &failedAgainEvidence{read: read, before: g.UpdatedAt}
}

// failedAgain reports an update to a failed bay that the conductor failed
// again without changing the bay's row (failedAgainEvidence).
func failedAgain(ctx context.Context, before, c *magnum.Cluster, ev *failedAgainEvidence) bool {
	if ev == nil || c.Status != before.Status {
		return false
	}
	g, err := ev.read(ctx)
	if err != nil {
		tflog.Debug(ctx, "reading the worker nodegroup", map[string]any{"bay": before.UUID, "error": err.Error()})
		return false
	}
	return strings.HasSuffix(g.Status, "_FAILED") && g.UpdatedAt.After(ev.before)
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
	resp.Diagnostics.Append(r.data.keepPhase(ctx, resp.Private)...)
	if c == nil {
		return
	}
	resp.Diagnostics.Append(bayFromAPI(ctx, c, &state.bayAttributes, meta)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, nullUnknowns(ctx, state))...)
}
