// Package capi is a Cluster API management cluster for a real Magnum with a
// real Cluster API driver (magnum-cluster-api): a real kube-apiserver serves
// Cluster API's own CRDs (v1beta1, from the sigs.k8s.io/cluster-api module)
// and the OpenStack provider's (v1alpha7, written here from what the driver
// sends), and stand-in controllers play the parts that would need real
// machines:
//
//   - Cluster API's topology, Cluster, KubeadmControlPlane,
//     MachineDeployment, MachineSet, Machine and KubeadmConfig controllers,
//     with the phases, v1beta1 conditions and Events of Cluster API v1.8;
//   - the OpenStack provider (CAPO v0.9, v1alpha7): it logs in to Keystone
//     with the application credential the driver stored, looks the
//     external network, flavors and images up through the catalog, and
//     "creates" networks, load balancers and servers with the Events CAPO
//     records; a load balancer's address is a workload API;
//   - each workload cluster's Kubernetes API (package kubeapi), whose CA is
//     the cluster CA Magnum generated and the driver pushed into the
//     <cluster>-ca secret, and whose Nodes are the running Machines.
//
// A Management runs all of it; Close stops it.
package capi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Options configure Start.
type Options struct {
	// Kube starts the management API (it must be the real backend, since
	// only a real API server serves CRDs) and the workload APIs.
	Kube kubeapi.Backend
	// CRDDir holds Cluster API's CRD YAML files (scripts/capi-crds.sh).
	CRDDir string
	// KubeconfigPath is where the management cluster's kubeconfig for the
	// driver is written once the API serves the CRDs.
	KubeconfigPath string
	// ServerBoot is how long a server takes from create to ACTIVE, and
	// NodeJoin from ACTIVE to a Ready node; 2 s each by default.
	ServerBoot, NodeJoin time.Duration
	// Logf receives what the controllers did, one line each.
	Logf func(format string, args ...any)
}

// Management is a running management cluster with its controllers.
type Management struct {
	opts Options
	ep   kubeapi.Endpoint
	k    *kube
	rec  *recorder
	os   *cloud
	wh   *webhook

	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu        sync.Mutex
	workloads map[string]*workload // by Cluster namespace/name
	bindings  map[string]bool      // Cluster UID/ClusterResourceSet UID
	lastErr   string
}

// passInterval is how often the controllers look at every object, when no
// write of theirs asks for a pass sooner. Every pass lists 15 kinds across
// the management cluster, whose API server spent 7.7 % of two cores on the
// capi suite at 500 ms; Cluster API's own controllers watch instead, and
// requeue their timed steps seconds apart, so a second loses nothing.
const passInterval = time.Second

// Start brings the management API up, installs the CRDs, writes the
// kubeconfig and starts the controllers. It returns when the driver can
// use the kubeconfig.
func Start(ctx context.Context, opts Options) (*Management, error) {
	if opts.Kube == nil || opts.Kube.Mode() != kubeapi.ModeReal {
		return nil, errors.New("capi: the management cluster needs the real Kubernetes API (make kube-bins)")
	}
	if opts.ServerBoot <= 0 {
		opts.ServerBoot = 2 * time.Second
	}
	if opts.NodeJoin <= 0 {
		opts.NodeJoin = 2 * time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	crds, err := loadCAPICRDs(opts.CRDDir)
	if err != nil {
		return nil, err
	}
	ca, err := pki.NewCA("capi-management", time.Now())
	if err != nil {
		return nil, err
	}
	ep, err := opts.Kube.Start("capi-management", ca)
	if err != nil {
		return nil, fmt.Errorf("capi: starting the management API: %w", err)
	}
	m := &Management{opts: opts, ep: ep, done: make(chan struct{}), wake: make(chan struct{}, 1), workloads: map[string]*workload{}}
	fail := func(err error) (*Management, error) {
		if m.wh != nil {
			m.wh.close()
		}
		_ = ep.Close()
		return nil, err
	}
	if err := waitReady(ctx, ep, 3*time.Minute); err != nil {
		return fail(fmt.Errorf("capi: the management API did not start: %w", err))
	}
	if m.k, err = clientFor(ep.URL(), ca, "capi-controllers"); err != nil {
		return fail(err)
	}
	if m.wh, err = startWebhook(ca); err != nil {
		return fail(err)
	}
	if err := m.wh.register(ctx, m.k, ca); err != nil {
		return fail(err)
	}
	if err := installCRDs(ctx, m.k, append(crds, capoCRDs()...)); err != nil {
		return fail(err)
	}
	// Established CRDs can still answer 429 "storage is (re)initializing"
	// for a moment.
	for _, r := range watched {
		if err := waitServed(ctx, m.k, r); err != nil {
			return fail(err)
		}
	}
	if err := writeDriverKubeconfig(opts.KubeconfigPath, ep.URL(), ca); err != nil {
		return fail(err)
	}
	m.rec = newRecorder(m.k, time.Now)
	m.os = newCloud(opts.Logf)
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.run(runCtx)
	opts.Logf("capi: management cluster at %s (Cluster API %s CRDs at %s, OpenStack provider v1alpha7); kubeconfig %s",
		ep.URL(), CRDVersion, servedVersion, opts.KubeconfigPath)
	return m, nil
}

// URL is the management API's address.
func (m *Management) URL() string { return m.ep.URL() }

// Close stops the controllers, every workload API and the management API.
func (m *Management) Close() error {
	m.cancel()
	<-m.done
	m.mu.Lock()
	ws := m.workloads
	m.workloads = map[string]*workload{}
	m.mu.Unlock()
	for _, w := range ws {
		w.close()
	}
	m.wh.close()
	return m.ep.Close()
}

func waitReady(ctx context.Context, ep kubeapi.Endpoint, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := ep.Ready()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitServed(ctx context.Context, k *kube, r resource) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := k.list(ctx, r, "", "")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("capi: %s not served after a minute: %w", r.plural, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// clientFor is a system:masters client of an API server the CA serves.
func clientFor(url string, ca *pki.CA, user string) (*kube, error) {
	certPEM, keyPEM, err := ca.IssueClientCert(user, []string{"system:masters"}, time.Now())
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return nil, err
	}
	return &kube{base: url, hc: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12, RootCAs: ca.Pool(), Certificates: []tls.Certificate{cert},
		}},
	}}, nil
}

