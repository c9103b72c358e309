package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// The benchmark against a real Magnum (`make bench-real`): the provider
// and HashiCorp's terraform-provider-openstack (the peer) take turns at
// the same operations on the same cloud, both through one counting proxy
// (the simulator's relay: it rewrites the catalog so clients stay on it,
// and counts requests per route), while a poller records when Magnum
// itself first reported each state.

// RealConfig says what to run against which cloud.
type RealConfig struct {
	Release   string // "zed" or "2025.1"
	Admin     sim.Credentials
	User      sim.Credentials // the project both providers work in
	PeerDir   string          // holds terraform-provider-openstack
	Repo      string
	Terraform string
	Self      string
	Runs      int
	PlanSizes []int
	// Ops says which parts run: the lifecycle, the plans, or both.
	Ops RealOps
	// PlanSetup says how the plans' bays are made (SetupShared when
	// empty).
	PlanSetup PlanSetup
	// SetupParallelism bounds the bays in progress at once in the
	// unmeasured create and destroy of the plans' bays (terraform's
	// -parallelism with SetupOwn).
	SetupParallelism int
	PollEvery        time.Duration
	JSONOut          string
	Log              io.Writer
}

// RealResults is what one real run produced; it is written as JSON.
type RealResults struct {
	Release    string                  `json:"release"`
	Date       string                  `json:"date"`
	Host       string                  `json:"host"`
	LoadBefore string                  `json:"load_before"`
	LoadAfter  string                  `json:"load_after"`
	Runs       []RealRun               `json:"runs"`
	Checks     []Check                 `json:"checks"`
	Poller     PollerStats             `json:"poller"`
	Events     map[string][]StateEvent `json:"events"`
	Elapsed    time.Duration           `json:"elapsed_ns"`
}

// PollerStats says how finely the poller saw Magnum.
type PollerStats struct {
	Every     time.Duration `json:"every_ns"`
	Polls     int           `json:"polls"`
	Errors    int           `json:"errors"`
	MedianRTT time.Duration `json:"median_rtt_ns"`
	MaxRTT    time.Duration `json:"max_rtt_ns"`
	LastError string        `json:"last_error,omitempty"`
}

// RealOps are the parts of the real benchmark to run.
type RealOps struct {
	Lifecycle bool // create, resize, upgrade and destroy of one bay
	Plans     bool // the plan of N unchanged bays, for each of PlanSizes
}

// ParseRealOps reads -ops: a comma-separated list of "lifecycle" and
// "plan"; "all" (or nothing) is both.
func ParseRealOps(s string) (RealOps, error) {
	var ops RealOps
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		switch f {
		case "all":
			ops = RealOps{Lifecycle: true, Plans: true}
		case "lifecycle":
			ops.Lifecycle = true
		case "plan", "plans":
			ops.Plans = true
		default:
			return RealOps{}, fmt.Errorf("%q is not a part of the benchmark (want lifecycle, plan or all)", f)
		}
	}
	if !ops.Lifecycle && !ops.Plans {
		ops = RealOps{Lifecycle: true, Plans: true}
	}
	return ops, nil
}

// The set-up of the plans (not measured) retries this many times, with
// this pause between tries to let the cloud settle.
const (
	setupAttempts = 3
	setupPause    = 30 * time.Second
)

// heatUpgradeRefused: releases whose Heat driver refuses upgrades (the
// bench asks the cloud and quotes its answer instead of measuring).
var heatUpgradeRefused = map[string]bool{"2025.1": true}

type realBench struct {
	cfg   RealConfig
	ws    *workspace
	relay *sim.Sim
	hist  *History
	user  *osClient
	admin *osClient
	rc    string
	env   []string
	tag   string
	logf  func(string, ...any)
	runs  []RealRun
	// live are the configurations that may hold bays, with the arguments
	// that destroy them when the bench stops early.
	live map[string][]string
	// shared are the bench's own bays not yet deleted.
	shared []*sharedSet
}

