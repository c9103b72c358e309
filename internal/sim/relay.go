package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A relay is a Sim backend that simulates nothing: it forwards Keystone and Magnum
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
	// routes knows the simulator's patterns (routes.go), so the request
	// log and the counters name routes exactly as the simulator does.
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
	rl, err := newRelay(opts)
	if err != nil {
		return nil, err
	}
	s := &Sim{backend: rl, log: newRequestLog(), now: time.Now}
	s.handler = rl.handler(s.log)
	if err := s.listen("127.0.0.1:0", false); err != nil {
		return nil, errors.Join(err, rl.close())
	}
	return s, nil
}

// newRelay logs in to the real Keystone and finds Magnum in its catalog.
func newRelay(opts RelayOptions) (*relay, error) {
	ks, err := url.Parse(strings.TrimSuffix(strings.TrimRight(opts.KeystoneURL, "/"), "/v3"))
	if err != nil || ks.Host == "" {
		return nil, fmt.Errorf("relay: bad Keystone URL %q", opts.KeystoneURL)
	}
	rl := &relay{
		opts: opts, keystone: ks,
		client:   &http.Client{Timeout: relayCheckTimeout},
		routes:   routeNames(),
		callers:  map[string][2]string{},
		sessions: map[string]*relaySession{},
	}
	// Magnum's root comes from the catalog, as a client would find it.
	anyUser := ""
	for name := range opts.Users {
		anyUser = name
	}
	sess, err := rl.session(context.Background(), anyUser)
	if err != nil {
		return nil, errors.Join(err, rl.close())
	}
	mu, err := url.Parse(strings.TrimSuffix(strings.TrimRight(sess.endpoints["container-infra"], "/"), "/v1"))
	if err != nil || mu.Host == "" {
		return nil, errors.Join(errors.New("relay: no container-infra endpoint in the catalog"), rl.close())
	}
	rl.magnum = mu
	return rl, nil
}

func (rl *relay) credentials(name, authURL string) Credentials {
	c, ok := rl.opts.Users[name]
	if !ok {
		return Credentials{}
	}
	c.AuthURL = authURL
	if c.Region == "" {
		c.Region = region
	}
	return c
}

func (rl *relay) handler(log *requestLog) http.Handler {
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
		log.add(entry)
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
