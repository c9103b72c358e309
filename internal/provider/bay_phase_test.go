package provider

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

func TestSyncRewrote(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := func(updated time.Time, health string) *magnum.Cluster {
		return &magnum.Cluster{Status: "CREATE_IN_PROGRESS", UpdatedAt: updated, HealthStatus: health}
	}
	capi := syncRewrote(true)
	tests := []struct {
		name      string
		prev, cur *magnum.Cluster
		want      bool
	}{
		{"a sync rewrote the cluster", c(t0, ""), c(t0.Add(10*time.Second), ""), true},
		{"nothing changed", c(t0, ""), c(t0, ""), false},
		{"never written before", c(time.Time{}, ""), c(t0, ""), false},
		{"the health check, on its own period", c(t0, ""), c(t0.Add(10*time.Second), "HEALTHY"), false},
		{"no previous observation", nil, c(t0, ""), false},
	}
	for _, tt := range tests {
		if got := capi(tt.prev, tt.cur); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
	if syncRewrote(false) != nil {
		t.Error("with Heat, updated_at alone must not mark a sync")
	}
}

func TestHandlerMayFail(t *testing.T) {
	tests := []struct {
		name    string
		stackID string
		want    bool
	}{
		{"the create handler has not saved a stack: its failure is off the grid", "", true},
		{"a Heat stack: only the sync fails it", "5d4c6a7e-0b8f-4f0e-9a61-0c8d5a9b1e2f", false},
		{"a Cluster API driver's cluster name", "kube-3fk2x", false},
	}
	for _, tt := range tests {
		if got := bayHandlerMayFail(&magnum.Cluster{Status: "CREATE_IN_PROGRESS", StackID: tt.stackID}); got != tt.want {
			t.Errorf("bay, %s: %t, want %t", tt.name, got, tt.want)
		}
		if got := nodegroupHandlerMayFail(&magnum.NodeGroup{Status: "CREATE_IN_PROGRESS", StackID: tt.stackID}); got != tt.want {
			t.Errorf("nodegroup, %s: %t, want %t", tt.name, got, tt.want)
		}
	}
	if !bayHandlerMayFail(nil) || !nodegroupHandlerMayFail(nil) {
		t.Error("with no earlier look, a failure may be the handler's")
	}
}

func TestConductorPhaseIsSharedAndNilSafe(t *testing.T) {
	var none *ProviderData
	if none.conductorPhase() != nil {
		t.Error("an unconfigured provider has a Phase")
	}
	d := &ProviderData{}
	if d.conductorPhase() == nil || d.conductorPhase() != d.conductorPhase() {
		t.Error("the bay waits of one provider instance must share one Phase")
	}
}

// A bay keeps the conductor's phase its create learnt, so a resize run
// later by another terraform process (another provider process) polls once
// per conductor period just after the sync from its first minute on,
// instead of on the schedule's sparse polls, which notice up to a quarter
// of the elapsed time late.
func TestAccBay_laterRunPollsOnTheKeptPhase(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "sets the conductor's sync grid and reads the simulator's request log")
	t.Parallel()
	const period = waiter.ConductorPeriod
	opts := gridSim()
	// Long enough to poll three or four times past the first minute and
	// a period.
	opts.HeatUpdateDuration = 90 * time.Second
	s := acctest.StartSim(t, opts)
	cli := newTerraformCLI(t)
	head := cliHead + acctest.ProviderBlock(s, "demo")
	cli.writeConfig(head + testAccBayConfig("phased", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "phased")

	cli.writeConfig(head + testAccBayConfig("phased", 2, ""))
	mark := len(s.Requests())
	// The resize alone takes Magnum about 100 s; on the schedule, without
	// the phase, the wait may notice its end 15 s late.
	cli.runWithin(4*time.Minute, "apply", "-auto-approve")
	var polls []time.Time
	for _, r := range s.Requests()[mark:] {
		if r.Route == "GET /v1/clusters/{id}" && strings.HasSuffix(r.Path, id) {
			polls = append(polls, r.Time)
		}
	}
	if c := waitForBayStatus(t, s, "phased", "UPDATE_COMPLETE"); c.NodeCount != 2 {
		t.Fatalf("the resize left %d nodes", c.NodeCount)
	}
	// The wait starts at the resize's first poll; the refresh before it
	// reads the bay once more, some time earlier.
	var late []time.Time
	for i := 1; i < len(polls); i++ {
		if polls[i].Sub(polls[1]) >= waiter.PhaseAfter+period {
			late = append(late, polls[i])
		}
	}
	if len(late) < 3 {
		t.Fatalf("%d polls past the resize's first minute and a period, want at least 3: %v", len(late), polls)
	}
	// A sync's result shows a fifth of the period after the sync on the
	// simulator's Heat bays (its sync reads the stack and saves, as real
	// Magnum's does; sim/timeline.go): a poll on the phase comes just after.
	// Where in the window the poll lands depends on when the create's
	// polls saw the flip, so the bound is the widest window a wait keeps,
	// with half a second for a loaded machine's timers.
	visible := period / 5
	latest := visible + waiter.PhasedPollBound + 500*time.Millisecond
	for i, p := range late {
		into := p.Sub(opts.ConductorEpoch) % period
		if into < visible || into > latest {
			t.Errorf("poll %d past the first minute came %s into the conductor's period, want between %s (the sync's result shows) and %s", i, into, visible, latest)
		}
		if i > 0 {
			if gap := p.Sub(late[i-1]); gap < period-time.Second || gap > period+time.Second {
				t.Errorf("polls %d and %d past the first minute are %s apart, want one period", i-1, i, gap)
			}
		}
	}
	cli.run("destroy", "-auto-approve")
}

// gridSim is the simulator of the phase tests: quick bays, and a sync
// every conductor period on a grid that starts 3.7 s into it.
func gridSim() sim.Options {
	opts := fastBays()
	opts.ConductorInterval = waiter.ConductorPeriod
	opts.ConductorEpoch = time.Now().Truncate(waiter.ConductorPeriod).Add(3700 * time.Millisecond)
	return opts
}

// memPrivate is private state in memory.
type memPrivate map[string][]byte

func (m memPrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return m[key], nil
}

func (m memPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	m[key] = value
	return nil
}

func TestPhaseKeptInPrivateState(t *testing.T) {
	ctx := context.Background()
	at := func(off time.Duration) time.Time { return time.Unix(0, 0).Add(1000*waiter.ConductorPeriod + off) }
	learnt := &ProviderData{}
	kept := memPrivate{}
	if d := learnt.keepPhase(ctx, kept); d.HasError() || len(kept) != 0 {
		t.Fatalf("a process that knows no phase wrote %v", kept)
	}
	learnt.conductorPhase().Observe(at(2100*time.Millisecond), at(2600*time.Millisecond))
	learnt.keepPhase(ctx, kept)

	tests := []struct {
		name      string
		private   memPrivate
		knows     bool // the new process learnt a window of its own first
		wantLo    time.Duration
		wantKnown bool
	}{
		{"a new process starts from the kept window", kept, false, 2100 * time.Millisecond, true},
		{"a window of its own is kept", kept, true, 7 * time.Second, true},
		{"nothing kept", memPrivate{}, false, 0, false},
		{"unreadable", memPrivate{privateConductorPhase: []byte("{")}, false, 0, false},
		{"another period", memPrivate{privateConductorPhase: []byte(`{"period_ns":60000000000,"lo_ns":2100000000,"hi_ns":2600000000}`)}, false, 0, false},
		{"a memo of the releases that kept one grid", memPrivate{privateConductorPhase: []byte(`{"period_ns":10000000000,"lo_ns":2100000000,"hi_ns":2600000000}`)}, false, 2100 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ProviderData{}
			if tt.knows {
				d.conductorPhase().Observe(at(7*time.Second), at(7200*time.Millisecond))
			}
			d.seedPhase(ctx, tt.private)
			var lo time.Duration
			gs := d.conductorPhase().Grids()
			ok := len(gs) > 0
			if ok {
				lo = gs[0].Lo
			}
			if ok != tt.wantKnown || lo != tt.wantLo {
				t.Errorf("window from %s (%t), want from %s (%t)", lo, ok, tt.wantLo, tt.wantKnown)
			}
		})
	}
	// Several conductors' grids and the skew between the clocks carry over.
	multi := &ProviderData{}
	ph := multi.conductorPhase()
	skew := 37300 * time.Millisecond
	ph.ObserveStamped(at(3*time.Second), at(3500*time.Millisecond), at(3200*time.Millisecond+skew).Add(-time.Microsecond))
	ph.ObserveStamped(at(16*time.Second), at(16400*time.Millisecond), at(16100*time.Millisecond+skew).Add(-time.Microsecond))
	kept2 := memPrivate{}
	multi.keepPhase(ctx, kept2)
	next := &ProviderData{}
	next.seedPhase(ctx, kept2)
	got, want := next.conductorPhase().Grids(), ph.Grids()
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("grids %+v carried over as %+v, want both", want, got)
	}
	for i := range got {
		if got[i].Lo != want[i].Lo || got[i].Hi != want[i].Hi || !got[i].Seen.Equal(want[i].Seen) {
			t.Errorf("grid %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if lo, hi, ok := next.conductorPhase().Skew(); !ok || lo > skew || hi < skew {
		t.Errorf("skew %s..%s (%t), want around %s", lo, hi, ok, skew)
	}

	var none *ProviderData
	none.seedPhase(ctx, kept)
	if d := none.keepPhase(ctx, memPrivate{}); d.HasError() {
		t.Error(d)
	}
}

// The phase cache carries the conductor's grid to the next terraform
// command on the cloud in any working directory: a create in a new one,
// with no bay of its own to have kept the grid, polls just after the
// syncs from its first seconds on, while Heat says the stack is busy and
// once it is done, instead of on the schedule (then once a period while
// Heat vouches, at instants set by when the command started, and every
// second once the stack is done).
func TestAccBay_newWorkspacePollsOnTheCachedPhase(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "sets the conductor's sync grid and reads the simulator's request log")
	t.Parallel()
	opts := gridSim()
	// Long enough for the wait to poll twice while Heat is busy.
	opts.HeatCreateDuration = 25 * time.Second
	s := acctest.StartSim(t, opts)
	cache := t.TempDir()
	head := cliHead + acctest.ProviderBlock(s, "demo")
	cliIn := func() *terraformCLI {
		c := newTerraformCLI(t)
		// The last value of a variable wins in exec.Cmd's environment.
		c.env = append(c.env, phasecache.EnvVar+"="+cache)
		return c
	}

	first := cliIn()
	first.writeConfig(head + testAccBayConfig("cachefirst", 1, ""))
	first.run("apply", "-auto-approve")
	t.Cleanup(func() { first.run("destroy", "-auto-approve") })
	raw, err := os.ReadFile(filepath.Join(cache, "conductor-phase.json"))
	var kept map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &kept) != nil || len(kept) != 1 {
		t.Fatalf("the first command left %q in the cache (%v), want one cloud's phase", raw, err)
	}

	second := cliIn()
	second.writeConfig(head + testAccBayConfig("cachesecond", 1, ""))
	mark := len(s.Requests())
	second.run("apply", "-auto-approve")
	t.Cleanup(func() { second.run("destroy", "-auto-approve") })
	id := bayUUID(t, s, "cachesecond")
	// The wait reads the stack from waiter.HintAfter on, once a poll has
	// shown its id: the polls after its first read of Heat know whether
	// the stack is busy, and are the ones to come just after a sync.
	var polls []time.Time
	var heatRead time.Time
	for _, r := range s.Requests()[mark:] {
		switch {
		case r.Route == "GET /v1/clusters/{id}" && strings.HasSuffix(r.Path, id):
			polls = append(polls, r.Time)
		case strings.HasPrefix(r.Path, "/orchestration/") && heatRead.IsZero():
			heatRead = r.Time
		}
	}
	if len(polls) == 0 || heatRead.IsZero() {
		t.Fatalf("%d polls of the second bay, Heat read at %v", len(polls), heatRead)
	}
	if phased := checkPolledAfterSyncs(t, "the second create", polls, polls[0], heatRead, opts.ConductorEpoch); phased < 2 {
		t.Errorf("%d polls after the wait first read Heat, want at least 2 (one per sync while Heat is busy)", phased)
	}
	// About 28 s of create: two polls before Heat can be read, one per
	// sync while Heat is busy or done, and one more for a late timer.
	if n := len(polls); n > 2+4 {
		t.Errorf("%d polls of the second bay's 28 s create, want at most 6: %v", n, polls)
	}
}

