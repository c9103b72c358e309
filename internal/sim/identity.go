package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	region          = "RegionOne"
	defaultDomainID = "default"
	defaultDomain   = "Default"
	simPassword     = "secret"
	keystoneTime    = "2006-01-02T15:04:05.000000Z"
)

type role struct{ id, name string }

var (
	roleAdmin  = role{"c0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5", "admin"}
	roleMember = role{"c0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e6", "member"}
	roleReader = role{"c0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e7", "reader"}
)

type project struct{ id, name string }

type user struct {
	id, name, password string
	project            *project
	roles              []role
}

type appCred struct {
	id, name, secret string
	user             *user
}

type token struct {
	id      string
	user    *user
	project *project // nil when unscoped
	methods []string
	appCred *appCred
	issued  time.Time
	expires time.Time
	auditID string
}

// principal is the caller of a service API, as keystonemiddleware would
// describe it to the service.
type principal struct {
	user    *user
	project *project
	roles   []role
	// appCred: the token came from an application credential, which
	// Keystone treats as delegated (no trusts unless allowed).
	appCred bool
}

func (p *principal) isAdmin() bool {
	for _, r := range p.roles {
		if r == roleAdmin {
			return true
		}
	}
	return false
}

// identity is Keystone: its state, its handlers, and the token check
// (authenticate) the other services put in front of theirs, as
// keystonemiddleware does. The users and projects are fixed: the simulator
// only needs what the captures used (demo, demo2, alt, admin); mu guards
// the tokens and the users' passwords.
type identity struct {
	ttl time.Duration
	now func() time.Time
	// orchestration lists Heat in the catalog.
	orchestration bool

	projects map[string]*project // by name
	users    map[string]*user    // by name
	appCreds []*appCred

	mu     sync.Mutex
	tokens map[string]*token
}

func newIdentity(ttl time.Duration, now func() time.Time, orchestration bool) *identity {
	demo := &project{"4a7c1e2f9b3d4c5e8f6a7b8c9d0e1f2a", "demo"}
	alt := &project{"5b8d2f3a0c4e5d6f9a7b8c9d0e1f2a3b", "alt"}
	admin := &project{"6c9e3a4b1d5f6e7a0b8c9d0e1f2a3b4c", "admin"}
	member := []role{roleMember, roleReader}
	id := &identity{
		ttl:           ttl,
		now:           now,
		orchestration: orchestration,
		projects:      map[string]*project{"demo": demo, "alt": alt, "admin": admin},
		users: map[string]*user{
			"demo":  {"d3a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5", "demo", simPassword, demo, member},
			"demo2": {"d3a1b2c3d4e5f6a7b8c9d0e1f2a3b4c6", "demo2", simPassword, demo, member},
			"alt":   {"e4b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "alt", simPassword, alt, member},
			"admin": {"f5c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7", "admin", simPassword, admin, []role{roleAdmin, roleMember, roleReader}},
		},
		tokens: map[string]*token{},
	}
	id.appCreds = []*appCred{{
		id:     "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		name:   "demo-appcred",
		secret: "demo-appcred-secret",
		user:   id.users["demo"],
	}}
	return id
}

func (id *identity) userByID(uid string) *user {
	for _, u := range id.users {
		if u.id == uid {
			return u
		}
	}
	return nil
}

func (id *identity) projectByID(pid string) *project {
	for _, p := range id.projects {
		if p.id == pid {
			return p
		}
	}
	return nil
}

func newTokenID() string {
	b := make([]byte, 96)
	_, _ = rand.Read(b)
	// Shaped like a Fernet token, so logs and clients see something
	// plausible.
	return "gAAAAAB" + base64.RawURLEncoding.EncodeToString(b)
}

func newAuditID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:22]
}

func (id *identity) passwordMatches(u *user, password string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	return u.password == password
}