// RunReal runs the real benchmark, prints its tables and targets to out
// and writes the JSON.
func RunReal(ctx context.Context, cfg RealConfig, out io.Writer) (*RealResults, error) {
	began := time.Now()
	host, _ := os.Hostname()
	res := &RealResults{Release: cfg.Release, Date: began.UTC().Format(time.RFC3339),
		Host: fmt.Sprintf("%s, %d CPUs, %s", host, runtime.NumCPU(), runtime.Version()), LoadBefore: loadAvg()}
	b := &realBench{cfg: cfg, hist: NewHistory(), live: map[string][]string{},
		logf: func(format string, args ...any) { fmt.Fprintf(cfg.Log, "magnum-bench real: "+format+"\n", args...) }}
	var tag [3]byte
	_, _ = rand.Read(tag[:])
	b.tag = "rb" + hex.EncodeToString(tag[:])

	var err error
	if b.admin, err = newOSClient(ctx, cfg.Admin); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if b.user, err = newOSClient(ctx, cfg.User); err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	if err := b.ensureQuota(ctx); err != nil {
		return nil, err
	}
	pollCtx, stopPoll := context.WithCancel(ctx)
	pollDone := make(chan struct{})
	go func() { defer close(pollDone); Poll(pollCtx, b.admin, cfg.PollEvery, b.hist) }()
	defer func() { stopPoll(); <-pollDone }()

	b.relay, err = sim.StartRelay(sim.RelayOptions{KeystoneURL: cfg.Admin.AuthURL,
		Users: map[string]sim.Credentials{"demo": cfg.User, "admin": cfg.Admin}})
	if err != nil {
		return nil, err
	}
	defer b.relay.Close()

	b.logf("building the provider")
	if b.ws, err = newWorkspace(ctx, cfg.Repo, cfg.Terraform, cfg.Self); err != nil {
		return nil, err
	}
	defer b.ws.close()
	b.rc = filepath.Join(b.ws.dir, "real.tfrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n    %q = %q\n  }\n  direct {}\n}\n",
		"registry.terraform.io/magnumtf/magnum", filepath.Dir(b.ws.provider),
		"registry.terraform.io/terraform-provider-openstack/openstack", cfg.PeerDir)
	if err := os.WriteFile(b.rc, []byte(rc), 0o644); err != nil {
		return nil, err
	}
	// The peer reads these; the provider ignores them.
	b.env = []string{"OS_INTERFACE=public", "OS_IDENTITY_API_VERSION=3", "HOME=" + b.ws.dir}

	var runErr error
	if cfg.Ops.Lifecycle {
		runErr = b.lifecycle(ctx)
	}
	if runErr == nil && cfg.Ops.Plans {
		for _, n := range cfg.PlanSizes {
			if runErr = b.plans(ctx, n); runErr != nil {
				break
			}
		}
	}
	if runErr != nil {
		b.cleanup()
	}

	var ops []string
	if cfg.Ops.Lifecycle {
		ops = append(ops, OpCreate, OpResize, OpUpgrade, OpDestroy)
	}
	if cfg.Ops.Plans {
		for _, n := range cfg.PlanSizes {
			ops = append(ops, PlanOp(n))
		}
	}
	rows := FoldRealRuns(b.runs, ops)
	res.Runs, res.Checks = b.runs, RealChecks(rows)
	if runErr != nil {
		b.logf("stopped: %v", runErr)
		res.Checks = append(res.Checks, Check{Target: "every operation ran", Got: firstLine(runErr.Error()) + " (Terraform's output above, on standard error)"})
	}
	polls, errs, med, mx, last := b.hist.Stats()
	res.Poller = PollerStats{Every: cfg.PollEvery, Polls: polls, Errors: errs, MedianRTT: med, MaxRTT: mx, LastError: last}
	res.Events = b.hist.Events()
	res.LoadAfter = loadAvg()
	res.Elapsed = time.Since(began)

	fmt.Fprintf(out, "\n## Real Magnum %s: ours beside terraform-provider-openstack v3.4.0 (%d rounds; %s; load average %s before, %s after)\n\n",
		cfg.Release, cfg.Runs, res.Host, res.LoadBefore, res.LoadAfter)
	fmt.Fprintln(out, "Wall and overhead: median (max) over the rounds; overhead = terraform's end − Magnum's first report of the final state; requests: Keystone+Magnum through the proxy per run (range over the rounds).")
	fmt.Fprintln(out)
	WriteRealTable(out, rows)
	fmt.Fprintln(out)
	WriteRealEndpoints(out, rows)
	fmt.Fprintf(out, "\nPoller: every %s, %d listings (%d failed), round trip median %s, max %s.\n",
		cfg.PollEvery, polls, errs, secs(med), secs(mx))
	fmt.Fprintln(out, "\n## Targets")
	fmt.Fprintln(out)
	for _, c := range res.Checks {
		fmt.Fprintln(out, c.String())
	}
	fmt.Fprintf(out, "\nmake bench-real RELEASE=%s took %s\n", cfg.Release, res.Elapsed.Round(time.Second))
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

// ensureQuota lifts the project's cluster quota (Magnum's default is 20)
// when the plans need more: both providers' bays exist at once.
func (b *realBench) ensureQuota(ctx context.Context) error {
	need := 2
	if b.cfg.Ops.Plans {
		for _, n := range b.cfg.PlanSizes {
			need = max(need, 2*n+2)
		}
	}
	if need <= 20 {
		return nil
	}
	limit := need + 10
	code, raw, err := b.admin.call(ctx, http.MethodPost, "/quotas", map[string]any{
		"project_id": b.user.project, "resource": "Cluster", "hard_limit": limit}, nil)
	if err == nil && code == http.StatusConflict {
		code, raw, err = b.admin.call(ctx, http.MethodPatch, "/quotas/"+b.user.project+"/Cluster", map[string]any{"hard_limit": limit}, nil)
	}
	if err != nil {
		return fmt.Errorf("setting the cluster quota: %w", err)
	}
	if code >= 300 {
		return fmt.Errorf("setting the cluster quota: HTTP %d: %.300s", code, raw)
	}
	return nil
}

// lifecycle: each round, both providers in turn create a bay (with two
// baymodels), resize it, upgrade it to the second baymodel, and destroy
// it; who goes first alternates between rounds.
func (b *realBench) lifecycle(ctx context.Context) error {
	for round := range b.cfg.Runs {
		order := []string{Ours, Peer}
		if round%2 == 1 {
			order = []string{Peer, Ours}
		}
		dirs, names, uuids := map[string]string{}, map[string]string{}, map[string]string{}
		for _, p := range order {
			names[p] = fmt.Sprintf("%s-%s%d", b.tag, p[:1], round)
			dir, err := b.ws.config("real-"+names[p], lifecycleConfig(p, names[p]))
			if err != nil {
				return err
			}
			dirs[p] = dir
		}
		refusal := ""
		for _, op := range []string{OpCreate, OpResize, OpUpgrade, OpDestroy} {
			for _, p := range order {
				vars := []string{"-var", "nodes=1", "-var", "tmpl=v123"}
				switch op {
				case OpResize:
					vars = []string{"-var", "nodes=2", "-var", "tmpl=v123"}
				case OpUpgrade, OpDestroy:
					vars = []string{"-var", "nodes=2", "-var", "tmpl=v124"}
				}
				if op == OpUpgrade && heatUpgradeRefused[b.cfg.Release] {
					if refusal == "" {
						var err error
						if refusal, err = b.probeUpgrade(ctx, dirs[p], uuids[p]); err != nil {
							return err
						}
						b.logf("round %d: %s refuses the upgrade: %s", round+1, b.cfg.Release, refusal)
					}
					b.runs = append(b.runs, RealRun{Provider: p, Op: op, Round: round, Bays: 1, Skipped: refusal})
					// Destroy with the baymodel the bay still uses.
					continue
				}
				if op == OpDestroy && heatUpgradeRefused[b.cfg.Release] {
					vars = []string{"-var", "nodes=2", "-var", "tmpl=v123"}
				}
				args := append([]string{"apply", "-auto-approve", "-no-color"}, vars...)
				if op == OpDestroy {
					args[0] = "destroy"
				}
				if op == OpCreate {
					b.live[dirs[p]] = append([]string{"destroy", "-auto-approve", "-no-color"}, vars...)
				}
				b.logf("round %d/%d: %s %s", round+1, b.cfg.Runs, p, op)
				run, err := b.timed(ctx, p, op, round, dirs[p], names[p], uuids[p], args)
				if err != nil {
					return err
				}
				if op == OpCreate {
					uuids[p], _ = b.hist.UUID(names[p])
				}
				if op == OpDestroy {
					delete(b.live, dirs[p])
				}
				b.logf("  wall %s, overhead %s (GET saw it after %s, then %s), %d+%d requests", secs(run.Wall), secs(run.Overhead),
					secs(run.Notice), secs(run.Tail), run.Keystone(), run.Magnum())
				b.runs = append(b.runs, run)
			}
		}
	}
	return nil
}

// finalStatus is the status Magnum reports when each operation is done.
var finalStatus = map[string]string{OpCreate: "CREATE_COMPLETE", OpResize: "UPDATE_COMPLETE", OpUpgrade: "UPDATE_COMPLETE", OpDestroy: Gone}

// timed runs one Terraform command through the proxy and reads when
// Magnum first reported the operation's final state.
func (b *realBench) timed(ctx context.Context, p, op string, round int, dir, name, uuid string, args []string) (RealRun, error) {
	b.relay.ResetCounters()
	start := time.Now()
	r, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, args...)
	end := time.Now()
	run := RealRun{Provider: p, Op: op, Round: round, Bays: 1, Wall: r.wall, End: end, Requests: b.relay.Counters()}
	if err != nil {
		return run, fmt.Errorf("%s %s, round %d: %w", p, op, round+1, err)
	}
	// Terraform returns only after Magnum reported; the poller may still
	// be reading that listing.
	for deadline := time.Now().Add(15 * time.Second); ; {
		if uuid == "" {
			uuid, _ = b.hist.UUID(name)
		}
		if uuid != "" {
			if reported, inProgress, ok := b.hist.Reported(uuid, finalStatus[op], start); ok {
				run.Reported, run.Overhead = reported, end.Sub(reported)
				run.Notice, run.Tail, _ = noticeAndTail(b.relay.Requests(), uuid, reported, end)
				if !inProgress.IsZero() {
					run.MagnumTime = reported.Sub(inProgress)
				}
				return run, nil
			}
		}
		if time.Now().After(deadline) {
			_, _, _, _, last := b.hist.Stats()
			return run, fmt.Errorf("%s %s, round %d: the poller never saw %s report %s (last poll error: %q)", p, op, round+1, name, finalStatus[op], last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probeUpgrade asks the cloud, as the project's user and straight to
// Magnum, to upgrade the bay to the second baymodel, and returns its
// refusal. An accepted upgrade is an error: this release was expected to
// refuse, and the bench would then have to measure it.
func (b *realBench) probeUpgrade(ctx context.Context, dir, uuid string) (string, error) {
	out, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, "output", "-raw", "v124")
	if err != nil {
		return "", err
	}
	code, raw, err := b.user.call(ctx, http.MethodPost, "/clusters/"+uuid+"/actions/upgrade",
		map[string]any{"cluster_template": strings.TrimSpace(out.output), "max_batch_size": 1}, nil)
	if err != nil {
		return "", err
	}
	if code < 300 {
		return "", fmt.Errorf("%s accepted the upgrade of a Heat bay (HTTP %d): measure it instead", b.cfg.Release, code)
	}
	return fmt.Sprintf("HTTP %d %s", code, magnumMessage(raw)), nil
}

// magnumMessage is the detail of Magnum's error body.
func magnumMessage(raw []byte) string {
	var doc struct {
		Errors []struct{ Title, Detail string } `json:"errors"`
	}
	if json.Unmarshal(raw, &doc) == nil && len(doc.Errors) > 0 {
		if d := doc.Errors[0].Detail; d != "" {
			return d
		}
		return doc.Errors[0].Title
	}
	return strings.TrimSpace(string(raw))
}

// plans: n bays planned with nothing changed, by each provider in turn,
// each round. The bays are made beforehand (not measured): with
// SetupShared the bench creates them through Magnum's API and both
// providers import the same bays; with SetupOwn each provider creates
// bays of its own. Either way an apply -refresh-only then stores what
// the plans compare with.
func (b *realBench) plans(ctx context.Context, n int) error {
	op := PlanOp(n)
	dirs, prefixes := map[string]string{}, map[string]string{}
	var set *sharedSet
	if b.cfg.PlanSetup == SetupOwn {
		for _, p := range []string{Ours, Peer} {
			prefixes[p] = fmt.Sprintf("%s-%s%d", b.tag, p[:1], n)
			dir, err := b.ws.config("real-"+prefixes[p], planConfig(p, prefixes[p], n))
			if err != nil {
				return err
			}
			dirs[p] = dir
			b.live[dir] = setupArgs("destroy", b.cfg.SetupParallelism)
			b.logf("%s: %s creates %d bay(s), at most %d at a time (not measured)", op, p, n, b.cfg.SetupParallelism)
			// The peer gives up on Zed's transient 400 of a cluster polled
			// before its nodegroups exist ("master_count ... Value: '0'"), and
			// a loaded cloud fails a create now and then; the set-up is not
			// measured, so another apply replaces what it left.
			if err := b.setup(ctx, dir, prefixes[p], n, setupArgs("apply", b.cfg.SetupParallelism)); err != nil {
				return fmt.Errorf("%s %s: creating the bays: %w", p, op, err)
			}
		}
	} else {
		prefix := fmt.Sprintf("%s-s%d", b.tag, n)
		b.logf("%s: the bench creates %d bay(s) through Magnum's API, at most %d at a time (not measured)", op, n, b.cfg.SetupParallelism)
		var err error
		set, err = b.createShared(ctx, prefix, n)
		b.shared = append(b.shared, set)
		if err != nil {
			return fmt.Errorf("%s: creating the bays: %w", op, err)
		}
		for _, p := range []string{Ours, Peer} {
			prefixes[p] = prefix
			if dirs[p], err = b.ws.config("real-"+prefix+"-"+p, sharedPlanConfig(p, set)); err != nil {
				return err
			}
			b.logf("%s: %s imports the %d bay(s) and their baymodel (not measured)", op, p, n)
			if err := b.adopt(ctx, dirs[p], prefix, n); err != nil {
				return fmt.Errorf("%s %s: importing the bays: %w", p, op, err)
			}
		}
	}
	// Magnum's health check saves the clusters soon after a create; an
	// apply -refresh-only stores what the plan will compare with.
	for _, p := range []string{Ours, Peer} {
		if err := b.setup(ctx, dirs[p], prefixes[p], n, []string{"apply", "-refresh-only", "-auto-approve", "-no-color"}); err != nil {
			return fmt.Errorf("%s %s: refreshing the bays: %w", p, op, err)
		}
	}
	settled := time.Now()
	for round := range b.cfg.Runs {
		order := []string{Ours, Peer}
		if round%2 == 1 {
			order = []string{Peer, Ours}
		}
		for _, p := range order {
			b.logf("%s, round %d/%d: %s", op, round+1, b.cfg.Runs, p)
			b.relay.ResetCounters()
			r, err := b.ws.runWith(ctx, b.relay, dirs[p], b.rc, b.env, "plan", "-detailed-exitcode", "-no-color")
			end := time.Now()
			if err == nil && r.code != 0 {
				err = fmt.Errorf("the plan was not empty (exit %d):\n%s", r.code, tail(r.output, 30))
			}
			if err != nil {
				return fmt.Errorf("%s %s, round %d: %w", p, op, round+1, err)
			}
			run := RealRun{Provider: p, Op: op, Round: round, Bays: n, Wall: r.wall, End: end, Requests: b.relay.Counters()}
			for i := range n {
				if uuid, ok := b.hist.UUID(fmt.Sprintf("%s-%d", prefixes[p], i)); ok && b.hist.ChangedBetween(uuid, settled, end) {
					run.Changed++
				}
			}
			b.logf("  wall %s, %d+%d requests, %d CA reads, %d bays changed", secs(run.Wall), run.Keystone(), run.Magnum(), run.CAReads(), run.Changed)
			b.runs = append(b.runs, run)
		}
	}
	if set != nil {
		// Both states are discarded with the workspace: the bays were
		// never theirs to destroy.
		b.logf("%s: the bench deletes the bays through Magnum's API (not measured)", op)
		if err := b.deleteShared(ctx, set); err != nil {
			return fmt.Errorf("%s: deleting the bays: %w", op, err)
		}
		b.shared = slices.DeleteFunc(b.shared, func(s *sharedSet) bool { return s == set })
		return nil
	}
	for _, p := range []string{Ours, Peer} {
		b.logf("%s: %s destroys its bays (not measured)", op, p)
		// The peer gives up likewise on the 400 of a cluster whose
		// nodegroups are already gone; another destroy finishes it.
		if err := b.setup(ctx, dirs[p], prefixes[p], n, setupArgs("destroy", b.cfg.SetupParallelism)); err != nil {
			return fmt.Errorf("%s %s: destroying the bays: %w", p, op, err)
		}
		delete(b.live, dirs[p])
	}
	return nil
}

// adopt imports the bench's bays into one provider's state: a saved
// plan that must do nothing but import (else the error names each
// resource and attribute it would change, and nothing is applied, so no
// provider changes a bay), then that plan applied. A failed try is tried
// again; import blocks of resources already in the state do nothing.
func (b *realBench) adopt(ctx context.Context, dir, prefix string, n int) error {
	return retry(ctx, setupAttempts, setupPause, func(attempt int) error {
		r, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, "plan", "-no-color", "-out=import.tfplan")
		if err != nil {
			b.logf("  terraform plan (imports), try %d/%d, failed after %s: %s", attempt, setupAttempts, secs(r.wall), tfErrors(r.output, firstLine(err.Error())))
			return err
		}
		show, err := b.ws.runWith(ctx, nil, dir, b.rc, b.env, "show", "-json", "import.tfplan")
		if err != nil {
			return fmt.Errorf("reading the import plan: %w", err)
		}
		changes, err := planChanges([]byte(show.output))
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			b.logf("  terraform plan (imports), try %d/%d: it would change %s", attempt, setupAttempts, strings.Join(changes, "; "))
			return fmt.Errorf("the import plan would change %d resource(s), so it is not applied: %s", len(changes), strings.Join(changes, "; "))
		}
		b.logf("  terraform plan (imports), try %d/%d: %s, nothing but imports", attempt, setupAttempts, secs(r.wall))
		a, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, "apply", "-no-color", "import.tfplan")
		if err != nil {
			b.logf("  terraform apply import.tfplan, try %d/%d, failed after %s: %s", attempt, setupAttempts, secs(a.wall), tfErrors(a.output, firstLine(err.Error())))
			return err
		}
		b.logf("  terraform apply import.tfplan, try %d/%d: %s; Magnum lists %s", attempt, setupAttempts, secs(a.wall), baySummary(b.listBays(ctx), prefix, n))
		return nil
	}, b.logf)
}

