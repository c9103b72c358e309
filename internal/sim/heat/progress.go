package heat

import (
	"fmt"
	"strings"
	"time"
)

// How a stack's operation progresses: resources start and finish in
// slots along the clock, and render computes, from the clock alone, each
// resource's status and the stack's; settle and freeze fix the outcome
// when an operation ends or is abandoned.

// timing of an operation.
func (op *operation) leafStart(i int) time.Time {
	return op.start.Add(op.duration * time.Duration(i) / time.Duration(op.slots()))
}

func (op *operation) leafEnd(i int) time.Time {
	return op.start.Add(op.duration * time.Duration(i+1) / time.Duration(op.slots()))
}

// slots is how many leaves share the operation's duration: all of them, or
// with an injected timeout those up to and including the one that hangs, so
// that it is running when the duration has passed.
func (op *operation) slots() int {
	if op.fault != nil && op.fault.Timeout {
		for i, w := range op.work {
			if w == op.faultNode {
				return i + 1
			}
		}
	}
	return max(len(op.work), 1)
}

// outcome says when the operation ends and how.
func (op *operation) outcome() (end time.Time, failed, timedOut bool) {
	end = op.start.Add(op.duration)
	if op.fault != nil && op.fault.Timeout {
		end = op.deadline
		if end.IsZero() {
			end = op.start.Add(op.duration)
		}
		return end, true, true
	}
	if op.fault != nil {
		failAt := end
		for i, w := range op.work {
			if w == op.faultNode {
				failAt = op.leafEnd(i)
			}
		}
		if failAt.Before(op.faultAt) {
			failAt = op.faultAt
		}
		if op.deadline.IsZero() || failAt.Before(op.deadline) {
			return failAt, true, false
		}
	}
	if !op.deadline.IsZero() && op.deadline.Before(end) {
		return op.deadline, true, true
	}
	return end, false, false
}

type nodeState struct {
	action, status, reason string
	updated                string
	started                bool
}

// render computes every involved node's state at time t.
func (e *Engine) render(s *stack, op *operation, t time.Time) map[*node]nodeState {
	end, failed, timedOut := op.outcome()
	finished := !t.Before(end)
	tt := t
	if finished {
		tt = end
	}
	// With an injected timeout the fault's resource never finishes and
	// nothing after it starts.
	hang := -1
	if op.fault != nil && op.fault.Timeout {
		for i, w := range op.work {
			if w == op.faultNode {
				hang = i
			}
		}
	}
	states := map[*node]nodeState{}
	for i, w := range op.work {
		act := op.involved[w]
		st := nodeState{action: act}
		switch {
		case hang >= 0 && i > hang:
			st.action, st.status, st.reason, st.updated = w.action, w.status, w.reason, w.updated
		case i == hang && !op.leafStart(i).After(tt):
			st.status, st.started, st.updated = "IN_PROGRESS", true, formatTime(op.leafStart(i))
			st.reason = "state changed"
			if finished {
				st.status, st.updated = "FAILED", formatTime(end)
				st.reason = abortedReason(act, w, s, true)
			}
		case failed && !timedOut && finished && w == op.faultNode:
			st.status, st.started, st.updated = "FAILED", true, formatTime(end)
			st.reason = heatReason(op.fault, w, w)
		case !op.leafEnd(i).After(tt) && !(failed && finished && w == op.faultNode):
			st.status, st.started, st.updated = "COMPLETE", true, formatTime(op.leafEnd(i))
			st.reason = "state changed"
		case op.leafStart(i).Before(tt) || (!finished && op.leafStart(i).Equal(tt)):
			st.status, st.started, st.updated = "IN_PROGRESS", true, formatTime(op.leafStart(i))
			st.reason = "state changed"
			if finished && failed {
				// Heat cancels whatever is still running when the
				// operation fails or times out.
				st.status, st.updated = "FAILED", formatTime(end)
				st.reason = abortedReason(act, w, s, timedOut)
			}
		default:
			st.action, st.status, st.reason, st.updated = w.action, w.status, w.reason, w.updated
		}
		states[w] = st
	}
	if failed && !timedOut && finished && op.faultNode != nil {
		if _, ok := states[op.faultNode]; !ok {
			states[op.faultNode] = nodeState{action: op.action, status: "FAILED", started: true,
				updated: formatTime(end), reason: heatReason(op.fault, op.faultNode, op.faultNode)}
		}
	}
	// Parents follow their children, deepest first.
	var parents []*node
	walk(s.roots, func(n *node, _ int) {
		if _, isWork := states[n]; !isWork && op.involved[n] != "" {
			parents = append(parents, n)
		}
	})
	for i := len(parents) - 1; i >= 0; i-- {
		n := parents[i]
		act := op.involved[n]
		var anyStarted, anyFailed, allDone = false, false, true
		var failedChild *node
		latest := ""
		for _, c := range n.children {
			cs, ok := states[c]
			if !ok {
				continue
			}
			if cs.started {
				anyStarted = true
			}
			if cs.status == "FAILED" && failedChild == nil {
				anyFailed, failedChild = true, c
			}
			if cs.status != "COMPLETE" || cs.action != op.involved[c] {
				allDone = false
			}
			if cs.updated > latest {
				latest = cs.updated
			}
		}
		st := nodeState{action: act, updated: latest, started: anyStarted}
		switch {
		case anyFailed && !timedOut && op.faultNode != nil && isDescendant(op.faultNode, failedChild):
			st.status, st.reason = "FAILED", heatReason(op.fault, n, op.faultNode)
		case anyFailed:
			st.status, st.reason = "FAILED", abortedReason(act, n, s, timedOut)
		case len(n.children) == 0 || !anyStarted:
			// A group with nothing to create (no members, or a scale
			// down) is busy for the whole operation.
			if act == ActionUpdate || len(n.children) == 0 {
				st.started = true
				st.updated = formatTime(op.start)
				if finished && !failed {
					st.status, st.reason, st.updated = "COMPLETE", "state changed", formatTime(end)
				} else if finished {
					st.status, st.reason, st.updated = "FAILED", abortedReason(act, n, s, timedOut), formatTime(end)
				} else {
					st.status, st.reason = "IN_PROGRESS", "state changed"
				}
			} else {
				st.action, st.status, st.reason, st.updated = n.action, n.status, n.reason, n.updated
			}
		case allDone:
			st.status, st.reason = "COMPLETE", "state changed"
		default:
			st.status, st.reason = "IN_PROGRESS", "state changed"
			if finished && failed {
				st.status, st.reason, st.updated = "FAILED", abortedReason(act, n, s, timedOut), formatTime(end)
			}
		}
		states[n] = st
	}
	return states
}

