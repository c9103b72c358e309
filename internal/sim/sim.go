// Package sim is an in-process simulator of Keystone v3, Magnum and the
// slices of Nova, Glance and Neutron that Magnum's own validation consults.
// It backs the acceptance tests, `make demo` and the benchmarks, and it is
// meant to fail the way a real Magnum 15 (Zed) fails: the error statuses and
// messages come from captures of a running Magnum (see
// reference/real-magnum/captures/FINDINGS.md).
//
// Every service hangs off one loopback listener under its own path prefix:
//
//	/identity/v3        Keystone
//	/container-infra    Magnum (catalog URL /container-infra/v1)
//	/compute/v2.1       Nova
//	/image              Glance
//	/network            Neutron
//	/orchestration/v1   Heat (package heat), except in the master profile
//	/_sim               unauthenticated test controls (faults, cluster list)
//
// Each service is a type with its own state and lock, wired to the others
// by small interfaces as the real services are:
//
//	Sim            the listener, request log, HTTP faults and /_sim (sim.go,
//	               httpfaults.go, control.go), in front of a backend
//	backend        the test API's view of the cloud (backend.go): inProcess
//	               (inprocess.go) or a real cloud through the relay
//	               (relay.go, relay_backend.go), which names requests
//	               from the route tables (routes.go) the in-process
//	               Keystone and Magnum register their handlers from
//	identity       Keystone (identity.go, keystone_api.go)
//	magnumService  magnum-api over Magnum's database, store (magnum.go,
//	               cluster*.go, templates.go, nodegroup*.go, ...); it calls
//	               Keystone through keystoneAuth and casts to the conductor
//	conductor      magnum-conductor (conductor*.go, kubenodes.go): runs the
//	               operations and the status poll, under the database's
//	               lock (store.go says why the API and the conductor share
//	               it); calls Heat through orchestrator, as a client, and
//	               starts the bays' Kubernetes APIs
//	heat.Engine    Heat (package heat)
//	openstackAPI   Nova, Glance and Neutron over the fixtures (openstack.go)
//	kubeapi        the bays' Kubernetes APIs (package kubeapi)
//	armedFaults    faults armed for operations not started yet (faults.go);
//	               outofband.go and inventory.go are the out-of-band control
//	               and introspection tests use
//
// SIMULATOR.md at the top of the repository describes cluster behaviour,
// options and fault injection.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Options configure a simulator. The zero value is a Zed Magnum on a free
// loopback port.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Profile selects the impersonated release: "zed" (default;
	// microversions 1.1-1.10, bays and baymodels served), "2024.1"
	// (1.1-1.11, bays gone) or "master" (1.1-1.14, kubernetes only, Cluster
	// API drivers, no orchestration endpoint in the catalog).
	Profile string
	// FixturesFile optionally replaces the embedded Nova/Glance/Neutron
	// fixtures (same JSON shape as fixtures/default.json).
	FixturesFile string
	// TokenTTL is the Keystone token lifetime; default one hour.
	TokenTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)

	// HeatCreateDuration, HeatUpdateDuration and HeatDeleteDuration are
	// how long stack operations take; 3s, 2s and 1s when zero. They also
	// time the stack-less operations of the master profile.
	HeatCreateDuration, HeatUpdateDuration, HeatDeleteDuration time.Duration
	// ConductorInterval is the period of Magnum's status poller. Cluster
	// statuses trail their stacks by up to this much (real Magnum: 10s);
	// 0 makes them follow Heat at once.
	ConductorInterval time.Duration
	// ConductorEpoch is where the conductor's sync grid starts: every sync
	// of every cluster falls on ConductorEpoch + n×ConductorInterval, as a
	// real conductor's periodic task runs on a grid fixed when
	// magnum-conductor starts (see conductor_phase.go). Zero starts the
	// grid when the simulator starts.
	ConductorEpoch time.Time
	// NotFoundAfterCreate hides a new cluster for this long after its POST,
	// the brief 404 magnum-api.md warns about (never seen in the
	// captures); 0 disables it.
	NotFoundAfterCreate time.Duration
	// TransientDeleteError plays the last moments of a delete as Magnum's
	// conductor leaves them (15, 20, and 20 with magnum-cluster-api alike):
	// DELETE_COMPLETE, then, while the nodegroup rows and the cluster row
	// are destroyed, every read of the cluster answers 400 "Invalid input
	// for field/attribute master_count. Value: '0'. ..." (FINDINGS 4z;
	// measured, see tearDown). The magnum-sim command turns it on by
	// default in every profile.
	TransientDeleteError bool
	// DeleteCompleteShownFor is how long a finished delete shows
	// DELETE_COMPLETE before the rows go, when TransientDeleteError is on;
	// zero gives the measured medians: 47 ms for a Heat bay, 2.1 s for a
	// magnum-cluster-api bay, whose driver saves DELETE_COMPLETE before
	// the periodic job deletes the trustee and the certificates through
	// Keystone and only then destroys the rows.
	DeleteCompleteShownFor time.Duration
	// NodegroupDeleteStuck replays Zed's nodegroup delete bug: DELETE
	// answers 204 but the row never leaves (FINDINGS #351-#355). Off by
	// default, since a fixed Magnum removes the row.
	NodegroupDeleteStuck bool
	// MaxClustersPerProject is the default Cluster quota; 20 when zero.
	MaxClustersPerProject int
	// MaxServersPerProject is Nova's instance quota as the simulated Heat
	// meets it: a stack (or a resize) needing more servers than the project
	// has left fails at once with Nova's quota error, before any server is
	// built. heat.DefaultMaxServers (1000) when zero.
	MaxServersPerProject int
	// Latency is added to every response (Keystone, Magnum, Heat and the
	// rest) except those of the /_sim control endpoints.
	Latency time.Duration
	// TLS serves HTTPS with a certificate from a CA made at start; clients
	// must trust CACertPEM (or skip verification).
	TLS bool
	// AppCredTrusts is Keystone's [security_compliance]
	// allow_insecure_application_credential_trust_escalation. Off, as in a
	// Keystone with the fix for LP#2150089 (Debian's Keystone 22 has it),
	// the trust Magnum's conductor creates for every new cluster is refused
	// to application-credential tokens, so such clusters go CREATE_FAILED
	// with "Failed to create trustee or trust for Cluster: <uuid>".
	AppCredTrusts bool
	// KubeAPI is what answers at a bay's api_address (package kubeapi):
	// "fake" (default) the hand-written API, "real" a real kube-apiserver
	// per bay (binaries from `make kube-bins`; Start fails without them),
	// "auto" the real one when its binaries are installed.
	KubeAPI string
	// KubeBinDir holds the real binaries; kubeapi.DefaultBinDir() when
	// empty.
	KubeBinDir string
	// KubeLogf receives what the bays' Kubernetes APIs report: API servers
	// ready, failing or dying. Logf when nil.
	KubeLogf func(format string, args ...any)
}