// setup runs one unmeasured Terraform command on a plan's bays, up to
// setupAttempts times, and says after each try where the bays stand.
// After a failed create, the bays Magnum lists CREATE_COMPLETE that the
// provider gave up waiting on (a transient error, a timeout) are untainted,
// so the next try replaces only the bays that failed.
func (b *realBench) setup(ctx context.Context, dir, prefix string, n int, args []string) error {
	return retry(ctx, setupAttempts, setupPause, func(attempt int) error {
		args := retryArgs(args, attempt)
		r, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, args...)
		listing := b.listBays(ctx)
		status := baySummary(listing, prefix, n)
		if err != nil {
			b.logf("  terraform %s, try %d/%d, failed after %s: %s; Magnum lists %s", strings.Join(args, " "), attempt, setupAttempts, secs(r.wall),
				tfErrors(r.output, firstLine(err.Error())), status)
			if args[0] == "apply" && !containsArg(args, "-refresh-only") && attempt < setupAttempts {
				b.untaintComplete(ctx, dir, prefix, b.settle(ctx, prefix, n, listing))
			}
			return err
		}
		b.logf("  terraform %s, try %d/%d: %s; Magnum lists %s", strings.Join(args, " "), attempt, setupAttempts, secs(r.wall), status)
		return nil
	}, b.logf)
}

