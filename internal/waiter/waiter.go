// Package waiter polls an object until it reaches a target state. It knows
// nothing of Magnum or Terraform: the caller supplies a refresh function and
// the states, and gets back the object or an error that says what it was
// waiting for, what it last saw and for how long.
package waiter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// StateGone is the state reported to OnChange when the object is not found.
const StateGone = "NOT_FOUND"

// Config holds the knobs that do not depend on the object type.
type Config struct {
	// What names the wait for messages, e.g. `cluster "c1" (8f0e…) to be created`.
	What string
	// Timeout bounds the wait on the waiter's clock; 0 leaves it to ctx.
	Timeout time.Duration
	// Schedule spaces polls; nil means DefaultSchedule.
	Schedule Schedule
	// Now and Sleep are the clock; tests inject a synthetic one. Sleep
	// must return ctx.Err() if ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// OnChange is called on the first observation and on every state
	// change, for progress logging.
	OnChange func(Change)
	// Logf, if set, receives one debug line per poll.
	Logf func(format string, args ...any)
	// MaxConsecutiveErrors bounds how many transient refresh errors in a
	// row are tolerated (default 5). The API client already retries each
	// request; this rides out a longer blip.
	MaxConsecutiveErrors int
	// IsNotFound and IsTransient classify refresh errors. The defaults
	// look for a method HTTPStatusCode() int on the error chain: 404 is
	// not found; 429, 5xx and errors without a status are transient.
	IsNotFound  func(error) bool
	IsTransient func(error) bool
	// Phase, if set, is the conductor's sync phase shared by the waits of
	// one provider instance: every wait that sees a change the sync made
	// teaches it, and past PhaseAfter a wait that knows it polls once per
	// known sync (one per period and conductor), just after it, instead of
	// on its Schedule.
	Phase *Phase
}

// Conditions describe the states of one wait.
type Conditions[T any] struct {
	Target  []string
	Pending []string
	// IsFailed recognises failure states; nil means any "*_FAILED".
	IsFailed func(state string) bool
	// NotFoundIsTarget ends the wait successfully when the object is gone
	// (deletes).
	NotFoundIsTarget bool
	// IsTransient, if set, names errors this wait rides out on top of
	// Config.IsTransient, within the same MaxConsecutiveErrors: an API
	// may answer an error of its own while it tears an object down.
	IsTransient func(error) bool
	// NotFoundGrace tolerates 404 for this long after the start (Magnum
	// creates the row after answering the POST).
	NotFoundGrace time.Duration
	// Started, if set, makes the wait require evidence that the operation
	// the caller just requested has begun: a Pending state, or Started
	// returning true (e.g. updated_at moved past the request time). Until
	// then Target and failure states are treated as stale. If no evidence
	// comes within StartGrace (default 60 s) the wait fails with
	// NotStartedError instead of returning the old state as success.
	Started    func(obj T, state string) bool
	StartGrace time.Duration
	// StateOfError, if set, reads a state from a refresh error that is in
	// fact an observation (an error the API answers only while a delete is
	// under way). Such a poll counts as seeing that state; the last object
	// is kept.
	StateOfError func(err error) (string, bool)
	// Describe adds detail to a failure message, e.g. status_reason and faults.
	Describe func(obj T) string
	// Hint, if set, reports the backend's progress (e.g. Heat resources
	// complete out of all). It costs a request, so the wait consults it
	// only after HintAfter and then as hintPlan decides; it returns false
	// when progress cannot be read.
	Hint func(ctx context.Context, obj T) (Hint, bool)
	// ConductorWrote, if set, reports whether cur differs from prev, the
	// previous observation, by something only the conductor's periodic
	// sync writes while the state stays the same (a Cluster API driver
	// rewrites status_reason and updated_at on its syncs). Changes into a
	// Target state are the sync's anyway and need no hook, and so are
	// failures, except those HandlerMayFail names. It is asked only after
	// the first conductor period, once the request's own handling (the
	// cast) is over.
	ConductorWrote func(prev, cur T) bool
	// HandlerMayFail, if set, reports whether the conductor's handler of
	// the request could still fail the operation itself, judged by prev,
	// the observation before the failure. A handler that cannot start an
	// operation (Heat refusing the stack, Keystone refusing the trust)
	// writes the failure at once, off the sync's grid, so such a failure
	// teaches the Phase nothing; without it one bogus grid costs every
	// later phased wait a second poll per period.
	HandlerMayFail func(prev T) bool
	// Stamp, if set, returns when the sync wrote the object, on the
	// cloud's clock (Magnum's updated_at), or the zero time: it lets the
	// Phase place a change seen late on the grid of the sync that made it.
	Stamp func(obj T) time.Time
}