// setPassword changes a user's password.
func (id *identity) setPassword(userName, password string) error {
	u := id.users[userName]
	if u == nil {
		return fmt.Errorf("sim: no user %q", userName)
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	u.password = password
	return nil
}

// issuedTokens lists the tokens Keystone holds, expired ones included.
func (id *identity) issuedTokens() []string {
	id.mu.Lock()
	defer id.mu.Unlock()
	out := make([]string, 0, len(id.tokens))
	for tok := range id.tokens {
		out = append(out, tok)
	}
	sort.Strings(out)
	return out
}

// projectExists reports whether Keystone knows the project id.
func (id *identity) projectExists(projectID string) bool { return id.projectByID(projectID) != nil }

// authorizeProject is keystonemiddleware in front of Heat: the project a
// valid project-scoped token is for.
func (id *identity) authorizeProject(r *http.Request) (string, bool) {
	t := id.validate(r.Header.Get("X-Auth-Token"))
	if t == nil || t.project == nil {
		return "", false
	}
	info := infoFrom(r)
	info.user, info.project = t.user.name, t.project.name
	return t.project.id, true
}

// validate returns the token if it exists and has not expired.
func (id *identity) validate(tok string) *token {
	if tok == "" {
		return nil
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	t := id.tokens[tok]
	if t == nil || !id.now().Before(t.expires) {
		return nil
	}
	return t
}

func (id *identity) issue(t *token) {
	id.mu.Lock()
	defer id.mu.Unlock()
	now := id.now()
	for k, old := range id.tokens {
		if now.Sub(old.expires) > time.Hour {
			delete(id.tokens, k)
		}
	}
	id.tokens[t.id] = t
}

func (id *identity) revoke(tok string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	_, ok := id.tokens[tok]
	delete(id.tokens, tok)
	return ok
}

// Credentials describe one simulated user, for provider configuration.
type Credentials struct {
	AuthURL, Region, UserName, UserID, Password, ProjectName, ProjectID, UserDomainName, ProjectDomainName string
	// AppCredID, AppCredName and AppCredSecret are set for "demo" only.
	AppCredID, AppCredName, AppCredSecret string
}

// credentials are the user named like the project ("demo", "alt" or
// "admin") with its application credential, if any; zero for an unknown
// project.
func (id *identity) credentials(projectName, authURL string) Credentials {
	id.mu.Lock()
	defer id.mu.Unlock()
	u := id.users[projectName]
	if u == nil {
		return Credentials{}
	}
	c := Credentials{
		AuthURL: authURL, Region: region,
		UserName: u.name, UserID: u.id, Password: u.password,
		ProjectName: u.project.name, ProjectID: u.project.id,
		UserDomainName: defaultDomain, ProjectDomainName: defaultDomain,
	}
	for _, ac := range id.appCreds {
		if ac.user == u {
			c.AppCredID, c.AppCredName, c.AppCredSecret = ac.id, ac.name, ac.secret
			break
		}
	}
	return c
}

func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func (id *identity) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /identity", id.identityVersions)
	mux.HandleFunc("GET /identity/v3", id.identityVersion)
	mux.HandleFunc("POST /identity/v3/auth/tokens", id.issueToken)
	mux.HandleFunc("GET /identity/v3/auth/tokens", id.checkToken)
	mux.HandleFunc("HEAD /identity/v3/auth/tokens", id.checkToken)
	mux.HandleFunc("DELETE /identity/v3/auth/tokens", id.revokeToken)
}

func identityVersionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links": []any{map[string]any{"rel": "self", "href": baseURL(r) + "/identity/v3/"}},
		"media-types": []any{map[string]any{
			"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}
}

// identityVersions answers 300 Multiple Choices, as Keystone's root does;
// keystoneauth discovery expects exactly that.
func (id *identity) identityVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMultipleChoices, map[string]any{
		"versions": map[string]any{"values": []any{identityVersionDoc(r)}}})
}

func (id *identity) identityVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": identityVersionDoc(r)})
}

func keystoneError(w http.ResponseWriter, code int, title, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "title": title, "message": msg}})
}

const msgAuthRequired = "The request you have made requires authentication."

func keystoneUnauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Keystone uri=%q", baseURL(r)+"/identity/v3"))
	keystoneError(w, http.StatusUnauthorized, "Unauthorized", msgAuthRequired)
}

func keystoneBadRequest(w http.ResponseWriter, msg string) {
	keystoneError(w, http.StatusBadRequest, "Bad Request", msg+
		" The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
}

type authRef struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Domain *authRef `json:"domain"`
}

type authUser struct {
	authRef
	Password *string `json:"password"`
}

type authRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *authUser `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
			ApplicationCredential *struct {
				ID     string    `json:"id"`
				Name   string    `json:"name"`
				Secret string    `json:"secret"`
				User   *authUser `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

func domainMatches(d *authRef) bool {
	return d != nil && (d.ID == defaultDomainID || (d.ID == "" && d.Name == defaultDomain))
}

