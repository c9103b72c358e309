// Command magnum-bench measures the provider against the simulator: apply
// overhead of one bay, 50 bays at default parallelism, a refresh of 200
// bays, start-up, and the polling algorithm on a synthetic clock. It
// prints one table and the targets, and writes bench/results.json and
// bench/polling.svg. `make bench` runs it; BENCHMARKS.md explains it.
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