// Hint is a progress report: Done and Failed parts out of Total. NotYet
// says there is nothing to read yet (a cluster whose stack Magnum has not
// created): the wait asks again at its next poll, and the hint cost no
// request.
type Hint struct {
	Done, Failed, Total int
	NotYet              bool
}

// NearDoneInterval is how often a wait consults its Hint while the
// backend's last part may finish at any moment. Magnum may copy the
// outcome onto the cluster at its next sync, which can come right after;
// a consult is what starts the polls that notice it, so the cadence bounds
// the notice delay (with 5 s the synthetic sweep's worst was 2.89 s, with
// 2 s it is 1.00 s). Consults cost Heat requests, not Magnum ones.
const NearDoneInterval = 2 * time.Second

// A conductor's sync can run late, and late runs come in chains
// (oslo.service sleeps the whole period after a late run; BENCHMARKS.md,
// "Late syncs"). When the backend was done before a known sync could read
// it and the poll just after that sync still shows the old state, the
// sync has not run yet: the wait looks again lateSyncLooks times,
// lateSyncInterval apart, rather than a period later, then goes back to
// one poll per known sync. Once per wait, so a conductor that is down
// costs two requests, not a second's polling.
const (
	lateSyncInterval = 1500 * time.Millisecond
	lateSyncLooks    = 2
	// syncLead is how long at most a sync reads the stack before its
	// change becomes visible: about 0.2 s on a quiet real Magnum 15, a
	// fifth of the period in the simulator, which this matches.
	syncLead = 2 * time.Second
	// lateSyncSlack is how long after a known sync's poll instant a poll
	// still counts as that sync's: timers run late on a busy machine.
	lateSyncSlack = time.Second
)

// Change is one observed state transition.
type Change struct {
	What     string
	From, To string
	Elapsed  time.Duration
	Polls    int
	Hint     *Hint
}

// TimeoutError reports a wait that ran out of time or was cancelled.
type TimeoutError struct {
	What      string
	LastState string
	Elapsed   time.Duration
	// Err is context.DeadlineExceeded or context.Canceled, or nil when
	// Config.Timeout expired.
	Err error
	// LastErr is the last refresh error, if the last poll failed.
	LastErr error
}

