package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Adopting a bay that a lost create answer left behind, or that
// adopt_existing names: what must match the plan, and the resize after.

// checkAdoptable refuses to adopt a bay that differs from the plan in
// what Magnum cannot change on a running bay: adopting it would leave the
// state claiming a bay that does not exist. node_count may differ (it is
// resized after the adoption).
func (r *bayResource) checkAdoptable(ctx context.Context, id string, plan bayModel, templateUUID string) error {
	c, err := r.data.Magnum.GetCluster(ctx, id)
	if err != nil {
		return fmt.Errorf("Bay %s, which adopt_existing would adopt, could not be read.\n\n%s", id, diagnose.APIError(err))
	}
	var diff []string
	differs := func(attr string, configured, actual any) {
		diff = append(diff, fmt.Sprintf("%s is %v, configured %v", attr, actual, configured))
	}
	if c.ClusterTemplateID != templateUUID {
		differs("baymodel_id", templateUUID, c.ClusterTemplateID)
	}
	str := func(attr string, v types.String, actual string) {
		if !v.IsNull() && !v.IsUnknown() && v.ValueString() != actual {
			differs(attr, strconv.Quote(v.ValueString()), strconv.Quote(actual))
		}
	}
	num := func(attr string, v types.Int64, actual int) {
		if !v.IsNull() && !v.IsUnknown() && v.ValueInt64() != int64(actual) {
			differs(attr, v.ValueInt64(), actual)
		}
	}
	boolean := func(attr string, v types.Bool, actual *bool) {
		if !v.IsNull() && !v.IsUnknown() && (actual == nil || *actual != v.ValueBool()) {
			differs(attr, v.ValueBool(), actual != nil && *actual)
		}
	}
	num("master_count", plan.MasterCount, c.MasterCount)
	num("create_timeout", plan.CreateTimeout, c.CreateTimeout)
	if c.DockerVolumeSize != nil {
		num("docker_volume_size", plan.DockerVolumeSize, *c.DockerVolumeSize)
	}
	str("keypair", plan.Keypair, c.Keypair)
	str("flavor_id", plan.FlavorID, c.FlavorID)
	str("master_flavor_id", plan.MasterFlavorID, c.MasterFlavorID)
	str("discovery_url", plan.DiscoveryURL, c.DiscoveryURL)
	str("fixed_network", plan.FixedNetwork, c.FixedNetwork)
	str("fixed_subnet", plan.FixedSubnet, c.FixedSubnet)
	boolean("master_lb_enabled", plan.MasterLBEnabled, c.MasterLBEnabled)
	boolean("floating_ip_enabled", plan.FloatingIPEnabled, c.FloatingIPEnabled)
	if want, _ := stringMap(ctx, plan.Labels); len(want) > 0 {
		for k, v := range want {
			if got, ok := c.Labels[k]; !ok || got != v {
				differs("labels["+k+"]", strconv.Quote(v), strconv.Quote(got))
			}
		}
	}
	if len(diff) == 0 {
		return nil
	}
	sort.Strings(diff)
	return errors.New(diagnose.AdoptMismatch(id, c.Name, diff))
}

// resizeAdopted brings an adopted bay's worker count to the configured one.
func (r *bayResource) resizeAdopted(ctx context.Context, c *magnum.Cluster, plan bayModel, timeout time.Duration) (*magnum.Cluster, error) {
	if plan.NodeCount.IsNull() || plan.NodeCount.IsUnknown() || autoScaled(ctx, plan.AutoScaling) {
		return c, nil
	}
	want := int(plan.NodeCount.ValueInt64())
	if bayResized(ctx, r.data.Magnum, c, want) {
		return c, nil
	}
	return r.applyAndWait(ctx, c.UUID, c.Name, fmt.Sprintf("resized to %d nodes", want), timeout, nil, func(ctx context.Context) error {
		return r.resize(ctx, c.UUID, want)
	}, func(c *magnum.Cluster) bool { return bayResized(ctx, r.data.Magnum, c, want) })
}