// settle waits, a bounded while, until Magnum has none of the bays in
// progress: a provider that gave up waiting on a transient error leaves
// bays that Magnum goes on creating, and only a finished one can be
// untainted.
func (b *realBench) settle(ctx context.Context, prefix string, n int, listing map[string]ClusterState) map[string]ClusterState {
	for deadline := time.Now().Add(settleFor); inProgress(listing, prefix, n) > 0 && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return listing
		case <-time.After(10 * time.Second):
		}
		listing = b.listBays(ctx)
	}
	if k := inProgress(listing, prefix, n); k > 0 {
		b.logf("  %d bays still in progress after %s", k, settleFor)
	}
	return listing
}

// settleFor bounds settle.
const settleFor = 5 * time.Minute

// inProgress counts the bays prefix-0 … prefix-(n-1) Magnum lists in an
// *_IN_PROGRESS status.
func inProgress(listing map[string]ClusterState, prefix string, n int) int {
	k := 0
	for i := range n {
		if strings.HasSuffix(listing[fmt.Sprintf("%s-%d", prefix, i)].Status, "_IN_PROGRESS") {
			k++
		}
	}
	return k
}

// untaintComplete untaints the bays the state holds tainted whose cluster
// Magnum lists CREATE_COMPLETE under the same UUID.
func (b *realBench) untaintComplete(ctx context.Context, dir, prefix string, listing map[string]ClusterState) {
	state, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		b.logf("  reading the state: %v", err)
		return
	}
	addrs, err := completeButTainted(state, prefix, listing)
	if err != nil {
		b.logf("  reading the state: %v", err)
		return
	}
	done := 0
	for _, a := range addrs {
		if _, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, "untaint", "-no-color", a); err != nil {
			b.logf("  untaint %s: %s", a, firstLine(err.Error()))
			continue
		}
		done++
	}
	if len(addrs) > 0 {
		b.logf("  untainted %d of %d tainted bays Magnum lists CREATE_COMPLETE (the provider gave up waiting on them)", done, len(addrs))
	}
}

