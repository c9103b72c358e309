package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// What Magnum itself reports, and when: a poller lists every cluster as
// the cloud's admin (who sees all projects) every 200 ms, straight to
// Magnum, not through the counting proxy, and keeps each change of a
// cluster's state with the instant the poll that first showed it was sent.

// Gone is the state of a cluster a listing no longer holds.
const Gone = "GONE"

// ClusterState is what one listing said of one cluster.
type ClusterState struct {
	UUID       string `json:"uuid"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	NodeCount  int    `json:"node_count"`
	TemplateID string `json:"cluster_template_id"`
	UpdatedAt  string `json:"updated_at"`
	// StatusReason says why a create or delete failed.
	StatusReason string `json:"status_reason"`
}

// StateEvent is a change of a cluster's state. At is when the poll that
// first showed it was sent; the poll's answer came at Answered.
type StateEvent struct {
	At       time.Time    `json:"at"`
	Answered time.Time    `json:"answered"`
	State    ClusterState `json:"state"`
}

// History is every cluster's changes as the poller saw them.
type History struct {
	mu     sync.Mutex
	events map[string][]StateEvent // by uuid
	names  map[string]string       // name -> uuid, latest
	polls  int
	errs   int
	last   string // last poll error
	rtts   []time.Duration
}

func NewHistory() *History {
	return &History{events: map[string][]StateEvent{}, names: map[string]string{}}
}

// Observe records one complete listing: the clusters whose state differs
// from the last one seen, and those seen before that the listing lacks.
func (h *History) Observe(sent, answered time.Time, clusters []ClusterState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polls++
	h.rtts = append(h.rtts, answered.Sub(sent))
	present := map[string]bool{}
	for _, c := range clusters {
		present[c.UUID] = true
		h.names[c.Name] = c.UUID
		evs := h.events[c.UUID]
		if n := len(evs); n == 0 || evs[n-1].State != c {
			h.events[c.UUID] = append(evs, StateEvent{At: sent, Answered: answered, State: c})
		}
	}
	for uuid, evs := range h.events {
		last := evs[len(evs)-1].State
		if !present[uuid] && last.Status != Gone {
			h.events[uuid] = append(evs, StateEvent{At: sent, Answered: answered,
				State: ClusterState{UUID: uuid, Name: last.Name, Status: Gone, NodeCount: last.NodeCount, TemplateID: last.TemplateID}})
		}
	}
}

// Failed records a poll that got no listing.
func (h *History) Failed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs++
	h.last = err.Error()
}

// UUID finds the cluster last seen with this name.
func (h *History) UUID(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.names[name]
	return u, ok
}

// Reported finds when Magnum first reported the cluster entering status
// after the instant given: the first event past it with that status whose
// previous event had another. inProgress is the first event past it with
// an *_IN_PROGRESS status (zero when the poller never saw one).
func (h *History) Reported(uuid, status string, after time.Time) (reported, inProgress time.Time, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.events[uuid]
	for i, e := range evs {
		if !e.At.After(after) {
			continue
		}
		if inProgress.IsZero() && strings.HasSuffix(e.State.Status, "_IN_PROGRESS") {
			inProgress = e.At
		}
		if e.State.Status == status && (i == 0 || evs[i-1].State.Status != status) {
			return e.At, inProgress, true
		}
	}
	return time.Time{}, inProgress, false
}

// Latest is each cluster's last state, by name (Gone once a listing no
// longer holds it).
func (h *History) Latest() map[string]ClusterState {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]ClusterState, len(h.names))
	for name, uuid := range h.names {
		if evs := h.events[uuid]; len(evs) > 0 {
			out[name] = evs[len(evs)-1].State
		}
	}
	return out
}

// ChangedBetween reports whether Magnum changed the cluster (any field
// the poller sees, updated_at among them) in (from, to].
func (h *History) ChangedBetween(uuid string, from, to time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.events[uuid]
	for i, e := range evs {
		if i > 0 && e.At.After(from) && !e.At.After(to) {
			return true
		}
	}
	return false
}

// Stats summarises the poller's own work: polls, failures and the
// round-trip time of a listing (the resolution of every Reported).
func (h *History) Stats() (polls, errs int, medianRTT, maxRTT time.Duration, lastErr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.rtts) > 0 {
		medianRTT, maxRTT = medianDuration(h.rtts), slices.Max(h.rtts)
	}
	return h.polls, h.errs, medianRTT, maxRTT, h.last
}

// Events returns a copy of every cluster's events, for the JSON.
func (h *History) Events() map[string][]StateEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][]StateEvent, len(h.events))
	for k, v := range h.events {
		out[k] = slices.Clone(v)
	}
	return out
}

// osClient talks straight to the real Keystone and Magnum as one user.
type osClient struct {
	creds   sim.Credentials
	http    *http.Client
	token   string
	project string
	magnum  string // Magnum's public URL, .../v1
}

func newOSClient(ctx context.Context, c sim.Credentials) (*osClient, error) {
	o := &osClient{creds: c, http: &http.Client{Timeout: 60 * time.Second}}
	return o, o.login(ctx)
}

func (o *osClient) login(ctx context.Context) error {
	c := o.creds
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.UserDomainName}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.ProjectName, "domain": map[string]any{"name": c.ProjectDomainName}}},
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.AuthURL, "/")+"/auth/tokens", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return fmt.Errorf("logging in as %s: %w", c.UserName, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
			Catalog []struct {
				Type      string `json:"type"`
				Endpoints []struct{ Interface, URL string }
			} `json:"catalog"`
		} `json:"token"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &doc) != nil {
		return fmt.Errorf("logging in as %s: HTTP %d: %.300s", c.UserName, resp.StatusCode, raw)
	}
	o.token, o.project = resp.Header.Get("X-Subject-Token"), doc.Token.Project.ID
	for _, svc := range doc.Token.Catalog {
		for _, ep := range svc.Endpoints {
			if svc.Type == "container-infra" && ep.Interface == "public" {
				o.magnum = strings.TrimRight(ep.URL, "/")
			}
		}
	}
	if o.magnum == "" {
		return errors.New("no public container-infra endpoint in the catalog")
	}
	if !strings.HasSuffix(o.magnum, "/v1") {
		o.magnum += "/v1"
	}
	return nil
}

