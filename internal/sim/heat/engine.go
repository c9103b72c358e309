// Package heat simulates the part of OpenStack Heat that Magnum's Heat
// driver uses: stacks built from Magnum's templates whose resources are
// created, updated and deleted progressively as a clock advances, the
// outputs and parameters Magnum reads when a stack completes, and the
// resource listing the provider uses to explain failures. It also serves
// Heat's REST API for those stacks (see Handler).
//
// Time is never slept on: the state of a stack is computed from the Engine's
// clock whenever it is read, so tests move a fake clock and the simulator
// uses the wall clock.
//
// # Failure injection
//
// Failures are described by a Fault and can be attached two ways:
//
//   - Engine.InjectFault(stackID, fault) attaches it to an existing stack.
//     If the stack is running an operation of the fault's Action, that
//     operation fails; otherwise the next operation of that action does.
//   - Engine.InjectFaultByName(substring, fault) arms it for the next stack
//     created whose name contains substring, before the stack exists (the
//     simulator core does not know Magnum's generated stack name up front).
//
// A Fault with a Resource fails that resource when its turn to finish comes:
// the resource and each ancestor (ResourceGroup member, group) go to
// <ACTION>_FAILED with Heat's path-style reasons, e.g. for
// Resource "kube_masters.0.kube-master" and Reason
// `Went to status ERROR due to "Message: No valid host was found..."`:
//
//	kube-master  ResourceInError: resources.kube-master: Went to status ERROR ...
//	0            ResourceInError: resources[0].resources.kube-master: Went to ...
//	kube_masters ResourceInError: resources.kube_masters.resources[0].resources.kube-master: ...
//	stack        Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0]...
//
// A Fault with Timeout makes the operation hang until timeout_mins has
// passed (measured in Config.MinuteLength units), after which the stack is
// <ACTION>_FAILED "Create timed out" (or "Update timed out") and the
// resources still in progress are aborted. An operation whose duration
// exceeds timeout_mins times out the same way without any fault.
//
// Faults are consumed by the operation they fail, so retrying an update or
// a delete succeeds unless another fault is injected.
package heat

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// COE values, as in a Magnum cluster template.
const (
	COEKubernetes = "kubernetes"
	COESwarm      = "swarm"
	COESwarmMode  = "swarm-mode"
)

// Heat actions.
const (
	ActionCreate = "CREATE"
	ActionUpdate = "UPDATE"
	ActionDelete = "DELETE"
)

// Default durations used when a caller passes 0, and by the HTTP API.
const (
	DefaultCreateDuration = 3 * time.Second
	DefaultUpdateDuration = 2 * time.Second
	DefaultDeleteDuration = 1 * time.Second
	// DefaultTimeoutMins is Magnum's [cluster_heat]create_timeout.
	DefaultTimeoutMins = 60
)

// Errors returned by the Engine; the HTTP handler maps them to Heat's
// status codes.
var (
	ErrNotFound         = errors.New("stack not found")
	ErrActionInProgress = errors.New("stack has an action in progress")
	ErrResourceNotFound = errors.New("resource not found")
	ErrStackExists      = errors.New("stack already exists")
)

// Config tunes an Engine. The zero value is usable.
type Config struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MinuteLength is how long one of Heat's timeout_mins minutes lasts on
	// the clock. The simulator shrinks it so that "Create timed out" can be
	// seen without waiting an hour; time.Minute when zero.
	MinuteLength time.Duration
	// KeepDeleted makes a deleted stack stay readable by id with status
	// DELETE_COMPLETE, as Heat's soft delete allows, instead of the 404
	// Magnum also accepts.
	KeepDeleted bool
	// MaxServers is each project's Nova instance quota: a create or update
	// whose resource groups need more servers than the project has left
	// fails at once, before anything is built. DefaultMaxServers when zero.
	MaxServers int
	// Durations used by the HTTP API, which has no way to say how long an
	// operation should take; the Default* constants when zero.
	CreateDuration, UpdateDuration, DeleteDuration time.Duration
}

