package bench

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

func TestSimulateWaitNeverEndsEarly(t *testing.T) {
	tests := []struct {
		name     string
		st       Strategy
		b        Backend
		maxDelay time.Duration
	}{
		{"short wait, schedule", ProviderSchedule, Backend{HeatDone: 18 * time.Second, Reported: 20*time.Second + 300*time.Millisecond}, 1500 * time.Millisecond},
		{"peer polls every 20 s", PeerFixed20s, Backend{HeatDone: 18 * time.Second, Reported: 20*time.Second + 300*time.Millisecond}, 20 * time.Second},
		{"long wait with Heat", ProviderHeat, Backend{HeatDone: time.Hour, Reported: time.Hour + 7*time.Second}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := SimulateWait(tt.st, tt.b)
			if o.Early || o.Overhead < 0 {
				t.Fatalf("wait ended %s before the change", -o.Overhead)
			}
			if o.Overhead > tt.maxDelay {
				t.Errorf("overhead %s, want ≤ %s", o.Overhead, tt.maxDelay)
			}
			if o.MinGap < time.Second {
				t.Errorf("two polls %s apart", o.MinGap)
			}
			if !tt.st.Heat && o.HeatGETs != 0 {
				t.Errorf("%d Heat requests without a hint", o.HeatGETs)
			}
		})
	}
}

func TestSweepMeetsTheTargets(t *testing.T) {
	for _, st := range []Strategy{ProviderSchedule, ProviderHeat} {
		for _, c := range SweepChecks(st, Sweep(st, SweepDurations())) {
			if !c.Met {
				t.Errorf("%s", c)
			}
		}
	}
	// The peer's fixed 20 s poll misses the short-wait target: the checks
	// must be able to say so.
	failed := false
	for _, c := range SweepChecks(PeerFixed20s, Sweep(PeerFixed20s, SweepDurations())) {
		failed = failed || !c.Met
	}
	if !failed {
		t.Error("a fixed 20 s poll passed every target")
	}
}

func TestOverheadBound(t *testing.T) {
	tests := []struct{ T, want time.Duration }{
		{5 * time.Second, time.Second}, {60 * time.Second, time.Second}, {100 * time.Second, 10 * time.Second},
		{200 * time.Second, 20 * time.Second}, {2 * time.Hour, 20 * time.Second},
	}
	for _, tt := range tests {
		if got := OverheadBound(tt.T); got != tt.want {
			t.Errorf("OverheadBound(%s) = %s, want %s", tt.T, got, tt.want)
		}
	}
}

func TestRetryAfterCheckPasses(t *testing.T) {
	if c := RetryAfterCheck(); !c.Met {
		t.Error(c)
	}
}

