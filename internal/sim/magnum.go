package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

const magnumPrefix = "/container-infra"

// magnumService is Magnum: magnum-api's handlers over one database
// (store) whose lock st.mu every handler takes, as Magnum's DB
// transactions serialise them, and the conductor (cond) they cast work to,
// which shares that database and lock. It reaches the other services the
// way real Magnum does: Keystone to check tokens (keystoneAuth), Heat as a
// client (orchestrator, read here for stack details and used by the
// conductor for the rest), and the Nova, Glance and Neutron lookups of its
// validation (fixtures).
type magnumService struct {
	opts    Options
	profile *profile
	now     func() time.Time

	keystone keystoneAuth
	fx       *fixtures
	// heat is nil in profiles without orchestration; never a typed nil.
	heat orchestrator

	st   *store
	cond *conductor
	// upgrades are the accepted upgrade actions (upgrades.go), guarded by
	// st.mu.
	upgrades []UpgradeRequest
}

// keystoneAuth is what Magnum asks of Keystone: keystonemiddleware's token
// check, and whether a project exists (quotas).
type keystoneAuth interface {
	authenticate(w http.ResponseWriter, r *http.Request) *principal
	projectExists(projectID string) bool
}

// orchestrator is the slice of Heat's API that Magnum calls through
// heatclient; *heat.Engine implements it.
type orchestrator interface {
	CreateStack(project string, spec heat.StackSpec) *heat.Stack
	UpdateStack(id string, params map[string]string, duration time.Duration) error
	DeleteStack(id string, duration time.Duration) error
	Stack(id string) (*heat.Stack, error)
	Stacks(project string) []*heat.Stack
}

// stackFaults is Heat's side of fault injection, a call no real client
// makes: the conductor arms a test's fault on the stack it has just
// created or updated. *heat.Engine implements it.
type stackFaults interface {
	InjectFault(id string, f heat.Fault) error
}

// newMagnumService builds Magnum over an empty database. hs and hf are nil
// for a profile without orchestration.
func newMagnumService(opts Options, prof *profile, now func() time.Time, keystone keystoneAuth, fx *fixtures, hs orchestrator, hf stackFaults, kube kubeapi.Backend) *magnumService {
	st := newStore()
	if opts.ConductorEpoch.IsZero() {
		// magnum-conductor starts with the cloud.
		opts.ConductorEpoch = now()
	}
	return &magnumService{
		opts: opts, profile: prof, now: now,
		keystone: keystone, fx: fx, heat: hs,
		st: st,
		cond: &conductor{
			opts: opts, profile: prof, now: now, st: st, fx: fx, heat: hs, stackFaults: hf,
			// Heat's real minute: a create_timeout of 1 times out after
			// one minute of the clock.
			heatMinute: time.Minute,
			kube:       kube,
		},
	}
}

// closeClusters stops every cluster's Kubernetes API, as the simulator
// shuts down.
func (s *magnumService) closeClusters() error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var errs []error
	for _, c := range s.st.clusters {
		if c.kube != nil {
			if err := c.kube.Close(); err != nil {
				errs = append(errs, fmt.Errorf("cluster %s: stopping its Kubernetes API: %w", c.name, err))
			}
			c.kube = nil
		}
	}
	return errors.Join(errs...)
}

// logf writes to Options.Logf.
func (s *magnumService) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

type apiVersion struct{ major, minor int }

func (v apiVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v apiVersion) less(o apiVersion) bool {
	return v.major < o.major || (v.major == o.major && v.minor < o.minor)
}

var (
	minAPIVersion = apiVersion{1, 1}
	versionRE     = regexp.MustCompile(`^([0-9]+)\.([0-9]+)$`)
)

// magnumCall is what a Magnum handler gets once keystonemiddleware and the
// microversion check have let the request through.
type magnumCall struct {
	p    *principal
	ver  apiVersion
	base string // scheme://host, for links
}

type magnumHandler func(w http.ResponseWriter, r *http.Request, c *magnumCall)

// apiError is a Magnum exception on its way to the ParsableErrorMiddleware.
type apiError struct {
	status int
	detail string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.detail) }

func errf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, detail: fmt.Sprintf(format, args...)}
}

// writeMagnumError renders Magnum's error envelope. request_id stays empty,
// as in every captured response; the id is only in the header.
func writeMagnumError(w http.ResponseWriter, e *apiError) {
	code := "client"
	if e.status >= 500 {
		code = "server"
	}
	title, _, _ := strings.Cut(e.detail, ".")
	writeJSON(w, e.status, map[string]any{"errors": []any{map[string]any{
		"request_id": "", "code": code, "status": e.status,
		"title": title, "detail": e.detail, "links": []any{},
	}}})
}