// completeButTainted reads a Terraform state (format 4) and returns the
// addresses of the tainted bays (resource "b", indexed) whose UUID is the
// one Magnum lists as CREATE_COMPLETE under the name prefix-index.
func completeButTainted(state []byte, prefix string, listing map[string]ClusterState) ([]string, error) {
	var doc struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				IndexKey   any    `json:"index_key"`
				Status     string `json:"status"`
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state, &doc); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range doc.Resources {
		if r.Mode != "managed" || r.Name != "b" || (r.Type != "magnum_bay" && r.Type != "openstack_containerinfra_cluster_v1") {
			continue
		}
		for _, inst := range r.Instances {
			idx, ok := inst.IndexKey.(float64)
			if !ok || inst.Status != "tainted" {
				continue
			}
			c, listed := listing[fmt.Sprintf("%s-%d", prefix, int(idx))]
			if listed && c.UUID == inst.Attributes.ID && c.Status == "CREATE_COMPLETE" {
				out = append(out, fmt.Sprintf("%s.b[%d]", r.Type, int(idx)))
			}
		}
	}
	return out, nil
}

// listBays is the project's clusters by name as Magnum lists them now
// (the poller's last listing may be a round trip behind), or as the
// poller last saw them when the listing fails.
func (b *realBench) listBays(ctx context.Context) map[string]ClusterState {
	var page struct {
		Clusters []ClusterState `json:"clusters"`
	}
	if code, _, err := b.user.call(ctx, http.MethodGet, "/clusters/detail", nil, &page); err != nil || code != http.StatusOK {
		return b.hist.Latest()
	}
	out := make(map[string]ClusterState, len(page.Clusters))
	for _, c := range page.Clusters {
		out[c.Name] = c
	}
	return out
}

