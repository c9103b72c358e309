package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// Config says what to run.
type Config struct {
	Repo      string // repository root, where the provider is built from
	Terraform string
	Self      string // this binary, used as the RSS wrapper
	Runs      int    // runs of the slow scenarios (1, 2); 3 is the minimum for a spread
	Latency   time.Duration
	// BayT is scenario 1's Heat create duration.
	BayT    time.Duration
	JSONOut string
	SVGOut  string
	Log     io.Writer // progress lines
	// Scenarios picks which Terraform scenarios run (1 to 5); empty is
	// all, and 0 alone none. The synthetic sweep always runs.
	Scenarios []int
}

func (c Config) runs(scenario int) bool {
	return len(c.Scenarios) == 0 || slices.Contains(c.Scenarios, scenario)
}

const tokensRoute = "POST /identity/v3/auth/tokens"

// Run runs every scenario and the sweep, prints the tables and the
// targets to out, and writes the JSON and the SVG.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Results, error) {
	began := time.Now()
	host, _ := os.Hostname()
	res := &Results{Date: began.UTC().Format(time.RFC3339), Host: fmt.Sprintf("%s, %d CPUs, %s", host, runtime.NumCPU(), runtime.Version()),
		LoadBefore: loadAvg()}
	logf := func(format string, args ...any) { fmt.Fprintf(cfg.Log, "magnum-bench: "+format+"\n", args...) }

	logf("sweeping the polling algorithm on a synthetic clock")
	order := []Strategy{ProviderSchedule, ProviderHeat, ProviderPhase, ProviderPhaseHeat, ProviderPhaseCAPI, PeerFixed20s}
	res.Sweep = map[string][]SweepPoint{}
	for _, st := range order {
		res.Sweep[st.Name] = Sweep(st, SweepDurations())
	}

	var ws *workspace
	if !slices.Equal(cfg.Scenarios, []int{0}) {
		logf("building the provider")
		var err error
		ws, err = newWorkspace(ctx, cfg.Repo, cfg.Terraform, cfg.Self)
		if err != nil {
			return nil, err
		}
		defer ws.close()
	}

	var overhead []OverheadRun
	steps := map[int]func() error{
		1: func() error {
			rows, runs, err := scenarioOneBay(ctx, ws, cfg, logf)
			res.Rows, overhead = append(res.Rows, rows...), runs
			return err
		},
		2: func() error {
			rows, err := scenarioFiftyBays(ctx, ws, cfg, logf)
			res.Rows = append(res.Rows, rows...)
			return err
		},
		3: func() error {
			rows, err := scenarioRefresh(ctx, ws, cfg, logf)
			res.Rows = append(res.Rows, rows...)
			return err
		},
		4: func() error {
			rows, err := scenarioStartup(ctx, ws, cfg, logf)
			res.Rows = append(res.Rows, rows...)
			return err
		},
		5: func() error {
			rows, err := scenarioPlanN(ctx, ws, cfg, logf)
			res.Rows = append(res.Rows, rows...)
			return err
		},
	}
	for i := 1; i <= len(steps); i++ {
		if !cfg.runs(i) {
			continue
		}
		if err := steps[i](); err != nil {
			return nil, err
		}
	}
	res.Overhead = overhead
	res.Checks = checks(res, cfg)
	res.Elapsed = time.Since(began)
	res.LoadAfter = loadAvg()

	if len(res.Rows) > 0 {
		fmt.Fprintf(out, "\n## Measured (simulator, %s per request; %s; load average %s before, %s after)\n\n", cfg.Latency, res.Host, res.LoadBefore, res.LoadAfter)
		WriteTable(out, res.Rows)
	}
	if len(overhead) > 0 {
		fmt.Fprintf(out, "\n## Scenario 1: provider overhead per run (T = Heat create %s, Magnum conductor every %s)\n\n", cfg.BayT, ConductorInterval)
		WriteOverhead(out, overhead)
	}
	fmt.Fprintf(out, "\n## Polling algorithm on a synthetic clock (median and max over %d completion phases)\n\n", Phases)
	WriteSweep(out, res.Sweep, order, ShownDurations)
	fmt.Fprintln(out, "\n## Targets")
	fmt.Fprintln(out)
	for _, c := range res.Checks {
		fmt.Fprintln(out, c.String())
	}
	fmt.Fprintf(out, "\nmake bench took %s\n", res.Elapsed.Round(time.Second))

	if cfg.SVGOut != "" {
		if err := writeFile(cfg.SVGOut, []byte(PollingChart(res.Sweep, order))); err != nil {
			return res, err
		}
	}
	if cfg.JSONOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return res, err
		}
		if err := writeFile(cfg.JSONOut, append(data, '\n')); err != nil {
			return res, err
		}
	}
	return res, nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// WriteOverhead prints scenario 1's arithmetic per run.