// resolveUser finds a user by id, or by name within the default domain.
func (id *identity) resolveUser(u *authUser) (*user, string) {
	if u == nil {
		return nil, "Expecting to find user in password."
	}
	if u.ID != "" {
		return id.userByID(u.ID), ""
	}
	if u.Name == "" {
		return nil, "Expecting to find id or name in user."
	}
	if u.Domain == nil {
		return nil, "Expecting to find domain in user."
	}
	if !domainMatches(u.Domain) {
		return nil, ""
	}
	return id.users[u.Name], ""
}

func (id *identity) issueToken(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		keystoneBadRequest(w, "Could not read the request body.")
		return
	}
	var req authRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Auth == nil || req.Auth.Identity == nil {
		keystoneBadRequest(w, "Expecting to find identity in auth.")
		return
	}
	ident := req.Auth.Identity
	if len(ident.Methods) == 0 {
		keystoneBadRequest(w, "Expecting to find methods in identity.")
		return
	}
	t := &token{id: newTokenID(), methods: ident.Methods, issued: id.now(), auditID: newAuditID()}
	t.expires = t.issued.Add(id.ttl)
	var scopedTo *project
	switch ident.Methods[0] {
	case "password":
		if ident.Password == nil {
			keystoneBadRequest(w, "Expecting to find password in identity.")
			return
		}
		u, bad := id.resolveUser(ident.Password.User)
		if bad != "" {
			keystoneBadRequest(w, bad)
			return
		}
		if u == nil || ident.Password.User.Password == nil || !id.passwordMatches(u, *ident.Password.User.Password) {
			keystoneUnauthorized(w, r)
			return
		}
		t.user = u
	case "token":
		if ident.Token == nil {
			keystoneBadRequest(w, "Expecting to find token in identity.")
			return
		}
		old := id.validate(ident.Token.ID)
		if old == nil {
			keystoneUnauthorized(w, r)
			return
		}
		// A rescoped token never outlives the one it came from.
		t.user, t.expires, t.appCred = old.user, old.expires, old.appCred
		if old.appCred != nil {
			scopedTo = old.project
		}
	case "application_credential":
		ac := ident.ApplicationCredential
		if ac == nil {
			keystoneBadRequest(w, "Expecting to find application_credential in identity.")
			return
		}
		var found *appCred
		for _, c := range id.appCreds {
			if ac.ID != "" && c.id == ac.ID {
				found = c
			}
			if ac.ID == "" && ac.Name != "" && c.name == ac.Name && ac.User != nil {
				if u, _ := id.resolveUser(ac.User); u == c.user {
					found = c
				}
			}
		}
		if found == nil || found.secret != ac.Secret {
			keystoneUnauthorized(w, r)
			return
		}
		t.user, t.appCred = found.user, found
		// Application credentials carry their own project scope.
		scopedTo = found.user.project
	default:
		keystoneUnauthorized(w, r)
		return
	}

	if len(req.Auth.Scope) > 0 && string(req.Auth.Scope) != "null" && string(req.Auth.Scope) != `"unscoped"` {
		var scope struct {
			Project *authRef `json:"project"`
		}
		if err := json.Unmarshal(req.Auth.Scope, &scope); err != nil || scope.Project == nil {
			// Domain and system scope exist in Keystone; nothing here
			// grants roles on them.
			keystoneUnauthorized(w, r)
			return
		}
		var p *project
		switch {
		case scope.Project.ID != "":
			p = id.projectByID(scope.Project.ID)
		case scope.Project.Name != "" && domainMatches(scope.Project.Domain):
			p = id.projects[scope.Project.Name]
		case scope.Project.Name != "" && scope.Project.Domain == nil:
			keystoneBadRequest(w, "Expecting to find domain in project.")
			return
		}
		if p == nil || (scopedTo != nil && p != scopedTo) {
			keystoneUnauthorized(w, r)
			return
		}
		scopedTo = p
	}
	if scopedTo != nil && scopedTo != t.user.project {
		// Users hold roles on their own project only.
		keystoneUnauthorized(w, r)
		return
	}
	t.project = scopedTo
	id.issue(t)
	info := infoFrom(r)
	info.user = t.user.name
	if t.project != nil {
		info.project = t.project.name
	}
	w.Header().Set("X-Subject-Token", t.id)
	writeJSON(w, http.StatusCreated, id.tokenBody(r, t, r.URL.Query().Has("nocatalog")))
}

