package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The shared-bays set-up of the plans: the bench creates the plan's
// baymodel and bays once, straight through Magnum's API, and both
// providers adopt the same objects with import blocks. The peer's create
// waiter gives up on a loaded Zed (it maps the 404 before the conductor
// has inserted the cluster's row to DELETE_COMPLETE, and its delete wait
// fails on Zed's transient 400), so its own create of 50 bays never
// converged; the bench's create waits through those windows. Both
// providers then plan the very same bays.

// PlanSetup says how the plans' bays come to be.
type PlanSetup string

const (
	// SetupShared: the bench creates the bays through Magnum's API and
	// both providers import them.
	SetupShared PlanSetup = "shared"
	// SetupOwn: each provider creates (and destroys) bays of its own.
	SetupOwn PlanSetup = "own"
)

// ParsePlanSetup reads -plan-setup.
func ParsePlanSetup(s string) (PlanSetup, error) {
	switch PlanSetup(s) {
	case SetupShared, SetupOwn:
		return PlanSetup(s), nil
	case "":
		return SetupShared, nil
	}
	return "", fmt.Errorf("%q is not a set-up of the plans (want shared or own)", s)
}

// sharedSet is a baymodel and the bays prefix-0 … prefix-(n-1) on it,
// created by the bench.
type sharedSet struct {
	prefix   string
	template string
	bays     []string // UUIDs by index; "" where none was made
}

// The bounds of the bench's own waits on Magnum.
const (
	// notFoundGrace: how long a cluster may stay 404 after Magnum
	// accepted its POST (magnum-api answers with the UUID and casts the
	// create; the conductor inserts the row later, and a starved
	// conductor later still).
	notFoundGrace   = 10 * time.Minute
	sharedCreateFor = 40 * time.Minute
	sharedDeleteFor = 30 * time.Minute
	sharedTries     = 3
)

// waitVerdict is what one GET of a cluster means to a wait.
type waitVerdict int

const (
	waitPending waitVerdict = iota
	waitReached
	waitFailed
)

// createVerdict reads one GET of a cluster the bench asked Magnum to
// create, sinceAccepted after Magnum accepted the POST. A 404 is the
// window before the conductor inserts the row, up to notFoundGrace; a 400
// is Zed's transient answer for a cluster polled before its nodegroups
// exist ("master_count ... Value: '0'"); a 5xx is a loaded API. All three
// wait; the caller bounds the whole wait.
func createVerdict(code int, status string, sinceAccepted time.Duration) (waitVerdict, error) {
	switch {
	case code == http.StatusOK:
		switch status {
		case "CREATE_COMPLETE":
			return waitReached, nil
		case "CREATE_FAILED":
			return waitFailed, nil
		case "CREATE_IN_PROGRESS":
			return waitPending, nil
		}
		return waitPending, fmt.Errorf("the cluster went %s while the bench created it", status)
	case code == http.StatusNotFound:
		if sinceAccepted > notFoundGrace {
			return waitPending, fmt.Errorf("the cluster is still not found %s after Magnum accepted its create", sinceAccepted.Round(time.Second))
		}
		return waitPending, nil
	case code == http.StatusBadRequest, code >= 500:
		return waitPending, nil
	}
	return waitPending, fmt.Errorf("HTTP %d reading the cluster", code)
}

// deleteVerdict reads one GET of a cluster the bench asked Magnum to
// delete: 404 is gone; Zed's 400 of a cluster whose nodegroups are
// already deleted, and a 5xx, wait.
func deleteVerdict(code int, status string) (waitVerdict, error) {
	switch {
	case code == http.StatusNotFound:
		return waitReached, nil
	case code == http.StatusOK:
		if status == "DELETE_FAILED" {
			return waitFailed, nil
		}
		return waitPending, nil
	case code == http.StatusBadRequest, code >= 500:
		return waitPending, nil
	}
	return waitPending, fmt.Errorf("HTTP %d reading the cluster", code)
}

