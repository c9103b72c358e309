// Package difftest holds the differential check between the simulator and a
// real Magnum (scripts/real-magnum: 15.0.1 for Zed, 20.0.0 for 2025.1): the
// same requests go to both, the real release against the simulator's
// profile of the same name, and every difference in status, error shape or
// body is either fixed in the simulator or explained in
// known_differences.yaml.
package difftest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// release is a real Magnum the check runs against.
type release struct {
	// name is the MAGNUM_DIFF_RELEASE value and, unless profile is set,
	// the simulator profile.
	name string
	// profile is the simulator profile compared, when it is not name.
	profile string
	// capi selects capiScript: the Cluster API driver's lifecycle instead
	// of the Heat-shaped script of the captures.
	capi bool
	// maxVersion is the newest microversion it serves; tooHigh the next.
	maxVersion, tooHigh string
	// bays reports whether /v1/bays and /v1/baymodels exist.
	bays bool
}

var releases = map[string]release{
	"zed":    {name: "zed", maxVersion: "1.10", tooHigh: "1.11", bays: true},
	"2025.1": {name: "2025.1", maxVersion: "1.11", tooHigh: "1.12"},
	// Magnum 20.0.0 with magnum-cluster-api 0.16.0 (scripts/real-magnum
	// capi) against the master profile, which imitates Cluster API
	// drivers; both answer at 1.11, the real one's newest.
	"capi": {name: "capi", profile: "master", maxVersion: "1.11", tooHigh: "1.12", capi: true},
}

// simProfile is the simulator profile compared with the release.
func (r release) simProfile() string {
	if r.profile != "" {
		return r.profile
	}
	return r.name
}

// steps is the script for the release.
func (r release) steps(run string) []step {
	if r.capi {
		return capiScript(run, r)
	}
	return script(run, r)
}

// account is a user of a target cloud.
type account struct {
	user, password, project, userDomain, projectDomain string
	// appCredID and appCredSecret, when set, log in with the application
	// credential instead (its scope is its own).
	appCredID, appCredSecret string
}

// target is one cloud the script runs against.
type target struct {
	name        string
	keystoneURL string // .../v3
	accounts    map[string]account
	client      *http.Client
	// beforeFailingCreate arms whatever makes the next cluster named like
	// match fail; the real stack's Heat stand-in fails such names by itself.
	beforeFailingCreate func(match string)

	mu       sync.Mutex
	sessions map[string]*session
}

type session struct {
	token, projectID, userID, magnum, heat string
}

func (t *target) login(ctx context.Context, who string) (*session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.sessions[who]; s != nil {
		return s, nil
	}
	a, ok := t.accounts[who]
	if !ok {
		return nil, fmt.Errorf("%s: no account %q", t.name, who)
	}
	auth := map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": a.user, "password": a.password, "domain": map[string]any{"name": a.userDomain}}}},
		"scope": map[string]any{"project": map[string]any{"name": a.project, "domain": map[string]any{"name": a.projectDomain}}},
	}
	if a.appCredID != "" {
		auth = map[string]any{"identity": map[string]any{"methods": []string{"application_credential"},
			"application_credential": map[string]any{"id": a.appCredID, "secret": a.appCredSecret}}}
	}
	body, _ := json.Marshal(map[string]any{"auth": auth})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.keystoneURL+"/auth/tokens", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: login as %s: %w", t.name, who, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc struct {
		Token struct {
			Project struct{ ID string }
			User    struct{ ID string }
			Catalog []struct {
				Type      string
				Endpoints []struct{ Interface, URL string }
			}
		}
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &doc) != nil {
		return nil, fmt.Errorf("%s: login as %s: HTTP %d: %s", t.name, who, resp.StatusCode, raw)
	}
	s := &session{token: resp.Header.Get("X-Subject-Token"), projectID: doc.Token.Project.ID, userID: doc.Token.User.ID}
	for _, svc := range doc.Token.Catalog {
		for _, ep := range svc.Endpoints {
			if ep.Interface != "public" {
				continue
			}
			switch svc.Type {
			case "container-infra":
				s.magnum = strings.TrimSuffix(strings.TrimRight(ep.URL, "/"), "/v1")
			case "orchestration":
				s.heat = ep.URL
			}
		}
	}
	if s.magnum == "" {
		return nil, fmt.Errorf("%s: no container-infra endpoint in %s's catalog", t.name, who)
	}
	if t.sessions == nil {
		t.sessions = map[string]*session{}
	}
	t.sessions[who] = s
	return s, nil
}

// exchange is one recorded request and its answer.
type exchange struct {
	Step    string `json:"step"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
	Body    any    `json:"body"`
	Elapsed string `json:"elapsed"`
	Polls   int    `json:"polls,omitempty"`
}

// do sends one request to Magnum. who is an account name, "" for no token
// and "bogus" for an invalid one. It returns the status and the decoded
// body (a string when it is not JSON).
func (t *target) do(ctx context.Context, who, method, path, version string, body []byte, ctype string) (int, any, error) {
	var tok string
	base := ""
	switch who {
	case "", "bogus":
		s, err := t.login(ctx, "demo")
		if err != nil {
			return 0, nil, err
		}
		base = s.magnum
		if who == "bogus" {
			tok = "gAAAAABnot-a-valid-token"
		}
	default:
		s, err := t.login(ctx, who)
		if err != nil {
			return 0, nil, err
		}
		base, tok = s.magnum, s.token
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	if body != nil {
		if ctype == "" {
			ctype = "application/json"
		}
		req.Header.Set("Content-Type", ctype)
	}
	switch {
	case version == "":
	case strings.Contains(version, " "):
		req.Header.Set("OpenStack-API-Version", version)
	default:
		req.Header.Set("OpenStack-API-Version", "container-infra "+version)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %s %s: %w", t.name, method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp.StatusCode, nil, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return resp.StatusCode, string(raw), nil
	}
	return resp.StatusCode, v, nil
}

// projectID is the id of an account's project.
func (t *target) projectID(ctx context.Context, who string) (string, error) {
	s, err := t.login(ctx, who)
	if err != nil {
		return "", err
	}
	return s.projectID, nil
}

// newAppCred makes an application credential for who, with the member
// role, and returns the account that logs in with it and a function that
// deletes it.
func (t *target) newAppCred(ctx context.Context, who, name string) (account, func(), error) {
	s, err := t.login(ctx, who)
	if err != nil {
		return account{}, nil, err
	}
	secret := "dt-" + name
	body, _ := json.Marshal(map[string]any{"application_credential": map[string]any{
		"name": name, "secret": secret, "roles": []map[string]string{{"name": "member"}}}})
	var doc struct {
		ApplicationCredential struct{ ID string } `json:"application_credential"`
	}
	if err := t.keystone(ctx, s.token, http.MethodPost, "/users/"+s.userID+"/application_credentials", body, &doc); err != nil {
		return account{}, nil, err
	}
	id := doc.ApplicationCredential.ID
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = t.keystone(ctx, s.token, http.MethodDelete, "/users/"+s.userID+"/application_credentials/"+id, nil, nil)
	}
	return account{appCredID: id, appCredSecret: secret}, cleanup, nil
}

func (t *target) keystone(ctx context.Context, token, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.keystoneURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", t.name, method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s %s: HTTP %d: %s", t.name, method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func newClient() *http.Client { return &http.Client{Timeout: 120 * time.Second} }