func TestPollingChartIsWellFormedSVG(t *testing.T) {
	order := []Strategy{ProviderSchedule, PeerFixed20s}
	results := map[string][]SweepPoint{}
	for _, st := range order {
		results[st.Name] = Sweep(st, []time.Duration{5 * time.Second, time.Minute, time.Hour})
	}
	svg := PollingChart(results, order)
	dec := xml.NewDecoder(strings.NewReader(svg))
	polylines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	// Two strategies and a target line in each of two panels.
	if polylines != 6 {
		t.Errorf("%d lines drawn, want 6", polylines)
	}
	for _, want := range []string{"provider (schedule)", "peer (every 20 s)", "Requests per wait"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestReadRSSLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rss.log")
	if err := os.WriteFile(path, []byte("101 20480\n102 35000\ngarbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	procs, peak, err := readRSSLog(path)
	if err != nil || procs != 2 || peak != 35000 {
		t.Errorf("readRSSLog = %d, %d, %v; want 2 processes, 35000 KiB", procs, peak, err)
	}
	if procs, _, err := readRSSLog(filepath.Join(t.TempDir(), "missing")); err != nil || procs != 0 {
		t.Errorf("missing log: %d, %v; want none and no error", procs, err)
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	WriteTable(&b, []Row{{Name: "3. plan", Walls: []time.Duration{3 * time.Second, time.Second, 2 * time.Second},
		Requests: map[string]int{"GET /v1/clusters/{ident}": 200, tokensRoute: 1}, Tokens: 1, Procs: 2, PeakRSSKiB: 40960}})
	out := b.String()
	for _, want := range []string{"| 3. plan | 3 | 2.00 s | 1.00 s–3.00 s |", "GET /v1/clusters/{ident} ×200; POST /identity/v3/auth/tokens ×1", "40.0 MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// earlyWait is a broken waiter: it gives up watching halfway to the
// first expected change and reports success, as a waiter that trusted a
// stale CREATE_COMPLETE or a timer would.
func earlyWait(ctx context.Context, cfg waiter.Config, refresh func(context.Context) (synthObj, string, error), _ waiter.Conditions[synthObj]) (synthObj, error) {
	for range 3 {
		if _, _, err := refresh(ctx); err != nil {
			return synthObj{}, err
		}
		if err := cfg.Sleep(ctx, 2*time.Second); err != nil {
			return synthObj{}, err
		}
	}
	return synthObj{State: "CREATE_COMPLETE"}, nil
}

// failingWait gives up with an error, as a waiter that timed out early
// would.
func failingWait(ctx context.Context, cfg waiter.Config, refresh func(context.Context) (synthObj, string, error), _ waiter.Conditions[synthObj]) (synthObj, error) {
	if _, _, err := refresh(ctx); err != nil {
		return synthObj{}, err
	}
	return synthObj{}, errors.New("gave up")
}

// The "never ends early" check must fail when a waiter returns before
// Magnum reports the change, and when a wait fails.
func TestNeverEarlyCheckCatchesABrokenWaiter(t *testing.T) {
	for _, tt := range []struct {
		name string
		wait waitFunc
		want string
	}{
		{"early", earlyWait, "reported success before Magnum did"},
		{"failing", failingWait, "gave up"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := Strategy{Name: "broken", Schedule: waiter.DefaultSchedule, wait: tt.wait}
			var never *Check
			checks := SweepChecks(st, Sweep(st, []time.Duration{10 * time.Second, time.Minute}))
			for i := range checks {
				if strings.Contains(checks[i].Target, "never ends before the change") {
					never = &checks[i]
				}
			}
			if never == nil {
				t.Fatal("no never-early check")
			}
			if never.Met || !strings.Contains(never.Got, tt.want) {
				t.Errorf("a %s waiter passed or was misreported: %s", tt.name, never)
			}
			// The same sweep with the real waiter passes.
			st.wait = nil
			for _, c := range SweepChecks(st, Sweep(st, []time.Duration{10 * time.Second, time.Minute})) {
				if strings.Contains(c.Target, "never ends before the change") && !c.Met {
					t.Errorf("the real waiter failed: %s", c)
				}
			}
		})
	}
}

func TestPerBayCheckJudges(t *testing.T) {
	ok := Row{Name: "2b. plan", Bays: 50, Requests: map[string]int{"GET /v1/clusters/{id}": 50, "GET /v1/certificates/{id}": 50, tokensRoute: 1}}
	if c := perBayCheck("plan", ok); !c.Met {
		t.Errorf("2 per bay failed: %s", c)
	}
	over := Row{Name: "2b. plan", Bays: 50, Requests: map[string]int{"GET /v1/clusters/{id}": 100, "GET /v1/certificates/{id}": 50}}
	if c := perBayCheck("plan", over); c.Met || c.Info {
		t.Errorf("3 per bay passed: %s", c)
	}
	signing := Row{Name: "2b. plan", Bays: 50, Requests: map[string]int{"GET /v1/clusters/{id}": 50, "POST /v1/certificates": 1}}
	if c := perBayCheck("plan", signing); c.Met {
		t.Errorf("a certificate signed in a plan passed: %s", c)
	}
}

func TestNoDiscoveryCheckJudges(t *testing.T) {
	plan := Row{Name: "5a. plan", Bays: 1, Requests: map[string]int{"GET /v1/clusters/{id}": 1, "GET /v1/clustertemplates/{id}": 1, tokensRoute: 1}}
	if c := noDiscoveryCheck("plan", plan); !c.Met {
		t.Errorf("a plan without discovery failed: %s", c)
	}
	plan.Requests[versionsRoute] = 1
	if c := noDiscoveryCheck("plan", plan); c.Met || c.Info {
		t.Errorf("a plan that fetched the versions document passed: %s", c)
	}
}

// Polling on the conductor's phase meets the issue-16 targets with and
// without Heat, and the checks can tell when it does not.
func TestPhasedSweepMeetsTheTargets(t *testing.T) {
	for _, st := range PhasedStrategies {
		pts := Sweep(st, SweepDurations())
		for _, c := range PhaseChecks(st, pts) {
			if !c.Met {
				t.Errorf("%s", c)
			}
		}
		for _, T := range ShownDurations {
			if p, ok := pointAt(pts, T); ok {
				t.Logf("%s T=%s median %s max %s requests %d (%d)", st.Name, shortDur(T), secs(p.MedianOverhead), secs(p.MaxOverhead), p.MedianRequests, p.MaxRequests)
			}
		}
	}
	// The plain schedule polls every 30 s late in a wait: it misses both.
	failed := 0
	for _, c := range PhaseChecks(ProviderSchedule, Sweep(ProviderSchedule, SweepDurations())) {
		if !c.Met {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("the plain schedule failed %d phased targets, want the delay and the rate", failed)
	}
}

// A wait that reads Heat's progress meets the notice targets at every T
// even without the conductor's phase, and the check fails for the plain
// schedule, which polls every 9 to 30 s past the first minute.
func TestHeatNoticeCheck(t *testing.T) {
	if c := HeatNoticeCheck(ProviderHeat, Sweep(ProviderHeat, SweepDurations())); !c.Met {
		t.Errorf("%s", c)
	}
	if c := HeatNoticeCheck(ProviderSchedule, Sweep(ProviderSchedule, SweepDurations())); c.Met {
		t.Errorf("the plain schedule passed: %s", c)
	}
	if c := HeatNoticeCheck(ProviderHeat, nil); c.Met {
		t.Errorf("an empty sweep passed: %s", c)
	}
}

// Scenario 1's runs put Magnum's report at different points of the poll
// interval, and its check takes each run's own T.
func TestNoticeOffsetsSpreadOverThePollInterval(t *testing.T) {
	got := NoticeOffsets(20*time.Second, 6)
	want := []time.Duration{125, 375, 625, 875, 1125, 1375}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("NoticeOffsets(20s, 6) = %v, want 0.125 s … 1.375 s, 0.25 s apart", got)
		}
	}
	// A long wait's poll interval is longer than the conductor's period:
	// the period bounds the spread.
	if long := NoticeOffsets(10*time.Minute, 4); long[3] >= ConductorInterval {
		t.Errorf("NoticeOffsets(10m, 4) = %v, beyond the %s period", long, ConductorInterval)
	}
}

func TestOneBayCheckUsesEachRunsT(t *testing.T) {
	run := func(apply, base, T time.Duration) OverheadRun {
		return OverheadRun{Apply: apply, Baseline: base, MagnumT: T, Overhead: apply - base - T}
	}
	s := time.Second
	met := OneBayCheck([]OverheadRun{
		run(23900*time.Millisecond, s/2, 22500*time.Millisecond),
		run(24300*time.Millisecond, s/2, 23*s),
		run(24600*time.Millisecond, s/2, 23500*time.Millisecond),
	}, 20*s)
	// apply − T: 1.4, 1.3, 1.1 s; median 1.3 s − 0.5 s baseline = 0.8 s.
	if !met.Met || !strings.Contains(met.Got, "= 0.80 s") {
		t.Errorf("want met at 0.80 s: %s", met)
	}
	missed := OneBayCheck([]OverheadRun{run(25*s, s/2, 22*s), run(25*s, s/2, 23*s), run(26*s, s/2, 23*s)}, 20*s)
	if missed.Met {
		t.Errorf("a median of 1.5 s passed: %s", missed)
	}
	if OneBayCheck(nil, 20*s).Met {
		t.Error("no runs passed")
	}
}

func TestCreateSpan(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	at := func(ms int, route string) sim.Request {
		return sim.Request{Time: t0.Add(time.Duration(ms) * time.Millisecond), Route: route}
	}
	const lat = 50 * time.Millisecond
	cases := []struct {
		name             string
		reqs             []sim.Request
		accepted         time.Time
		ok               bool
		start, post, end int // milliseconds after t0
	}{
		{"name check only (the command wrote the baymodel)", []sim.Request{
			at(0, "POST /v1/clustertemplates"), at(100, "GET /v1/clusters/detail"), at(160, "POST /v1/clusters"),
			at(1200, "GET /v1/clusters/{id}"), at(1260, "GET /v1/certificates/{id}"), at(1270, "POST /v1/certificates"),
		}, t0.Add(200 * time.Millisecond), true, 100, 160, 1320},
		{"baymodel read beside the name check", []sim.Request{
			at(90, "GET /v1/clustertemplates/{id}"), at(95, "GET /v1/clusters/detail"), at(150, "POST /v1/clusters"),
			at(900, "POST /v1/certificates"), at(950, "GET /v1/certificates/{id}"),
		}, t0.Add(160 * time.Millisecond), true, 90, 150, 1000},
		{"no lookup before the POST", []sim.Request{
			at(0, "POST /v1/clustertemplates"), at(150, "POST /v1/clusters"), at(900, "POST /v1/certificates"),
		}, t0.Add(160 * time.Millisecond), false, 0, 0, 0},
		{"no certificate after the POST", []sim.Request{
			at(100, "GET /v1/clusters/detail"), at(150, "POST /v1/clusters"), at(900, "GET /v1/clusters/{id}"),
		}, t0.Add(160 * time.Millisecond), false, 0, 0, 0},
		{"no POST near the acceptance", []sim.Request{
			at(100, "GET /v1/clusters/detail"), at(150, "POST /v1/clusters"), at(900, "POST /v1/certificates"),
		}, t0.Add(10 * time.Second), false, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp, ok := createSpan(tc.reqs, tc.accepted, lat)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (span %+v)", ok, tc.ok, sp)
			}
			if !ok {
				return
			}
			ms := func(x time.Time) int { return int(x.Sub(t0) / time.Millisecond) }
			if ms(sp.start) != tc.start || ms(sp.post) != tc.post || ms(sp.end) != tc.end {
				t.Errorf("span %d/%d/%d ms, want %d/%d/%d", ms(sp.start), ms(sp.post), ms(sp.end), tc.start, tc.post, tc.end)
			}
		})
	}
}

func TestFirstSync(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name           string
		n              int
		grid, heatDone time.Duration
		want           time.Duration
	}{
		// Syncs show syncLag (2 s) after they begin: grid 100 s begins at 98 s.
		{"one conductor: the learnt grid's next sync", 1, 100 * s, 95 * s, 100 * s},
		{"one conductor: a sync that began before the stack's end does not see it", 1, 100 * s, 99 * s, 110 * s},
		{"one conductor: a grid far ahead is brought back", 1, 200 * s, 95 * s, 100 * s},
		{"three conductors: another grid's sync comes first", 3, 100 * s, 90 * s, 93333333333},
		{"three conductors: the learnt grid's sync when it is first", 3, 100 * s, 97 * s, 100 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstSync(tt.n, tt.grid, tt.heatDone); got != tt.want {
				t.Errorf("firstSync(%d, %s, %s) = %s, want %s", tt.n, tt.grid, tt.heatDone, got, tt.want)
			}
		})
	}
}

// With three conductors the one grid the phase knows is not where most
// flips land: the phased strategies notice seconds late wherever they
// poll on the phase (what ConductorsInfo reports), yet no wait ends early
// or fails.
func TestThreeConductorsShowTheOneGridPhaseLate(t *testing.T) {
	for _, st := range ThreeConductors {
		c := ConductorsInfo(st, Sweep(st, SweepDurations()))
		if !c[0].Info || !c[1].Info || c[2].Info {
			t.Fatalf("%s: the delay and rate must be information, the early check judged", st.Name)
		}
		if !c[2].Met {
			t.Errorf("%s", c[2])
		}
		from, _ := PhasedFrom(st)
		var pts []SweepPoint
		for _, p := range Sweep(st, SweepDurations()) {
			if p.T >= from {
				pts = append(pts, p)
			}
		}
		if PhaseChecks(st, pts)[0].Met {
			t.Errorf("%s met the one-conductor notice targets: the model shows no second grid", st.Name)
		}
	}
}