// writeMagnumBlank is the envelope Pecan produces for routing failures
// (unknown path, malformed microversion, method not at this version): every
// field empty but the status.
func writeMagnumBlank(w http.ResponseWriter, status int) {
	writeJSON(w, status, map[string]any{"errors": []any{map[string]any{
		"request_id": "", "code": "", "status": status, "title": "", "detail": "", "links": []any{},
	}}})
}

// negotiate parses OpenStack-API-Version. malformed means the header could
// not be read at all (406 with a blank body and no version headers);
// otherwise v may still be out of range.
func (s *magnumService) negotiate(r *http.Request) (v apiVersion, malformed bool) {
	h := strings.TrimSpace(r.Header.Get("OpenStack-API-Version"))
	if h == "" {
		return minAPIVersion, false
	}
	parts := strings.Fields(h)
	if len(parts) != 2 || !strings.EqualFold(parts[0], "container-infra") {
		return apiVersion{}, true
	}
	if strings.EqualFold(parts[1], "latest") {
		return s.profile.maxVersion, false
	}
	m := versionRE.FindStringSubmatch(parts[1])
	if m == nil {
		return apiVersion{}, true
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return apiVersion{major, minor}, false
}

func (s *magnumService) setVersionHeaders(w http.ResponseWriter, served string) {
	h := w.Header()
	h.Set("OpenStack-API-Minimum-Version", "container-infra "+minAPIVersion.String())
	h.Set("OpenStack-API-Maximum-Version", "container-infra "+s.profile.maxVersion.String())
	h.Set("OpenStack-API-Version", "container-infra "+served)
	h.Set("Vary", "OpenStack-API-Version")
}

// checkVersion applies the v1 controller's microversion rules and reports
// whether the request may proceed.
func (s *magnumService) checkVersion(w http.ResponseWriter, r *http.Request) (apiVersion, bool) {
	v, malformed := s.negotiate(r)
	if malformed {
		writeMagnumBlank(w, http.StatusNotAcceptable)
		return v, false
	}
	if v.less(minAPIVersion) || s.profile.maxVersion.less(v) {
		// The response echoes the version asked for, and FINDINGS shows
		// the object wrapped in "errors" with no status or detail.
		s.setVersionHeaders(w, v.String())
		writeJSON(w, http.StatusNotAcceptable, map[string]any{"errors": []any{map[string]any{
			"max_version": s.profile.maxVersion.String(),
			"min_version": minAPIVersion.String(),
			"code":        "magnum.microversion-unsupported",
			"links": []any{map[string]any{
				"rel": "help", "href": "http://docs.openstack.org/api-guide/compute/microversions.html"}},
			"title": "Requested microversion is unsupported",
		}}})
		return v, false
	}
	infoFrom(r).microversion = v.String()
	return v, true
}

// magnumRouter registers Magnum's v1 routes. paths knows every routed path
// regardless of method, so the catch-all can tell a wrong method (405)
// from a resource that does not exist (404).
type magnumRouter struct {
	s     *magnumService
	mux   *http.ServeMux
	paths *http.ServeMux
	seen  map[string]bool
}

// handle registers an authenticated v1 route such as
// "GET /v1/clustertemplates/{id}". Below minVer Magnum answers 406 with the
// blank body, as it does for nodegroups at 1.8.
func (m *magnumRouter) handle(pattern string, minVer apiVersion, h magnumHandler) {
	s := m.s
	method, path, _ := strings.Cut(pattern, " ")
	full := magnumPrefix + path
	m.mux.HandleFunc(method+" "+full, func(w http.ResponseWriter, r *http.Request) {
		p := s.keystone.authenticate(w, r)
		if p == nil {
			return
		}
		v, ok := s.checkVersion(w, r)
		if !ok {
			return
		}
		if v.less(minVer) {
			writeMagnumBlank(w, http.StatusNotAcceptable)
			return
		}
		s.setVersionHeaders(w, v.String())
		h(w, r, &magnumCall{p: p, ver: v, base: baseURL(r)})
	})
	if !m.seen[full] {
		m.seen[full] = true
		m.paths.HandleFunc(full, func(http.ResponseWriter, *http.Request) {})
	}
}

func (s *magnumService) register(mux *http.ServeMux) {
	m := &magnumRouter{s: s, mux: mux, paths: http.NewServeMux(), seen: map[string]bool{}}
	mux.HandleFunc(magnumRootPattern, s.magnumRoot)
	mux.HandleFunc(magnumV1Pattern, s.magnumV1)
	for _, rt := range magnumRoutes {
		if rt.bays && !s.profile.bays {
			continue
		}
		m.handle(rt.pattern, rt.minVer, rt.handler(s))
	}
	// Everything else under the prefix. keystonemiddleware runs first, so
	// an unauthenticated request for a bogus path is still a 401.
	mux.HandleFunc(magnumCatchAllPattern, func(w http.ResponseWriter, r *http.Request) {
		if s.keystone.authenticate(w, r) == nil {
			return
		}
		if _, pat := m.paths.Handler(r); pat != "" {
			writeMagnumBlank(w, http.StatusMethodNotAllowed)
			return
		}
		writeMagnumBlank(w, s.unroutedStatus(r))
	})
}

// unroutedStatus is what pecan answers for a path no controller serves:
// its v1 RestController only routes GET to a name it does not know, so
// anything else there is a 405, and PUT is one everywhere. This is how
// /v1/bays and /v1/baymodels answer once they are gone (GET 404, POST,
// PATCH and DELETE 405), as on real Magnum 20.
func (s *magnumService) unroutedStatus(r *http.Request) int {
	if r.Method == http.MethodPut {
		return http.StatusMethodNotAllowed
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return http.StatusNotFound
	}
	rest, ok := strings.CutPrefix(r.URL.Path, magnumPrefix+"/v1/")
	if !ok {
		return http.StatusNotFound
	}
	first, _, _ := strings.Cut(rest, "/")
	if slices.Contains(s.v1Collections(), first) {
		return http.StatusNotFound
	}
	return http.StatusMethodNotAllowed
}

// v1Collections are the names GET /v1 links to.
func (s *magnumService) v1Collections() []string {
	names := []string{"clustertemplates", "clusters", "quotas", "certificates", "mservices", "stats", "federations"}
	if s.profile.bays {
		names = append(names, "baymodels", "bays")
	}
	return names
}

// magnumRoot is GET /: no authentication, no version headers, and the
// microversion header is ignored.
func (s *magnumService) magnumRoot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":        "OpenStack Magnum API",
		"description": "Magnum is an OpenStack project which aims to provide container cluster management.",
		"versions": []any{map[string]any{
			"id":          "v1",
			"links":       []any{map[string]any{"href": baseURL(r) + magnumPrefix + "/v1/", "rel": "self"}},
			"status":      "CURRENT",
			"max_version": s.profile.maxVersion.String(),
			"min_version": minAPIVersion.String(),
		}},
	})
}

