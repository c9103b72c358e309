package provider

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// Waiting on a bay: the polls of create, update and delete, the errors a
// poll rides out (Magnum 15's nodegroup gap), the wait for the stack id
// before a delete, and how a failed wait is put to the user.

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
		// DELETE_COMPLETE is never a status a bay had before a delete.
		return status == "DELETE_IN_PROGRESS" || status == "DELETE_COMPLETE"
	}
}

// waitForStackID holds a bay delete back while Magnum's conductor is still
// inside cluster_create, before it has saved the bay's stack id. Magnum 15
// deletes such a bay's row at once, and the Heat stack the create goes on
// to build is never deleted: replacing a bay whose create was interrupted
// with Ctrl-C left an orphan stack on real Magnum. The wait ends when the
// bay has a stack id, leaves CREATE_IN_PROGRESS, is gone or cannot be read,
// or after limit; the delete proceeds in every case. It returns the bay
// as last read, nil if it could not be read.
func waitForStackID(ctx context.Context, get func(context.Context) (*magnum.Cluster, error), interval, limit time.Duration) *magnum.Cluster {
	const creating, ready = "CREATE_IN_PROGRESS without a stack id", "ready to delete"
	var last *magnum.Cluster
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
		last = c
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
	return last
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
// transient 400, at most tries times, interval (at least the waiter's
// floor of one request a second) apart. It returns fn's last error.
func rideOutTransient400(ctx context.Context, fn func(context.Context) error, tries int, interval time.Duration) error {
	var last error
	if tries <= 1 {
		return fn(ctx)
	}
	const answered = "answered"
	_, _ = waiter.Wait(ctx, waiter.Config{
		What:                 "Magnum's transient 400 to pass",
		Schedule:             func(time.Duration) time.Duration { return interval },
		MaxConsecutiveErrors: tries - 1,
		// Only the transient 400 is ridden out: 5xx were already retried
		// by the client.
		IsTransient: func(error) bool { return false },
	}, func(ctx context.Context) (struct{}, string, error) {
		last = fn(ctx)
		return struct{}{}, answered, last
	}, waiter.Conditions[struct{}]{Target: []string{answered}, IsTransient: magnum.IsNodegroupGap})
	return last
}

// waitForBay polls the bay until cond is met. seen, if set, is shown every
// bay a poll reads.
func (r *bayResource) waitForBay(ctx context.Context, id, name, what string, cond waiter.Conditions[*magnum.Cluster], timeout time.Duration, seen func(*magnum.Cluster)) (*magnum.Cluster, error) {
	start := time.Now()
	cond.Describe = diagnose.ClusterStatus
	cond.ConductorWrote = syncRewrote(r.data.Heat == nil)
	cond.HandlerMayFail = bayHandlerMayFail
	cond.Stamp = func(c *magnum.Cluster) time.Time {
		if c == nil {
			return time.Time{}
		}
		return c.UpdatedAt
	}
	// The Heat stack's own status is read once per change of the bay's
	// status, for the progress log only: a few requests per wait. Not on
	// the poll that ends the wait in success: the stack is done then, and
	// reading it would only delay the end by a round trip or two.
	var logged, stack string
	// What the wait learnt of the sync grid serves the next terraform
	// command on this cloud too, whatever the outcome.
	defer r.data.rememberPhase(ctx)
	return waiter.Wait(ctx, waiter.Config{
		What:    fmt.Sprintf("bay %q (%s) to be %s", name, id, what),
		Timeout: timeout,
		OnChange: func(ch waiter.Change) {
			msg := fmt.Sprintf("bay %q: %s (%s elapsed)", name, ch.To, time.Since(start).Round(time.Second))
			if stack != "" {
				msg = fmt.Sprintf("bay %q: %s, Heat stack %s (%s elapsed)", name, ch.To, stack, time.Since(start).Round(time.Second))
			}
			tflog.Info(ctx, msg, map[string]any{
				"bay": name, "id": id, "from": ch.From, "status": ch.To, "stack_status": stack, "elapsed": ch.Elapsed.String(), "polls": ch.Polls,
			})
		},
		Logf:        func(format string, args ...any) { tflog.Debug(ctx, fmt.Sprintf(format, args...)) },
		IsTransient: isTransientBayError,
		// Each poll's request is already retried by the client; a bay
		// that is fine must not be given up (and tainted) over an API
		// that answers 5xx for a minute.
		MaxConsecutiveErrors: bayWaitMaxErrors,
		Phase:                r.data.conductorPhase(),
	}, func(ctx context.Context) (*magnum.Cluster, string, error) {
		c, err := r.data.Magnum.GetCluster(ctx, id)
		if err != nil {
			return nil, "", err
		}
		r.data.shareClockSkew()
		if seen != nil {
			seen(c)
		}
		if key := c.Status + "/" + c.StackID; key != logged {
			logged, stack = key, ""
			if !slices.Contains(cond.Target, c.Status) {
				stack = r.stackStatus(ctx, c)
			}
		}
		return c, c.Status, nil
	}, cond)
}

// stackStatus is best effort: clouds without Heat, or a stack not created
// yet, simply log without it.
func (r *bayResource) stackStatus(ctx context.Context, c *magnum.Cluster) string {
	if r.data.Heat == nil || c.StackID == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := r.data.Heat.GetStack(ctx, c.StackID)
	if err != nil {
		tflog.Debug(ctx, "could not read the bay's Heat stack for the progress log", map[string]any{"stack": c.StackID, "error": err.Error()})
		return ""
	}
	return st.Status
}

// describeWaitError renders a failed wait with diagnose.BayWaitError,
// which asks Heat for the failed resources where the cloud has Heat.
func (r *bayResource) describeWaitError(ctx context.Context, err error, c *magnum.Cluster) string {
	var failures diagnose.HeatFailures
	if r.data.Heat != nil {
		failures = func(stackID string) ([]heat.Resource, error) { return r.data.Heat.FailedResources(ctx, stackID, 5) }
	}
	return diagnose.BayWaitError(err, c, r.data.AppCredential, failures)
}