// StackSpec is what a stack is created from.
type StackSpec struct {
	// Name is the stack name; see StackName for the one Magnum generates.
	Name string
	// COE selects the template layout: COEKubernetes (default), COESwarm
	// or COESwarmMode.
	COE string
	// Parameters as Magnum passes them; values Heat would take from the
	// template's defaults are filled in.
	Parameters map[string]string
	// TimeoutMins is Heat's timeout_mins; DefaultTimeoutMins when zero.
	TimeoutMins int
	// Duration is how long the creation takes on the Engine's clock;
	// DefaultCreateDuration when zero.
	Duration time.Duration
	// APIAddress is the api_address output; "127.0.0.1" when empty. The
	// core points it at the bay's simulated Kubernetes endpoint.
	APIAddress string
}

// Fault describes an injected failure. See the package documentation.
type Fault struct {
	// Action is the operation that fails: ActionCreate (default),
	// ActionUpdate or ActionDelete.
	Action string
	// Resource is the failing resource, as a dotted path from the top
	// ("kube_masters.0.kube-master") or a bare name matched first in
	// creation order ("kube-master"). When empty, a server is chosen for
	// create and update, and the private subnet for delete.
	Resource string
	// Reason is the error message the resource reports.
	Reason string
	// Type is the Heat exception class prefixed to the reason;
	// "ResourceInError" for create and update, "Conflict" for delete.
	Type string
	// Timeout makes the operation time out instead of failing a resource.
	Timeout bool
}

// Engine holds every stack. It is safe for concurrent use.
type Engine struct {
	cfg Config

	mu      sync.Mutex
	stacks  map[string]*stack
	order   []string // creation order, for listings
	pending []pendingFault
}

type pendingFault struct {
	match string
	fault Fault
}

// NewEngine returns an empty Engine.
func NewEngine(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinuteLength <= 0 {
		cfg.MinuteLength = time.Minute
	}
	if cfg.CreateDuration <= 0 {
		cfg.CreateDuration = DefaultCreateDuration
	}
	if cfg.UpdateDuration <= 0 {
		cfg.UpdateDuration = DefaultUpdateDuration
	}
	if cfg.DeleteDuration <= 0 {
		cfg.DeleteDuration = DefaultDeleteDuration
	}
	return &Engine{cfg: cfg, stacks: map[string]*stack{}}
}

// StackName returns a stack name the way Magnum's Heat driver makes one for
// a cluster: the first 30 characters of the cluster name, a dash and a
// 12-character short id, lower-cased, with "_" and "." replaced by "-".
func StackName(clusterName string) string {
	if len(clusterName) > 30 {
		clusterName = clusterName[:30]
	}
	name := strings.ToLower(clusterName + "-" + shortID())
	return strings.NewReplacer("_", "-", ".", "-").Replace(name)
}

// shortID mimics Heat/Magnum short_id: 60 random bits in lower-case base32.
func shortID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))[:12]
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// stack is the engine's mutable record.
type stack struct {
	id, name, project, coe string
	params                 map[string]string
	timeoutMins            int
	apiAddress             string
	created, updated       time.Time
	deletedAt              time.Time
	deleted                bool

	roots []*node

	// settled stack state, valid when op is nil
	action, status, reason string
	// outputsFrom holds the parameters the outputs were last computed
	// from; nil until an operation completes successfully.
	outputsFrom map[string]string

	op *operation
	// faults waiting for the next operation of their action
	armed map[string]Fault
}

type operation struct {
	action   string
	start    time.Time
	duration time.Duration
	deadline time.Time // zero: no timeout
	work     []*node   // leaves in the order they are processed
	involved map[*node]string
	// fault
	fault     *Fault
	faultNode *node
	faultAt   time.Time
	// update bookkeeping
	newParams map[string]string
	removed   []*node
}

