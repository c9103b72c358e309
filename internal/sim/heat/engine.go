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
