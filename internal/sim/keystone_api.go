package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Keystone's v3 API as the simulator serves it under /identity: the
// version documents, POST/GET/HEAD/DELETE /v3/auth/tokens with the
// password, token and application-credential methods, the token body and
// its catalog, and Keystone's error shapes. The state they read and write
// is identity's (identity.go).

func (id *identity) register(mux *http.ServeMux) {
	for _, rt := range identityRoutes {
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { rt.handler(id, w, r) })
	}
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