// CreateStack creates a stack and starts its creation at the current clock
// time. A fault armed with InjectFaultByName for a matching name is applied.
func (e *Engine) CreateStack(project string, spec StackSpec) *Stack {
	st, _ := e.createStack(project, spec, false)
	return st
}

func (e *Engine) createStack(project string, spec StackSpec, unique bool) (*Stack, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if unique {
		for _, s := range e.stacks {
			e.settle(s, now)
			if s.project == project && s.name == spec.Name && !s.deleted {
				return nil, ErrStackExists
			}
		}
	}
	coe := spec.COE
	if coe == "" {
		coe = COEKubernetes
	}
	if spec.TimeoutMins <= 0 {
		spec.TimeoutMins = DefaultTimeoutMins
	}
	if spec.Duration <= 0 {
		spec.Duration = e.cfg.CreateDuration
	}
	if spec.APIAddress == "" {
		spec.APIAddress = "127.0.0.1"
	}
	s := &stack{
		id:          newUUID(),
		name:        spec.Name,
		project:     project,
		coe:         coe,
		timeoutMins: spec.TimeoutMins,
		apiAddress:  spec.APIAddress,
		created:     now,
		armed:       map[string]Fault{},
	}
	s.params = withDefaults(coe, spec.Parameters)
	s.params["OS::stack_id"] = s.id
	s.params["OS::stack_name"] = s.name
	s.params["OS::project_id"] = project
	if reason := e.quotaFailure(project, "", coe, ActionCreate, s.params); reason != "" {
		refuse(s, ActionCreate, reason, now)
		e.stacks[s.id] = s
		e.order = append(e.order, s.id)
		return e.snapshot(s, now), nil
	}
	b := treeBuilder{newID: newUUID, stackName: s.name}
	s.roots = b.build(shapeFor(coe, s.params), s.params)
	walk(s.roots, func(n *node, _ int) {
		n.action, n.status, n.created = "INIT", "COMPLETE", formatTime(now)
	})

	for i, p := range e.pending {
		if strings.Contains(s.name, p.match) {
			e.pending = append(e.pending[:i], e.pending[i+1:]...)
			s.armed[faultAction(p.fault)] = p.fault
			break
		}
	}

	op := &operation{action: ActionCreate, start: now, duration: spec.Duration, work: leaves(s.roots), involved: map[*node]string{}}
	walk(s.roots, func(n *node, _ int) { op.involved[n] = ActionCreate })
	e.startOp(s, op, now)
	e.stacks[s.id] = s
	e.order = append(e.order, s.id)
	return e.snapshot(s, now), nil
}

// UpdateStack merges params into the stack's parameters (Heat's PATCH with
// existing=true) and resizes its resource groups over duration.
func (e *Engine) UpdateStack(id string, params map[string]string, duration time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s, err := e.get(id, now)
	if err != nil {
		return err
	}
	if s.op != nil {
		return fmt.Errorf("%w: Stack %s already has an action (%s) in progress.", ErrActionInProgress, s.name, s.op.action)
	}
	if duration <= 0 {
		duration = e.cfg.UpdateDuration
	}
	newParams := make(map[string]string, len(s.params)+len(params))
	for k, v := range s.params {
		newParams[k] = v
	}
	for k, v := range params {
		newParams[k] = v
	}
	have := 0
	walk(s.roots, func(n *node, _ int) {
		if n.typ == typeNovaServer {
			have++
		}
	})
	// Only servers to be added need quota.
	if reason := e.quotaFailure(s.project, s.id, s.coe, ActionUpdate, newParams); reason != "" && serversWanted(s.coe, newParams) > have {
		s.params = newParams
		refuse(s, ActionUpdate, reason, now)
		return nil
	}
	b := treeBuilder{newID: newUUID, stackName: s.name}
	added, removed, groups := b.resizeGroups(s.roots, shapeFor(s.coe, newParams), newParams)
	op := &operation{action: ActionUpdate, start: now, duration: duration, newParams: newParams, removed: removed, involved: map[*node]string{}}
	for _, m := range added {
		walk([]*node{m}, func(n *node, _ int) {
			n.action, n.status, n.created = "INIT", "COMPLETE", formatTime(now)
			op.involved[n] = ActionCreate
			if n.isLeaf() {
				op.work = append(op.work, n)
			}
		})
	}
	for _, g := range groups {
		for n := g; n != nil; n = n.parent {
			op.involved[n] = ActionUpdate
		}
	}
	s.params = newParams
	s.updated = now
	e.startOp(s, op, now)
	return nil
}

