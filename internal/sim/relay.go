package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A relay is a Sim that simulates nothing: it forwards Keystone and Magnum
// traffic to a real cloud under the simulator's own paths (/identity/v3,
// /container-infra/v1), rewriting the catalog so that clients keep coming
// back through it. Acceptance tests written for the simulator then run
// unchanged against a real Magnum, with the request log, the route
// counters and the introspection helpers (Clusters, Stacks, TemplateExists)
// answered from the real services.

// RelayOptions point StartRelay at a real cloud.
type RelayOptions struct {
	// KeystoneURL is the real Keystone v3 endpoint,
	// e.g. http://127.0.0.1:5000/v3.
	KeystoneURL string
	// Users are the real accounts that stand for the simulator's users,
	// keyed "demo", "alt" and "admin". Their AuthURL is ignored:
	// Credentials hands out the relay's.
	Users map[string]Credentials
	// Logf, when set, receives one line per relayed request.
	Logf func(format string, args ...any)
}

type relay struct {
	opts     RelayOptions
	keystone *url.URL // Keystone's root, without /v3
	client   *http.Client
	// routes knows the simulator's patterns, so the request log and the
	// counters name routes exactly as the simulator does.
	routes *http.ServeMux

	mu       sync.Mutex
	magnum   *url.URL             // Magnum's root, from the catalog
	callers  map[string][2]string // token -> user and project name
	sessions map[string]*relaySession
}

type relaySession struct {
	token   string
	project string // id
	expires time.Time
	// endpoints are the public catalog URLs by service type.
	endpoints map[string]string
}

// StartRelay starts a relay on a free loopback port.
func StartRelay(opts RelayOptions) (*Sim, error) {
	ks, err := url.Parse(strings.TrimSuffix(strings.TrimRight(opts.KeystoneURL, "/"), "/v3"))
	if err != nil || ks.Host == "" {
		return nil, fmt.Errorf("relay: bad Keystone URL %q", opts.KeystoneURL)
	}
	s, err := newSim(Options{})
	if err != nil {
		return nil, err
	}
	rl := &relay{
		opts: opts, keystone: ks,
		client:   &http.Client{Timeout: 90 * time.Second},
		routes:   http.NewServeMux(),
		callers:  map[string][2]string{},
		sessions: map[string]*relaySession{},
	}
	s.registerIdentity(rl.routes)
	s.registerMagnum(rl.routes)
	s.relay = rl
	// Magnum's root comes from the catalog, as a client would find it.
	anyUser := ""
	for name := range opts.Users {
		anyUser = name
	}
	sess, err := rl.session(context.Background(), anyUser)
	if err != nil {
		return nil, err
	}
	mu, err := url.Parse(strings.TrimSuffix(strings.TrimRight(sess.endpoints["container-infra"], "/"), "/v1"))
	if err != nil || mu.Host == "" {
		return nil, fmt.Errorf("relay: no container-infra endpoint in the catalog")
	}
	rl.magnum = mu
	s.handler = rl.handler(s)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// IsRelay reports whether s forwards to a real cloud (StartRelay) rather
// than simulating one.
func (s *Sim) IsRelay() bool { return s.relay != nil }

func (rl *relay) credentials(s *Sim, name string) Credentials {
	c, ok := rl.opts.Users[name]
	if !ok {
		return Credentials{}
	}
	c.AuthURL = s.AuthURL()
	if c.Region == "" {
		c.Region = region
	}
	return c
}

func (rl *relay) handler(s *Sim) http.Handler {
	proxy := func(target *url.URL, prefix string) http.Handler {
		return &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
				pr.Out.URL.Path = target.Path + strings.TrimPrefix(pr.In.URL.Path, prefix)
				pr.Out.URL.RawPath = ""
				pr.Out.Host = target.Host
				// Bodies are rewritten below: keep them uncompressed.
				pr.Out.Header.Del("Accept-Encoding")
			},
			ModifyResponse: func(resp *http.Response) error { return rl.rewrite(resp) },
		}
	}
	identity := proxy(rl.keystone, "/identity")
	magnum := proxy(rl.magnum, magnumPrefix)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// The real services see the relay's own host in links they build;
		// the rewrite maps their roots back to the caller's view of it.
		r = r.WithContext(context.WithValue(r.Context(), relayBaseKey{}, baseURL(r)))
		switch {
		case r.URL.Path == "/identity" || strings.HasPrefix(r.URL.Path, "/identity/"):
			identity.ServeHTTP(sw, r)
		case r.URL.Path == magnumPrefix || strings.HasPrefix(r.URL.Path, magnumPrefix+"/"):
			magnum.ServeHTTP(sw, r)
		default:
			writeJSON(sw, http.StatusNotFound, map[string]any{"error": map[string]any{
				"code": 404, "title": "Not Found", "message": "The relay forwards only /identity and " + magnumPrefix + "."}})
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		who := rl.caller(r.Header.Get("X-Auth-Token"))
		entry := Request{
			Time: start, Method: r.Method, Path: r.URL.RequestURI(), Route: rl.route(r), Status: sw.status,
			User: who[0], Project: who[1], RequestID: sw.Header().Get("X-OpenStack-Request-Id"),
		}
		if v := sw.Header().Get("OpenStack-API-Version"); v != "" {
			entry.Microversion = strings.TrimPrefix(v, "container-infra ")
		}
		s.logMu.Lock()
		s.requests = append(s.requests, entry)
		s.counters[entry.Route]++
		s.logMu.Unlock()
		if rl.opts.Logf != nil {
			rl.opts.Logf("relay %s %s %d route=%q user=%s project=%s", r.Method, entry.Path, entry.Status, entry.Route, who[0], who[1])
		}
	})
}

