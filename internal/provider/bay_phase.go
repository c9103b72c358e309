package provider

import (
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
