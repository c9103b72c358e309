package provider

import (
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestSyncRewrote(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := func(updated time.Time, health string) *magnum.Cluster {
		return &magnum.Cluster{Status: "CREATE_IN_PROGRESS", UpdatedAt: updated, HealthStatus: health}
	}
	capi := syncRewrote(true)
	tests := []struct {
		name      string
		prev, cur *magnum.Cluster
		want      bool
	}{
		{"a sync rewrote the cluster", c(t0, ""), c(t0.Add(10*time.Second), ""), true},
		{"nothing changed", c(t0, ""), c(t0, ""), false},
		{"never written before", c(time.Time{}, ""), c(t0, ""), false},
		{"the health check, on its own period", c(t0, ""), c(t0.Add(10*time.Second), "HEALTHY"), false},
		{"no previous observation", nil, c(t0, ""), false},
	}
	for _, tt := range tests {
		if got := capi(tt.prev, tt.cur); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
	if syncRewrote(false) != nil {
		t.Error("with Heat, updated_at alone must not mark a sync")
	}
}

func TestConductorPhaseIsSharedAndNilSafe(t *testing.T) {
	var none *ProviderData
	if none.conductorPhase() != nil {
		t.Error("an unconfigured provider has a Phase")
	}
	d := &ProviderData{}
	if d.conductorPhase() == nil || d.conductorPhase() != d.conductorPhase() {
		t.Error("the bay waits of one provider instance must share one Phase")
	}
}