func (e *TimeoutError) Error() string {
	verb := "timed out"
	if errors.Is(e.Err, context.Canceled) {
		verb = "cancelled"
	}
	last := e.LastState
	if last == "" {
		last = "none observed"
	}
	msg := fmt.Sprintf("%s after %s waiting for %s; last state: %s", verb, e.Elapsed.Round(time.Second), e.What, last)
	if e.LastErr != nil {
		msg += fmt.Sprintf("; last error: %v", e.LastErr)
	}
	return msg
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// FailedError reports a failure state. Object holds the last T seen.
type FailedError struct {
	What    string
	State   string
	Detail  string
	Elapsed time.Duration
	Object  any
}

func (e *FailedError) Error() string {
	msg := fmt.Sprintf("%s failed after %s: status %s", e.What, e.Elapsed.Round(time.Second), e.State)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// NotStartedError reports that the object kept its old state: the cloud
// accepted the request (Magnum casts updates and only logs a refusal) but
// never began the operation.
type NotStartedError struct {
	What    string
	State   string
	Elapsed time.Duration
	Object  any
}

func (e *NotStartedError) Error() string {
	return fmt.Sprintf("the cloud accepted the request but did not start it: after %s waiting for %s, the status is still %s",
		e.Elapsed.Round(time.Second), e.What, e.State)
}

// Wait polls refresh until cond is met, ctx ends or cfg.Timeout passes.
func Wait[T any](ctx context.Context, cfg Config, refresh func(ctx context.Context) (T, string, error), cond Conditions[T]) (T, error) {
	cfg = cfg.withDefaults()
	if cond.StartGrace <= 0 {
		cond.StartGrace = 60 * time.Second
	}
	isFailed := cond.IsFailed
	if isFailed == nil {
		isFailed = func(s string) bool { return strings.HasSuffix(s, "_FAILED") }
	}

	start := cfg.Now()
	var (
		zero      T
		lastObj   T
		lastState string
		observed  bool
		started   = cond.Started == nil
		polls     int
		errs      int
		lastErr   error
		plan      hintPlan
		// lastOK is when the last successful poll was sent.
		lastOK time.Time
		// phased says the poll about to be sent was timed on the Phase.
		phased bool
		// lateFrom is the poll that found a known sync late, lateLooks
		// how many looks after it were scheduled.
		lateFrom  time.Time
		lateLooks int
	)
	// onPhase says whether the poll after one made `since` into the wait,
	// interval later on the schedule, is timed on the Phase. Past
	// PhaseAfter always, when it knows a grid. Within the first minute
	// only with a Hint: while it vouches for the backend or says it is
	// done, nothing but a sync can flip the object, and the first sync
	// that can have seen the backend done is the one to poll after; before
	// its first answer the consults between polls decide (one that cannot
	// read the backend yet brings the poll back to the schedule). A known
	// sync found late whose looks did not find the flip either may mean a
	// grid that moved (a conductor restarted since it was learnt), so the
	// rest of the first minute goes back to the schedule, which notices
	// within a second whatever the grid.
	onPhase := func(since, interval time.Duration) bool {
		if cfg.Phase == nil {
			return false
		}
		if since+interval >= PhaseAfter {
			return true
		}
		return cond.Hint != nil && started && !plan.backoff &&
			(lateFrom.IsZero() || lateLooks < lateSyncLooks)
	}
	elapsed := func() time.Duration { return cfg.Now().Sub(start) }
	timeout := func(ctxErr error) error {
		return &TimeoutError{What: cfg.What, LastState: lastState, Elapsed: elapsed(), Err: ctxErr, LastErr: lastErr}
	}
	note := func(state string, hint *Hint) {
		if observed && state == lastState {
			return
		}
		if cfg.OnChange != nil {
			cfg.OnChange(Change{What: cfg.What, From: lastState, To: state, Elapsed: elapsed(), Polls: polls, Hint: hint})
		}
		observed, lastState = true, state
	}

	for {
		pollAt := cfg.Now()
		since := pollAt.Sub(start)
		obj, state, err := refresh(ctx)
		// The floor counts from the answer, not from the request: the
		// next request then reaches the server at least MinInterval after
		// this one did, however long this one took or was retried.
		answeredAt := cfg.Now()
		polls++
		var wait time.Duration
		var hint *Hint
		if err != nil && cond.StateOfError != nil {
			if s, ok := cond.StateOfError(err); ok {
				obj, state, err = lastObj, s, nil
			}
		}

		if err != nil {
			if ctx.Err() != nil {
				return zero, timeout(ctx.Err())
			}
			lastErr = err
			switch {
			case cfg.IsNotFound(err) && cond.NotFoundIsTarget:
				note(StateGone, nil)
				return zero, nil
			case cfg.IsNotFound(err) && since < cond.NotFoundGrace:
				cfg.logf("%s: not found yet (%v)", cfg.What, err)
			case errs < cfg.MaxConsecutiveErrors && (cfg.IsTransient(err) || (cond.IsTransient != nil && cond.IsTransient(err))):
				errs++
				wait = retryAfter(err)
				cfg.logf("%s: transient error %d/%d: %v", cfg.What, errs, cfg.MaxConsecutiveErrors, err)
			default:
				return lastObj, fmt.Errorf("waiting for %s (last state %s): %w", cfg.What, orNone(lastState), err)
			}
		} else {
			if !lastOK.IsZero() && cfg.Phase != nil {
				syncFailed := isFailed(state) && (cond.HandlerMayFail == nil || !cond.HandlerMayFail(lastObj))
				intoEnd := state != lastState && (slices.Contains(cond.Target, state) || syncFailed)
				if (started && intoEnd) || (cond.ConductorWrote != nil && since >= ConductorPeriod && state == lastState && cond.ConductorWrote(lastObj, obj)) {
					var stamp time.Time
					if cond.Stamp != nil {
						stamp = cond.Stamp(obj)
					}
					cfg.Phase.ObserveStamped(lastOK, answeredAt, stamp)
				}
			}
			lastOK = pollAt
			errs, lastErr, lastObj = 0, nil, obj
			if cond.Hint != nil && plan.due(since) && !slices.Contains(cond.Target, state) && !isFailed(state) {
				if h, ok := consult(ctx, cfg, cond.Hint, &plan, obj, since); ok {
					hint = &h
				}
			}
			note(state, hint)
			if !started && (slices.Contains(cond.Pending, state) || cond.Started(obj, state)) {
				started = true
			}
			cfg.logf("%s: poll %d at %s: %s (started=%t)", cfg.What, polls, since.Round(time.Millisecond), state, started)
			switch {
			case started && isFailed(state):
				fe := &FailedError{What: cfg.What, State: state, Elapsed: elapsed(), Object: obj}
				if cond.Describe != nil {
					fe.Detail = cond.Describe(obj)
				}
				return obj, fe
			case started && slices.Contains(cond.Target, state):
				return obj, nil
			case !started && since >= cond.StartGrace:
				return obj, &NotStartedError{What: cfg.What, State: state, Elapsed: elapsed(), Object: obj}
			}
			if phased && started && plan.finished && lateFrom.IsZero() {
				if from, ok := cfg.Phase.justAfter(pollAt, lateSyncSlack); ok && from.Add(-syncLead).Sub(start) >= plan.finishedBy {
					lateFrom = pollAt
					cfg.logf("%s: the sync of %s had to see the finished backend and changed nothing: it runs late", cfg.What, from.Sub(start).Round(time.Millisecond))
				}
			}
		}
		phased = false

		interval := max(cfg.Schedule(since), MinInterval)
		if cond.Hint != nil {
			interval = plan.interval(since, interval)
		}
		now := cfg.Now()
		d := max(pollAt.Add(interval).Sub(now), answeredAt.Add(MinInterval).Sub(now), wait, 0)
		if err == nil && onPhase(since, interval) {
			// One poll per known sync, just after it; while
			// Heat says the stack is busy, only on the sync after the
			// hinted interval (a consult that finds it done polls sooner).
			from := time.Nanosecond
			switch {
			case cond.Hint != nil && plan.vouching():
				from = interval
			case cond.Hint != nil && !plan.sampled && !plan.finished && since+interval < PhaseAfter:
				// Not read yet: a consult before then says whether
				// the backend is busy, done or not readable.
				from = ConductorPeriod
			}
			if at, ok := cfg.Phase.next(pollAt.Add(from)); ok {
				d = max(at.Sub(now), answeredAt.Add(MinInterval).Sub(now), wait, 0)
				phased = true
			}
			if !lateFrom.IsZero() && lateLooks < lateSyncLooks {
				lateLooks++
				if look := lateFrom.Add(time.Duration(lateLooks) * lateSyncInterval).Sub(now); look < d {
					d, phased = max(look, answeredAt.Add(MinInterval).Sub(now), wait, 0), false
				}
			}
		}
		if cond.Hint != nil && err == nil && started {
			// The consults due before that poll run on their own: they
			// need the object's last state, not a new one.
			var cerr error
			if d, cerr = consultBetween(ctx, cfg, cond.Hint, &plan, start, lastObj, pollAt, answeredAt, d, onPhase(since, interval)); cerr != nil {
				return lastObj, timeout(cerr)
			}
			now = cfg.Now()
		}
		if cfg.Timeout > 0 {
			deadline := start.Add(cfg.Timeout)
			if !now.Before(deadline) {
				return lastObj, timeout(nil)
			}
			if now.Add(d).After(deadline) {
				// One last look at the deadline, unless that would poll
				// faster than the floor allows.
				if answeredAt.Add(MinInterval).After(deadline) {
					return lastObj, timeout(nil)
				}
				d = deadline.Sub(now)
			}
		}
		if err := cfg.Sleep(ctx, d); err != nil {
			return lastObj, timeout(err)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none observed"
	}
	return s
}

func (c Config) withDefaults() Config {
	if c.What == "" {
		c.What = "the operation"
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.MaxConsecutiveErrors == 0 {
		c.MaxConsecutiveErrors = 5
	}
	if c.IsNotFound == nil {
		c.IsNotFound = func(err error) bool { return statusOf(err) == 404 }
	}
	if c.IsTransient == nil {
		c.IsTransient = DefaultIsTransient
	}
	return c
}

func (c Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// DefaultIsTransient treats 429, 5xx and errors without an HTTP status
// (connection failures) as transient.
func DefaultIsTransient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	code := statusOf(err)
	return code == 0 || code == 429 || code >= 500
}

func statusOf(err error) int {
	var sc interface{ HTTPStatusCode() int }
	if errors.As(err, &sc) {
		return sc.HTTPStatusCode()
	}
	return 0
}

func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfterHint() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfterHint()
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
