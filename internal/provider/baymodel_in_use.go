package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// A baymodel that bays use takes only some changes, one per request
// (diagnose.AllowedWhileInUse): a plan that changes several of these is
// split into one PATCH each; anything else is named as refused.

// patchInUse applies ops to a baymodel that bays use: one PATCH per change
// when Magnum allows each of them, which is how it accepts several.
func (r *baymodelResource) patchInUse(ctx context.Context, id string, ops []magnum.PatchOp) (*magnum.ClusterTemplate, error) {
	for _, op := range ops {
		if _, err := r.data.Magnum.UpdateClusterTemplate(ctx, id, []magnum.PatchOp{op}); err != nil {
			return nil, err
		}
	}
	return r.data.Magnum.GetClusterTemplate(ctx, id)
}

// deleteWhenUnused deletes the baymodel, retrying while the only bays that
// use it are being deleted. The grace runs from the last time every bay
// in the way was seen deleting: a bay that is not, or users this project
// cannot see (a public baymodel), end the wait after the grace. Listing
// the bays can meet Magnum's transient 400 of a cluster being deleted;
// that is waited out too. On a refusal it returns the bays in the way.
func (r *baymodelResource) deleteWhenUnused(ctx context.Context, id, name string) ([]magnum.Cluster, error) {
	const (
		settled = "settled"
		waiting = "waiting for the bays in the way"
	)
	start := time.Now()
	lastDeleting := start
	var users []magnum.Cluster
	var refusal error
	_, _ = waiter.Wait(ctx, waiter.Config{
		What:    fmt.Sprintf("baymodel %q to be unused", name),
		Timeout: templateUsersWait,
		// 2 s, 4 s, 8 s, then every 10 s.
		Schedule:    func(elapsed time.Duration) time.Duration { return min(elapsed+2*time.Second, 10*time.Second) },
		IsTransient: func(error) bool { return false },
	}, func(ctx context.Context) (struct{}, string, error) {
		refusal = r.data.Magnum.DeleteClusterTemplate(ctx, id)
		if refusal == nil || !isTemplateReferenced(refusal) {
			return struct{}{}, settled, nil
		}
		listed, lerr := r.templateUsers(ctx, id)
		switch {
		case lerr != nil && !isTransientBayError(lerr):
			tflog.Debug(ctx, "could not list the bays that use the baymodel", map[string]any{"baymodel": id, "error": lerr.Error()})
			return struct{}{}, settled, nil
		case lerr == nil:
			users = listed
			deleting := len(users) > 0
			for _, c := range users {
				deleting = deleting && c.Status == "DELETE_IN_PROGRESS"
			}
			if deleting {
				lastDeleting = time.Now()
			}
		}
		if time.Since(lastDeleting) >= templateUsersGrace || time.Since(start) >= templateUsersWait {
			return struct{}{}, settled, nil
		}
		tflog.Info(ctx, fmt.Sprintf("baymodel %q is still used by bays%s; waiting for them to be deleted (%s elapsed)",
			name, diagnose.TemplateUsers(" ", users), time.Since(start).Round(time.Second)), map[string]any{"baymodel": id})
		return struct{}{}, waiting, nil
	}, waiter.Conditions[struct{}]{Target: []string{settled}, Pending: []string{waiting}, IsFailed: func(string) bool { return false }})
	// A wait cut short by ctx or its bound ends with the last refusal,
	// as a wait that gave up does.
	if refusal == nil || !isTemplateReferenced(refusal) {
		return nil, refusal
	}
	return users, refusal
}

// templateUsers lists the bays built from the baymodel that the caller
// can see.
func (r *baymodelResource) templateUsers(ctx context.Context, id string) ([]magnum.Cluster, error) {
	all, err := r.data.Magnum.ListClusters(ctx, magnum.ListOpts{})
	if err != nil {
		return nil, err
	}
	var users []magnum.Cluster
	for _, c := range all {
		if c.ClusterTemplateID == id {
			users = append(users, c)
		}
	}
	return users, nil
}

func isTemplateReferenced(err error) bool {
	return magnum.StatusCode(err) == 400 && strings.Contains(err.Error(), "is referenced by")
}

// A baymodel delete that Magnum refuses because bays use it waits for
// those bays while they are being deleted: Terraform deletes a bay and a
// baymodel the bay's state no longer depends on at the same time (after an
// upgrade the cloud refused, the bay still runs on the old baymodel), so
// the baymodel's delete can come first. templateUsersGrace is how long a
// bay that uses it may take to show DELETE_IN_PROGRESS: the bay's delete
// may first wait up to 30 s for its stack id, and Magnum's conductor, not
// its API, sets that status when it takes the request (on real Magnum at
// load 15 to 20 that took more than 20 s); templateUsersWait bounds the
// whole wait.
const (
	templateUsersGrace = 2 * time.Minute
	templateUsersWait  = defaultBayDeleteTimeout
)
