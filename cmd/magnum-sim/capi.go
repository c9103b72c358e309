package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/capi"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// capiFlags turn the stand-ins into a Cluster API cloud as well: a
// management cluster whose kubeconfig a real Cluster API driver reads
// (package capi), and an Octavia stand-in for the load balancers the driver
// lists.
type capiFlags struct {
	kubeconfig, crds string
	octaviaPort      int
	boot, join       time.Duration
	host, kubeBins   string
	auditDir         string
}

func (c *capiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.kubeconfig, "capi-kubeconfig", "", "with -openstack-services: run a Cluster API management cluster (a real kube-apiserver; make kube-bins) with stand-in Cluster API and OpenStack provider controllers, and write its kubeconfig here for the driver")
	fs.StringVar(&c.crds, "capi-crds", "", "with -capi-kubeconfig: directory of Cluster API "+capi.CRDVersion+"'s CRD files (scripts/capi-crds.sh)")
	fs.StringVar(&c.auditDir, "capi-audit-dir", "", "with -capi-kubeconfig: write the management API's audit log (what the driver asked for, and what the stand-in controllers wrote; no Secret or ConfigMap data) and the workload APIs' into this directory")
	fs.IntVar(&c.octaviaPort, "octavia-port", 9876, "with -capi-kubeconfig: port of the Octavia stand-in")
	fs.DurationVar(&c.boot, "capi-server-boot", 2*time.Second, "with -capi-kubeconfig: how long a server takes to become ACTIVE")
	fs.DurationVar(&c.join, "capi-node-join", 2*time.Second, "with -capi-kubeconfig: how long an ACTIVE server takes to be a Ready node")
}

// start runs the management cluster and the Octavia stand-in when asked
// for; the returned function stops them.
func (c capiFlags) start(ctx context.Context, stdout, stderr io.Writer) (func(), error) {
	if c.kubeconfig == "" {
		return func() {}, nil
	}
	if c.crds == "" {
		return nil, errors.New("-capi-kubeconfig needs -capi-crds")
	}
	logf := log.New(stderr, "capi: ", log.LstdFlags|log.Lmicroseconds).Printf
	backend, err := kubeapi.New(kubeapi.Options{Mode: kubeapi.ModeReal, BinDir: c.kubeBins, Logf: logf, AuditDir: c.auditDir})
	if err != nil {
		return nil, err
	}
	m, err := capi.Start(ctx, capi.Options{
		Kube: backend, CRDDir: c.crds, KubeconfigPath: c.kubeconfig,
		ServerBoot: c.boot, NodeJoin: c.join, Logf: logf,
	})
	if err != nil {
		_ = backend.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.octaviaPort)))
	if err != nil {
		_ = m.Close()
		_ = backend.Close()
		return nil, fmt.Errorf("octavia stand-in: %w", err)
	}
	srv := &http.Server{Handler: m.OctaviaHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "octavia http://%s\ncapi-management %s\n", ln.Addr(), m.URL())
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = m.Close()
		_ = backend.Close()
	}, nil
}