func (id *identity) checkToken(w http.ResponseWriter, r *http.Request) {
	caller := id.validate(r.Header.Get("X-Auth-Token"))
	if caller == nil {
		keystoneUnauthorized(w, r)
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	t := id.validate(subject)
	if t == nil {
		keystoneError(w, http.StatusNotFound, "Not Found", fmt.Sprintf("Could not find token: %s.", subject))
		return
	}
	w.Header().Set("X-Subject-Token", t.id)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, id.tokenBody(r, t, r.URL.Query().Has("nocatalog")))
}

func (id *identity) revokeToken(w http.ResponseWriter, r *http.Request) {
	if id.validate(r.Header.Get("X-Auth-Token")) == nil {
		keystoneUnauthorized(w, r)
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	if !id.revoke(subject) {
		keystoneError(w, http.StatusNotFound, "Not Found", fmt.Sprintf("Could not find token: %s.", subject))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (id *identity) tokenBody(r *http.Request, t *token, noCatalog bool) map[string]any {
	domain := map[string]any{"id": defaultDomainID, "name": defaultDomain}
	tok := map[string]any{
		"methods":    t.methods,
		"user":       map[string]any{"id": t.user.id, "name": t.user.name, "domain": domain, "password_expires_at": nil},
		"audit_ids":  []string{t.auditID},
		"issued_at":  t.issued.UTC().Format(keystoneTime),
		"expires_at": t.expires.UTC().Format(keystoneTime),
	}
	if t.project != nil {
		roles := make([]any, 0, len(t.user.roles))
		for _, rl := range t.user.roles {
			roles = append(roles, map[string]any{"id": rl.id, "name": rl.name})
		}
		tok["project"] = map[string]any{"id": t.project.id, "name": t.project.name, "domain": domain}
		tok["is_domain"] = false
		tok["roles"] = roles
		if !noCatalog {
			tok["catalog"] = id.catalog(r, t.project)
		}
	}
	if t.appCred != nil {
		tok["application_credential"] = map[string]any{"id": t.appCred.id, "name": t.appCred.name, "restricted": true}
	}
	return map[string]any{"token": tok}
}

// catalog lists every service on this listener, with the public, internal
// and admin interfaces all pointing at the same URL.
func (id *identity) catalog(r *http.Request, p *project) []any {
	base := baseURL(r)
	type svc struct{ typ, name, url string }
	svcs := []svc{
		{"identity", "keystone", base + "/identity/v3"},
		{"container-infra", "magnum", base + magnumPrefix + "/v1"},
		{"compute", "nova", base + "/compute/v2.1"},
		{"image", "glance", base + "/image"},
		{"network", "neutron", base + "/network"},
	}
	if id.orchestration {
		// Keystone substitutes %(project_id)s when it renders the catalog.
		svcs = append(svcs, svc{"orchestration", "heat", base + "/orchestration/v1/" + p.id})
	}
	out := make([]any, 0, len(svcs))
	for _, sv := range svcs {
		var eps []any
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]any{
				"id":        stableID("endpoint", sv.typ, iface),
				"interface": iface, "region": region, "region_id": region, "url": sv.url,
			})
		}
		out = append(out, map[string]any{
			"id":        stableID("service", sv.typ),
			"type":      sv.typ,
			"name":      sv.name,
			"endpoints": eps,
		})
	}
	return out
}

// authenticate plays keystonemiddleware: it admits a request carrying a
// valid project-scoped token and answers 401 otherwise.
func (id *identity) authenticate(w http.ResponseWriter, r *http.Request) *principal {
	t := id.validate(r.Header.Get("X-Auth-Token"))
	if t == nil || t.project == nil {
		keystoneUnauthorized(w, r)
		return nil
	}
	info := infoFrom(r)
	info.user, info.project = t.user.name, t.project.name
	return &principal{user: t.user, project: t.project, roles: t.user.roles, appCred: t.appCred != nil}
}

// middleware puts keystonemiddleware in front of a service's handler.
func (id *identity) middleware(h principalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p := id.authenticate(w, r); p != nil {
			h(w, r, p)
		}
	}
}

// stableID derives a Keystone-style 32-hex id, stable across runs.
func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "/")))
	return hex.EncodeToString(sum[:16])
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		data = []byte(`{"error":"simulator could not encode its response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}