// sharedTemplateBody is the baymodel both providers' configurations
// describe (oursBaymodel, peerTemplate), as Magnum's API takes it.
func sharedTemplateBody(name, kubeTag string) map[string]any {
	return map[string]any{
		"name": name, "coe": "kubernetes", "image_id": "fedora-coreos-35", "keypair_id": "testkey",
		"external_network_id": "public", "flavor_id": "m1.small", "master_flavor_id": "m1.small",
		"docker_volume_size": 5, "network_driver": "flannel", "labels": map[string]string{"kube_tag": kubeTag},
	}
}

// createShared makes the baymodel and n bays, at most SetupParallelism
// bays in progress at a time. A bay whose create fails is deleted and
// created again, up to sharedTries times. On error, what was made is in
// the set returned, for deleteShared.
func (b *realBench) createShared(ctx context.Context, prefix string, n int) (*sharedSet, error) {
	set := &sharedSet{prefix: prefix, bays: make([]string, n)}
	var tmpl struct {
		UUID string `json:"uuid"`
	}
	code, raw, err := b.user.call(ctx, http.MethodPost, "/clustertemplates", sharedTemplateBody(prefix+"-v123", "v1.23.3-rancher1"), &tmpl)
	if err != nil {
		return set, fmt.Errorf("creating the baymodel: %w", err)
	}
	if code >= 300 || tmpl.UUID == "" {
		return set, fmt.Errorf("creating the baymodel: HTTP %d: %s", code, magnumMessage(raw))
	}
	set.template = tmpl.UUID

	start := time.Now()
	var mu sync.Mutex
	var errs []error
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(b.cfg.SetupParallelism, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				uuid, err := b.createSharedBay(ctx, set.template, fmt.Sprintf("%s-%d", prefix, i), func(u string) {
					mu.Lock()
					set.bays[i] = u
					mu.Unlock()
				})
				mu.Lock()
				set.bays[i] = uuid
				if err != nil {
					errs = append(errs, fmt.Errorf("%s-%d: %w", prefix, i, err))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	b.logf("  created %d bays through Magnum's API in %s (%d failed); Magnum lists %s", n-len(errs), secs(time.Since(start)), len(errs),
		baySummary(b.listBays(ctx), prefix, n))
	if err := errors.Join(errs...); err != nil {
		return set, err
	}
	return set, ctx.Err()
}

// createSharedBay creates one bay and waits until Magnum says it is
// complete; a failed create is deleted and tried again. made is told each
// UUID Magnum accepted, so a bay the wait gives up on is still deleted.
func (b *realBench) createSharedBay(ctx context.Context, template, name string, made func(string)) (string, error) {
	var last error
	for try := 1; try <= sharedTries; try++ {
		uuid, err := b.postCluster(ctx, template, name)
		if err != nil {
			return "", err
		}
		made(uuid)
		v, err := b.waitCluster(ctx, uuid, sharedCreateFor, func(code int, status string, since time.Duration) (waitVerdict, error) {
			return createVerdict(code, status, since)
		})
		if err != nil || v == waitReached {
			return uuid, err
		}
		last = fmt.Errorf("try %d: CREATE_FAILED: %s", try, b.statusReason(ctx, uuid))
		b.logf("  %s %s; deleting it to try again", name, last)
		if err := b.deleteSharedBay(ctx, uuid); err != nil {
			return uuid, fmt.Errorf("%w; deleting it: %w", last, err)
		}
	}
	return "", last
}

// postCluster asks Magnum for one bay. When the POST gets no answer or a
// 5xx, Magnum may still have taken it: a cluster listed under the name
// is that one (the bench's names are its own), so the create is not
// sent twice.
func (b *realBench) postCluster(ctx context.Context, template, name string) (string, error) {
	body := map[string]any{"name": name, "cluster_template_id": template, "master_count": 1, "node_count": 1}
	var last error
	for try := 1; try <= sharedTries; try++ {
		var out struct {
			UUID string `json:"uuid"`
		}
		code, raw, err := b.user.call(ctx, http.MethodPost, "/clusters", body, &out)
		switch {
		case err == nil && code < 300 && out.UUID != "":
			return out.UUID, nil
		case err == nil && code < 500:
			return "", fmt.Errorf("creating the bay: HTTP %d: %s", code, magnumMessage(raw))
		case err != nil:
			last = err
		default:
			last = fmt.Errorf("HTTP %d: %s", code, magnumMessage(raw))
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		time.Sleep(10 * time.Second)
		if c, ok := b.listBays(ctx)[name]; ok && c.UUID != "" && c.Status != Gone {
			return c.UUID, nil
		}
	}
	return "", fmt.Errorf("creating the bay: %d tries, the last: %w", sharedTries, last)
}

// waitCluster polls one cluster until judge says it reached or failed,
// or errs, at most for.
func (b *realBench) waitCluster(ctx context.Context, uuid string, bound time.Duration, judge func(code int, status string, since time.Duration) (waitVerdict, error)) (waitVerdict, error) {
	start := time.Now()
	for {
		var c ClusterState
		code, raw, err := b.user.call(ctx, http.MethodGet, "/clusters/"+uuid, nil, &c)
		if err == nil {
			v, verr := judge(code, c.Status, time.Since(start))
			if verr != nil {
				return v, fmt.Errorf("%s: %w (%s)", uuid, verr, magnumMessage(raw))
			}
			if v != waitPending {
				return v, nil
			}
		}
		if time.Since(start) > bound {
			return waitPending, fmt.Errorf("%s: not done after %s", uuid, bound)
		}
		select {
		case <-ctx.Done():
			return waitPending, ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// statusReason is Magnum's reason for the cluster's status, for the log.
func (b *realBench) statusReason(ctx context.Context, uuid string) string {
	var c ClusterState
	if code, _, err := b.user.call(ctx, http.MethodGet, "/clusters/"+uuid, nil, &c); err != nil || code != http.StatusOK {
		return "(no reason read)"
	}
	return fmt.Sprintf("%.200q", c.StatusReason)
}

// deleteSharedBay deletes one bay and waits until Magnum no longer has
// it; a DELETE_FAILED delete, or a refused DELETE (Zed's 400 windows), is
// sent again, up to sharedTries times.
func (b *realBench) deleteSharedBay(ctx context.Context, uuid string) error {
	var last error
	for try := 1; try <= sharedTries; try++ {
		code, raw, err := b.user.call(ctx, http.MethodDelete, "/clusters/"+uuid, nil, nil)
		switch {
		case err != nil:
			last = err
		case code == http.StatusNotFound:
			return nil
		case code >= 300:
			last = fmt.Errorf("DELETE: HTTP %d: %s", code, magnumMessage(raw))
		default:
			v, err := b.waitCluster(ctx, uuid, sharedDeleteFor, func(code int, status string, _ time.Duration) (waitVerdict, error) {
				return deleteVerdict(code, status)
			})
			if err != nil {
				return err
			}
			if v == waitReached {
				return nil
			}
			last = fmt.Errorf("DELETE_FAILED: %s", b.statusReason(ctx, uuid))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(15 * time.Second):
		}
	}
	return fmt.Errorf("%s: %d tries, the last: %w", uuid, sharedTries, last)
}

// deleteShared deletes the set's bays, at most SetupParallelism at a
// time, then its baymodel, and checks that Magnum lists none of them.
func (b *realBench) deleteShared(ctx context.Context, set *sharedSet) error {
	start := time.Now()
	var mu sync.Mutex
	var errs []error
	next := make(chan string)
	var wg sync.WaitGroup
	for range max(b.cfg.SetupParallelism, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for uuid := range next {
				if err := b.deleteSharedBay(ctx, uuid); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, uuid := range set.bays {
		if uuid != "" {
			next <- uuid
		}
	}
	close(next)
	wg.Wait()
	if set.template != "" && len(errs) == 0 {
		if err := b.deleteTemplate(ctx, set.template); err != nil {
			errs = append(errs, err)
		}
	}
	left := 0
	for name, c := range b.listBays(ctx) {
		if strings.HasPrefix(name, set.prefix+"-") && c.Status != Gone {
			left++
		}
	}
	if left > 0 {
		errs = append(errs, fmt.Errorf("Magnum still lists %d of the bays %s-*", left, set.prefix))
	}
	b.logf("  deleted the bays and their baymodel through Magnum's API in %s", secs(time.Since(start)))
	return errors.Join(errs...)
}

// deleteTemplate deletes a baymodel; Magnum refuses (400) while a
// cluster it has not finished deleting still uses it, so a refusal is
// retried a bounded number of times.
func (b *realBench) deleteTemplate(ctx context.Context, uuid string) error {
	var last error
	for try := 1; try <= 2*sharedTries; try++ {
		code, raw, err := b.user.call(ctx, http.MethodDelete, "/clustertemplates/"+uuid, nil, nil)
		switch {
		case err != nil:
			last = err
		case code < 300 || code == http.StatusNotFound:
			return nil
		default:
			last = fmt.Errorf("HTTP %d: %s", code, magnumMessage(raw))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
		}
	}
	return fmt.Errorf("deleting the baymodel %s: %w", uuid, last)
}

// sharedPlanConfig is planConfig with import blocks that adopt the
// bench's baymodel and bays: the configuration a provider's own bays are
// planned with, so both set-ups plan the same resources. One addition,
// the peer's only: its baymodel's floating_ip_enabled is optional and not
// computed, so left out it means false (its own create sends false),
// while Magnum's default, which the bench's baymodel has and this
// provider's baymodel defaults to, is true; the import would plan an
// update of it.
func sharedPlanConfig(provider string, set *sharedSet) string {
	tmplType, bayType := "magnum_baymodel", "magnum_bay"
	if provider == Peer {
		tmplType, bayType = "openstack_containerinfra_clustertemplate_v1", "openstack_containerinfra_cluster_v1"
	}
	var sb strings.Builder
	sb.WriteString(planConfigWith(provider, set.prefix, len(set.bays), "  floating_ip_enabled = true\n"))
	fmt.Fprintf(&sb, "\nimport {\n  to = %s.v123\n  id = %q\n}\n", tmplType, set.template)
	for i, uuid := range set.bays {
		fmt.Fprintf(&sb, "\nimport {\n  to = %s.b[%d]\n  id = %q\n}\n", bayType, i, uuid)
	}
	return sb.String()
}

// planChanges reads `terraform show -json` of a plan and names each
// resource the plan would do more to than read or import, with the
// attributes whose planned value differs from the state's.
func planChanges(planJSON []byte) ([]string, error) {
	var doc struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string       `json:"actions"`
				Before  map[string]any `json:"before"`
				After   map[string]any `json:"after"`
				Unknown map[string]any `json:"after_unknown"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(planJSON, &doc); err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	var out []string
	for _, rc := range doc.ResourceChanges {
		if a := rc.Change.Actions; len(a) == 0 || slices.Equal(a, []string{"no-op"}) || slices.Equal(a, []string{"read"}) {
			continue
		}
		var attrs []string
		for k := range mergedKeys(rc.Change.Before, rc.Change.After, rc.Change.Unknown) {
			bj, _ := json.Marshal(rc.Change.Before[k])
			aj, _ := json.Marshal(rc.Change.After[k])
			if string(bj) != string(aj) || rc.Change.Unknown[k] == true {
				attrs = append(attrs, k)
			}
		}
		slices.Sort(attrs)
		out = append(out, fmt.Sprintf("%s (%s: %s)", rc.Address, strings.Join(rc.Change.Actions, ", "), strings.Join(attrs, ", ")))
	}
	return out, nil
}

func mergedKeys(ms ...map[string]any) map[string]bool {
	keys := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}
