package acctest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// resizeProbe is what the capi target's driver did to a resize, found out
// once per test binary.
var resizeProbe struct {
	once    sync.Once
	refusal string // the driver's status_reason when it failed the resize
	err     error  // the probe itself went wrong
}

// SkipIfResizeRefused skips a test that resizes bays when the capi
// target's driver fails resizes, quoting the driver's own reason. It finds
// out once per test binary, by resizing a bay of its own through s (the
// calling test's relay): magnum-cluster-api 0.16.0 fails every resize of a
// nodegroup without autoscaling with "'annotations'" (KeyError in
// MachineDeployment.equals_spec, vexxhost/magnum-cluster-api#368, fixed
// after 0.16.0), and a driver that resizes runs the test. Elsewhere it does
// nothing.
func SkipIfResizeRefused(t testing.TB, s *sim.Sim) {
	t.Helper()
	if !CAPITarget() {
		return
	}
	resizeProbe.once.Do(func() { resizeProbe.refusal, resizeProbe.err = probeResize(t, s) })
	if resizeProbe.err != nil {
		t.Fatalf("probing whether %s resizes bays: %v", RealReleaseName(), resizeProbe.err)
	}
	if resizeProbe.refusal != "" {
		t.Skipf("%s fails every resize: a bay of its own went UPDATE_FAILED, status_reason %q (vexxhost/magnum-cluster-api#368, "+
			"fixed after 0.16.0). The test resizes bays; the zed and 2025.1 targets and the simulator run it.",
			RealReleaseName(), resizeProbe.refusal)
	}
}

// probeResize builds a bay on the target's Kube model, resizes it to two
// workers, and deletes it and its baymodel: it returns the driver's
// status_reason when the resize failed, "" when it completed.
func probeResize(t testing.TB, s *sim.Sim) (refusal string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	mc := MagnumClient(t, s, "demo")
	str := func(v string) *string { return &v }
	ct, err := mc.CreateClusterTemplate(ctx, Kube().Template(magnum.ClusterTemplateCreate{
		Name: str("resize-probe-model"), COE: "kubernetes", KeypairID: str("testkey"), ExternalNetworkID: str("public"),
	}))
	if err != nil {
		return "", err
	}
	defer func() {
		if derr := mc.DeleteClusterTemplate(context.Background(), ct.UUID); derr != nil && !magnum.IsNotFound(derr) && err == nil {
			err = fmt.Errorf("deleting the probe's baymodel: %w", derr)
		}
	}()
	id, err := mc.CreateCluster(ctx, magnum.ClusterCreate{Name: "resize-probe", ClusterTemplateID: ct.UUID})
	if err != nil {
		return "", err
	}
	defer func() {
		if derr := deleteAndWait(mc, id); derr != nil && err == nil {
			err = derr
		}
	}()
	if c, err := waitForEnd(ctx, mc, id, "CREATE"); err != nil {
		return "", err
	} else if c.Status != "CREATE_COMPLETE" {
		return "", fmt.Errorf("probe bay %s: %s: %s", id, c.Status, c.StatusReason)
	}
	if err := mc.ResizeCluster(ctx, id, magnum.ResizeOpts{NodeCount: 2}); err != nil {
		return "", err
	}
	c, err := waitForEnd(ctx, mc, id, "UPDATE")
	if err != nil {
		return "", err
	}
	if c.Status == "UPDATE_FAILED" {
		return c.StatusReason, nil
	}
	return "", nil
}

// waitForEnd polls the bay until action (CREATE, UPDATE) completes or
// fails, or ctx ends.
func waitForEnd(ctx context.Context, mc *magnum.Client, id, action string) (*magnum.Cluster, error) {
	for {
		c, err := mc.GetCluster(ctx, id)
		if err == nil && (c.Status == action+"_COMPLETE" || c.Status == action+"_FAILED") {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("probe bay %s: no end of its %s in time (last error %v)", id, action, err)
		case <-time.After(2 * time.Second):
		}
	}
}

// deleteAndWait deletes the probe's bay and waits, within five minutes,
// until Magnum no longer has it.
func deleteAndWait(mc *magnum.Client, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := mc.DeleteCluster(ctx, id); err != nil && !magnum.IsNotFound(err) {
		return fmt.Errorf("deleting the probe's bay: %w", err)
	}
	for {
		if _, err := mc.GetCluster(ctx, id); magnum.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the probe's bay %s was still there after 5 minutes", id)
		case <-time.After(2 * time.Second):
		}
	}
}
