package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The relay as the Sim's backend: the test API (backend.go) answered by a
// real Keystone and Magnum, and by the Heat stand-in behind them
// (external.go) for fault injection. What only a simulator can show or do
// answers nothing or errRelayUnsupported.

// close drops the connections to the real services; the relay starts
// nothing else.
func (rl *relay) close() error {
	rl.client.CloseIdleConnections()
	return nil
}

func (rl *relay) clusters() []ClusterInfo { return rl.mustClusters() }

// expireToken does nothing: the relay serves no HTTP faults.
func (rl *relay) expireToken(string) {}

// clusterExists answers true when the listing failed: CheckDestroy must
// not pass on an error.
func (rl *relay) clusterExists(id string) bool {
	for _, c := range rl.mustClusters() {
		if c.UUID == id || c.Status == "UNKNOWN" {
			return true
		}
	}
	return false
}

func (rl *relay) templates() []TemplateInfo { return rl.mustTemplates() }

func (rl *relay) injectFault(match string, f Fault) error { return rl.armFault(match, f.normalized()) }

func (rl *relay) setNodeCount(id string, n int) error { return rl.resize(id, n) }

func (rl *relay) setNodegroupCount(string, string, int) error { return errRelayUnsupported }

func (rl *relay) deleteClusterOutOfBand(id string) error { return rl.deleteCluster(id) }

func (rl *relay) rotateCAOutOfBand(string) error { return errRelayUnsupported }

func (rl *relay) saveHealthOutOfBand(string) error { return errRelayUnsupported }

// issuedTokens is empty: the real Keystone's tokens are not the relay's to
// list.
func (rl *relay) issuedTokens() []string { return nil }

func (rl *relay) setPassword(string, string) error { return errRelayUnsupported }

// upgradeRequests is empty: a real Magnum keeps no record of an upgrade's
// options.
func (rl *relay) upgradeRequests() []UpgradeRequest { return nil }

func (rl *relay) operationTimeline(string) (Timeline, bool) { return Timeline{}, false }

func (rl *relay) setConductorEpoch(time.Time) error { return errRelayUnsupported }

func (rl *relay) kubeAPI() (mode, description string) {
	return "", "the real cloud's bays' Kubernetes APIs"
}

func (rl *relay) kubeAPIsRunning() int { return 0 }

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

// relayCheckTimeout bounds one of the tests' own looks at the real cloud
// (listings, an existence check, a fault armed on the Heat stand-in). In
// CI the three real stacks share two cores with their three suites, and
// there real Zed once took over a minute to answer GET /v1/clusters/detail;
// a look that gives up reads as a leftover bay and fails a test that
// passed.
const relayCheckTimeout = 3 * time.Minute

// listClusters lists the tenants' clusters through Magnum. A cluster being
// deleted can make Magnum 15 answer 400 for a moment (its nodegroups go
// before its row), so a 400 is retried a few times.
func (rl *relay) listClusters() ([]ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), relayCheckTimeout)
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
	cs, err := rl.listClusters()
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
	ctx, cancel := context.WithTimeout(context.Background(), relayCheckTimeout)
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
	ctx, cancel := context.WithTimeout(context.Background(), relayCheckTimeout)
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
	ctx, cancel := context.WithTimeout(context.Background(), relayCheckTimeout)
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
	cs, err := rl.listClusters()
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
	ctx, cancel := context.WithTimeout(context.Background(), relayCheckTimeout)
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
// as another client would (Zed's bay PATCH is broken: FINDINGS 5), and
// waits, up to three minutes, until Magnum reports the resize done: the
// simulator's out-of-band resize is immediate, and a test's next apply must
// not meet a Heat stack still updating for someone else.
func (rl *relay) resize(id string, n int) error {
	who, err := rl.owner(id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type row struct {
		Status    string `json:"status"`
		NodeCount int    `json:"node_count"`
		UpdatedAt string `json:"updated_at"`
	}
	var before row
	if _, err := rl.call(ctx, who, http.MethodGet, rl.magnumURL("/v1/clusters/"+id), "1.10", nil, &before); err != nil {
		return err
	}
	code, err := rl.call(ctx, who, http.MethodPost, rl.magnumURL("/v1/clusters/"+id+"/actions/resize"), "1.10",
		map[string]any{"node_count": n}, &map[string]any{})
	if err == nil && code != http.StatusAccepted {
		err = fmt.Errorf("relay: resize answered HTTP %d", code)
	}
	if err != nil {
		return err
	}
	// The conductor, not the API, moves the status: done is an UPDATE_*
	// outcome saved after the request, with the new count.
	for {
		var now row
		_, err := rl.call(ctx, who, http.MethodGet, rl.magnumURL("/v1/clusters/"+id), "1.10", nil, &now)
		if err == nil && now.NodeCount == n && now.UpdatedAt != before.UpdatedAt &&
			(now.Status == "UPDATE_COMPLETE" || now.Status == "UPDATE_FAILED") {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("relay: cluster %s not resized to %d after 3 minutes (last %+v, %v)", id, n, now, err)
		}
		time.Sleep(time.Second)
	}
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