type relayBaseKey struct{}

// route names a request the way the simulator's middleware would.
func (rl *relay) route(r *http.Request) string {
	probe := r.Clone(r.Context())
	if p := probe.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		probe.URL.Path = strings.TrimRight(p, "/")
	}
	_, pattern := rl.routes.Handler(probe)
	probe.Pattern = pattern
	return routeKey(probe)
}

func (rl *relay) caller(token string) [2]string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.callers[token]
}

// rewrite points the real services' URLs (catalog entries, links,
// Location) back at the relay, and learns who each new token belongs to.
func (rl *relay) rewrite(resp *http.Response) error {
	base, _ := resp.Request.Context().Value(relayBaseKey{}).(string)
	if base == "" {
		return nil
	}
	// Whole roots, paths included: Keystone and Magnum may share a host.
	repl := strings.NewReplacer(
		rl.keystone.String(), base+"/identity",
		rl.magnum.String(), base+magnumPrefix,
	)
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Set("Location", repl.Replace(loc))
	}
	if resp.Body == nil || resp.Request.Method == http.MethodHead {
		return nil
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	if tok := resp.Header.Get("X-Subject-Token"); tok != "" && resp.StatusCode < 300 {
		var doc struct {
			Token struct {
				User    struct{ Name string } `json:"user"`
				Project struct{ Name string } `json:"project"`
			} `json:"token"`
		}
		if json.Unmarshal(data, &doc) == nil {
			rl.mu.Lock()
			rl.callers[tok] = [2]string{doc.Token.User.Name, doc.Token.Project.Name}
			rl.mu.Unlock()
		}
	}
	data = []byte(repl.Replace(string(data)))
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
	return nil
}

