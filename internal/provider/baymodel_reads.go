package provider

import (
	"context"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// baymodelReads reads each baymodel at most once for one call of the
// provider (a ModifyPlan, an Update): the checks a plan or an upgrade
// makes each need the current and the new baymodel, and on a real cloud
// every read costs a round trip through Magnum's policy and database.
// It lives only as long as that call. Behind it, the process's
// recentBaymodels answer for a baymodel the same command has just read
// or written (the plan's refresh of the baymodel itself, an apply's update
// of it). Failures are kept too: within one call a second read would
// answer the same.
type baymodelReads struct {
	get  func(ctx context.Context, idOrName string) (*magnum.ClusterTemplate, error)
	mu   sync.Mutex
	seen map[string]baymodelRead
}

type baymodelRead struct {
	ct  *magnum.ClusterTemplate
	err error
}

func newBaymodelReads(d *ProviderData) *baymodelReads {
	return &baymodelReads{get: d.readBaymodel, seen: map[string]baymodelRead{}}
}

// readBaymodel reads a baymodel through the process's recent ones.
func (d *ProviderData) readBaymodel(ctx context.Context, idOrName string) (*magnum.ClusterTemplate, error) {
	return d.baymodels.read(ctx, idOrName, d.Magnum.GetClusterTemplate)
}

// read returns the baymodel named or identified by idOrName. A baymodel
// read by name is also remembered by its UUID, the form the state keeps.
func (b *baymodelReads) read(ctx context.Context, idOrName string) (*magnum.ClusterTemplate, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.seen[idOrName]; ok {
		return r.ct, r.err
	}
	ct, err := b.get(ctx, idOrName)
	if err != nil && ctx.Err() != nil {
		// A cancelled call says nothing about the baymodel.
		return nil, err
	}
	b.seen[idOrName] = baymodelRead{ct: ct, err: err}
	if err == nil && ct.UUID != "" {
		b.seen[ct.UUID] = baymodelRead{ct: ct}
	}
	return ct, err
}

// recentBaymodels keeps the baymodels this provider process has just
// created, read or changed, for the bays it creates from them in the same
// command: a create then costs no read of a baymodel Terraform has just
// written, and bays created side by side from one baymodel share a read.
// A bay's create needs only what a baymodel's clusters pin for good: its
// UUID, COE, TLS, driver and distro. Magnum refuses to change them once a
// cluster uses the baymodel (ClusterTemplateReferenced); before that, a
// change made elsewhere in the few seconds between two creates is the
// same race as one between a read and the POST after it. Entries are kept
// by UUID only, since a name can move to another baymodel, and for a
// bounded time, so a long apply reads afresh.
type recentBaymodels struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	seen   map[string]recentBaymodel
	flight map[string]*baymodelFlight
}

type recentBaymodel struct {
	ct *magnum.ClusterTemplate
	at time.Time
}

type baymodelFlight struct {
	done    chan struct{}
	ct      *magnum.ClusterTemplate
	err     error
	waiters int // under recentBaymodels.mu
}

// recentBaymodelTTL bounds how long a baymodel is reused: about the time
// Terraform's first ten creates of a large apply take to start.
const recentBaymodelTTL = time.Minute

func newRecentBaymodels() *recentBaymodels {
	return &recentBaymodels{ttl: recentBaymodelTTL, now: time.Now,
		seen: map[string]recentBaymodel{}, flight: map[string]*baymodelFlight{}}
}

// remember records ct as Magnum has just answered it.
func (m *recentBaymodels) remember(ct *magnum.ClusterTemplate) {
	if m == nil || ct == nil || ct.UUID == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[ct.UUID] = recentBaymodel{ct: ct, at: m.now()}
}

// forget drops a baymodel this process deleted.
func (m *recentBaymodels) forget(id string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, id)
}

// read returns the baymodel idOrName: a recent answer for its UUID, the
// answer of a read another caller has in flight, or a new read. Names
// always go to Magnum. Failures are not kept.
func (m *recentBaymodels) read(ctx context.Context, idOrName string, get func(context.Context, string) (*magnum.ClusterTemplate, error)) (*magnum.ClusterTemplate, error) {
	if m == nil {
		return get(ctx, idOrName)
	}
	m.mu.Lock()
	if r, ok := m.seen[idOrName]; ok && m.now().Sub(r.at) < m.ttl {
		m.mu.Unlock()
		return r.ct, nil
	}
	if f, ok := m.flight[idOrName]; ok {
		f.waiters++
		m.mu.Unlock()
		select {
		case <-f.done:
			if f.err == nil {
				return f.ct, nil
			}
			// The other caller's failure may be its own cancelled
			// context: ask again under ours.
			return get(ctx, idOrName)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &baymodelFlight{done: make(chan struct{})}
	m.flight[idOrName] = f
	m.mu.Unlock()

	f.ct, f.err = get(ctx, idOrName)
	m.mu.Lock()
	delete(m.flight, idOrName)
	if f.err == nil && f.ct != nil && f.ct.UUID != "" {
		m.seen[f.ct.UUID] = recentBaymodel{ct: f.ct, at: m.now()}
	}
	m.mu.Unlock()
	close(f.done)
	return f.ct, f.err
}