// magnumV1 is GET /v1: no authentication, but microversion negotiation and
// headers apply.
func (s *magnumService) magnumV1(w http.ResponseWriter, r *http.Request) {
	v, ok := s.checkVersion(w, r)
	if !ok {
		return
	}
	s.setVersionHeaders(w, v.String())
	base := baseURL(r) + magnumPrefix
	res := func(name, path string) []any {
		return []any{
			map[string]any{"href": base + "/v1/" + path, "rel": "self"},
			map[string]any{"href": base + "/" + path, "rel": "bookmark"},
		}
	}
	doc := map[string]any{
		"id":          "v1",
		"media_types": []any{map[string]any{"base": "application/json", "type": "application/vnd.openstack.magnum.v1+json"}},
		"links": []any{
			map[string]any{"href": base + "/v1/", "rel": "self"},
			map[string]any{"href": "http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html", "rel": "describedby", "type": "text/html"},
		},
	}
	for _, n := range s.v1Collections() {
		doc[n] = res(n, n+"/")
	}
	doc["nodegroups"] = res("nodegroups", "clusters/{cluster_id}/nodegroups")
	writeJSON(w, http.StatusOK, doc)
}

// readJSONBody applies WSME's body rules: only JSON media types (415
// otherwise, which includes application/json-patch+json), and valid JSON.
func readJSONBody(r *http.Request) (any, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			mt = ct
		}
		switch mt {
		case "application/json", "text/javascript", "application/javascript":
		default:
			return nil, errf(http.StatusUnsupportedMediaType, "Unknown mimetype: %s", mt)
		}
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, errf(http.StatusBadRequest, "Request is not in valid JSON format")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, nil
	}
	v, err := decodePyJSON(data)
	if err != nil {
		return nil, errf(http.StatusBadRequest, "Request is not in valid JSON format")
	}
	return v, nil
}

// checkQueryArgs rejects query parameters the controller method does not
// declare, as WSME does.
func checkQueryArgs(r *http.Request, allowed ...string) *apiError {
	var unknown []string
	for k := range r.URL.Query() {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return errf(http.StatusBadRequest, "Unknown argument: %q", strings.Join(unknown, ", "))
	}
	return nil
}

func writeMagnumJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeMagnumError(w, errf(http.StatusInternalServerError, "simulator failed to encode the response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