// session logs in directly to Keystone (not through the relay, so the
// helpers leave no trace in the request log) as one of the users.
func (rl *relay) session(ctx context.Context, name string) (*relaySession, error) {
	rl.mu.Lock()
	sess := rl.sessions[name]
	rl.mu.Unlock()
	if sess != nil && time.Until(sess.expires) > 5*time.Minute {
		return sess, nil
	}
	c, ok := rl.opts.Users[name]
	if !ok {
		return nil, fmt.Errorf("relay: no user %q", name)
	}
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.UserDomainName}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.ProjectName, "domain": map[string]any{"name": c.ProjectDomainName}}},
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rl.keystone.String()+"/v3/auth/tokens", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rl.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("relay: logging in as %s: %w", name, err)
	}
	defer resp.Body.Close()
	var doc struct {
		Token struct {
			ExpiresAt time.Time `json:"expires_at"`
			Project   struct{ ID string }
			Catalog   []struct {
				Type      string `json:"type"`
				Endpoints []struct {
					Interface, URL string
				} `json:"endpoints"`
			} `json:"catalog"`
		} `json:"token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &doc) != nil {
		return nil, fmt.Errorf("relay: logging in as %s: HTTP %d: %s", name, resp.StatusCode, raw)
	}
	sess = &relaySession{token: resp.Header.Get("X-Subject-Token"), project: doc.Token.Project.ID,
		expires: doc.Token.ExpiresAt, endpoints: map[string]string{}}
	for _, svc := range doc.Token.Catalog {
		for _, ep := range svc.Endpoints {
			if ep.Interface == "public" {
				sess.endpoints[svc.Type] = ep.URL
			}
		}
	}
	rl.mu.Lock()
	rl.sessions[name] = sess
	rl.mu.Unlock()
	return sess, nil
}

// call sends one request to a real service as the user and decodes a JSON
// answer into out (when not nil). It returns the status.
func (rl *relay) call(ctx context.Context, name, method, rawURL, microversion string, in, out any) (int, error) {
	sess, err := rl.session(ctx, name)
	if err != nil {
		return 0, err
	}
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Auth-Token", sess.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if microversion != "" {
		req.Header.Set("OpenStack-API-Version", "container-infra "+microversion)
	}
	resp, err := rl.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("relay: %s %s: %w", method, rawURL, err)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		return resp.StatusCode, fmt.Errorf("relay: %s %s: HTTP %d: %s", method, rawURL, resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

// tenants names one user per project the tests own; the admin's project
// is shared and left out of the introspection helpers.
func (rl *relay) tenants() []string {
	var names []string
	for name := range rl.opts.Users {
		if name != "admin" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	seen := map[string]bool{}
	var out []string
	for _, name := range names {
		if p := rl.opts.Users[name].ProjectID; !seen[p] {
			seen[p] = true
			out = append(out, name)
		}
	}
	return out
}

func (rl *relay) magnumURL(path string) string {
	return rl.magnum.String() + path
}

// clusters lists the tenants' clusters through Magnum. A cluster being
// deleted can make Magnum 15 answer 400 for a moment (its nodegroups go
// before its row), so a 400 is retried a few times.
func (rl *relay) clusters() ([]ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type row struct {
		UUID       string  `json:"uuid"`
		Name       string  `json:"name"`
		ProjectID  string  `json:"project_id"`
		Status     string  `json:"status"`
		StackID    *string `json:"stack_id"`
		APIAddress *string `json:"api_address"`
		NodeCount  int     `json:"node_count"`
		CreatedAt  string  `json:"created_at"`
	}
	var rows []row
	for _, name := range rl.tenants() {
		var page struct {
			Clusters []row `json:"clusters"`
		}
		var err error
		for attempt := 0; attempt < 10; attempt++ {
			var code int
			code, err = rl.call(ctx, name, http.MethodGet, rl.magnumURL("/v1/clusters/detail"), "1.10", nil, &page)
			if code != http.StatusBadRequest {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, page.Clusters...)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].CreatedAt < rows[j].CreatedAt })
	out := make([]ClusterInfo, 0, len(rows))
	for _, r := range rows {
		ci := ClusterInfo{UUID: r.UUID, Name: r.Name, Project: r.ProjectID, Status: r.Status, NodeCount: r.NodeCount}
		if r.StackID != nil {
			ci.StackID = *r.StackID
		}
		if r.APIAddress != nil {
			ci.APIAddress = *r.APIAddress
		}
		out = append(out, ci)
	}
	return out, nil
}

func (rl *relay) mustClusters() []ClusterInfo {
	cs, err := rl.clusters()
	if err != nil {
		// The helpers have no error result; a listing that fails must not
		// read as "no clusters left".
		return []ClusterInfo{{Name: "(listing failed: " + err.Error() + ")", Status: "UNKNOWN"}}
	}
	return cs
}

// stacks counts the Heat stacks of the tenants' projects. When Heat
// cannot be asked the count is unknowable, and it answers a count no
// no-orphan check can mistake for zero.
func (rl *relay) stacks() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for _, name := range rl.tenants() {
		sess, err := rl.session(ctx, name)
		if err != nil || sess.endpoints["orchestration"] == "" {
			return unknownCount
		}
		var list struct {
			Stacks []any `json:"stacks"`
		}
		if _, err := rl.call(ctx, name, http.MethodGet, strings.TrimRight(sess.endpoints["orchestration"], "/")+"/stacks", "", nil, &list); err != nil {
			return unknownCount
		}
		n += len(list.Stacks)
	}
	return n
}

// mustTemplates lists the cluster templates each tenant sees (its own and
// the public ones), each once, oldest first. A listing that fails answers
// a row no check can mistake for "none of that name".
func (rl *relay) mustTemplates() []TemplateInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type row struct {
		UUID      string `json:"uuid"`
		Name      string `json:"name"`
		ProjectID string `json:"project_id"`
		Public    bool   `json:"public"`
		CreatedAt string `json:"created_at"`
	}
	// Public templates of other projects (other tests' domains) are not
	// this test's.
	mine := map[string]bool{}
	for _, name := range rl.tenants() {
		mine[rl.opts.Users[name].ProjectID] = true
	}
	seen := map[string]bool{}
	var rows []row
	for _, name := range rl.tenants() {
		var page struct {
			ClusterTemplates []row `json:"clustertemplates"`
		}
		if _, err := rl.call(ctx, name, http.MethodGet, rl.magnumURL("/v1/clustertemplates/detail"), "1.10", nil, &page); err != nil {
			return []TemplateInfo{{Name: "(listing failed: " + err.Error() + ")"}}
		}
		for _, r := range page.ClusterTemplates {
			if !seen[r.UUID] && mine[r.ProjectID] {
				seen[r.UUID] = true
				rows = append(rows, r)
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].CreatedAt < rows[j].CreatedAt })
	out := make([]TemplateInfo, len(rows))
	for i, r := range rows {
		out[i] = TemplateInfo{UUID: r.UUID, Name: r.Name, Project: r.ProjectID, Public: r.Public}
	}
	return out
}

func (rl *relay) templateExists(id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	who := "admin"
	if _, ok := rl.opts.Users[who]; !ok {
		who = rl.tenants()[0]
	}
	code, err := rl.call(ctx, who, http.MethodGet, rl.magnumURL("/v1/clustertemplates/"+url.PathEscape(id)), "1.10", nil, nil)
	// When in doubt, report it present: CheckDestroy must not pass on an
	// error.
	return err != nil || code != http.StatusNotFound
}

// owner finds which tenant owns a cluster.
func (rl *relay) owner(id string) (string, error) {
	cs, err := rl.clusters()
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.UUID != id {
			continue
		}
		for _, name := range rl.tenants() {
			if rl.opts.Users[name].ProjectID == c.Project {
				return name, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s", errNoCluster, id)
}

// armFault arms a fault on the Heat stand-in behind the real Magnum.
func (rl *relay) armFault(match string, f Fault) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := rl.session(ctx, rl.tenants()[0])
	if err != nil {
		return err
	}
	heatURL, err := url.Parse(sess.endpoints["orchestration"])
	if err != nil || heatURL.Host == "" {
		return fmt.Errorf("relay: no orchestration endpoint in the catalog")
	}
	var projects []string
	for _, name := range rl.tenants() {
		projects = append(projects, rl.opts.Users[name].ProjectID)
	}
	body, _ := json.Marshal(map[string]any{"cluster_name_contains": match, "projects": projects,
		"action": f.Action, "resource": f.Resource, "reason": f.Reason, "timeout": f.Timeout})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, heatURL.Scheme+"://"+heatURL.Host+"/_sim/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rl.client.Do(req)
	if err != nil {
		return fmt.Errorf("relay: arming a fault on the Heat stand-in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("relay: the Heat stand-in refused the fault: HTTP %d: %s", resp.StatusCode, raw)
	}
	return nil
}

// resize changes a cluster's node count through Magnum's resize action,
// as another client would: Zed's bay PATCH is broken (FINDINGS 5).
func (rl *relay) resize(id string, n int) error {
	who, err := rl.owner(id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := rl.call(ctx, who, http.MethodPost, rl.magnumURL("/v1/clusters/"+id+"/actions/resize"), "1.10",
		map[string]any{"node_count": n}, &map[string]any{})
	if err == nil && code != http.StatusAccepted {
		err = fmt.Errorf("relay: resize answered HTTP %d", code)
	}
	return err
}

// deleteCluster deletes a cluster through Magnum and waits, up to three
// minutes, until it is gone, as the simulator's out-of-band delete is
// immediate.
func (rl *relay) deleteCluster(id string) error {
	who, err := rl.owner(id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if code, err := rl.call(ctx, who, http.MethodDelete, rl.magnumURL("/v1/clusters/"+id), "1.10", nil, nil); err != nil || code >= 300 {
		return fmt.Errorf("relay: deleting cluster %s: HTTP %d %v", id, code, err)
	}
	for {
		code, err := rl.call(ctx, who, http.MethodGet, rl.magnumURL("/v1/clusters/"+id), "1.10", nil, nil)
		if code == http.StatusNotFound {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("relay: cluster %s still there after 3 minutes (last HTTP %d %v)", id, code, err)
		}
		time.Sleep(2 * time.Second)
	}
}

const unknownCount = 1 << 30

var errRelayUnsupported = errors.New("not available against a real Magnum: only the simulator can do this")