// A destroy reads the bay's Heat stack: while Heat deletes it, Magnum
// cannot remove the bay, and once it is gone only the conductor's next
// sync can. With the grid known (the create's, kept in private state for
// the destroy's process), the wait polls once per sync while Heat is busy
// and just after the sync that removes the bay, where it used to poll
// every second or so from the DELETE on.
func TestAccBay_destroyPollsJustAfterTheSyncs(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "sets the conductor's sync grid and reads the simulator's request log")
	t.Parallel()
	const period = waiter.ConductorPeriod
	opts := gridSim()
	// Long enough for the wait to poll twice while Heat is busy.
	opts.HeatDeleteDuration = 25 * time.Second
	s := acctest.StartSim(t, opts)
	cli := newTerraformCLI(t)
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccBayConfig("phaseddestroy", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "phaseddestroy")

	mark := len(s.Requests())
	cli.runWithin(2*time.Minute, "destroy", "-auto-approve")
	// The simulator's conductor handles the DELETE a fifth of a period
	// after it (Heat deletes from then on): the wait's polls before show
	// the bay's old status, and it has not started. Its first read of
	// Heat after that is the one that tells it the stack is busy.
	castLag := period / 5
	var polls []time.Time
	var deleted, heatRead time.Time
	for _, r := range s.Requests()[mark:] {
		switch {
		case r.Route == "DELETE /v1/clusters/{id}" && strings.HasSuffix(r.Path, id):
			deleted = r.Time
		case deleted.IsZero():
		case r.Route == "GET /v1/clusters/{id}" && strings.HasSuffix(r.Path, id):
			polls = append(polls, r.Time)
		case strings.HasPrefix(r.Path, "/orchestration/") && heatRead.IsZero() && r.Time.Sub(deleted) >= castLag:
			heatRead = r.Time
		}
	}
	if deleted.IsZero() || len(polls) == 0 || heatRead.IsZero() {
		t.Fatalf("DELETE at %v, %d polls after it, Heat read at %v", deleted, len(polls), heatRead)
	}
	if s.ClusterExists(id) {
		t.Fatal("the destroy returned while the bay still exists")
	}
	if phased := checkPolledAfterSyncs(t, "the destroy", polls, deleted, heatRead, opts.ConductorEpoch); phased < 2 {
		t.Errorf("%d polls after the wait first read Heat, want at least 2 (one per sync while Heat is busy, one after)", phased)
	}
	// About 30 s from the DELETE to the sync that removes the bay: three
	// polls before the wait has started and read Heat, one per sync while
	// Heat deletes and one after it, and one more for a late timer. On
	// the schedule alone it took 23.
	if n := len(polls); n > 3+2+1 {
		t.Errorf("%d polls of the bay's 30 s delete, want at most 6", n)
	}
}

// checkPolledAfterSyncs checks that every poll of a wait after its first
// read of Heat came just after a sync of the simulator's grid (epoch, one
// per conductor period): a sync's result shows a fifth of the period after
// it on the simulator's Heat bays, and a phased poll comes within
// waiter.PhasedPollBound of that, with half a second for a loaded
// machine's timers. It logs every poll against from and returns how many
// it checked.
func checkPolledAfterSyncs(t *testing.T, what string, polls []time.Time, from, heatRead, epoch time.Time) int {
	t.Helper()
	const period = waiter.ConductorPeriod
	visible := period / 5
	latest := visible + waiter.PhasedPollBound + 500*time.Millisecond
	phased := 0
	for i, p := range polls {
		into := p.Sub(epoch) % period
		t.Logf("poll %d: %s into %s, %s into the period", i, p.Sub(from), what, into)
		if !p.After(heatRead) {
			continue
		}
		phased++
		if into < visible || into > latest {
			t.Errorf("poll %d of %s came %s into the conductor's period, want between %s (the sync's result shows) and %s", i, what, into, visible, latest)
		}
	}
	return phased
}
