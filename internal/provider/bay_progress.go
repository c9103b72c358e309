package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// progressDepth is how deep into nested stacks progress is counted: the
// node groups' members, as Magnum itself reads them for faults.
const progressDepth = 2

// createProgress is the waiter hint of a bay create on a cloud with Heat:
// how many of the stack's resources are created. The waiter consults it
// once a wait is past its first seconds (waiter.HintAfter), between its
// polls of Magnum and more often as the stack nears its end; while the
// stack is busy it polls Magnum at most once per conductor period, and
// every second once the stack is done. Nil without Heat.
func (r *bayResource) createProgress(name string) func(context.Context, *magnum.Cluster) (waiter.Hint, bool) {
	if r.data == nil || r.data.Heat == nil {
		return nil
	}
	return func(ctx context.Context, c *magnum.Cluster) (waiter.Hint, bool) {
		if c == nil || c.StackID == "" {
			// Magnum's conductor creates the stack a second or two after
			// the POST: nothing to read yet, and nothing asked of Heat.
			return waiter.Hint{NotYet: true}, true
		}
		rs, err := r.data.Heat.Resources(ctx, c.StackID, progressDepth)
		if err != nil {
			tflog.Debug(ctx, "could not read the bay's Heat progress", map[string]any{"bay": name, "error": err.Error()})
			return waiter.Hint{}, false
		}
		h := createHint(rs)
		tflog.Info(ctx, fmt.Sprintf("bay %q: Heat has created %d of %d resources", name, h.Done, h.Total), map[string]any{
			"bay": name, "stack_id": c.StackID, "resources_created": h.Done, "resources_failed": h.Failed, "resources_total": h.Total,
		})
		return h, true
	}
}

// createHint counts a stack's resources for a create: the leaves only
// (heat.Leaves), since a group or a member template completes together
// with the last resource inside it and would make the stack seem further
// from done near its end than it is; failures anywhere. Resources Heat has
// not started yet are INIT_COMPLETE, which is not progress.
func createHint(rs []heat.Resource) waiter.Hint {
	leaves := heat.Leaves(rs)
	h := waiter.Hint{Total: len(leaves)}
	for _, r := range leaves {
		if r.Status == "CREATE_COMPLETE" {
			h.Done++
		}
	}
	for _, r := range rs {
		if strings.HasSuffix(r.Status, "_FAILED") {
			h.Failed++
		}
	}
	return h
}

// deleteProgress is the waiter hint of a bay delete on a cloud with Heat:
// whether Heat has deleted the bay's stack. Magnum removes the bay at its
// conductor's first sync after the stack is gone, and cannot before: while
// Heat deletes, the wait polls Magnum once per conductor period, and once
// the stack is gone it polls just after the sync that removes the bay
// where it knows the conductor's grid (every second where it does not).
// Only the stack's status is read: Heat drops resources from its lists as
// it deletes them, so their count says nothing of the work left. Nil
// without Heat.
func (r *bayResource) deleteProgress(name string) func(context.Context, *magnum.Cluster) (waiter.Hint, bool) {
	if r.data == nil || r.data.Heat == nil {
		return nil
	}
	var d stackDeletion
	return func(ctx context.Context, c *magnum.Cluster) (waiter.Hint, bool) {
		if c == nil || c.StackID == "" {
			// Nothing to read: Magnum destroys a bay without a stack at
			// once, and the schedule notices.
			return waiter.Hint{}, false
		}
		st, err := r.data.Heat.GetStack(ctx, c.StackID)
		h, ok := d.hint(st, err)
		if !ok {
			tflog.Debug(ctx, "could not read the bay's Heat stack", map[string]any{"bay": name, "stack_id": c.StackID, "error": fmt.Sprint(err)})
		}
		return h, ok
	}
}

// stackDeletion reads a stack's delete as a hint, one wait's worth.
type stackDeletion struct {
	// seen says this wait has seen Heat deleting the stack: a
	// DELETE_FAILED read before then is an earlier attempt's.
	seen bool
}

// hint maps what Heat answered to a hint of one part: done when the stack
// is gone (Heat's soft delete keeps it readable as DELETE_COMPLETE, or
// answers 404), failed on a DELETE_FAILED of this attempt, busy while
// DELETE_IN_PROGRESS. Any other status is a stack Heat has not begun to
// delete yet: nothing to read yet.
func (d *stackDeletion) hint(st *heat.Stack, err error) (waiter.Hint, bool) {
	switch {
	case magnum.IsNotFound(err):
		return waiter.Hint{Done: 1, Total: 1}, true
	case err != nil:
		return waiter.Hint{}, false
	}
	switch st.Status {
	case "DELETE_COMPLETE":
		return waiter.Hint{Done: 1, Total: 1}, true
	case "DELETE_IN_PROGRESS":
		d.seen = true
		return waiter.Hint{Total: 1}, true
	case "DELETE_FAILED":
		if d.seen {
			return waiter.Hint{Failed: 1, Total: 1}, true
		}
	}
	return waiter.Hint{NotYet: true}, true
}
