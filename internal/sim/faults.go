package sim

import (
	"fmt"
	"strings"
	"sync"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
)

// Fault injection: the failures a test arms for cluster operations that
// have not started yet. The in-process Magnum hands an armed fault to Heat
// (or plays it in its Cluster API driver) when the operation starts; the
// Heat stand-in behind a real Magnum (external.go) arms its stacks the same
// way; the relay forwards InjectFault to that stand-in.

// Fault describes a failure to inject into a cluster operation.
type Fault struct {
	// Action is the operation that fails: CREATE (default), UPDATE or
	// DELETE.
	Action string
	// Resource is the Heat resource that fails, as a dotted path
	// ("kube_masters.0.kube-master") or a bare name; empty lets Heat pick
	// a server (or the private subnet for a delete). Ignored by the
	// Cluster API drivers of the master profile.
	Resource string
	// Reason is the error the resource reports; a Nova "No valid host"
	// error when empty.
	Reason string
	// Timeout makes the stack operation hang until its timeout_mins
	// (create_timeout) runs out, then fail with "Create timed out". Cluster
	// API drivers have no timeout, so there it hangs for ever.
	Timeout bool
}

// defaultFaultReason is the error the captured failing stacks reported.
const defaultFaultReason = `Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`

// armedFaults are the faults armed for operations not started yet, each
// used once. They have their own lock, taken after Magnum's database lock
// when the conductor starts an operation, and alone when a test arms one.
type armedFaults struct {
	mu   sync.Mutex
	list []armedFault
}

type armedFault struct {
	// match is a substring of the cluster (or stack) name.
	match string
	// projects scope the fault, so that one a test armed but never used
	// cannot fail another test's stack of the same name; empty: any.
	projects map[string]bool
	fault    Fault
}

func (a *armedFaults) arm(match string, projects []string, f Fault) {
	af := armedFault{match: match, fault: f}
	if len(projects) > 0 {
		af.projects = map[string]bool{}
		for _, p := range projects {
			af.projects[p] = true
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, af)
}

// take removes and returns the first fault armed for an operation on the
// named object of project; action "" takes a fault of any action.
func (a *armedFaults) take(project, name, action string) (Fault, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, p := range a.list {
		if (action == "" || p.fault.action() == action) && (len(p.projects) == 0 || p.projects[project]) && strings.Contains(name, p.match) {
			a.list = append(a.list[:i], a.list[i+1:]...)
			return p.fault, true
		}
	}
	return Fault{}, false
}

func (f Fault) action() string {
	if f.Action == "" {
		return actionCreate
	}
	return strings.ToUpper(f.Action)
}

func (f *Fault) heatFault() heat.Fault {
	return heat.Fault{Action: f.action(), Resource: f.Resource, Reason: f.Reason, Timeout: f.Timeout}
}

// normalized fills in what InjectFault and /_sim/faults leave out: the
// default action and reason.
func (f Fault) normalized() Fault {
	if f.Reason == "" && !f.Timeout {
		f.Reason = defaultFaultReason
	}
	f.Action = f.action()
	return f
}

// injectFault arms f for the next f.Action of any cluster whose name
// contains match.
func (s *magnumService) injectFault(match string, f Fault) error {
	s.cond.faults.arm(match, nil, f.normalized())
	return nil
}

// ParseFault reads the -fail flag syntax "name-substring:ACTION:resource:reason"
// (resource and reason may be empty; reason may contain colons; a reason
// of "timeout" makes the operation time out).
func ParseFault(spec string) (string, Fault, error) {
	parts := strings.SplitN(spec, ":", 4)
	if len(parts) < 2 {
		return "", Fault{}, fmt.Errorf("fault %q: want name-substring:ACTION[:resource[:reason]]", spec)
	}
	f := Fault{Action: strings.ToUpper(parts[1])}
	switch f.Action {
	case actionCreate, actionUpdate, actionDelete:
	default:
		return "", Fault{}, fmt.Errorf("fault %q: action must be CREATE, UPDATE or DELETE", spec)
	}
	if len(parts) > 2 {
		f.Resource = parts[2]
	}
	if len(parts) > 3 {
		f.Reason = parts[3]
	}
	if strings.EqualFold(f.Reason, "timeout") {
		f.Reason, f.Timeout = "", true
	}
	return parts[0], f, nil
}
