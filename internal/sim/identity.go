package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// identity is Keystone: its state and the token check
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