func WriteOverhead(w io.Writer, runs []OverheadRun) {
	fmt.Fprintln(w, "| Run | Apply (baymodel + bay) | Baseline (baymodel only) | Magnum reported after | Heat finished after | Overhead vs Magnum | Overhead vs Heat | Provider's create span − T | of which: before the POST | GET saw it after Magnum | after that GET | Shortest gap between GETs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i, r := range runs {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i+1, secs(r.Apply), secs(r.Baseline), secs(r.MagnumT), secs(r.HeatT),
			secs(r.Overhead), secs(r.VsHeat), secs(r.Span), secs(r.BeforePost), secs(r.Notice), secs(r.AfterNotice), secs(r.MinGap))
	}
}

func startSim(opts sim.Options) (*sim.Sim, error) {
	opts.MaxClustersPerProject = 10000
	return sim.Start(opts)
}

// measure runs one command runs times (fresh directory and state each
// time when fresh is set) and folds the runs into a row.
type runFn func(i int) (tfResult, error)

func measure(s *sim.Sim, name, setup string, bays, runs int, fn runFn) (Row, error) {
	row := Row{Name: name, Setup: setup, Bays: bays}
	var perRun []map[string]int
	var tokens, procs []int
	for i := range runs {
		s.ResetCounters()
		r, err := fn(i)
		if err != nil {
			return row, err
		}
		row.Walls = append(row.Walls, r.wall)
		c := s.Counters()
		perRun = append(perRun, c)
		tokens = append(tokens, c[tokensRoute])
		procs = append(procs, r.procs)
		row.PeakRSSKiB = max(row.PeakRSSKiB, r.peakKiB)
	}
	row.Requests = medianCounts(perRun)
	row.Tokens, row.Procs = medianInt(tokens), medianInt(procs)
	return row, nil
}

func medianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianCounts(runs []map[string]int) map[string]int {
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range r {
			keys[k] = true
		}
	}
	out := map[string]int{}
	for k := range keys {
		var v []int
		for _, r := range runs {
			v = append(v, r[k])
		}
		if m := medianInt(v); m > 0 {
			out[k] = m
		}
	}
	return out
}

// timelines records, for every cluster the simulator is working on, when
// Magnum will first report the outcome. The simulator computes the
// instants from its schedule, so sampling every 100 ms loses no precision.
type timelines struct {
	s    *sim.Sim
	mu   sync.Mutex
	seen map[string]sim.Timeline // uuid/action
	stop chan struct{}
	done chan struct{}
}

