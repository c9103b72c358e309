package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Every bay and baymodel create runs the same guard: look the name up in
// the project first, so an object that a killed or lost apply made is
// never doubled; and when the answer to the POST is lost, adopt only what
// provably came from that POST (ownership.go).

// lostCreateLooks and lostCreateInterval bound the search for a bay whose
// POST answer was lost: Magnum's API casts the create to its conductor,
// which inserts the row a moment later.
const (
	lostCreateLooks    = 3
	lostCreateInterval = 1500 * time.Millisecond
)

func adoptExistingAttribute(kind string) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: fmt.Sprintf("What to do when, at create time, a %[1]s of this `name` already exists in the project and no resource "+
			"manages it (for example, one an apply made just before it was killed): by default the create stops with an error that names "+
			"it and the `terraform import` command. `true` adopts it instead, but only when exactly one such %[1]s exists and it was "+
			"created by the same user in the same project as the provider's credentials; anything else stays an error. "+
			"The provider then brings it to the configuration where Magnum can do that in place. Only consulted at create time.", kind),
		Optional: true,
	}
}

// errNameTaken carries a nameTakenError message.
type errNameTaken struct{ msg string }

func (e *errNameTaken) Error() string { return e.msg }

// guardedCreate runs one create: the look-up, then either adoption of an
// existing object (with adopt, when allowed) or post, and on a lost
// answer the search for what post made. It returns the id and whether it
// was adopted.
func guardedCreate(ctx context.Context, d *ProviderData, kind, name string, adopt bool,
	list func(context.Context) ([]ownedObject, error), post func(context.Context) (string, error)) (string, bool, error) {
	a := newCreateAttempt(d, kind, name)
	objs, err := list(ctx)
	if err != nil {
		return "", false, fmt.Errorf("Before creating %s %q the provider looks its name up, so as never to make a second one, and the look-up failed:\n\n%s", kind, name, diagnose.APIError(err))
	}
	existing := a.sameName(objs)
	for _, o := range existing {
		a.before[o.ID] = true
	}
	if len(existing) > 0 {
		if !adopt {
			return "", false, &errNameTaken{a.nameTakenError(existing, d.claimSet(), false)}
		}
		mine, _ := a.adoptable(existing, d.claimSet())
		if len(mine) != 1 || len(existing) != 1 {
			return "", false, &errNameTaken{a.nameTakenError(existing, d.claimSet(), true) +
				fmt.Sprintf("\n\nadopt_existing adopts only when exactly one %s of the name exists and it was created by this user (%s) in this project.", kind, orUnknown(a.userID))}
		}
		if h, ok := d.claimSet().take(mine[0].ID, a.claim); !ok {
			return "", false, fmt.Errorf("%s %s is already managed by another resource of this configuration (%s)", kind, mine[0].ID, h.label)
		}
		tflog.Info(ctx, "adopting an existing "+kind+" of the same name, as adopt_existing asks", map[string]any{"name": name, "id": mine[0].ID})
		return mine[0].ID, true, nil
	}

	a.start(d, time.Now())
	id, err := post(ctx)
	if magnum.IsOutcomeUnknown(err) {
		// Never POST again blindly: the first request may have created it.
		id, err = a.findLost(ctx, d, kind, list, err)
	}
	if err != nil {
		return "", false, err
	}
	if h, ok := d.claimSet().take(id, a.claim); !ok {
		return "", false, fmt.Errorf("%s %s was created, but another resource of this configuration (%s) already holds it; "+
			"give each resource its own name", kind, id, h.label)
	}
	return id, false, nil
}

// findLost settles a POST whose answer was lost by looking for what it
// made, before anything else.
func (a *createAttempt) findLost(ctx context.Context, d *ProviderData, kind string, list func(context.Context) ([]ownedObject, error), postErr error) (string, error) {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	looks := 1
	if kind == "bay" {
		looks = lostCreateLooks
	}
	var mine, others []ownedObject
	for i := 0; i < looks; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(lostCreateInterval):
			}
		}
		objs, err := list(ctx)
		if err != nil {
			return "", fmt.Errorf("%w\n\nThe create request may or may not have reached Magnum, and listing %ss to find out failed too: %v. "+
				"Check for a %s named %q before applying again", postErr, kind, err, kind, a.name)
		}
		mine, others = a.madeByRequest(objs, d.claimSet())
		if len(mine) > 0 {
			break
		}
	}
	if len(mine) == 1 {
		tflog.Info(ctx, "the create request's answer was lost, but the "+kind+" it made exists; adopting it", map[string]any{"name": a.name, "id": mine[0].ID})
		return mine[0].ID, nil
	}
	return "", fmt.Errorf("%w\n\n%s", postErr, a.unknownOutcomeError(mine, others, d.claimSet()))
}

// start records when the POST leaves, in Magnum's clock as far as it is
// known (the look-up that precedes it has just shown Magnum's Date).
func (a *createAttempt) start(d *ProviderData, local time.Time) {
	skew := clockSkewUnknown
	server := local
	if d != nil && d.Magnum != nil {
		var known bool
		if server, known = d.Magnum.ServerTime(local); known {
			skew = clockSkewKnown
		}
	}
	a.notBefore = server.Add(-skew).Truncate(time.Second)
}

func (d *ProviderData) claimSet() *claimSet {
	if d == nil {
		return nil
	}
	return d.claims
}

// listBays and listBaymodels are the look-ups of guardedCreate.
func (d *ProviderData) listBays(ctx context.Context) ([]ownedObject, error) {
	// Magnum 15 answers a whole list with the transient 400 while any
	// cluster of it is in the last moments of a delete.
	var clusters []magnum.Cluster
	err := rideOutTransient400(ctx, func(ctx context.Context) error {
		var err error
		clusters, err = d.Magnum.ListClusters(ctx, magnum.ListOpts{})
		return err
	}, readBayTries, readBayInterval)
	if err != nil {
		return nil, err
	}
	out := make([]ownedObject, len(clusters))
	for i, c := range clusters {
		out[i] = clusterObject(c)
	}
	return out, nil
}

func (d *ProviderData) listBaymodels(ctx context.Context) ([]ownedObject, error) {
	templates, err := d.Magnum.ListClusterTemplates(ctx, magnum.ListOpts{})
	if err != nil {
		return nil, err
	}
	out := make([]ownedObject, len(templates))
	for i, t := range templates {
		out[i] = templateObject(t)
	}
	return out, nil
}

// createErrorSummary titles a failed guarded create.
func createErrorSummary(kind, name string, err error) string {
	var taken *errNameTaken
	if errors.As(err, &taken) {
		return fmt.Sprintf("A %s named %q already exists", kind, name)
	}
	return fmt.Sprintf("Error creating %s %q", kind, name)
}

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
	return fmt.Errorf("Bay %s named %q differs from the configuration in what Magnum cannot change on a running bay:\n  - %s\n\n"+
		"adopt_existing adopts a bay only when it matches. Import it and change the configuration to match, or give this resource another name:\n%s",
		id, c.Name, strings.Join(diff, "\n  - "), importHint("bay", id))
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
	return r.applyAndWait(ctx, c.UUID, c.Name, fmt.Sprintf("resized to %d nodes", want), timeout, func(ctx context.Context) error {
		return r.resize(ctx, c.UUID, want)
	}, func(c *magnum.Cluster) bool { return bayResized(ctx, r.data.Magnum, c, want) })
}
