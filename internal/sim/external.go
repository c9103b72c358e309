package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
)

// Stand-ins for the services a real Magnum calls besides Keystone: Heat,
// Nova, Glance, Neutron, Cinder and the etcd discovery service, each on
// its own port with the root paths a real catalog points at. They let a
// real magnum-api and magnum-conductor (scripts/real-magnum) build bays
// without an OpenStack cloud behind them.
//
// Real Magnum validates tokens itself and then calls these with the user's
// or its trustee's Keystone token, so they accept any token and take the
// project from the URL, as Heat's and Cinder's catalog URLs carry it.

// StandInPorts are the ports of the stand-ins; a zero field takes the port
// the real service uses.
type StandInPorts struct {
	Heat, Nova, Glance, Neutron, Cinder, Discovery int
}

// DefaultStandInPorts are the ports of a DevStack-style catalog, which the
// Keystone catalog of scripts/real-magnum lists.
var DefaultStandInPorts = StandInPorts{Heat: 8004, Nova: 8774, Glance: 9292, Neutron: 9696, Cinder: 8776, Discovery: 8099}

// StandInOptions configure StartStandIns.
type StandInOptions struct {
	// Host is the listen address; "127.0.0.1" when empty.
	Host string
	// Ports are the listen ports; DefaultStandInPorts for zero fields.
	Ports StandInPorts
	// AnyPort makes every stand-in listen on a free port instead, for tests
	// running beside a real stack.
	AnyPort bool
	// FixturesFile optionally replaces the embedded Nova/Glance/Neutron
	// fixtures, as Options.FixturesFile does for the simulator.
	FixturesFile string
	// HeatCreateDuration, HeatUpdateDuration and HeatDeleteDuration are how
	// long stack operations take; the heat package defaults when zero.
	HeatCreateDuration, HeatUpdateDuration, HeatDeleteDuration time.Duration
	// FailMatch makes every stack whose name contains it fail its create
	// with a server in ERROR, the way scripts and tests provoke
	// CREATE_FAILED by naming a bay; "fail" when empty, "-" disables it.
	FailMatch string
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)
}

// StandIns are running stand-ins. Close stops them.
type StandIns struct {
	opts    StandInOptions
	fx      *fixtures
	engine  *heat.Engine
	servers []*http.Server
	urls    map[string]string
	wg      sync.WaitGroup

	discoveryMu sync.Mutex
	discovery   map[string]int // discovery token -> cluster size

	// faults are armed through /_sim/faults for stacks not yet created,
	// scoped to the projects the request names.
	faults armedFaults
}

// Stand-in service names, for URL.
const (
	StandInHeat      = "heat"
	StandInNova      = "nova"
	StandInGlance    = "glance"
	StandInNeutron   = "neutron"
	StandInCinder    = "cinder"
	StandInDiscovery = "discovery"
)

// StartStandIns starts every stand-in and returns once all of them accept
// connections. A port that cannot be bound stops the others and fails.
func StartStandIns(opts StandInOptions) (*StandIns, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.FailMatch == "" {
		opts.FailMatch = "fail"
	}
	fx, err := loadFixtures(opts.FixturesFile)
	if err != nil {
		return nil, err
	}
	si := &StandIns{
		opts: opts,
		fx:   fx,
		engine: heat.NewEngine(heat.Config{
			CreateDuration: opts.HeatCreateDuration, UpdateDuration: opts.HeatUpdateDuration, DeleteDuration: opts.HeatDeleteDuration,
		}),
		urls:      map[string]string{},
		discovery: map[string]int{},
	}
	ports := opts.Ports
	def := DefaultStandInPorts
	pick := func(p, d int) int {
		switch {
		case opts.AnyPort:
			return 0
		case p == 0:
			return d
		}
		return p
	}
	services := []struct {
		name string
		port int
		h    http.Handler
	}{
		{StandInHeat, pick(ports.Heat, def.Heat), si.heatHandler()},
		{StandInNova, pick(ports.Nova, def.Nova), si.novaHandler()},
		{StandInGlance, pick(ports.Glance, def.Glance), si.glanceHandler()},
		{StandInNeutron, pick(ports.Neutron, def.Neutron), si.neutronHandler()},
		{StandInCinder, pick(ports.Cinder, def.Cinder), si.cinderHandler()},
		{StandInDiscovery, pick(ports.Discovery, def.Discovery), si.discoveryHandler()},
	}
	for _, svc := range services {
		ln, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(svc.port)))
		if err != nil {
			_ = si.Close()
			return nil, fmt.Errorf("%s stand-in: %w", svc.name, err)
		}
		si.urls[svc.name] = "http://" + ln.Addr().String()
		srv := &http.Server{Handler: si.logged(svc.name, svc.h), ReadHeaderTimeout: 10 * time.Second}
		si.servers = append(si.servers, srv)
		si.wg.Add(1)
		go func() {
			defer si.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	return si, nil
}

