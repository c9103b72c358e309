package bench

// Scenario 1, one bay with a realistic wait: where Magnum's report is
// placed between the provider's polls, the run, and how its time splits.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

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
		// placeReport moves the grid in every run, as if the conductor
		// restarted between the commands: a grid the previous run kept
		// would be wrong on purpose, so each run starts with no grid, as a
		// provider that has not run on the cloud before.
		fresh := []string{phasecache.EnvVar + "=" + filepath.Join(dir, "phase-cache")}
		r, err := ws.runWith(ctx, s, dir, ws.wrappedRC, fresh, "apply", "-auto-approve", "-no-color")
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
		sp, ok := createSpan(s.Requests(), t.Accepted, cfg.Latency)
		if !ok {
			return r, fmt.Errorf("scenario 1: the request log does not show the create of %s (its lookups, POST and certificate requests)", c.UUID)
		}
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
// provider's first request for it (the lookups before its POST: the name
// check, and the baymodel read when the command did not write the
// baymodel), the arrival of its POST, and the answer to its last
// certificate request (reading the CA or signing the client certificate,
// during the wait or after it).
type span struct{ start, post, end time.Time }

// preCreateRoutes are the requests a bay create makes right before its
// POST, side by side.
var preCreateRoutes = map[string]bool{
	"GET /v1/clusters/detail":       true,
	"GET /v1/clusters":              true,
	"GET /v1/clustertemplates/{id}": true,
}

// createSpan reads the request log for the provider's own time in a bay
// create. Terraform's work around the resource is not in it, which makes
// it a steadier figure than wall-time arithmetic on a busy machine. It
// reports false when the log does not show a whole create.
func createSpan(reqs []sim.Request, accepted time.Time, latency time.Duration) (span, bool) {
	post := -1
	for i, r := range reqs {
		if r.Route == "POST /v1/clusters" && !r.Time.After(accepted) && accepted.Sub(r.Time) < 5*time.Second {
			post = i
		}
	}
	if post < 0 {
		return span{}, false
	}
	sp := span{post: reqs[post].Time}
	for i := post - 1; i >= 0 && preCreateRoutes[reqs[i].Route]; i-- {
		sp.start = reqs[i].Time
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
	return sp, !sp.start.IsZero() && !sp.end.IsZero()
}