// heatReason builds the reason Heat records on node n when leaf failed.
func heatReason(f *Fault, n, leaf *node) string {
	var segs []string
	for c := leaf; c != nil; c = c.parent {
		segs = append([]string{c.pathSegment()}, segs...)
		if c == n {
			break
		}
	}
	return fmt.Sprintf("%s: %s: %s", f.Type, strings.Join(segs, "."), f.Reason)
}

func abortedReason(action string, n *node, s *stack, timedOut bool) string {
	why := "Stopped"
	if timedOut {
		why = "Timed out"
	}
	return fmt.Sprintf("%s aborted (Task %s from %s \"%s\" Stack \"%s\" [%s] %s)",
		action, strings.ToLower(action), n.typ, n.name, s.name, s.id, why)
}

// settle finishes the stack's operation if the clock has passed its end.
func (e *Engine) settle(s *stack, now time.Time) {
	op := s.op
	if op == nil {
		return
	}
	end, failed, timedOut := op.outcome()
	if now.Before(end) {
		return
	}
	states := e.render(s, op, end)
	for n, st := range states {
		n.action, n.status, n.reason, n.updated = st.action, st.status, st.reason, st.updated
	}
	s.op = nil
	s.action = op.action
	switch {
	case timedOut:
		s.status = "FAILED"
		s.reason = titleAction(op.action) + " timed out"
	case failed:
		s.status = "FAILED"
		top := op.faultNode
		for top != nil && top.parent != nil {
			top = top.parent
		}
		if top != nil {
			s.reason = fmt.Sprintf("Resource %s failed: %s", op.action, heatReason(op.fault, top, op.faultNode))
		} else {
			s.reason = fmt.Sprintf("Resource %s failed: %s: %s", op.action, op.fault.Type, op.fault.Reason)
		}
	default:
		s.status = "COMPLETE"
		s.reason = fmt.Sprintf("Stack %s completed successfully", op.action)
		switch op.action {
		case ActionCreate, ActionUpdate:
			s.outputsFrom = copyParams(s.params)
		case ActionDelete:
			s.deleted, s.deletedAt = true, end
			if !e.cfg.KeepDeleted {
				delete(e.stacks, s.id)
			}
		}
	}
}

// freeze ends an operation early at now, keeping each resource where it is.
func (e *Engine) freeze(s *stack, now time.Time) {
	states := e.render(s, s.op, now)
	for n, st := range states {
		n.action, n.status, n.reason, n.updated = st.action, st.status, st.reason, st.updated
	}
	s.op = nil
}

func titleAction(a string) string {
	return a[:1] + strings.ToLower(a[1:])
}
