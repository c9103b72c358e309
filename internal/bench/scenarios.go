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
	order := []Strategy{ProviderSchedule, ProviderHeat, ProviderPhase, ProviderPhaseHeat, ProviderPhaseCAPI, PeerFixed20s, ProviderPhase3, ProviderPhaseHeat3, ProviderPhase3Every, ProviderPhaseHeat3Every, ProviderPhaseHeatLate1, ProviderPhaseHeatLate4}
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
		// The chart keeps to one conductor; the three-conductor strategies
		// are in the tables.
		oneConductor := slices.DeleteFunc(slices.Clone(order), func(st Strategy) bool { return st.Conductors > 1 || st.LateSync > 0 })
		if err := writeFile(cfg.SVGOut, []byte(PollingChart(res.Sweep, oneConductor))); err != nil {
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
