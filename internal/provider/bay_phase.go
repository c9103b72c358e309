package provider

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// conductorPhase is the phase of Magnum's periodic status sync, shared by
// every bay wait of this provider instance: Magnum runs one sync for all
// clusters, so the first wait to see a bay change status teaches the
// others when, within each 10 s period, changes land, and long waits then
// poll once per period just after that instant (waiter.Phase). Nil on an
// unconfigured provider.
func (d *ProviderData) conductorPhase() *waiter.Phase {
	if d == nil {
		return nil
	}
	d.phaseOnce.Do(func() { d.phase = waiter.NewPhase(waiter.ConductorPeriod) })
	return d.phase
}

// privateConductorPhase is the private-state key of a bay's phaseMemo.
const privateConductorPhase = "conductor_phase"

// phaseMemo is the conductor's sync window as a provider process learnt
// it, kept in each bay's private state. Every terraform command starts a
// new provider process, and on a cloud with Heat the only sign of the
// phase is a status flip, which a wait sees only at its end; without the
// memo a resize or an upgrade run weeks after the create polls on the
// schedule (every 9 to 30 s past the first minute) for want of a phase
// the create already saw. The conductor's grid holds until it restarts,
// and a wrong window costs at most a period per notice until a wait's
// dense first minute sees a flip elsewhere and replaces it.
type phaseMemo struct {
	PeriodNS int64 `json:"period_ns"`
	LoNS     int64 `json:"lo_ns"`
	HiNS     int64 `json:"hi_ns"`
}

// seedPhase starts the provider's Phase from the window a bay kept, unless
// this process knows one already.
func (d *ProviderData) seedPhase(ctx context.Context, private privateState) {
	p := d.conductorPhase()
	if p == nil || p.Known() {
		return
	}
	raw, _ := private.GetKey(ctx, privateConductorPhase)
	var m phaseMemo
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || time.Duration(m.PeriodNS) != waiter.ConductorPeriod {
		return
	}
	p.Seed(time.Duration(m.LoNS), time.Duration(m.HiNS))
}

// keepPhase writes the window this process knows into a bay's private
// state; with none known the bay keeps what it had.
func (d *ProviderData) keepPhase(ctx context.Context, private privateSetter) diag.Diagnostics {
	lo, hi, ok := d.conductorPhase().Window()
	if !ok {
		return nil
	}
	raw, err := json.Marshal(phaseMemo{PeriodNS: int64(waiter.ConductorPeriod), LoNS: int64(lo), HiNS: int64(hi)})
	if err != nil {
		return nil
	}
	return private.SetKey(ctx, privateConductorPhase, raw)
}

// syncRewrote is the waiter's ConductorWrote on clouds without Heat: a
// Cluster API driver's sync rewrites the cluster (status_reason from the
// latest Kubernetes events, the Kubernetes version) while it is in
// progress, so a new updated_at with the same status marks a sync. A
// change of health_status does not: the health check runs on a period of
// its own. With Heat nothing but the status flip marks a sync, so it is
// nil there.
func syncRewrote(heatless bool) func(prev, cur *magnum.Cluster) bool {
	if !heatless {
		return nil
	}
	return func(prev, cur *magnum.Cluster) bool {
		return prev != nil && cur != nil && !prev.UpdatedAt.IsZero() && !cur.UpdatedAt.Equal(prev.UpdatedAt) &&
			cur.HealthStatus == prev.HealthStatus
	}
}