// writeDriverKubeconfig writes a kubeconfig with a client certificate in
// system:masters, as a Cluster API management cluster's admin has, which
// pykube (magnum-cluster-api) and the kubernetes client (its locks) read.
func writeDriverKubeconfig(path, url string, ca *pki.CA) error {
	certPEM, keyPEM, err := ca.IssueClientCert("magnum", []string{"system:masters"}, time.Now())
	if err != nil {
		return err
	}
	data := kubeconfig("capi-management", url, ca.CertPEM(), certPEM, keyPEM, "magnum")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (m *Management) run(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(passInterval)
	defer t.Stop()
	for {
		if err := m.pass(ctx); err != nil && ctx.Err() == nil {
			m.logOnce("capi: %v (retrying)", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// poke asks for another pass at once, after a write that other
// controllers react to.
func (m *Management) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Management) logOnce(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	m.mu.Lock()
	same := msg == m.lastErr
	m.lastErr = msg
	m.mu.Unlock()
	if !same {
		m.opts.Logf("%s", msg)
	}
}

// state is what one pass sees: every object of every kind the controllers
// handle.
type state struct {
	objs map[resource][]obj
}

func (s *state) all(r resource) []obj { return s.objs[r] }

func (s *state) find(r resource, ns, name string) obj {
	for _, o := range s.objs[r] {
		if o.namespace() == ns && o.name() == name {
			return o
		}
	}
	return nil
}

// byLabels lists the objects of r in ns whose labels include want.
func (s *state) byLabels(r resource, ns string, want map[string]string) []obj {
	var out []obj
	for _, o := range s.objs[r] {
		if o.namespace() != ns {
			continue
		}
		ok := true
		for k, v := range want {
			if l, has := o.m("metadata", "labels")[k]; !has || l != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, o)
		}
	}
	byCreation(out)
	return out
}

var watched = []resource{rCluster, rClusterClass, rMD, rMS, rMachine, rMHC, rKCP, rKCPT, rKC, rKCT, rOSC, rOSCT, rOSM, rOSMT, rCRS}

func (m *Management) snapshot(ctx context.Context) (*state, error) {
	st := &state{objs: map[resource][]obj{}}
	for _, r := range watched {
		l, err := m.k.list(ctx, r, "", "")
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", r.plural, err)
		}
		st.objs[r] = l
	}
	return st, nil
}

// pass runs every controller once over a fresh snapshot. A write that
// loses a race (409) is simply done again on the next pass.
func (m *Management) pass(ctx context.Context) error {
	st, err := m.snapshot(ctx)
	if err != nil {
		return err
	}
	var errs []error
	note := func(what string, o obj, err error) {
		if err != nil && !isStatus(err, http.StatusConflict) && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("%s %s/%s: %w", what, o.namespace(), o.name(), err))
		}
	}
	for _, cc := range st.all(rClusterClass) {
		note("ClusterClass", cc, m.reconcileClusterClass(ctx, cc))
	}
	for _, c := range st.all(rCluster) {
		note("topology of Cluster", c, m.reconcileTopology(ctx, st, c))
	}
	for _, c := range st.all(rOSC) {
		note("OpenStackCluster", c, m.reconcileOpenStackCluster(ctx, st, c))
	}
	for _, c := range st.all(rKCP) {
		note("KubeadmControlPlane", c, m.reconcileKCP(ctx, st, c))
	}
	for _, md := range st.all(rMD) {
		note("MachineDeployment", md, m.reconcileMD(ctx, st, md))
	}
	for _, ms := range st.all(rMS) {
		note("MachineSet", ms, m.reconcileMS(ctx, st, ms))
	}
	for _, kc := range st.all(rKC) {
		note("KubeadmConfig", kc, m.reconcileKubeadmConfig(ctx, st, kc))
	}
	for _, om := range st.all(rOSM) {
		note("OpenStackMachine", om, m.reconcileOpenStackMachine(ctx, st, om))
	}
	for _, mc := range st.all(rMachine) {
		note("Machine", mc, m.reconcileMachine(ctx, st, mc))
	}
	for _, h := range st.all(rMHC) {
		note("MachineHealthCheck", h, m.reconcileMHC(ctx, st, h))
	}
	for _, c := range st.all(rCluster) {
		note("Cluster", c, m.reconcileCluster(ctx, st, c))
	}
	for _, crs := range st.all(rCRS) {
		note("ClusterResourceSet", crs, m.reconcileCRS(ctx, st, crs))
	}
	m.syncWorkloads(ctx, st)
	return errors.Join(errs...)
}

// randomSuffix is five characters of Kubernetes' name generator alphabet,
// as Cluster API names what it generates.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

func nowRFC3339() string { return time.Now().UTC().Format(time.RFC3339) }