func watch(s *sim.Sim) *timelines {
	t := &timelines{s: s, seen: map[string]sim.Timeline{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, c := range s.Clusters() {
				if tl, ok := s.OperationTimeline(c.UUID); ok {
					// The latest while the operation runs: scenario 1
					// moves the conductor's grid before Heat is done.
					t.mu.Lock()
					t.seen[c.UUID+"/"+tl.Action] = tl
					t.mu.Unlock()
				}
			}
			select {
			case <-t.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return t
}

func (t *timelines) close() { close(t.stop); <-t.done }

func (t *timelines) get(uuid, action string) (sim.Timeline, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tl, ok := t.seen[uuid+"/"+action]
	return tl, ok
}

func clusterByName(s *sim.Sim, name string) (sim.ClusterInfo, bool) {
	for _, c := range s.Clusters() {
		if c.Name == name {
			return c, true
		}
	}
	return sim.ClusterInfo{}, false
}

// OneBayRuns is the fewest runs of scenario 1: each puts Magnum's report
// elsewhere between two of the provider's polls.
const OneBayRuns = 6

// NoticeOffsets are where scenario 1's runs put Magnum's report before the
// provider's next poll is answered: spread evenly over the poll interval
// in force when Magnum reports (as the sweep spreads its completions), so
// that the median notice delay is a median over where the report falls
// between two polls, not one draw repeated. A real conductor's grid is
// fixed when it starts; where a create's end falls in its period is
// chance.
func NoticeOffsets(bayT time.Duration, runs int) []time.Duration {
	iv := min(intervalAt(ProviderSchedule.Schedule, bayT+syncLag), ConductorInterval)
	out := make([]time.Duration, runs)
	for i := range out {
		out[i] = iv * time.Duration(2*i+1) / time.Duration(2*runs)
	}
	return out
}

// placeReport moves the conductor's grid while a run's bay is being
// created, once the provider polls at its steady interval, so that Magnum
// reports the bay `notice` before one of the provider's polls is answered.
// The provider's polls are read from the simulator's log; the grid moves
// before Heat is done, so nothing was reported on the old one. It gives up
// (an error) if the bay does not show up or Heat is about to finish first.
func placeReport(s *sim.Sim, name string, iv, notice, latency time.Duration, stop <-chan struct{}) error {
	const settle = 12 * time.Second // past the schedule's first 10 s of 1 s polls
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-stop:
			return fmt.Errorf("scenario 1: the apply ended before the report of %s was placed", name)
		case <-tick.C:
		}
		c, ok := clusterByName(s, name)
		if !ok {
			continue
		}
		tl, ok := s.OperationTimeline(c.UUID)
		if !ok {
			return fmt.Errorf("scenario 1: no timeline for %s", name)
		}
		now := time.Now()
		if now.Before(tl.Accepted.Add(settle)) {
			continue
		}
		if now.After(tl.BackendDone.Add(-2 * iv)) {
			return fmt.Errorf("scenario 1: too late to place the report of %s: Heat finishes at %s", name, tl.BackendDone)
		}
		var last time.Time
		for _, r := range s.Requests() {
			if r.Method == "GET" && strings.HasSuffix(r.Path, "/clusters/"+c.UUID) {
				last = r.Time
			}
		}
		if last.IsZero() {
			return fmt.Errorf("scenario 1: no GET of %s in the request log", name)
		}
		// The poll arriving at last + n×iv is answered latency later; the
		// first sync at or after Heat's end reports syncLag after it.
		reported := last.Add(latency - notice)
		for reported.Add(-syncLag).Before(tl.BackendDone) {
			reported = reported.Add(iv)
		}
		return s.SetConductorEpoch(reported.Add(-syncLag))
	}
	return fmt.Errorf("scenario 1: bay %s did not show up in time", name)
}

// scenarioOneBay: one bay whose stack takes cfg.BayT, against a baseline
// apply of the baymodel alone.
func scenarioOneBay(ctx context.Context, ws *workspace, cfg Config, logf func(string, ...any)) ([]Row, []OverheadRun, error) {
	if cfg.BayT < 15*time.Second || cfg.BayT > 55*time.Second {
		return nil, nil, fmt.Errorf("scenario 1 places Magnum's report between the provider's polls while they come at one pace (12 s to a minute into the wait): -bay-t must be 15s to 55s, not %s", cfg.BayT)
	}
	n := max(cfg.Runs, OneBayRuns)
	pollIv := min(intervalAt(ProviderSchedule.Schedule, cfg.BayT+syncLag), ConductorInterval)
	offsets := NoticeOffsets(cfg.BayT, n)
	setup := fmt.Sprintf("latency %s, Heat create %s, conductor every %s on one grid, placed so that Magnum reports %s–%s before a poll is answered",
		cfg.Latency, cfg.BayT, ConductorInterval, secs(offsets[0]), secs(offsets[n-1]))
	s, err := startSim(sim.Options{Latency: cfg.Latency, HeatCreateDuration: cfg.BayT, HeatDeleteDuration: time.Second, ConductorInterval: ConductorInterval})
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	tl := watch(s)
	defer tl.close()

	runs := make([]OverheadRun, n)
	base, err := measure(s, "1a. apply: baymodel only (baseline)", setup, 0, n, func(i int) (tfResult, error) {
		logf("scenario 1 baseline, run %d/%d", i+1, n)
		dir, err := ws.config("s1-base", baysConfig(fmt.Sprintf("s1base%d", i), 0))
		if err != nil {
			return tfResult{}, err
		}
		r, err := ws.run(ctx, s, dir, true, "apply", "-auto-approve", "-no-color")
		runs[i].Baseline = r.wall
		return r, err
	})
	if err != nil {
		return nil, nil, err
	}
	bay, err := measure(s, fmt.Sprintf("1b. apply: baymodel + 1 bay, T = %s", cfg.BayT), setup, 1, n, func(i int) (tfResult, error) {
		logf("scenario 1 bay, run %d/%d (Magnum reports %s before a poll is answered)", i+1, n, secs(offsets[i]))
		prefix := fmt.Sprintf("s1bay%d", i)
		dir, err := ws.config("s1-bay", baysConfig(prefix, 1))
		if err != nil {
			return tfResult{}, err
		}
		stop, placed := make(chan struct{}), make(chan error, 1)
		go func() { placed <- placeReport(s, prefix+"-0", pollIv, offsets[i], cfg.Latency, stop) }()
		r, err := ws.run(ctx, s, dir, true, "apply", "-auto-approve", "-no-color")
		close(stop)
		if perr := <-placed; err == nil && perr != nil {
			err = perr
		}
		if err != nil {
			return r, err
		}
		c, ok := clusterByName(s, prefix+"-0")
		if !ok {
			return r, fmt.Errorf("scenario 1: bay %s-0 not found in the simulator", prefix)
		}
		t, ok := tl.get(c.UUID, "CREATE")
		if !ok {
			return r, fmt.Errorf("scenario 1: no timeline recorded for %s", c.UUID)
		}
		run := &runs[i]
		run.Apply = r.wall
		run.MagnumT, run.HeatT = t.Reported.Sub(t.Accepted), t.BackendDone.Sub(t.Accepted)
		run.Overhead = run.Apply - run.Baseline - run.MagnumT
		run.VsHeat = run.Apply - run.Baseline - run.HeatT
		run.Notice, run.MinGap = noticeDelay(s, c.UUID, t.Reported, cfg.Latency)
		sp := createSpan(s, t.Accepted, cfg.Latency)
		// The certificate requests may have been made during the wait:
		// the span then ends with the GET that saw the bay ready.
		if seen := t.Reported.Add(run.Notice); sp.end.Before(seen) {
			sp.end = seen
		}
		run.Span = sp.end.Sub(sp.start) - run.MagnumT
		run.BeforePost = sp.post.Sub(sp.start)
		run.AfterNotice = sp.end.Sub(t.Reported.Add(run.Notice))
		return r, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return []Row{base, bay}, runs, nil
}

// noticeDelay reads the request log: when the simulator answered the
// first GET of the cluster at or after reported (the handler runs after
// the injected latency), and the shortest gap between two GETs of it.
func noticeDelay(s *sim.Sim, uuid string, reported time.Time, latency time.Duration) (notice, minGap time.Duration) {
	var prev time.Time
	notice = -1
	for _, r := range s.Requests() {
		if r.Method != "GET" || !strings.HasSuffix(r.Path, "/clusters/"+uuid) {
			continue
		}
		served := r.Time.Add(latency)
		if notice < 0 && !served.Before(reported) {
			notice = served.Sub(reported)
		}
		if !prev.IsZero() && (minGap == 0 || r.Time.Sub(prev) < minGap) {
			minGap = r.Time.Sub(prev)
		}
		prev = r.Time
	}
	return notice, minGap
}

// span is a bay create as the request log shows it: the start of the
// provider's first request for it (reading the baymodel), the arrival of
// its POST, and the answer to its last certificate request (reading the CA
// or signing the client certificate, during the wait or after it).
type span struct{ start, post, end time.Time }

// createSpan reads the request log for the provider's own time in a bay
// create. Terraform's work around the resource is not in it, which makes
// it a steadier figure than wall-time arithmetic on a busy machine.
func createSpan(s *sim.Sim, accepted time.Time, latency time.Duration) span {
	reqs := s.Requests()
	post := -1
	for i, r := range reqs {
		if r.Route == "POST /v1/clusters" && !r.Time.After(accepted) && accepted.Sub(r.Time) < 5*time.Second {
			post = i
		}
	}
	if post < 0 {
		return span{}
	}
	sp := span{post: reqs[post].Time}
	for i := post - 1; i >= 0; i-- {
		if reqs[i].Route == "GET /v1/clustertemplates/{id}" {
			sp.start = reqs[i].Time
			break
		}
	}
	// The CA read and the signing may run side by side: the span ends
	// with whichever is answered last.
	for _, r := range reqs[post:] {
		if r.Route == "POST /v1/certificates" || r.Route == "GET /v1/certificates/{id}" {
			if t := r.Time.Add(latency); t.After(sp.end) {
				sp.end = t
			}
		}
	}
	if sp.start.IsZero() || sp.end.IsZero() {
		return span{}
	}
	return sp
}

// scenarioFiftyBays: apply, plan with nothing changed, and destroy of 50
// bays at Terraform's default parallelism (10). Shortened backend: the
// scenario measures throughput and requests, not the wait.
func scenarioFiftyBays(ctx context.Context, ws *workspace, cfg Config, logf func(string, ...any)) ([]Row, error) {
	const bays = 50
	const iv = 2 * time.Second
	setup := fmt.Sprintf("latency %s, Heat create 3 s, delete 1 s, conductor every %s", cfg.Latency, iv)
	s, err := startSim(sim.Options{Latency: cfg.Latency, HeatCreateDuration: 3 * time.Second, HeatDeleteDuration: time.Second, ConductorInterval: iv})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	dirs := make([]string, cfg.Runs)
	apply, err := measure(s, "2a. apply: 50 bays", setup, bays, cfg.Runs, func(i int) (tfResult, error) {
		logf("scenario 2 apply, run %d/%d", i+1, cfg.Runs)
		dir, err := ws.config("s2", baysConfig(fmt.Sprintf("s2r%d", i), bays))
		if err != nil {
			return tfResult{}, err
		}
		dirs[i] = dir
		return ws.run(ctx, s, dir, true, "apply", "-auto-approve", "-no-color")
	})
	if err != nil {
		return nil, err
	}
	plan, err := measure(s, "2b. plan, nothing changed: 50 bays", setup, bays, cfg.Runs, func(i int) (tfResult, error) {
		logf("scenario 2 plan, run %d/%d", i+1, cfg.Runs)
		r, err := ws.run(ctx, s, dirs[i], true, "plan", "-detailed-exitcode", "-no-color")
		if err == nil && r.code != 0 {
			err = fmt.Errorf("scenario 2: plan after apply was not empty (exit %d):\n%s", r.code, tail(r.output, 30))
		}
		return r, err
	})
	if err != nil {
		return nil, err
	}
	destroy, err := measure(s, "2c. destroy: 50 bays", setup, bays, cfg.Runs, func(i int) (tfResult, error) {
		logf("scenario 2 destroy, run %d/%d", i+1, cfg.Runs)
		return ws.run(ctx, s, dirs[i], true, "destroy", "-auto-approve", "-no-color")
	})
	if err != nil {
		return nil, err
	}
	if n := len(s.Clusters()); n != 0 {
		return nil, fmt.Errorf("scenario 2: %d clusters left after destroy", n)
	}
	return []Row{apply, plan, destroy}, nil
}

// scenarioRefresh: `terraform plan` (a refresh) of 200 bays. The bays are
// created once with a fast backend and high parallelism; that setup is
// not measured.
func scenarioRefresh(ctx context.Context, ws *workspace, cfg Config, logf func(string, ...any)) ([]Row, error) {
	const bays = 200
	setup := fmt.Sprintf("latency %s; bays created beforehand", cfg.Latency)
	s, err := startSim(sim.Options{Latency: cfg.Latency, HeatCreateDuration: time.Second})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	dir, err := ws.config("s3", baysConfig("s3", bays))
	if err != nil {
		return nil, err
	}
	logf("scenario 3 setup: creating %d bays (not measured)", bays)
	if _, err := ws.run(ctx, s, dir, false, "apply", "-auto-approve", "-no-color", "-parallelism=40"); err != nil {
		return nil, err
	}
	runs := cfg.Runs
	row, err := measure(s, "3. plan (refresh): 200 bays", setup, bays, runs, func(i int) (tfResult, error) {
		logf("scenario 3 plan, run %d/%d", i+1, runs)
		r, err := ws.run(ctx, s, dir, true, "plan", "-detailed-exitcode", "-no-color")
		if err == nil && r.code != 0 {
			err = fmt.Errorf("scenario 3: plan was not empty (exit %d):\n%s", r.code, tail(r.output, 30))
		}
		return r, err
	})
	return []Row{row}, err
}

// PlanSizes are scenario 5's numbers of bays.
var PlanSizes = []int{1, 10, 50}

// scenarioPlanN: `terraform plan` of 1, 10 and 50 unchanged bays at the
// default parallelism, the drift check users run most; each size has its
// own configuration and state, created beforehand (not measured).
func scenarioPlanN(ctx context.Context, ws *workspace, cfg Config, logf func(string, ...any)) ([]Row, error) {
	setup := fmt.Sprintf("latency %s; bays created beforehand", cfg.Latency)
	s, err := startSim(sim.Options{Latency: cfg.Latency, HeatCreateDuration: time.Second})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var rows []Row
	for i, n := range PlanSizes {
		dir, err := ws.config(fmt.Sprintf("s5-%d", n), baysConfig(fmt.Sprintf("s5n%d", n), n))
		if err != nil {
			return nil, err
		}
		logf("scenario 5 setup: creating %d bay(s) (not measured)", n)
		if _, err := ws.run(ctx, s, dir, false, "apply", "-auto-approve", "-no-color", "-parallelism=40"); err != nil {
			return nil, err
		}
		noun := "bays"
		if n == 1 {
			noun = "bay"
		}
		row, err := measure(s, fmt.Sprintf("5%c. plan, nothing changed: %d %s", 'a'+i, n, noun), setup, n, cfg.Runs, func(run int) (tfResult, error) {
			logf("scenario 5 plan of %d, run %d/%d", n, run+1, cfg.Runs)
			r, err := ws.run(ctx, s, dir, true, "plan", "-detailed-exitcode", "-no-color")
			if err == nil && r.code != 0 {
				err = fmt.Errorf("scenario 5: plan was not empty (exit %d):\n%s", r.code, tail(r.output, 30))
			}
			return r, err
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// scenarioStartup: `terraform validate` and `terraform providers schema
// -json`, timed with the provider started directly, plus one run each
// through the wrapper for its peak RSS.
func scenarioStartup(ctx context.Context, ws *workspace, cfg Config, logf func(string, ...any)) ([]Row, error) {
	const runs = 10
	dir, err := ws.config("s4", baysConfig("s4", 3))
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, cmd := range [][]string{{"validate", "-no-color"}, {"providers", "schema", "-json"}} {
		name := "4. terraform " + strings.Join(cmd[:len(cmd)-1], " ")
		if cmd[0] == "providers" {
			name = "4. terraform providers schema -json"
		}
		logf("scenario 4: %s ×%d", name, runs)
		row := Row{Name: name, Setup: "no cloud needed"}
		for range runs {
			r, err := ws.run(ctx, nil, dir, false, cmd...)
			if err != nil {
				return nil, err
			}
			row.Walls = append(row.Walls, r.wall)
		}
		r, err := ws.run(ctx, nil, dir, true, cmd...)
		if err != nil {
			return nil, err
		}
		row.Procs, row.PeakRSSKiB = r.procs, r.peakKiB
		row.Requests = map[string]int{}
		rows = append(rows, row)
	}
	return rows, nil
}