// tfErrors is the distinct "Error: ..." summaries of Terraform's output
// with how often each came, or orElse when it has none.
func tfErrors(output, orElse string) string {
	counts := map[string]int{}
	var order []string
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "│╷╵ "))
		if !strings.HasPrefix(line, "Error: ") {
			continue
		}
		if counts[line] == 0 {
			order = append(order, line)
		}
		counts[line]++
	}
	if len(order) == 0 {
		return orElse
	}
	parts := make([]string, 0, len(order))
	for _, l := range order {
		parts = append(parts, fmt.Sprintf("%d× %.200s", counts[l], l))
	}
	return strings.Join(parts, "; ")
}

// retryArgs are a set-up command's arguments for the given try: a retried
// apply or destroy does not refresh. The peer's refresh of a cluster whose
// create failed before Magnum made its CA fails (its kubeconfig reads the
// CA: "A key pair None could not be found"), so a refreshing retry would
// fail the same way before it replaced or deleted anything.
func retryArgs(args []string, attempt int) []string {
	if attempt <= 1 || containsArg(args, "-refresh-only") || containsArg(args, "-refresh=false") {
		return args
	}
	return append(slices.Clone(args), "-refresh=false")
}

// setupArgs are the arguments of an unmeasured apply or destroy: gentle
// on the cloud, at most parallelism operations at a time.
func setupArgs(verb string, parallelism int) []string {
	args := []string{verb, "-auto-approve", "-no-color"}
	if parallelism > 0 {
		args = append(args, fmt.Sprintf("-parallelism=%d", parallelism))
	}
	return args
}