// call sends one Magnum request; it logs in again once on a 401.
func (o *osClient) call(ctx context.Context, method, path string, in, out any) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if in != nil {
			data, _ := json.Marshal(in)
			body = bytes.NewReader(data)
		}
		req, err := http.NewRequestWithContext(ctx, method, o.magnum+path, body)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("X-Auth-Token", o.token)
		req.Header.Set("OpenStack-API-Version", "container-infra latest")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := o.http.Do(req)
		if err != nil {
			return 0, nil, err
		}
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			if err := o.login(ctx); err != nil {
				return 0, nil, err
			}
			continue
		}
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(raw, out); err != nil {
				return resp.StatusCode, raw, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return resp.StatusCode, raw, nil
	}
}

// Poll lists every cluster every interval until ctx ends. A listing that
// fails (Zed answers 400 for a moment while a cluster's nodegroups go) is
// recorded as a failure and changes nothing.
func Poll(ctx context.Context, o *osClient, every time.Duration, h *History) {
	for {
		sent := time.Now()
		var page struct {
			Clusters []ClusterState `json:"clusters"`
		}
		code, raw, err := o.call(ctx, http.MethodGet, "/clusters/detail", nil, &page)
		answered := time.Now()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.Failed(err)
		case code != http.StatusOK:
			h.Failed(fmt.Errorf("HTTP %d: %.200s", code, raw))
		default:
			h.Observe(sent, answered, page.Clusters)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(sent.Add(every))):
		}
	}
}

// ReadOpenRC reads the credentials of an openrc's export lines, without
// a shell.
func ReadOpenRC(path string) (sim.Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return sim.Credentials{}, err
	}
	defer f.Close()
	return parseOpenRC(f)
}

func parseOpenRC(r io.Reader) (sim.Credentials, error) {
	vars, err := sim.ParseOpenRC(r)
	if err != nil {
		return sim.Credentials{}, err
	}
	c := sim.Credentials{
		AuthURL: strings.TrimRight(vars["OS_AUTH_URL"], "/"), Region: vars["OS_REGION_NAME"],
		UserName: vars["OS_USERNAME"], Password: vars["OS_PASSWORD"], ProjectName: vars["OS_PROJECT_NAME"],
		UserDomainName: vars["OS_USER_DOMAIN_NAME"], ProjectDomainName: vars["OS_PROJECT_DOMAIN_NAME"],
	}
	if c.UserDomainName == "" {
		c.UserDomainName = "Default"
	}
	if c.ProjectDomainName == "" {
		c.ProjectDomainName = "Default"
	}
	if c.AuthURL == "" || c.UserName == "" || c.Password == "" || c.ProjectName == "" {
		return c, errors.New("the openrc lacks one of OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME")
	}
	return c, nil
}