// Request is one entry of the request log.
type Request struct {
	Time         time.Time
	Method       string
	Path         string
	Route        string // e.g. "GET /v1/clustertemplates/{id}"
	Status       int
	User         string // user name, empty when unauthenticated
	Project      string // project name
	Microversion string // Magnum microversion served, e.g. "1.10"
	RequestID    string
}

// Sim is a running simulator: one loopback listener in front of a backend,
// the simulated cloud (inProcess) or a real one (relay). The Sim itself
// holds only what is in front of every service: the request log, the
// transport faults of httpfaults.go, TLS and the /_sim control endpoints.
type Sim struct {
	backend backend
	log     *requestLog
	// httpFaults are the transport and front-end failures of httpfaults.go.
	httpFaults httpFaults
	now        func() time.Time
	latency    time.Duration
	logf       func(format string, args ...any)
	// caPEM is the test CA of the HTTPS listener, empty without TLS.
	caPEM string

	handler http.Handler
	ln      net.Listener
	srv     *http.Server
	url     string
	done    chan struct{}
}

// Start builds the simulator and starts serving. It returns once the
// listener accepts connections.
func Start(opts Options) (*Sim, error) {
	ip, err := newInProcess(opts)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Sim{backend: ip, log: newRequestLog(), now: now, latency: opts.Latency, logf: opts.Logf}
	mux := http.NewServeMux()
	s.registerControl(mux)
	ip.register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"code": 404, "title": "Not Found", "message": "The simulator serves no API at " + r.URL.Path + "."}})
	})
	s.handler = s.middleware(mux)
	if err := s.listen(opts.Addr, opts.TLS); err != nil {
		return nil, errors.Join(err, ip.close())
	}
	return s, nil
}