// URL returns the base URL of a stand-in (StandInHeat, ...), e.g.
// "http://127.0.0.1:8004", or "" for an unknown name.
func (si *StandIns) URL(service string) string { return si.urls[service] }

// Heat is the engine behind the Heat stand-in.
func (si *StandIns) Heat() *heat.Engine { return si.engine }

// Close stops every stand-in, giving requests in flight a few seconds.
func (si *StandIns) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range si.servers {
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	si.wg.Wait()
	return errors.Join(errs...)
}

func (si *StandIns) logged(service string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if si.opts.Logf != nil {
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			si.opts.Logf("%s %s %s %d", service, r.Method, r.URL.RequestURI(), sw.status)
		}
	})
}

// standInCaller stands for whoever Magnum's token belongs to: the
// stand-ins do not look tokens up, and Nova only shows the id back.
var standInCaller = &principal{user: &user{id: stableID("stand-in", "caller"), name: "magnum"}}

// anyCaller adapts a simulator handler that expects an authenticated caller.
func anyCaller(h principalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, standInCaller) }
}

// notRouted answers like the real services do for a path they lack, and
// the log shows which call Magnum made that the stand-ins do not model.
func notRouted(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
		"code": 404, "title": "Not Found", "message": "The stand-in serves no API at " + r.Method + " " + r.URL.Path + ".",
	}})
}

func versionsDoc(r *http.Request, id, path string) map[string]any {
	return map[string]any{"versions": []any{map[string]any{
		"id": id, "status": "CURRENT",
		"links": []any{map[string]any{"rel": "self", "href": baseURL(r) + path}},
	}}}
}

// heatHandler is the heat package's API, plus a failure armed for every
// stack named like FailMatch and a control endpoint to arm one-off faults
// (POST /_sim/faults with the simulator's body plus "projects"), which the
// acceptance tests use against real Magnum.
func (si *StandIns) heatHandler() http.Handler {
	api := &heat.Handler{Engine: si.engine}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_sim/faults", si.armFault)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMultipleChoices, versionsDoc(r, "v1.0", "/v1/"))
	})
	mux.HandleFunc("POST /v1/{project}/stacks", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		var spec struct {
			StackName string `json:"stack_name"`
		}
		if json.Unmarshal(body, &spec) == nil && spec.StackName != "" {
			if f, ok := si.faults.take(r.PathValue("project"), spec.StackName, ""); ok {
				si.engine.InjectFaultByName(spec.StackName, f.heatFault())
			} else if si.opts.FailMatch != "-" && strings.Contains(spec.StackName, si.opts.FailMatch) {
				si.engine.InjectFaultByName(spec.StackName, heat.Fault{Action: heat.ActionCreate, Reason: defaultFaultReason})
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		api.ServeHTTP(w, r)
	})
	mux.Handle("/v1/", api)
	mux.HandleFunc("/", notRouted)
	return mux
}

func (si *StandIns) armFault(w http.ResponseWriter, r *http.Request) {
	// The simulator's /_sim/faults body, plus the projects the fault is
	// for.
	var req struct {
		Match    string   `json:"cluster_name_contains"`
		Projects []string `json:"projects"`
		Fault
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.Match == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "want {\"cluster_name_contains\", \"projects\", \"action\", \"resource\", \"reason\", \"timeout\"}"})
		return
	}
	f := req.Fault
	switch f.action() {
	case actionCreate, actionUpdate, actionDelete:
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "action must be CREATE, UPDATE or DELETE"})
		return
	}
	f = f.normalized()
	// Magnum lower-cases the cluster name into the stack name.
	match := strings.ToLower(req.Match)
	inScope := func(project string) bool { return len(req.Projects) == 0 || slices.Contains(req.Projects, project) }
	// A stack that already exists takes the fault for its next operation
	// of that action, as the simulator's InjectFault does.
	for _, st := range si.engine.Stacks("") {
		if inScope(st.Project) && strings.Contains(st.Name, match) {
			if err := si.engine.InjectFault(st.ID, f.heatFault()); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusCreated, map[string]any{"cluster_name_contains": req.Match, "action": f.action(), "stack_id": st.ID})
			return
		}
	}
	si.faults.arm(match, req.Projects, f)
	writeJSON(w, http.StatusCreated, map[string]any{"cluster_name_contains": req.Match, "action": f.action()})
}