// retry calls do until it succeeds, at most attempts times, pausing
// between tries; the error says how many tries failed and the last one's
// error.
func retry(ctx context.Context, attempts int, pause time.Duration, do func(attempt int) error, logf func(string, ...any)) error {
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		if err = do(attempt); err == nil {
			return nil
		}
		if attempt == attempts {
			break
		}
		logf("  trying again in %s", pause)
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped after %d failed tries: %w", attempt, err)
		case <-time.After(pause):
		}
	}
	return fmt.Errorf("%d tries failed, the last: %w", attempts, err)
}

// baySummary counts the bays prefix-0 … prefix-(n-1) by the status Magnum
// last listed them in ("absent": never listed, or gone), with the most
// common reason of each failed status.
func baySummary(latest map[string]ClusterState, prefix string, n int) string {
	counts, reasons := map[string]int{}, map[string]map[string]int{}
	for i := range n {
		c, ok := latest[fmt.Sprintf("%s-%d", prefix, i)]
		status := c.Status
		if !ok || status == Gone {
			status = "absent"
		}
		counts[status]++
		if strings.HasSuffix(status, "_FAILED") {
			if reasons[status] == nil {
				reasons[status] = map[string]int{}
			}
			reasons[status][c.StatusReason]++
		}
	}
	statuses := slices.Sorted(maps.Keys(counts))
	parts := make([]string, 0, len(statuses))
	for _, s := range statuses {
		part := fmt.Sprintf("%d %s", counts[s], s)
		if rs := reasons[s]; len(rs) > 0 {
			common := slices.SortedFunc(maps.Keys(rs), func(a, b string) int {
				if rs[a] != rs[b] {
					return rs[b] - rs[a]
				}
				return strings.Compare(a, b)
			})[0]
			part += fmt.Sprintf(" (%d: %.200q)", rs[common], common)
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("of %d bays, %s", n, strings.Join(parts, ", "))
}

// cleanup destroys what a failed run left, so the cloud is reusable.
func (b *realBench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for dir, args := range b.live {
		b.logf("cleaning up: terraform destroy in %s", filepath.Base(dir))
		if _, err := b.ws.runWith(ctx, b.relay, dir, b.rc, b.env, args...); err != nil {
			b.logf("  %v", err)
		}
	}
	for _, set := range b.shared {
		b.logf("cleaning up: the bench deletes the bays %s-* through Magnum's API", set.prefix)
		if err := b.deleteShared(ctx, set); err != nil {
			b.logf("  %v", err)
		}
	}
}

// The two baymodels (Kubernetes 1.23 and 1.24 on Fedora CoreOS), and one
// bay on the first, for each provider.
func lifecycleConfig(provider, name string) string {
	if provider == Peer {
		return peerHeader + peerTemplate("v123", name, "v1.23.3-rancher1", "") + peerTemplate("v124", name, "v1.24.3-rancher1", "") +
			fmt.Sprintf(`
variable "nodes" { type = number }
variable "tmpl" { type = string }

resource "openstack_containerinfra_cluster_v1" "b" {
  name                = %q
  cluster_template_id = var.tmpl == "v124" ? openstack_containerinfra_clustertemplate_v1.v124.id : openstack_containerinfra_clustertemplate_v1.v123.id
  master_count        = 1
  node_count          = var.nodes
}

output "v124" { value = openstack_containerinfra_clustertemplate_v1.v124.id }
`, name)
	}
	return oursHeader + oursBaymodel("v123", name, "v1.23.3-rancher1") + oursBaymodel("v124", name, "v1.24.3-rancher1") +
		fmt.Sprintf(`
variable "nodes" { type = number }
variable "tmpl" { type = string }

resource "magnum_bay" "b" {
  name        = %q
  baymodel_id = var.tmpl == "v124" ? magnum_baymodel.v124.id : magnum_baymodel.v123.id
  master_count = 1
  node_count  = var.nodes
}

output "v124" { value = magnum_baymodel.v124.id }
`, name)
}

// planConfig is one baymodel and n bays named prefix-0 … prefix-(n-1).
func planConfig(provider, prefix string, n int) string {
	return planConfigWith(provider, prefix, n, "")
}

// planConfigWith is planConfig with peerExtra added to the peer's
// baymodel.
func planConfigWith(provider, prefix string, n int, peerExtra string) string {
	if provider == Peer {
		return peerHeader + peerTemplate("v123", prefix, "v1.23.3-rancher1", peerExtra) + fmt.Sprintf(`
resource "openstack_containerinfra_cluster_v1" "b" {
  count               = %d
  name                = "%s-${count.index}"
  cluster_template_id = openstack_containerinfra_clustertemplate_v1.v123.id
  master_count        = 1
  node_count          = 1
}
`, n, prefix)
	}
	return oursHeader + oursBaymodel("v123", prefix, "v1.23.3-rancher1") + fmt.Sprintf(`
resource "magnum_bay" "b" {
  count       = %d
  name        = "%s-${count.index}"
  baymodel_id = magnum_baymodel.v123.id
  master_count = 1
  node_count  = 1
}
`, n, prefix)
}

const oursHeader = `terraform {
  required_providers {
    magnum = { source = "magnumtf/magnum" }
  }
}

provider "magnum" {}
`

const peerHeader = `terraform {
  required_providers {
    openstack = { source = "terraform-provider-openstack/openstack" }
  }
}

provider "openstack" {}
`

func oursBaymodel(res, prefix, kubeTag string) string {
	return fmt.Sprintf(`
resource "magnum_baymodel" %[1]q {
  name                = "%[2]s-%[1]s"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  master_flavor_id    = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
  labels = {
    kube_tag = %[3]q
  }
}
`, res, prefix, kubeTag)
}

func peerTemplate(res, prefix, kubeTag, extra string) string {
	return fmt.Sprintf(`
resource "openstack_containerinfra_clustertemplate_v1" %[1]q {
  name                = "%[2]s-%[1]s"
  coe                 = "kubernetes"
  image               = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor              = "m1.small"
  master_flavor       = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
%[4]s  labels = {
    kube_tag = %[3]q
  }
}
`, res, prefix, kubeTag, extra)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
