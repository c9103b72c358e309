package heat

import (
	"strings"
	"time"
)

// Fault injection: the faults armed by name before a stack exists, and
// how an injected Fault attaches to the resource that will fail (see the
// package comment).

type pendingFault struct {
	match string
	fault Fault
}

func faultAction(f Fault) string {
	if f.Action == "" {
		return ActionCreate
	}
	return strings.ToUpper(f.Action)
}

func (e *Engine) attachFault(s *stack, op *operation, f Fault, now time.Time) {
	f.Action = op.action
	if f.Type == "" {
		f.Type = "ResourceInError"
		if op.action == ActionDelete {
			f.Type = "Conflict"
		}
	}
	op.fault, op.faultAt = &f, now
	target := findPath(s.roots, f.Resource)
	if target == nil {
		target = defaultFaultTarget(s, op)
	}
	// A group or nested stack fails through its first leaf still to be
	// processed, which is how Heat reports it.
	if target != nil && !target.isLeaf() {
		for _, w := range op.work {
			if isDescendant(w, target) {
				target = w
				break
			}
		}
	}
	op.faultNode = target
	// Ancestors of a resource the operation would not otherwise touch must
	// still report the failure.
	if target != nil {
		for n := target.parent; n != nil; n = n.parent {
			if op.involved[n] == "" {
				op.involved[n] = op.action
			}
		}
	}
}

func defaultFaultTarget(s *stack, op *operation) *node {
	names := map[string][]string{
		ActionCreate: {"kube-master", "swarm-master"},
		ActionUpdate: {"kube-minion", "swarm-node"},
		ActionDelete: {"network.private_subnet"},
	}[op.action]
	for _, name := range names {
		for _, w := range op.work {
			if w.name == name || dottedPath(w) == name {
				return w
			}
		}
	}
	if len(op.work) > 0 {
		return op.work[len(op.work)-1]
	}
	for n := range op.involved {
		if n.parent == nil {
			return n
		}
	}
	return nil
}

func isDescendant(n, ancestor *node) bool {
	for ; n != nil; n = n.parent {
		if n == ancestor {
			return true
		}
	}
	return false
}