// DeleteStack starts deleting the stack. An operation in progress is
// abandoned, as Heat cancels a create or update when asked to delete.
func (e *Engine) DeleteStack(id string, duration time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s, err := e.get(id, now)
	if err != nil {
		return err
	}
	if s.op != nil && s.op.action == ActionDelete {
		return nil
	}
	if s.op != nil {
		e.freeze(s, now)
	}
	if duration <= 0 {
		duration = e.cfg.DeleteDuration
	}
	op := &operation{action: ActionDelete, start: now, duration: duration, involved: map[*node]string{}}
	all := leaves(s.roots)
	for i := len(all) - 1; i >= 0; i-- {
		n := all[i]
		if n.action == ActionDelete && n.status == "COMPLETE" {
			continue
		}
		op.work = append(op.work, n)
	}
	walk(s.roots, func(n *node, _ int) { op.involved[n] = ActionDelete })
	s.updated = now
	e.startOp(s, op, now)
	return nil
}

// InjectFault attaches a fault to an existing stack. It returns
// ErrResourceNotFound when Resource names nothing in the stack.
func (e *Engine) InjectFault(id string, f Fault) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s, err := e.get(id, now)
	if err != nil {
		return err
	}
	if f.Resource != "" && findPath(s.roots, f.Resource) == nil {
		return fmt.Errorf("%w: %s", ErrResourceNotFound, f.Resource)
	}
	if s.op != nil && s.op.action == faultAction(f) {
		e.attachFault(s, s.op, f, now)
		return nil
	}
	s.armed[faultAction(f)] = f
	return nil
}

// InjectFaultByName arms a fault for the next stack created whose name
// contains match. Several can be armed; each is used once.
func (e *Engine) InjectFaultByName(match string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending = append(e.pending, pendingFault{match: match, fault: f})
}

// SetAPIAddress changes the api_address output of a stack.
func (e *Engine) SetAPIAddress(id, address string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.get(id, e.cfg.Now())
	if err != nil {
		return err
	}
	s.apiAddress = address
	return nil
}

// Stack returns the current state of a stack by id, in any project.
func (e *Engine) Stack(id string) (*Stack, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s, err := e.get(id, now)
	if err != nil {
		return nil, err
	}
	return e.snapshot(s, now), nil
}

// Lookup finds a stack of project by id or by name.
func (e *Engine) Lookup(project, ident string) (*Stack, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	s, err := e.lookup(project, ident, now)
	if err != nil {
		return nil, err
	}
	return e.snapshot(s, now), nil
}

// Stacks lists the stacks of a project (every project when empty), oldest
// first, without deleted ones.
func (e *Engine) Stacks(project string) []*Stack {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	var out []*Stack
	for _, id := range e.order {
		s, ok := e.stacks[id]
		if !ok {
			continue
		}
		e.settle(s, now)
		if s.deleted || (project != "" && s.project != project) {
			continue
		}
		out = append(out, e.snapshot(s, now))
	}
	return out
}

func (e *Engine) lookup(project, ident string, now time.Time) (*stack, error) {
	if s, ok := e.stacks[ident]; ok && s.project == project {
		e.settle(s, now)
		if s.deleted && !e.cfg.KeepDeleted {
			return nil, ErrNotFound
		}
		if _, still := e.stacks[ident]; still {
			return s, nil
		}
		return nil, ErrNotFound
	}
	for _, id := range e.order {
		s, ok := e.stacks[id]
		if !ok || s.project != project || s.name != ident {
			continue
		}
		e.settle(s, now)
		if !s.deleted {
			return s, nil
		}
	}
	return nil, ErrNotFound
}