// listen starts serving s.handler on addr ("127.0.0.1:0" when empty).
func (s *Sim) listen(addr string, useTLS bool) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	scheme := "http"
	if useTLS {
		tln, err := s.serveTLS(ln)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("setting up TLS: %w", err)
		}
		ln = tln
		scheme = "https"
	}
	s.ln = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return nil
}

// Close stops the listener, waits for in-flight requests briefly, and
// stops every cluster's Kubernetes endpoint and every process they started.
func (s *Sim) Close() error {
	var err error
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		<-s.done
	}
	return errors.Join(err, s.backend.close())
}

// URL is the listener's base URL, http://127.0.0.1:PORT.
func (s *Sim) URL() string { return s.url }

// AuthURL is the Keystone v3 URL clients put in OS_AUTH_URL.
func (s *Sim) AuthURL() string { return s.url + "/identity/v3" }

// Region is the only region in the catalog.
func (s *Sim) Region() string { return region }

// Handler is the whole simulator as one handler, for embedding in another
// server. URLs in responses (catalog, links) follow the request's Host.
func (s *Sim) Handler() http.Handler { return s.handler }

// Requests returns a copy of the request log.
func (s *Sim) Requests() []Request { return s.log.all() }

// Counters returns request counts per route, keyed like
// "GET /v1/clustertemplates/{id}" for Magnum (relative to the Magnum root,
// as clients see it) and "POST /identity/v3/auth/tokens" for the others.
func (s *Sim) Counters() map[string]int { return s.log.counts() }

// ResetCounters zeroes Counters (the request log is kept).
func (s *Sim) ResetCounters() { s.log.resetCounts() }

// requestLog is every request answered, and a count per route, for
// Requests and Counters. It has its own lock.
type requestLog struct {
	mu       sync.Mutex
	requests []Request
	counters map[string]int
}

func newRequestLog() *requestLog { return &requestLog{counters: map[string]int{}} }

func (l *requestLog) add(e Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, e)
	l.counters[e.Route]++
}

func (l *requestLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.requests...)
}

func (l *requestLog) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.counters))
	for k, v := range l.counters {
		out[k] = v
	}
	return out
}

func (l *requestLog) resetCounts() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counters = map[string]int{}
}

type ctxKey struct{}

// reqInfo is filled in by handlers so the middleware can log who called
// and at which microversion.
type reqInfo struct {
	user, project, microversion string
}

func infoFrom(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Sim) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rid := "req-" + uuid.NewString()
		// Every OpenStack API answers with a request id; Magnum's error
		// bodies leave request_id empty, so this header is the only place
		// a client can find it.
		w.Header().Set("X-OpenStack-Request-Id", rid)
		info := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		// Pecan, Keystone and the others treat a trailing slash as absent.
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
		}
		if d := s.latency; d > 0 && !strings.HasPrefix(r.URL.Path, "/_sim/") {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		sw := &statusWriter{ResponseWriter: w}
		// A reset connection is logged with status 0: nothing was answered.
		if answered := s.serve(sw, r, mux); answered && sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := routeKey(r)
		entry := Request{
			Time: start, Method: r.Method, Path: r.URL.RequestURI(), Route: route, Status: sw.status,
			User: info.user, Project: info.project, Microversion: info.microversion, RequestID: rid,
		}
		s.log.add(entry)
		if s.logf != nil {
			s.logf("%s %s %d route=%q user=%s project=%s version=%s id=%s",
				r.Method, entry.Path, entry.Status, route, info.user, info.project, info.microversion, rid)
		}
	})
}

// routeKey names the matched ServeMux pattern. Magnum routes drop the
// service prefix so they read as in Magnum's own documentation.
func routeKey(r *http.Request) string {
	pat := r.Pattern
	if i := strings.IndexByte(pat, ' '); i >= 0 {
		pat = pat[i+1:]
	}
	if pat == "" {
		pat = "/"
	}
	if strings.HasPrefix(pat, magnumPrefix+"/v1") {
		pat = strings.TrimPrefix(pat, magnumPrefix)
	}
	return r.Method + " " + pat
}

// baseURL is the scheme and host the client used, for catalog entries and
// links, so the handler also works embedded behind another listener.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
