package provider

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

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
	d.phaseOnce.Do(func() {
		d.phase = waiter.NewPhase(waiter.ConductorPeriod)
		if d.Magnum != nil {
			if raw, ok := d.phaseCache.Load(d.Magnum.BaseURL()); ok {
				seedMemo(d.phase, raw)
			}
		}
	})
	return d.phase
}

// privateConductorPhase is the private-state key of a bay's phaseMemo.
const privateConductorPhase = "conductor_phase"

// phaseMemo is the conductors' sync grids as a provider process learnt
// them, kept in each bay's private state. Every terraform command starts a
// new provider process, and on a cloud with Heat the only sign of a grid
// is a status flip, which a wait sees only at its end; without the memo a
// resize or an upgrade run weeks after the create polls on the schedule
// (every 9 to 30 s past the first minute) for want of the grid the create
// already saw. A conductor's grid holds until it restarts; a grid no change
// lands on for a day of changes on the others is dropped (waiter.Phase).
type phaseMemo struct {
	PeriodNS int64 `json:"period_ns"`
	// LoNS and HiNS are the most recently seen grid: the whole memo of
	// the releases that kept one grid.
	LoNS  int64      `json:"lo_ns"`
	HiNS  int64      `json:"hi_ns"`
	Grids []gridMemo `json:"grids,omitempty"`
	// The skew between Magnum's clock and this machine's, which places
	// the stamp of a change seen late on its grid.
	SkewLoNS  int64 `json:"skew_lo_ns,omitempty"`
	SkewHiNS  int64 `json:"skew_hi_ns,omitempty"`
	SkewKnown bool  `json:"skew_known,omitempty"`
}

type gridMemo struct {
	LoNS   int64 `json:"lo_ns"`
	HiNS   int64 `json:"hi_ns"`
	SeenNS int64 `json:"seen_unix_ns"`
}

// seedPhase starts the provider's Phase from the grids a bay kept, unless
// this process knows one already.
func (d *ProviderData) seedPhase(ctx context.Context, private privateState) {
	p := d.conductorPhase()
	if p == nil || p.Known() {
		return
	}
	raw, _ := private.GetKey(ctx, privateConductorPhase)
	seedMemo(p, raw)
}

// seedMemo starts p from a phaseMemo, kept in a bay's private state or in
// the phase cache; an unreadable memo or one of another period says nothing.
func seedMemo(p *waiter.Phase, raw []byte) {
	var m phaseMemo
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || time.Duration(m.PeriodNS) != waiter.ConductorPeriod {
		return
	}
	var gs []waiter.Grid
	for _, g := range m.Grids {
		gs = append(gs, waiter.Grid{Lo: time.Duration(g.LoNS), Hi: time.Duration(g.HiNS), Seen: time.Unix(0, g.SeenNS)})
	}
	if len(gs) == 0 {
		// A memo of one grid, with no date: as if seen now.
		gs = []waiter.Grid{{Lo: time.Duration(m.LoNS), Hi: time.Duration(m.HiNS), Seen: time.Now()}}
	}
	p.SeedGrids(gs, time.Duration(m.SkewLoNS), time.Duration(m.SkewHiNS), m.SkewKnown)
}

// keepPhase writes the grids this process knows into a bay's private
// state; with none known the bay keeps what it had.
func (d *ProviderData) keepPhase(ctx context.Context, private privateSetter) diag.Diagnostics {
	raw, ok := d.phaseMemo()
	if !ok {
		return nil
	}
	return private.SetKey(ctx, privateConductorPhase, raw)
}

// rememberPhase writes the grids this process knows into the phase cache,
// for the next terraform command on this cloud, whatever its working
// directory (see phasecache). Every wait calls it when it ends.
func (d *ProviderData) rememberPhase(ctx context.Context) {
	if d == nil || d.phaseCache == nil || d.Magnum == nil {
		return
	}
	raw, ok := d.phaseMemo()
	if !ok {
		return
	}
	if err := d.phaseCache.Save(d.Magnum.BaseURL(), raw); err != nil {
		tflog.Debug(ctx, "could not keep the conductor's sync phase in the cache", map[string]any{"path": d.phaseCache.Path(), "error": err.Error()})
	}
}

// phaseMemo encodes the grids and the skew this process knows; false when
// it knows no grid.
func (d *ProviderData) phaseMemo() ([]byte, bool) {
	p := d.conductorPhase()
	gs := p.Grids()
	if len(gs) == 0 {
		return nil, false
	}
	m := phaseMemo{PeriodNS: int64(waiter.ConductorPeriod), LoNS: int64(gs[0].Lo), HiNS: int64(gs[0].Hi)}
	for _, g := range gs {
		m.Grids = append(m.Grids, gridMemo{LoNS: int64(g.Lo), HiNS: int64(g.Hi), SeenNS: g.Seen.UnixNano()})
	}
	lo, hi, ok := p.Skew()
	m.SkewLoNS, m.SkewHiNS, m.SkewKnown = int64(lo), int64(hi), ok
	raw, err := json.Marshal(m)
	return raw, err == nil
}

// shareClockSkew hands the Phase what Magnum's answers have shown of its
// clock (their Date headers): with the skew known to a fraction of a
// second, the stamp of a flip seen late places its conductor's grid.
func (d *ProviderData) shareClockSkew() {
	if d == nil || d.Magnum == nil {
		return
	}
	if lo, hi, ok := d.Magnum.ClockSkew(); ok {
		d.conductorPhase().ObserveSkew(lo, hi)
	}
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

// bayHandlerMayFail and nodegroupHandlerMayFail are the waiters'
// HandlerMayFail. Magnum's create handler saves the stack id (Heat's, or
// the name a Cluster API driver gives the cluster) once it has started the
// stack, and when it cannot start it, fails the create itself, at once and
// off the sync's grid (a refused trust, a stack Heat rejects). A sync
// fails only what has a stack to fail, so a failure that follows a look
// with the stack id is the sync's.
func bayHandlerMayFail(prev *magnum.Cluster) bool { return prev == nil || prev.StackID == "" }

func nodegroupHandlerMayFail(prev *magnum.NodeGroup) bool { return prev == nil || prev.StackID == "" }
