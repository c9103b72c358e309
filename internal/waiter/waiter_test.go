package waiter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// clock is a synthetic clock: Sleep advances it instantly, so a two-hour
// wait runs in microseconds.
type clock struct {
	now   time.Time
	polls []time.Duration // offsets from start of each refresh
	start time.Time
}

func newClock() *clock {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &clock{now: t0, start: t0}
}

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) elapsed() time.Duration { return c.now.Sub(c.start) }

func (c *clock) config(what string) Config {
	return Config{What: what, Now: c.Now, Sleep: c.Sleep}
}

// httpErr stands in for magnum.Error through the duck-typed interfaces.
type httpErr struct {
	code int
	ra   time.Duration
}

func (e *httpErr) Error() string                 { return fmt.Sprintf("HTTP %d", e.code) }
func (e *httpErr) HTTPStatusCode() int           { return e.code }
func (e *httpErr) RetryAfterHint() time.Duration { return e.ra }

type obj struct {
	State   string
	Updated int // stands in for updated_at
}

// script answers refreshes by elapsed time: the step whose At is the
// latest not after now.
type step struct {
	At  time.Duration
	Obj obj
	Err error
}

func scripted(c *clock, steps ...step) func(context.Context) (obj, string, error) {
	return func(context.Context) (obj, string, error) {
		c.polls = append(c.polls, c.elapsed())
		cur := steps[0]
		for _, s := range steps {
			if s.At <= c.elapsed() {
				cur = s
			}
		}
		return cur.Obj, cur.Obj.State, cur.Err
	}
}

// simulate runs Wait against a backend that finishes at done and returns
// how late the waiter noticed and how many polls it made.
func simulate(t *testing.T, done time.Duration) (time.Duration, int) {
	t.Helper()
	c := newClock()
	refresh := scripted(c, step{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, step{done, obj{State: "CREATE_COMPLETE"}, nil})
	cfg := c.config("sim")
	cfg.Timeout = 3 * time.Hour
	_, err := Wait(context.Background(), cfg, refresh, Conditions[obj]{Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}})
	if err != nil {
		t.Fatalf("T=%s: %v", done, err)
	}
	for i := 1; i < len(c.polls); i++ {
		if gap := c.polls[i] - c.polls[i-1]; gap < time.Second {
			t.Fatalf("T=%s: polls %d and %d only %s apart", done, i-1, i, gap)
		}
	}
	return c.elapsed() - done, len(c.polls)
}

// intervalAt is the poll interval in force at T on the schedule's grid.
func intervalAt(T time.Duration) time.Duration {
	var at time.Duration
	for {
		next := at + max(DefaultSchedule(at), MinInterval)
		if next > T {
			return next - at
		}
		at = next
	}
}

// TestDefaultScheduleMeetsTargets simulates backends taking 5 s to 2 h.
// For each T the completion is moved across one whole poll interval (the
// phase offsets) and the median notice delay is checked.
func TestDefaultScheduleMeetsTargets(t *testing.T) {
	var Ts []time.Duration
	for T := 5 * time.Second; T <= 2*time.Hour; T = T * 23 / 20 {
		Ts = append(Ts, T)
	}
	Ts = append(Ts, 60*time.Second, 200*time.Second, 10*time.Minute, time.Hour, 2*time.Hour)
	const phases = 16
	for _, T := range Ts {
		iv := intervalAt(T)
		var overheads []time.Duration
		maxPolls := 0
		for k := range phases {
			done := T + iv*time.Duration(2*k+1)/(2*phases)
			o, n := simulate(t, done)
			overheads = append(overheads, o)
			maxPolls = max(maxPolls, n)
		}
		slices.Sort(overheads)
		median := (overheads[phases/2-1] + overheads[phases/2]) / 2
		var bound time.Duration
		switch {
		case T <= 60*time.Second:
			bound = time.Second
		case T <= 200*time.Second:
			bound = T / 10
		default:
			bound = 20 * time.Second
		}
		if median > bound {
			t.Errorf("T=%s: median overhead %s exceeds %s", T, median, bound)
		}
		if T == 10*time.Minute && maxPolls > 75 {
			t.Errorf("T=10m: %d polls, want ≤ 75", maxPolls)
		}
		if T == time.Hour && maxPolls > 230 {
			t.Errorf("T=1h: %d polls, want ≤ 230", maxPolls)
		}
	}
}

