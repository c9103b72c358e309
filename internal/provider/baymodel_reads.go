package provider

import (
	"context"
	"sync"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// baymodelReads reads each baymodel at most once for one call of the
// provider (a ModifyPlan, an Update): the checks a plan or an upgrade
// makes each need the current and the new baymodel, and on a real cloud
// every read costs a round trip through Magnum's policy and database.
// It lives only as long as that call, so nothing it holds outlives the
// moment its answer was true: ModifyPlan and Apply are separate calls
// and each reads afresh. Failures are kept too: within one call a second
// read would answer the same.
type baymodelReads struct {
	get  func(ctx context.Context, idOrName string) (*magnum.ClusterTemplate, error)
	mu   sync.Mutex
	seen map[string]baymodelRead
}

type baymodelRead struct {
	ct  *magnum.ClusterTemplate
	err error
}

func newBaymodelReads(m *magnum.Client) *baymodelReads {
	return &baymodelReads{get: m.GetClusterTemplate, seen: map[string]baymodelRead{}}
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
