package provider

import (
	"context"
	"sync"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// A bay's CA across the provider's own updates. Magnum changes a
// cluster's CA only through PATCH /v1/certificates/{cluster} (rotation),
// and its conductor refuses that unless the cluster is in a *_COMPLETE
// status; a resize or an upgrade never touches the CA (it stays at the
// cluster's ca_cert_ref). Each of them moves updated_at and the node
// count or the template, though, so the fingerprint the refresh keeps
// (caFingerprint, in either of its forms) misses after one and the
// CA would be read again after the wait, sequentially, before Terraform
// can return. caAcross instead establishes the CA as of the moment the
// update starts, and carries it to the bay as the update leaves it:
//   - from the state, when the bay read just before the first request
//     still has the fingerprint the state's CA was read at;
//   - otherwise from one read sent alongside the update, in the
//     background (the bay changed since the refresh, or the state holds
//     no CA).
//
// Everything else in the credentials (api_address, the client
// certificate's renewal) is decided again from the bay the update left,
// as after any refresh. What this leaves open: someone else rotating the
// CA in the fraction of a second between that read of the bay and
// Magnum's conductor taking the provider's request (a resize is accepted
// while a rotation runs; an upgrade is not). The next change of the bay
// reads the CA again.
type caAcross struct {
	magnum *magnum.Client
	// stored is the fingerprint the state's CA was read at (bayMeta.CARead)
	// and stateCA that CA; either empty means the state holds none.
	stored, stateCA string
	// meta is the bay's meta as the update starts, which decides the
	// fingerprint's form.
	meta bayMeta
	// tls is whether the bay has a CA to read at all (a kubernetes or
	// swarm bay whose baymodel enables TLS).
	tls bool

	mu      sync.Mutex
	decided bool
	ca      string
	ahead   chan string
}

func newCAAcross(m *magnum.Client, meta bayMeta, state bayModel) *caAcross {
	ca := ""
	if !state.CACert.IsNull() && !state.CACert.IsUnknown() {
		ca = state.CACert.ValueString()
	}
	return &caAcross{
		magnum: m, stored: meta.CARead, stateCA: ca, meta: meta,
		tls: !meta.TLSDisabled && (meta.COE == "kubernetes" || meta.COE == "swarm" || meta.COE == "swarm-mode"),
	}
}

// caHoldsAt reports whether a CA read when the bay had fingerprint stored
// is still the CA of bay c.
func caHoldsAt(stored, ca string, c *magnum.Cluster, meta bayMeta) bool {
	return stored != "" && ca != "" && c != nil && stored == caFingerprint(c, meta)
}

// before sees the bay as read just before an update request. Only the
// first call counts: later updates in the same apply are the provider's
// own, which keep the CA.
func (k *caAcross) before(ctx context.Context, c *magnum.Cluster) {
	if k == nil || c == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.decided {
		return
	}
	k.decided = true
	switch {
	case !k.tls:
	case caHoldsAt(k.stored, k.stateCA, c, k.meta):
		k.ca = k.stateCA
	case c.APIAddress != "" && k.magnum != nil:
		// A bay without an API address has not finished its create: its
		// credentials wait for a refresh that finds one.
		k.ahead = make(chan string, 1)
		ctx, id := ownLogFields(ctx, "read_ca_alongside_update"), c.UUID
		go func() {
			pem, err := k.magnum.GetCA(ctx, id, magnum.CATypeKubernetes)
			if err != nil {
				pem = ""
			}
			k.ahead <- pem
		}()
	}
}

// result is the bay's CA as the update started, or "" when unknown (no
// update was sent, the bay has none, or the read failed): the caller then
// reads it as a refresh would.
func (k *caAcross) result(ctx context.Context) string {
	if k == nil {
		return ""
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ahead != nil {
		select {
		case pem := <-k.ahead:
			k.ca, k.ahead = pem, nil
		case <-ctx.Done():
			return ""
		}
	}
	return k.ca
}