func (si *StandIns) novaHandler() http.Handler {
	o := &openstackAPI{fx: si.fx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, versionsDoc(r, "v2.1", "/v2.1/"))
	})
	mux.HandleFunc("GET /v2.1", anyCaller(o.novaVersion))
	mux.HandleFunc("GET /v2.1/flavors", anyCaller(o.novaFlavors))
	mux.HandleFunc("GET /v2.1/flavors/detail", anyCaller(o.novaFlavors))
	mux.HandleFunc("GET /v2.1/flavors/{id}", anyCaller(o.novaFlavor))
	mux.HandleFunc("GET /v2.1/os-keypairs", anyCaller(o.novaKeypairs))
	mux.HandleFunc("GET /v2.1/os-keypairs/{name}", anyCaller(o.novaKeypair))
	// Magnum lists servers only to describe nodes; there are none.
	mux.HandleFunc("GET /v2.1/servers", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"servers": []any{}})
	})
	mux.HandleFunc("GET /v2.1/servers/detail", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"servers": []any{}})
	})
	mux.HandleFunc("/", notRouted)
	return mux
}

func (si *StandIns) glanceHandler() http.Handler {
	o := &openstackAPI{fx: si.fx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMultipleChoices, versionsDoc(r, "v2.16", "/v2/"))
	})
	mux.HandleFunc("GET /v2/images", anyCaller(o.glanceImages))
	mux.HandleFunc("GET /v2/images/{id}", anyCaller(o.glanceImage))
	mux.HandleFunc("GET /v2/schemas/image", anyCaller(o.glanceSchema))
	mux.HandleFunc("/", notRouted)
	return mux
}

func (si *StandIns) neutronHandler() http.Handler {
	o := &openstackAPI{fx: si.fx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, versionsDoc(r, "v2.0", "/v2.0/"))
	})
	mux.HandleFunc("GET /v2.0/networks", anyCaller(o.neutronList("networks", o.networks)))
	mux.HandleFunc("GET /v2.0/networks/{id}", anyCaller(o.neutronShow("network", "Network", o.networks)))
	mux.HandleFunc("GET /v2.0/subnets", anyCaller(o.neutronList("subnets", o.subnets)))
	mux.HandleFunc("GET /v2.0/subnets/{id}", anyCaller(o.neutronShow("subnet", "Subnet", o.subnets)))
	mux.HandleFunc("/", notRouted)
	return mux
}

// standardVolumeType is what magnum.conf's default_docker_volume_type names.
var standardVolumeType = map[string]any{
	"id": "5f0e4a77-0001-4000-8000-00000000cafe", "name": "standard", "description": nil,
	"is_public": true, "extra_specs": map[string]any{}, "os-volume-type-access:is_public": true,
}

func (si *StandIns) cinderHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMultipleChoices, versionsDoc(r, "v3.0", "/v3/"))
	})
	mux.HandleFunc("GET /v3/{project}/types", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"volume_types": []any{standardVolumeType}})
	})
	mux.HandleFunc("GET /v3/{project}/types/default", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"volume_type": standardVolumeType})
	})
	mux.HandleFunc("/", notRouted)
	return mux
}

// discoveryHandler hands out etcd discovery URLs on this stand-in, as
// discovery.etcd.io does, and answers the size lookup etcd makes there.
func (si *StandIns) discoveryHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /new", func(w http.ResponseWriter, r *http.Request) {
		size := 3
		if v := r.URL.Query().Get("size"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, "size must be a positive integer\n")
				return
			}
			size = n
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		si.discoveryMu.Lock()
		si.discovery[id] = size
		si.discoveryMu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, baseURL(r)+"/discovery/"+id)
	})
	mux.HandleFunc("GET /discovery/{id}/_config/size", func(w http.ResponseWriter, r *http.Request) {
		si.discoveryMu.Lock()
		size, ok := si.discovery[r.PathValue("id")]
		si.discoveryMu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"errorCode": 100, "message": "Key not found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"action": "get", "node": map[string]any{
			"key": "/_etcd/registry/" + r.PathValue("id") + "/_config/size", "value": strconv.Itoa(size)}})
	})
	mux.HandleFunc("/", notRouted)
	return mux
}
