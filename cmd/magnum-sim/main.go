// Command magnum-sim runs the Keystone + Magnum simulator on a loopback port
// and prints the OS_* exports that point the OpenStack CLI, or this
// provider, at it:
//
//	eval "$(go run ./cmd/magnum-sim &)"   # or read the lines from a pipe
//
// stdout carries the export lines and nothing else; the request log, when
// enabled with -log, goes to stderr. SIGINT or SIGTERM stops it cleanly.
//
// Clusters take -heat-create/-heat-update/-heat-delete to build, change and
// delete, and their statuses trail Heat by up to -conductor-interval, as
// with a real conductor. -fail arms failures; see SIMULATOR.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("magnum-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback only is advised)")
	profile := fs.String("profile", "zed", "Magnum release to impersonate: zed, 2025.1 or master")
	fixtures := fs.String("fixtures", "", "JSON file replacing the built-in Nova/Glance/Neutron fixtures")
	ttl := fs.Duration("token-ttl", time.Hour, "Keystone token lifetime")
	project := fs.String("project", "demo", "whose credentials to export: demo, alt or admin")
	logReqs := fs.Bool("log", false, "log every request to stderr")
	heatCreate := fs.Duration("heat-create", 3*time.Second, "how long a Heat stack (or Cluster API) create takes")
	heatUpdate := fs.Duration("heat-update", 2*time.Second, "how long a stack update (resize, upgrade, CA rotation) takes")
	heatDelete := fs.Duration("heat-delete", time.Second, "how long a stack delete takes")
	interval := fs.Duration("conductor-interval", 0, "Magnum's status poller period; statuses trail Heat by up to this (real Magnum: 10s)")
	latency := fs.Duration("latency", 0, "delay added to every Keystone, Magnum and Heat response")
	transient := fs.String("transient-delete-error", "auto", "end cluster deletes as real Magnum does, DELETE_COMPLETE then a 400 while the rows go: on, off, or auto (on in every profile)")
	standIns := fs.String("openstack-services", "", "instead of the simulator, serve stand-ins for Heat, Nova, Glance, Neutron, Cinder and etcd discovery on this host's fixed ports (8004, 8774, 9292, 9696, 8776, 8099) for a real Magnum; see scripts/real-magnum")
	failMatch := fs.String("heat-fail-match", "fail", "with -openstack-services: stacks whose name contains this fail to create (\"-\" disables)")
	var capiOpts capiFlags
	capiOpts.register(fs)
	var faults faultFlags
	fs.Var(&faults, "fail", "arm a failure, name-substring:ACTION[:resource[:reason]] (reason \"timeout\" hangs until create_timeout); repeatable")
	var httpFaults httpFaultFlags
	fs.Var(&httpFaults, "http-fault", "arm an HTTP fault, ROUTE|KIND[|key=value...] (e.g. \"POST /v1/clusters|drop-response\"); repeatable")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a certificate from a CA made at start")
	appCredTrusts := fs.Bool("appcred-trusts", false, "let application-credential tokens create the trust Magnum needs for a new cluster (Keystone's allow_insecure_application_credential_trust_escalation); off, such clusters fail as on a patched Keystone")
	cacertOut := fs.String("cacert-out", "", "with -tls, write the CA certificate (PEM) here and export OS_CACERT")
	kubeAPI := fs.String("kube-api", envOr("MAGNUM_SIM_KUBE_API", kubeapi.ModeAuto), "what answers at a Kubernetes bay's api_address: real (a kube-apiserver per bay; `make kube-bins` builds it), fake (the hand-written API) or auto (real when built); default $MAGNUM_SIM_KUBE_API or auto")
	kubeBins := fs.String("kube-bins", "", "directory of the real Kubernetes binaries (default $MAGNUM_KUBE_BINS or the cache `make kube-bins` fills)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "magnum-sim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *standIns != "" {
		capiOpts.host, capiOpts.kubeBins = *standIns, *kubeBins
		return runStandIns(sim.StandInOptions{
			Host: *standIns, FixturesFile: *fixtures, FailMatch: *failMatch,
			HeatCreateDuration: *heatCreate, HeatUpdateDuration: *heatUpdate, HeatDeleteDuration: *heatDelete,
		}, capiOpts, *logReqs, stdout, stderr)
	}
	var transientOn bool
	switch *transient {
	case "on", "true":
		transientOn = true
	case "off", "false":
	case "auto":
		// Measured in every release the profiles stand for: Zed and
		// 2025.1 (transient-probe.py; SIMULATOR.md) and magnum-cluster-api
		// 0.16.0 on Magnum 20 (the master profile; see the sim's tearDown).
		transientOn = true
	default:
		fmt.Fprintf(stderr, "magnum-sim: -transient-delete-error must be on, off or auto\n")
		return 2
	}

	opts := sim.Options{
		Addr: *addr, Profile: *profile, FixturesFile: *fixtures, TokenTTL: *ttl,
		HeatCreateDuration: *heatCreate, HeatUpdateDuration: *heatUpdate, HeatDeleteDuration: *heatDelete,
		ConductorInterval: *interval, Latency: *latency, TransientDeleteError: transientOn, TLS: *useTLS,
		AppCredTrusts: *appCredTrusts, KubeAPI: *kubeAPI, KubeBinDir: *kubeBins,
	}
	// What the bays' Kubernetes APIs report goes to stderr with or
	// without -log: an API server that fails to start must be seen.
	opts.KubeLogf = log.New(stderr, "magnum-sim: ", log.LstdFlags).Printf
	if *cacertOut != "" && !*useTLS {
		fmt.Fprintf(stderr, "magnum-sim: -cacert-out needs -tls\n")
		return 2
	}
	if *logReqs {
		l := log.New(stderr, "magnum-sim: ", log.LstdFlags|log.Lmicroseconds)
		opts.Logf = l.Printf
	}
	s, err := sim.Start(opts)
	if err != nil {
		fmt.Fprintf(stderr, "magnum-sim: %v\n", err)
		return 1
	}
	mode, desc := s.KubeAPI()
	fmt.Fprintf(stderr, "magnum-sim: Kubernetes bays get %s\n", desc)
	if mode == kubeapi.ModeFake && *kubeAPI != kubeapi.ModeFake {
		fmt.Fprintf(stderr, "magnum-sim: `make kube-bins` builds a real kube-apiserver for them (a few minutes, once); -kube-api=fake keeps this one\n")
	}
	for _, f := range faults {
		s.InjectFault(f.match, f.fault)
	}
	for _, f := range httpFaults {
		// Parsing already validated them.
		_ = s.InjectHTTPFault(f)
	}
	var extraExports []string
	if *cacertOut != "" {
		if err := os.WriteFile(*cacertOut, []byte(s.CACertPEM()), 0o644); err != nil {
			_ = s.Close()
			fmt.Fprintf(stderr, "magnum-sim: writing the CA certificate: %v\n", err)
			return 1
		}
		extraExports = append(extraExports, "export OS_CACERT="+*cacertOut)
	}
	// Register for signals before announcing readiness, so a supervisor
	// that signals as soon as it has read the exports cannot kill us
	// uncleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	lines := s.ExportLines(*project)
	if lines == nil {
		_ = s.Close()
		fmt.Fprintf(stderr, "magnum-sim: unknown project %q (want demo, alt or admin)\n", *project)
		return 2
	}
	for _, l := range append(lines, extraExports...) {
		fmt.Fprintln(stdout, l)
	}

	<-ctx.Done()
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "magnum-sim: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// faultFlags collects repeated -fail flags.
type faultFlags []struct {
	match string
	fault sim.Fault
}

func (f *faultFlags) String() string { return fmt.Sprint(len(*f), " faults") }

func (f *faultFlags) Set(v string) error {
	match, fault, err := sim.ParseFault(v)
	if err != nil {
		return err
	}
	*f = append(*f, struct {
		match string
		fault sim.Fault
	}{match, fault})
	return nil
}

// httpFaultFlags collects repeated -http-fault flags.
type httpFaultFlags []sim.HTTPFault

func (f *httpFaultFlags) String() string { return fmt.Sprint(len(*f), " http faults") }

func (f *httpFaultFlags) Set(v string) error {
	hf, err := sim.ParseHTTPFault(v)
	if err != nil {
		return err
	}
	*f = append(*f, hf)
	return nil
}

// runStandIns serves the stand-ins until SIGINT or SIGTERM. stdout gets one
// "name url" line per service once all of them listen.
func runStandIns(opts sim.StandInOptions, capiOpts capiFlags, logReqs bool, stdout, stderr io.Writer) int {
	if logReqs {
		l := log.New(stderr, "stand-in: ", log.LstdFlags|log.Lmicroseconds)
		opts.Logf = l.Printf
	}
	si, err := sim.StartStandIns(opts)
	if err != nil {
		fmt.Fprintf(stderr, "magnum-sim: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, name := range []string{sim.StandInHeat, sim.StandInNova, sim.StandInGlance, sim.StandInNeutron, sim.StandInCinder, sim.StandInDiscovery} {
		fmt.Fprintf(stdout, "%s %s\n", name, si.URL(name))
	}
	stopCAPI, err := capiOpts.start(ctx, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "magnum-sim: %v\n", err)
		_ = si.Close()
		return 1
	}
	defer stopCAPI()
	<-ctx.Done()
	if err := si.Close(); err != nil {
		fmt.Fprintf(stderr, "magnum-sim: shutdown: %v\n", err)
		return 1
	}
	return 0
}