func TestDefaultScheduleNeverBelowOneSecond(t *testing.T) {
	for e := time.Duration(0); e < 3*time.Hour; e += 250 * time.Millisecond {
		if d := DefaultSchedule(e); d < MinInterval {
			t.Fatalf("DefaultSchedule(%s) = %s", e, d)
		}
	}
}

func TestWaitOutcomes(t *testing.T) {
	inProgress := obj{State: "CREATE_IN_PROGRESS"}
	complete := obj{State: "CREATE_COMPLETE"}
	createCond := Conditions[obj]{Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}, NotFoundGrace: 30 * time.Second,
		Describe: func(o obj) string { return "reason for " + o.State }}
	// An update of a cluster whose previous operation left UPDATE_COMPLETE
	// with Updated=1; the new one bumps Updated to 2.
	updateCond := Conditions[obj]{Target: []string{"UPDATE_COMPLETE"}, Pending: []string{"UPDATE_IN_PROGRESS"},
		Started: func(o obj, _ string) bool { return o.Updated > 1 }}
	// The caller names the 400 its API answers while deleting; the waiter
	// knows no API's errors.
	deleteCond := Conditions[obj]{NotFoundIsTarget: true, Pending: []string{"DELETE_IN_PROGRESS"},
		IsTransient: func(err error) bool { return statusOf(err) == 400 }}
	notFound := &httpErr{code: 404}

	tests := []struct {
		name      string
		cond      Conditions[obj]
		timeout   time.Duration
		steps     []step
		want      obj
		wantErr   string
		wantAfter time.Duration // minimum elapsed before returning
		check     func(t *testing.T, err error)
	}{
		{name: "create completes", cond: createCond, steps: []step{{0, inProgress, nil}, {40 * time.Second, complete, nil}}, want: complete},
		{name: "404 right after create is tolerated", cond: createCond,
			steps: []step{{0, obj{}, notFound}, {3 * time.Second, inProgress, nil}, {10 * time.Second, complete, nil}}, want: complete},
		{name: "404 beyond the grace is an error", cond: createCond, steps: []step{{0, obj{}, notFound}},
			wantErr: "waiting for thing (last state none observed): HTTP 404", wantAfter: 30 * time.Second,
			check: func(t *testing.T, err error) {
				var he *httpErr
				if !errors.As(err, &he) || he.code != 404 {
					t.Error("the 404 must stay inspectable")
				}
			}},
		{name: "failure carries the object", cond: createCond,
			steps:   []step{{0, inProgress, nil}, {19 * time.Second, obj{State: "CREATE_FAILED"}, nil}},
			wantErr: "thing failed after 19s: status CREATE_FAILED: reason for CREATE_FAILED",
			check: func(t *testing.T, err error) {
				var fe *FailedError
				if !errors.As(err, &fe) || fe.Object.(obj).State != "CREATE_FAILED" {
					t.Errorf("FailedError without the object: %#v", err)
				}
			}},
		{name: "stale COMPLETE is not success", cond: updateCond,
			steps: []step{{0, obj{"UPDATE_COMPLETE", 1}, nil}, {15 * time.Second, obj{"UPDATE_IN_PROGRESS", 1}, nil}, {50 * time.Second, obj{"UPDATE_COMPLETE", 2}, nil}},
			want:  obj{"UPDATE_COMPLETE", 2}, wantAfter: 50 * time.Second},
		{name: "stale FAILED from an earlier operation is not failure", cond: updateCond,
			steps: []step{{0, obj{"UPDATE_FAILED", 1}, nil}, {12 * time.Second, obj{"UPDATE_IN_PROGRESS", 2}, nil}, {30 * time.Second, obj{"UPDATE_COMPLETE", 2}, nil}},
			want:  obj{"UPDATE_COMPLETE", 2}},
		{name: "an update faster than the first poll is recognised by updated_at", cond: updateCond,
			steps: []step{{0, obj{"UPDATE_COMPLETE", 2}, nil}}, want: obj{"UPDATE_COMPLETE", 2}},
		{name: "an update that never starts fails after the grace", cond: updateCond,
			steps:   []step{{0, obj{"UPDATE_COMPLETE", 1}, nil}},
			wantErr: "the cloud accepted the request but did not start it: after 1m1s waiting for thing, the status is still UPDATE_COMPLETE",
			check: func(t *testing.T, err error) {
				var ns *NotStartedError
				if !errors.As(err, &ns) {
					t.Errorf("want NotStartedError, got %T", err)
				}
			}},
		{name: "delete ends at 404 despite a transient 400", cond: deleteCond,
			steps: []step{{0, obj{State: "DELETE_IN_PROGRESS"}, nil}, {10 * time.Second, obj{}, &httpErr{code: 400}}, {12 * time.Second, obj{}, notFound}},
			want:  obj{}, wantAfter: 12 * time.Second},
		{name: "a persistent 400 during delete still fails", cond: deleteCond,
			steps: []step{{0, obj{State: "DELETE_IN_PROGRESS"}, nil}, {5 * time.Second, obj{}, &httpErr{code: 400}}}, wantErr: "HTTP 400"},
		{name: "a 400 outside delete is final", cond: createCond,
			steps: []step{{0, inProgress, nil}, {5 * time.Second, obj{}, &httpErr{code: 400}}}, wantErr: "waiting for thing (last state CREATE_IN_PROGRESS): HTTP 400"},
		{name: "transient 503 is ridden out", cond: createCond,
			steps: []step{{0, inProgress, nil}, {5 * time.Second, obj{}, &httpErr{code: 503}}, {8 * time.Second, complete, nil}}, want: complete},
		{name: "Retry-After is honoured", cond: createCond,
			steps: []step{{0, obj{}, &httpErr{code: 429, ra: 45 * time.Second}}, {1 * time.Second, complete, nil}}, want: complete, wantAfter: 45 * time.Second},
		{name: "a 403 is final", cond: createCond, steps: []step{{0, obj{}, &httpErr{code: 403}}}, wantErr: "HTTP 403"},
		{name: "timeout names the wait and the last state", cond: createCond, timeout: 2 * time.Hour,
			steps:   []step{{0, inProgress, nil}},
			wantErr: "timed out after 2h0m0s waiting for thing; last state: CREATE_IN_PROGRESS",
			check: func(t *testing.T, err error) {
				var te *TimeoutError
				if !errors.As(err, &te) || te.LastState != "CREATE_IN_PROGRESS" || te.Elapsed != 2*time.Hour {
					t.Errorf("TimeoutError fields wrong: %#v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			cfg := c.config("thing")
			cfg.Timeout = tt.timeout
			if cfg.Timeout == 0 {
				cfg.Timeout = 3 * time.Hour
			}
			got, err := Wait(context.Background(), cfg, scripted(c, tt.steps...), tt.cond)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr == "" && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if c.elapsed() < tt.wantAfter {
				t.Errorf("returned after %s, before %s", c.elapsed(), tt.wantAfter)
			}
			if len(c.polls) > 500 {
				t.Errorf("%d polls", len(c.polls))
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestWaitCancelled(t *testing.T) {
	c := newClock()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := c.config("cluster c1 to be created")
	polls := 0
	_, err := Wait(ctx, cfg, func(context.Context) (obj, string, error) {
		polls++
		if polls == 3 {
			cancel()
		}
		return obj{State: "CREATE_IN_PROGRESS"}, "CREATE_IN_PROGRESS", nil
	}, Conditions[obj]{Target: []string{"CREATE_COMPLETE"}})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "cancelled after 2s waiting for cluster c1 to be created; last state: CREATE_IN_PROGRESS") {
		t.Fatalf("err = %v", err)
	}
}

func TestOnChangeReportsTransitions(t *testing.T) {
	c := newClock()
	cfg := c.config("c1")
	var seen []string
	cfg.OnChange = func(ch Change) { seen = append(seen, fmt.Sprintf("%s->%s@%s", ch.From, ch.To, ch.Elapsed)) }
	_, err := Wait(context.Background(), cfg, scripted(c,
		step{0, obj{State: "CREATE_IN_PROGRESS"}, nil}, step{5 * time.Second, obj{State: "CREATE_COMPLETE"}, nil}),
		Conditions[obj]{Target: []string{"CREATE_COMPLETE"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"->CREATE_IN_PROGRESS@0s", "CREATE_IN_PROGRESS->CREATE_COMPLETE@5s"}
	if !slices.Equal(seen, want) {
		t.Errorf("changes = %v, want %v", seen, want)
	}
}

// A refresh error that shows the state (Magnum's 400 while a delete tears
// nodegroups down) counts as that state: a failure right after it is this
// operation's, not a stale one.
func TestWaitStateOfError(t *testing.T) {
	c := newClock()
	answers := []error{&httpErr{code: 400}, nil}
	i := 0
	seenOther := false
	cond := Conditions[*obj]{
		Pending:          []string{"DELETE_IN_PROGRESS"},
		NotFoundIsTarget: true,
		IsFailed:         func(s string) bool { return s == "DELETE_FAILED" },
		Started: func(_ *obj, s string) bool {
			if s == "DELETE_FAILED" {
				return seenOther
			}
			seenOther = true
			return s == "DELETE_IN_PROGRESS"
		},
		StateOfError: func(err error) (string, bool) {
			var he *httpErr
			if errors.As(err, &he) && he.code == 400 {
				return "DELETE_IN_PROGRESS", true
			}
			return "", false
		},
	}
	_, err := Wait(context.Background(), c.config("delete"), func(context.Context) (*obj, string, error) {
		e := answers[min(i, len(answers)-1)]
		i++
		if e != nil {
			return nil, "", e
		}
		return &obj{State: "DELETE_FAILED"}, "DELETE_FAILED", nil
	}, cond)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.State != "DELETE_FAILED" {
		t.Fatalf("err = %v, want the delete's own failure", err)
	}
	if c.elapsed() > 10*time.Second {
		t.Errorf("the failure was reported after %s; it was this delete's from the second poll", c.elapsed())
	}
}

// A slow answer must not let the next request come sooner than
// MinInterval after this one reached the server: the server sees the
// request arrive late in the refresh (a retry, a slow connection), so the
// floor counts from the answer.
func TestWaitFloorCountsFromTheAnswer(t *testing.T) {
	c := newClock()
	var arrivals []time.Duration
	refresh := func(context.Context) (obj, string, error) {
		// The request reaches the server 900 ms into one refresh (a
		// retried connection) and 100 ms into the next; the answer comes
		// back 100 ms later.
		delay := 100 * time.Millisecond
		if len(arrivals)%2 == 0 {
			delay = 900 * time.Millisecond
		}
		c.now = c.now.Add(delay)
		arrivals = append(arrivals, c.elapsed())
		c.now = c.now.Add(100 * time.Millisecond)
		if len(arrivals) == 5 {
			return obj{State: "CREATE_COMPLETE"}, "CREATE_COMPLETE", nil
		}
		return obj{State: "CREATE_IN_PROGRESS"}, "CREATE_IN_PROGRESS", nil
	}
	cfg := c.config("slow answers")
	cfg.Schedule = func(time.Duration) time.Duration { return MinInterval }
	if _, err := Wait(context.Background(), cfg, refresh, Conditions[obj]{Target: []string{"CREATE_COMPLETE"}, Pending: []string{"CREATE_IN_PROGRESS"}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i] - arrivals[i-1]; gap < MinInterval {
			t.Errorf("requests %d and %d reached the server %s apart, want ≥ %s", i-1, i, gap, MinInterval)
		}
	}
}
