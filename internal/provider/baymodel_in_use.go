package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
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
	start := time.Now()
	lastDeleting := start
	delay := 2 * time.Second
	var users []magnum.Cluster
	for {
		err := r.data.Magnum.DeleteClusterTemplate(ctx, id)
		if err == nil || !isTemplateReferenced(err) {
			return nil, err
		}
		listed, lerr := r.templateUsers(ctx, id)
		switch {
		case lerr != nil && !isTransientBayError(lerr):
			tflog.Debug(ctx, "could not list the bays that use the baymodel", map[string]any{"baymodel": id, "error": lerr.Error()})
			return users, err
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
			return users, err
		}
		tflog.Info(ctx, fmt.Sprintf("baymodel %q is still used by bays%s; waiting for them to be deleted (%s elapsed)",
			name, diagnose.TemplateUsers(" ", users), time.Since(start).Round(time.Second)), map[string]any{"baymodel": id})
		select {
		case <-ctx.Done():
			return users, err
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
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
