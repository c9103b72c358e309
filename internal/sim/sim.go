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

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
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
	// ConductorEpoch, when set, puts every sync of every cluster on one
	// grid, ConductorEpoch + n×ConductorInterval, as a real conductor's
	// periodic task runs (its phase is fixed when magnum-conductor starts;
	// see conductor_phase.go). Zero keeps each operation's syncs on a grid
	// of its own, counted from the operation's start.
	ConductorEpoch time.Time
	// NotFoundAfterCreate hides a new cluster for this long after its POST,
	// the brief 404 magnum-api.md warns about (never seen in the
	// captures); 0 disables it.
	NotFoundAfterCreate time.Duration
	// TransientDeleteError plays the last moments of a delete as Magnum
	// 15's conductor leaves them: DELETE_COMPLETE, then, while the
	// nodegroup rows and the cluster row are destroyed, every read of the
	// cluster answers 400 "Invalid input for field/attribute master_count.
	// Value: '0'. ..." (FINDINGS 4z; measured, see tearDown). The
	// magnum-sim command turns it on by default in the zed profile.
	TransientDeleteError bool
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

// Sim is a running simulator.
type Sim struct {
	opts    Options
	profile *profile
	now     func() time.Time
	fx      *fixtures
	ident   *identity
	st      *store
	// heat backs the orchestration endpoint; nil in profiles without one.
	heat *heat.Engine
	// heatMinute is the length of one of Heat's timeout_mins minutes.
	heatMinute time.Duration
	// faults armed by InjectFault, guarded by st.mu.
	faults []pendingFault
	// upgrades are the accepted upgrade actions (upgrades.go), guarded by st.mu.
	upgrades []UpgradeRequest
	// relay is set when this Sim forwards to a real cloud (relay.go).
	relay *relay
	// httpFaults are the transport and front-end failures of httpfaults.go.
	httpFaults httpFaults
	// caPEM is the test CA of the HTTPS listener, empty without TLS.
	caPEM string
	// kube starts the bays' Kubernetes APIs.
	kube kubeapi.Backend

	handler http.Handler
	ln      net.Listener
	srv     *http.Server
	url     string
	done    chan struct{}

	logMu    sync.Mutex
	requests []Request
	counters map[string]int
}

// Start builds the simulator and starts serving. It returns once the
// listener accepts connections.
func Start(opts Options) (*Sim, error) {
	s, err := newSim(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = s.kube.Close()
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	scheme := "http"
	if opts.TLS {
		tln, err := s.serveTLS(ln)
		if err != nil {
			_ = ln.Close()
			_ = s.kube.Close()
			return nil, fmt.Errorf("setting up TLS: %w", err)
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
	return s, nil
}

func newSim(opts Options) (*Sim, error) {
	prof, err := lookupProfile(opts.Profile)
	if err != nil {
		return nil, err
	}
	fx, err := loadFixtures(opts.FixturesFile)
	if err != nil {
		return nil, err
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Sim{
		opts:     opts,
		profile:  prof,
		now:      now,
		fx:       fx,
		st:       newStore(),
		counters: map[string]int{},
		// Heat's real minute: a create_timeout of 1 times out after one
		// minute of the clock.
		heatMinute: time.Minute,
	}
	s.ident = newIdentity(opts.TokenTTL, now)
	s.kube, err = kubeapi.New(kubeapi.Options{Mode: opts.KubeAPI, BinDir: opts.KubeBinDir, Logf: s.kubeLogf})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	s.registerControl(mux)
	s.registerIdentity(mux)
	s.registerMagnum(mux)
	s.registerOpenStack(mux)
	if prof.orchestration {
		s.heat = heat.NewEngine(heat.Config{
			Now: now, MinuteLength: s.heatMinute, MaxServers: opts.MaxServersPerProject,
			CreateDuration: opts.HeatCreateDuration, UpdateDuration: opts.HeatUpdateDuration, DeleteDuration: opts.HeatDeleteDuration,
		})
		mux.Handle("/orchestration/", http.StripPrefix("/orchestration", &heat.Handler{
			Engine: s.heat,
			Authorize: func(r *http.Request) (string, bool) {
				t := s.ident.validate(r.Header.Get("X-Auth-Token"))
				if t == nil || t.project == nil {
					return "", false
				}
				info := infoFrom(r)
				info.user, info.project = t.user.name, t.project.name
				return t.project.id, true
			},
		}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"code": 404, "title": "Not Found", "message": "The simulator serves no API at " + r.URL.Path + "."}})
	})
	s.handler = s.middleware(mux)
	return s, nil
}

// Close stops the listener, waits for in-flight requests briefly, and
// stops every cluster's Kubernetes endpoint and every process they started.
func (s *Sim) Close() error {
	defer func() {
		if s.kube != nil {
			_ = s.kube.Close()
		}
	}()
	defer s.closeClusters()
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}

func (s *Sim) closeClusters() {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, c := range s.st.clusters {
		if c.kube != nil {
			_ = c.kube.Close()
			c.kube = nil
		}
	}
}

// KubeAPI says what answers at bays' api_address: kubeapi.ModeReal or
// kubeapi.ModeFake, and a sentence for logs.
func (s *Sim) KubeAPI() (mode, description string) { return s.kube.Mode(), s.kube.Describe() }

// KubeAPIsRunning counts the bays' real Kubernetes control planes that are
// still running, their processes included: a deleted bay's stop in the
// background. Always 0 with the hand-written API, which stops with its bay.
func (s *Sim) KubeAPIsRunning() int {
	if r, ok := s.kube.(interface{ Running() int }); ok {
		return r.Running()
	}
	return 0
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
func (s *Sim) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Counters returns request counts per route, keyed like
// "GET /v1/clustertemplates/{id}" for Magnum (relative to the Magnum root,
// as clients see it) and "POST /identity/v3/auth/tokens" for the others.
func (s *Sim) Counters() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make(map[string]int, len(s.counters))
	for k, v := range s.counters {
		out[k] = v
	}
	return out
}

// ResetCounters zeroes Counters (the request log is kept).
func (s *Sim) ResetCounters() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.counters = map[string]int{}
}

// TemplateExists reports whether a cluster template (or baymodel, the same
// table) with this UUID exists in any project; for CheckDestroy.
func (s *Sim) TemplateExists(id string) bool {
	if s.relay != nil {
		return s.relay.templateExists(id)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	_, ok := s.st.templates[id]
	return ok
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
		if d := s.opts.Latency; d > 0 && !strings.HasPrefix(r.URL.Path, "/_sim/") {
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
		s.logMu.Lock()
		s.requests = append(s.requests, entry)
		s.counters[route]++
		s.logMu.Unlock()
		if s.opts.Logf != nil {
			s.opts.Logf("%s %s %d route=%q user=%s project=%s version=%s id=%s",
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
