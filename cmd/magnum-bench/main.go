// Command magnum-bench measures the provider against the simulator: apply
// overhead of one bay, 50 bays at default parallelism, a refresh of 200
// bays, start-up, and the polling algorithm on a synthetic clock. It
// prints one table and the targets, and writes bench/results.json and
// bench/polling.svg. `make bench` runs it; BENCHMARKS.md explains it.
//
// With -real RELEASE it measures the provider beside HashiCorp's
// terraform-provider-openstack on a real Magnum instead (`make
// bench-real`), and writes bench/real-RELEASE.json. It exits 3 when a
// target is missed.
//
// Terraform starts providers itself, so magnum-bench also serves as the
// wrapper that reports the provider's peak memory: run with
// MAGNUM_BENCH_PROVIDER set, it runs that binary and records its RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/bench"
)

func main() {
	if real := os.Getenv(bench.WrapEnv); real != "" {
		os.Exit(bench.Wrap(real, os.Args[1:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("magnum-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := fs.String("terraform", "", "terraform binary (default: $TERRAFORM, then terraform on PATH)")
	runs := fs.Int("runs", 3, "runs of each Terraform scenario (at least 3 for a spread)")
	latency := fs.Duration("latency", 50*time.Millisecond, "simulated latency of every API request")
	bayT := fs.Duration("bay-t", 20*time.Second, "scenario 1: how long the bay's Heat stack takes")
	jsonOut := fs.String("json", "bench/results.json", "where to write the results")
	svgOut := fs.String("svg", "bench/polling.svg", "where to write the polling chart")
	repo := fs.String("repo", ".", "repository root to build the provider from")
	only := fs.String("scenarios", "", "comma-separated Terraform scenarios to run (1-5; 0: none, the synthetic sweep alone; default all)")
	realRelease := fs.String("real", "", "measure on the real Magnum of this release (zed or 2025.1) instead of the simulator")
	openrc := fs.String("openrc", "", "-real: the cloud admin's openrc (the poller's credentials)")
	userOpenrc := fs.String("user-openrc", "", "-real: the openrc of the user both providers work as (default: -openrc's file with .demo appended)")
	peerDir := fs.String("peer", "", "-real: the directory holding terraform-provider-openstack (scripts/peer.sh path)")
	planSizes := fs.String("plan-sizes", "1,10", "-real: numbers of bays of the plan with nothing changed")
	pollEvery := fs.Duration("poll", 200*time.Millisecond, "-real: how often the poller lists Magnum's clusters")
	realOps := fs.String("ops", "all", "-real: the parts to run, comma-separated: lifecycle (create, resize, upgrade, destroy of one bay), plan (the plans of -plan-sizes bays), or all")
	setupPar := fs.Int("setup-parallelism", 5, "-real: the most bays in progress at once in the unmeasured create and delete of the plans' bays (with -plan-setup=own, terraform's -parallelism)")
	planSetup := fs.String("plan-setup", "shared", "-real: how the plans' bays are made: shared (the bench creates them through Magnum's API and both providers import them) or own (each provider creates and destroys its own)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var scenarios []int
	for _, f := range strings.FieldsFunc(*only, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 5 {
			fmt.Fprintf(stderr, "magnum-bench: -scenarios: %q is not a scenario (1-5, or 0 for the sweep alone)\n", f)
			return 2
		}
		scenarios = append(scenarios, n)
	}
	if *tf == "" {
		*tf = os.Getenv("TERRAFORM")
	}
	if *tf == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			fmt.Fprintln(stderr, "magnum-bench: no terraform binary; pass -terraform")
			return 2
		}
		*tf = p
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "magnum-bench: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *realRelease != "" {
		return runReal(ctx, realFlags{release: *realRelease, openrc: *openrc, userOpenrc: *userOpenrc, peerDir: *peerDir,
			planSizes: *planSizes, ops: *realOps, planSetup: *planSetup, setupParallelism: *setupPar, pollEvery: *pollEvery, json: *jsonOut, jsonSet: flagSet(fs, "json")},
			bench.RealConfig{Repo: *repo, Terraform: *tf, Self: self, Runs: max(*runs, 1), Log: stderr}, stdout, stderr)
	}
	res, err := bench.Run(ctx, bench.Config{
		Repo: *repo, Terraform: *tf, Self: self, Runs: max(*runs, 1), Latency: *latency, BayT: *bayT,
		JSONOut: *jsonOut, SVGOut: *svgOut, Log: stderr, Scenarios: scenarios,
	}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "magnum-bench: %v\n", err)
		return 1
	}
	for _, c := range res.Checks {
		if !c.Info && !c.Met {
			return 3
		}
	}
	return 0
}

type realFlags struct {
	release, openrc, userOpenrc, peerDir, planSizes, ops, planSetup, json string
	jsonSet                                                               bool
	setupParallelism                                                      int
	pollEvery                                                             time.Duration
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runReal checks the -real flags, runs the real benchmark and turns a
// missed target into exit 3.
func runReal(ctx context.Context, f realFlags, cfg bench.RealConfig, stdout, stderr io.Writer) int {
	if f.release != "zed" && f.release != "2025.1" {
		fmt.Fprintf(stderr, "magnum-bench: -real %q: want zed or 2025.1\n", f.release)
		return 2
	}
	if f.openrc == "" || f.peerDir == "" {
		fmt.Fprintln(stderr, "magnum-bench: -real needs -openrc and -peer")
		return 2
	}
	if f.userOpenrc == "" {
		f.userOpenrc = f.openrc + ".demo"
	}
	var err error
	if cfg.Admin, err = bench.ReadOpenRC(f.openrc); err != nil {
		fmt.Fprintf(stderr, "magnum-bench: %s: %v\n", f.openrc, err)
		return 2
	}
	if cfg.User, err = bench.ReadOpenRC(f.userOpenrc); err != nil {
		fmt.Fprintf(stderr, "magnum-bench: %s: %v\n", f.userOpenrc, err)
		return 2
	}
	for _, field := range strings.FieldsFunc(f.planSizes, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(field)
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "magnum-bench: -plan-sizes: %q is not a number of bays\n", field)
			return 2
		}
		cfg.PlanSizes = append(cfg.PlanSizes, n)
	}
	if cfg.Ops, err = bench.ParseRealOps(f.ops); err != nil {
		fmt.Fprintf(stderr, "magnum-bench: -ops: %v\n", err)
		return 2
	}
	if cfg.PlanSetup, err = bench.ParsePlanSetup(f.planSetup); err != nil {
		fmt.Fprintf(stderr, "magnum-bench: -plan-setup: %v\n", err)
		return 2
	}
	if f.setupParallelism < 1 {
		fmt.Fprintf(stderr, "magnum-bench: -setup-parallelism %d: want at least 1\n", f.setupParallelism)
		return 2
	}
	cfg.Release, cfg.PeerDir, cfg.PollEvery, cfg.SetupParallelism = f.release, f.peerDir, f.pollEvery, f.setupParallelism
	cfg.JSONOut = "bench/real-" + f.release + ".json"
	if f.jsonSet {
		cfg.JSONOut = f.json
	}
	res, err := bench.RunReal(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "magnum-bench: %v\n", err)
		return 1
	}
	for _, c := range res.Checks {
		if !c.Info && !c.Met {
			return 3
		}
	}
	return 0
}