func (e *Engine) get(id string, now time.Time) (*stack, error) {
	s, ok := e.stacks[id]
	if !ok {
		return nil, ErrNotFound
	}
	e.settle(s, now)
	if _, still := e.stacks[id]; !still || (s.deleted && !e.cfg.KeepDeleted) {
		return nil, ErrNotFound
	}
	return s, nil
}

func faultAction(f Fault) string {
	if f.Action == "" {
		return ActionCreate
	}
	return strings.ToUpper(f.Action)
}

func (e *Engine) startOp(s *stack, op *operation, now time.Time) {
	limit := time.Duration(s.timeoutMins) * e.cfg.MinuteLength
	if op.action != ActionDelete {
		op.deadline = op.start.Add(limit)
	}
	s.op = op
	if f, ok := s.armed[op.action]; ok {
		delete(s.armed, op.action)
		e.attachFault(s, op, f, now)
	}
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

func copyParams(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// snapshot renders the stack at now into an immutable Stack.
func (e *Engine) snapshot(s *stack, now time.Time) *Stack {
	out := &Stack{
		ID:           s.id,
		Name:         s.name,
		Project:      s.project,
		COE:          s.coe,
		Parameters:   copyParams(s.params),
		TimeoutMins:  s.timeoutMins,
		CreationTime: s.created,
		UpdatedTime:  s.updated,
	}
	var states map[*node]nodeState
	if s.op != nil {
		out.Action, out.Status = s.op.action, s.op.action+"_IN_PROGRESS"
		out.StatusReason = fmt.Sprintf("Stack %s started", s.op.action)
		states = e.render(s, s.op, now)
	} else {
		out.Action, out.Status, out.StatusReason = s.action, s.action+"_"+s.status, s.reason
	}
	if s.deleted {
		out.DeletionTime = s.deletedAt
	}
	if s.outputsFrom != nil {
		out.Outputs = outputs(s.coe, s.outputsFrom, s.apiAddress)
	}
	walk(s.roots, func(n *node, depth int) {
		r := Resource{
			Name:            n.name,
			PhysicalID:      n.physicalID,
			Type:            n.typ,
			Action:          n.action,
			Status:          n.action + "_" + n.status,
			StatusReason:    n.reason,
			RequiredBy:      append([]string{}, n.requiredBy...),
			Depth:           depth,
			NestedStackID:   n.nestedID,
			NestedStackName: n.nestedName,
			CreationTime:    n.created,
			UpdatedTime:     n.updated,
			Attributes:      n.attributes,
			id:              n.id,
			path:            dottedPath(n),
		}
		if st, ok := states[n]; ok {
			r.Action, r.Status, r.StatusReason, r.UpdatedTime = st.action, st.action+"_"+st.status, st.reason, st.updated
		}
		if n.parent != nil {
			r.ParentResource = n.parent.name
			r.StackID, r.StackName = n.parent.nestedID, n.parent.nestedName
		} else {
			r.StackID, r.StackName = s.id, s.name
		}
		if r.Status != "INIT_COMPLETE" {
			r.PhysicalID = n.id
			if n.nestedID != "" {
				r.PhysicalID = n.nestedID
			}
		}
		if r.Status == "DELETE_COMPLETE" {
			return
		}
		out.Resources = append(out.Resources, r)
	})
	for _, r := range out.Resources {
		out.total++
		if strings.HasSuffix(r.Status, "_COMPLETE") && r.Status != "INIT_COMPLETE" {
			out.complete++
		}
	}
	return out
}

// outputs renders what the templates output once a stack is complete.
func outputs(coe string, p map[string]string, apiAddress string) []Output {
	switch coe {
	case COESwarm, COESwarmMode:
		masters := max(atoi(p["number_of_masters"], 1), 0)
		nodes := max(atoi(p["number_of_nodes"], 1), 0)
		out := []Output{{Key: "api_address", Value: apiAddress, Description: "This is the API endpoint of the Swarm masters."}}
		if coe == COESwarmMode {
			pub := addresses(172, 24, 4*256+10, masters)
			out = append(out,
				Output{Key: "swarm_primary_master", Value: pub[:min(1, len(pub))], Description: "This is a list of the primary master IP."},
				Output{Key: "swarm_primary_master_private", Value: addresses(10, 0, 10, min(1, masters))},
				Output{Key: "swarm_secondary_masters", Value: pub[min(1, len(pub)):], Description: "This is a list of the secondary masters IPs."},
			)
		} else {
			out = append(out,
				Output{Key: "swarm_masters", Value: addresses(172, 24, 4*256+10, masters), Description: "This is a list of the public IP addresses of all the Swarm masters."},
				Output{Key: "swarm_masters_private", Value: addresses(10, 0, 10, masters), Description: "This is a list of the private IP addresses of all the Swarm masters."},
				Output{Key: "discovery_url", Value: p["discovery_url"], Description: "This is the discovery url for Swarm cluster."},
			)
		}
		return append(out,
			Output{Key: "swarm_nodes", Value: addresses(172, 24, 4*256+100, nodes), Description: "This is a list of the public IP addresses of all the Swarm nodes."},
			Output{Key: "swarm_nodes_private", Value: addresses(10, 0, 100, nodes), Description: "This is a list of the private IP addresses of all the Swarm nodes."},
		)
	default:
		masters := max(atoi(p["number_of_masters"], 1), 0)
		minions := max(atoi(p["number_of_minions"], 1), 0)
		return []Output{
			{Key: "api_address", Value: apiAddress, Description: "This is the API endpoint of the Kubernetes cluster. Use this to access the Kubernetes API.\n"},
			{Key: "registry_address", Value: "localhost:5000", Description: "This is the url of docker registry server where you can store docker images."},
			{Key: "kube_masters_private", Value: addresses(10, 0, 10, masters), Description: "This is a list of the \"private\" IP addresses of all the Kubernetes masters.\n"},
			{Key: "kube_masters", Value: addresses(172, 24, 4*256+10, masters), Description: "This is a list of the \"public\" IP addresses of all the Kubernetes masters. Use these IP addresses to log in to the Kubernetes masters via ssh.\n"},
			{Key: "kube_minions_private", Value: addresses(10, 0, 100, minions), Description: "This is a list of the \"private\" IP addresses of all the Kubernetes minions.\n"},
			{Key: "kube_minions", Value: addresses(172, 24, 4*256+100, minions), Description: "This is a list of the \"public\" IP addresses of all the Kubernetes minions. Use these IP addresses to log in to the Kubernetes minions via ssh.\n"},
		}
	}
}

// withDefaults fills in the template defaults real Heat reports for
// parameters Magnum did not pass; Magnum's poller needs kube_version.
func withDefaults(coe string, in map[string]string) map[string]string {
	var defaults map[string]string
	switch coe {
	case COESwarm, COESwarmMode:
		defaults = map[string]string{
			"number_of_masters": "1", "number_of_nodes": "1", "swarm_version": "1.2.5",
			"docker_volume_size": "0", "network_driver": "docker", "dns_nameserver": "8.8.8.8",
			"master_flavor": "m1.small", "node_flavor": "m1.small", "discovery_url": "",
			"fixed_network_cidr": "10.0.0.0/24", "tls_disabled": "False",
		}
	default:
		defaults = map[string]string{
			"number_of_masters": "1", "number_of_minions": "1",
			"kube_tag": "v1.18.16", "kube_version": "v1.18.16",
			"master_flavor": "m1.small", "minion_flavor": "m1.small", "dns_nameserver": "8.8.8.8",
			"docker_volume_size": "0", "network_driver": "flannel", "flannel_network_cidr": "10.100.0.0/16",
			"flannel_backend": "vxlan", "flannel_network_subnetlen": "24", "portal_network_cidr": "10.254.0.0/16",
			"fixed_subnet_cidr": "10.0.0.0/24", "kubernetes_port": "6443", "tls_disabled": "False",
			"registry_enabled": "False", "minions_to_remove": "", "docker_storage_driver": "overlay2",
			"wait_condition_timeout": "6000", "is_cluster_stack": "False", "master_role": "", "worker_role": "",
		}
	}
	out := copyParams(defaults)
	for k, v := range in {
		out[k] = v
	}
	// Magnum passes the kube_tag label as both kube_tag and kube_version;
	// keep them in step when a caller sets only the tag.
	if _, ok := in["kube_version"]; !ok && in["kube_tag"] != "" && coe != COESwarm && coe != COESwarmMode {
		out["kube_version"] = in["kube_tag"]
	}
	return out
}

// Stack is a point-in-time view of a stack. It is a copy: changing it does
// not affect the Engine.
type Stack struct {
	ID, Name, Project, COE string
	// Action is the last or current action (CREATE, UPDATE, DELETE).
	Action string
	// Status is Heat's stack_status, e.g. CREATE_IN_PROGRESS.
	Status       string
	StatusReason string
	Parameters   map[string]string
	// Outputs is nil until the stack has completed a create or update.
	Outputs      []Output
	TimeoutMins  int
	CreationTime time.Time
	// UpdatedTime and DeletionTime are zero when not applicable.
	UpdatedTime  time.Time
	DeletionTime time.Time
	// Resources lists every resource, nested ones included, depth first.
	Resources []Resource

	complete, total int
}

// Progress counts the resources that have finished their current action
// (deleted ones are not listed, so a delete shrinks the total).
func (s *Stack) Progress() (complete, total int) { return s.complete, s.total }

// Output returns the value of an output key, and false when absent.
func (s *Stack) Output(key string) (any, bool) {
	for _, o := range s.Outputs {
		if o.Key == key {
			return o.Value, true
		}
	}
	return nil, false
}

// Resource finds a resource by dotted path or bare name (first match).
func (s *Stack) Resource(path string) (Resource, bool) {
	for _, r := range s.Resources {
		if r.Path() == path {
			return r, true
		}
	}
	for _, r := range s.Resources {
		if r.Name == path {
			return r, true
		}
	}
	return Resource{}, false
}

// Failed lists the resources whose status ends in _FAILED.
func (s *Stack) Failed() []Resource {
	var out []Resource
	for _, r := range s.Resources {
		if strings.HasSuffix(r.Status, "_FAILED") {
			out = append(out, r)
		}
	}
	return out
}

// Output is one stack output.
type Output struct {
	Key         string
	Value       any
	Description string
}

// Resource is one resource of a stack or of a nested stack.
type Resource struct {
	Name string
	// PhysicalID is empty until the resource has started; for a
	// nested-stack resource it is the nested stack's id.
	PhysicalID   string
	Type         string
	Action       string
	Status       string // e.g. CREATE_COMPLETE
	StatusReason string
	RequiredBy   []string
	// ParentResource is the name of the resource owning the nested stack
	// this resource lives in; empty at the top level.
	ParentResource string
	// Depth is 0 for the stack's own resources, 1 for their nested
	// stacks' resources, and so on.
	Depth int
	// StackID and StackName identify the (possibly nested) stack holding
	// the resource.
	StackID, StackName string
	// NestedStackID and NestedStackName are set on ResourceGroups, their
	// members and template resources.
	NestedStackID, NestedStackName string
	CreationTime, UpdatedTime      string
	Attributes                     map[string]any

	id   string
	path string
}

// Path is the dotted path of the resource from the top of the stack.
func (r Resource) Path() string { return r.path }
