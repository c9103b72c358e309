package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

func testAccNodegroupConfig(bayName, ngArgs string) string {
	return testAccBayConfig(bayName, 1, "") + fmt.Sprintf(`
resource "magnum_nodegroup" "test" {
  bay_id = magnum_bay.test.id
  name   = "workers-b"
  %s
}
`, ngArgs)
}

func TestAccNodegroup_basic(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "real Magnum (15 and 20 alike) never finishes deleting a nodegroup (its DELETE_IN_PROGRESS is not saved), so destroy cannot succeed")
	s := acctest.StartSim(t, fastBays())
	cfg := func(args string) string {
		return acctest.ProviderBlock(s, "demo") + testAccNodegroupConfig("ngbay", args)
	}
	small := `
  node_count     = 1
  min_node_count = 1
  max_node_count = 3
  flavor_id      = "m1.small"
  merge_labels   = true
  labels = {
    ng_label = "1"
  }`
	bigger := `
  node_count     = 2
  min_node_count = 1
  max_node_count = 5
  flavor_id      = "m1.small"
  merge_labels   = true
  labels = {
    ng_label = "1"
  }`
	ng := "magnum_nodegroup.test"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg(small),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("role"), knownvalue.StringExact("worker")),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("image_id"), knownvalue.StringExact("fedora-coreos-35")),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("stack_id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("effective_labels").AtMapKey("ng_label"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("effective_labels").AtMapKey("kube_tag"), knownvalue.StringExact("v1.23.3-rancher1")),
					// The bay's node_count is its default worker's, not the
					// cluster's total across nodegroups.
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
				},
			},
			{
				Config: cfg(small),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A bigger range and count: PATCH first, then a resize, in place.
				Config: cfg(bigger),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(ng, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionNoop),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("node_count"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("max_node_count"), knownvalue.Int64Exact(5)),
					statecheck.ExpectKnownValue(ng, tfjsonpath.New("status"), knownvalue.StringExact("UPDATE_COMPLETE")),
				},
			},
			{
				ResourceName:      ng,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "ngbay/workers-b", nil },
				// Magnum does not report merge_labels, and with it false the
				// imported labels are the effective ones.
				ImportStateVerifyIgnore: []string{"labels", "merge_labels", "timeouts"},
			},
		},
	})
}

func TestAccNodegroup_autoscalerCountsAreNotDrift(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "an autoscaler's resize out of band (SetNodegroupCount), and real Magnum's nodegroup delete never finishes")
	s := acctest.StartSim(t, fastBays())
	config := acctest.ProviderBlock(s, "demo") + testAccBayConfig("asbay", 1, `
  auto_scaling = {
    enabled        = true
    min_node_count = 1
    max_node_count = 5
  }`) + `
resource "magnum_nodegroup" "test" {
  bay_id = magnum_bay.test.id
  name   = "elastic"
  auto_scaling = {
    enabled        = true
    min_node_count = 1
    max_node_count = 4
  }
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("effective_labels").AtMapKey("auto_scaling_enabled"), knownvalue.StringExact("true")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("effective_labels").AtMapKey("max_node_count"), knownvalue.StringExact("5")),
					// Merged over the baymodel's labels, so kube_tag survives.
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("effective_labels").AtMapKey("kube_tag"), knownvalue.StringExact("v1.23.3-rancher1")),
					statecheck.ExpectKnownValue("magnum_nodegroup.test", tfjsonpath.New("effective_labels").AtMapKey("auto_scaling_enabled"), knownvalue.StringExact("true")),
					statecheck.ExpectKnownValue("magnum_nodegroup.test", tfjsonpath.New("max_node_count"), knownvalue.Int64Exact(4)),
					statecheck.ExpectKnownValue("magnum_nodegroup.test", tfjsonpath.New("min_node_count"), knownvalue.Int64Exact(1)),
				},
			},
			{
				// The autoscaler grows both; Terraform must not shrink them back.
				PreConfig: func() {
					id := bayUUID(t, s, "asbay")
					mustSim(t, s.SetNodeCount(id, 4))
					mustSim(t, s.SetNodegroupCount(id, "elastic", 3))
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("magnum_nodegroup.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
				},
			},
		},
	})
}

func TestAccNodegroup_badInput(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	tests := []struct {
		name, args string
		want       *regexp.Regexp
	}{
		{"min above max", "min_node_count = 4\n  max_node_count = 2\n  node_count = 2", regexp.MustCompile(`min_node_count \(4\) is above max_node_count \(2\)`)},
		{"count above max", "node_count = 5\n  max_node_count = 2", regexp.MustCompile(`node_count \(5\) is above max_node_count \(2\)`)},
		{"master role", `role = "master"`, regexp.MustCompile(`value must be none of`)},
		{"bad taint", "node_taints = [{ key = \"a\", effect = \"Sometimes\" }]", regexp.MustCompile(`NoSchedule`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderBlock(s, "demo") + testAccNodegroupConfig("bad", tt.args),
					PlanOnly:    true,
					ExpectError: tt.want,
				}},
			})
		})
	}
}

func TestAccNodegroup_needsMicroversion19(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderBlock(s, "demo", `max_microversion = "1.8"`) + testAccNodegroupConfig("oldapi", ""),
			ExpectError: regexp.MustCompile(`creating a nodegroup needs Magnum API microversion 1\.9`),
		}},
	})
}

func TestNodegroupCreateRequest(t *testing.T) {
	ctx := context.Background()
	labels := types.MapValueMust(types.StringType, map[string]attr.Value{"a": types.StringValue("b")})
	as := types.ObjectValueMust(autoScalingAttrTypes, map[string]attr.Value{
		"enabled": types.BoolValue(true), "min_node_count": types.Int64Value(1), "max_node_count": types.Int64Value(4),
	})
	base := nodegroupModel{
		Name: types.StringValue("ng"), NodeCount: types.Int64Value(2), MergeLabels: types.BoolValue(false),
		MinNodeCount: types.Int64Unknown(), MaxNodeCount: types.Int64Null(), Labels: types.MapNull(types.StringType),
		NodeLabels: types.MapNull(types.StringType), NodeTaints: types.ListNull(types.ObjectType{AttrTypes: taintAttrTypes}),
		AutoScaling: types.ObjectNull(autoScalingAttrTypes), Role: types.StringUnknown(), FlavorID: types.StringUnknown(),
		ImageID: types.StringUnknown(), DockerVolumeSize: types.Int64Unknown(),
	}
	tests := []struct {
		name       string
		mod        func(m *nodegroupModel)
		wantLabels map[string]string
		wantMerge  bool
		wantMin    *int
		wantMax    *int
	}{
		{"inherits everything", func(*nodegroupModel) {}, nil, false, nil, nil},
		{"own labels replace", func(m *nodegroupModel) { m.Labels = labels }, map[string]string{"a": "b"}, false, nil, nil},
		{"autoscaling alone merges over the bay's labels", func(m *nodegroupModel) { m.AutoScaling = as },
			map[string]string{"auto_scaling_enabled": "true", "min_node_count": "1", "max_node_count": "4"}, true, ptrInt(1), ptrInt(4)},
		{"autoscaling with own labels keeps replace semantics", func(m *nodegroupModel) { m.AutoScaling, m.Labels = as, labels },
			map[string]string{"a": "b", "auto_scaling_enabled": "true", "min_node_count": "1", "max_node_count": "4"}, false, ptrInt(1), ptrInt(4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			tt.mod(&m)
			req, diags := nodegroupCreateRequest(ctx, m)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if fmt.Sprint(req.Labels) != fmt.Sprint(tt.wantLabels) || (req.MergeLabels != nil) != tt.wantMerge {
				t.Errorf("labels %v merge %v, want %v merge %v", req.Labels, req.MergeLabels, tt.wantLabels, tt.wantMerge)
			}
			if fmt.Sprint(deref(req.MinNodeCount)) != fmt.Sprint(deref(tt.wantMin)) || fmt.Sprint(deref(req.MaxNodeCount)) != fmt.Sprint(deref(tt.wantMax)) {
				t.Errorf("min %v max %v, want %v %v", deref(req.MinNodeCount), deref(req.MaxNodeCount), deref(tt.wantMin), deref(tt.wantMax))
			}
			if req.Role != "" || req.FlavorID != "" || req.NodeCount == nil || *req.NodeCount != 2 {
				t.Errorf("unset fields must be left to Magnum: %+v", req)
			}
		})
	}
}

func TestNodegroupPatch(t *testing.T) {
	ctx := context.Background()
	from := nodegroupModel{
		MinNodeCount: types.Int64Value(0), MaxNodeCount: types.Int64Value(3),
		NodeLabels: types.MapNull(types.StringType), NodeTaints: types.ListNull(types.ObjectType{AttrTypes: taintAttrTypes}),
	}
	taints := types.ListValueMust(types.ObjectType{AttrTypes: taintAttrTypes}, []attr.Value{
		types.ObjectValueMust(taintAttrTypes, map[string]attr.Value{"key": types.StringValue("gpu"), "value": types.StringNull(), "effect": types.StringValue("NoSchedule")}),
	})
	tests := []struct {
		name string
		mod  func(m *nodegroupModel)
		want string
	}{
		{"nothing", func(*nodegroupModel) {}, "[]"},
		{"limits", func(m *nodegroupModel) { m.MinNodeCount, m.MaxNodeCount = types.Int64Value(1), types.Int64Value(6) },
			"[{replace /min_node_count 1} {replace /max_node_count 6}]"},
		{"lift max", func(m *nodegroupModel) { m.MaxNodeCount = types.Int64Null() }, "[{remove /max_node_count <nil>}]"},
		{"taints and labels", func(m *nodegroupModel) {
			m.NodeTaints = taints
			m.NodeLabels = types.MapValueMust(types.StringType, map[string]attr.Value{"tier": types.StringValue("gpu")})
		}, "[{replace /node_labels {'tier': 'gpu'}} {replace /node_taints [{'key': 'gpu', 'value': '', 'effect': 'NoSchedule'}]}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := from
			tt.mod(&to)
			ops, diags := nodegroupPatch(ctx, from, to)
			if diags.HasError() {
				t.Fatal(diags)
			}
			got := "["
			for i, op := range ops {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("{%s %s %v}", op.Op, op.Path, op.Value)
			}
			if got += "]"; got != tt.want {
				t.Errorf("ops = %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestNodegroupFromAPIKeepsAutoscaledCount(t *testing.T) {
	ctx := context.Background()
	as := types.ObjectValueMust(autoScalingAttrTypes, map[string]attr.Value{
		"enabled": types.BoolValue(true), "min_node_count": types.Int64Null(), "max_node_count": types.Int64Null(),
	})
	ng := &magnum.NodeGroup{UUID: "u", Name: "n", NodeCount: 7, Labels: magnum.Labels{"auto_scaling_enabled": "true", "a": "b"}}
	for _, keep := range []bool{true, false} {
		m := nodegroupModel{NodeCount: types.Int64Value(2), AutoScaling: as, MergeLabels: types.BoolValue(false),
			Labels:     types.MapValueMust(types.StringType, map[string]attr.Value{"a": types.StringValue("b")}),
			NodeLabels: types.MapNull(types.StringType), NodeTaints: types.ListNull(types.ObjectType{AttrTypes: taintAttrTypes})}
		if diags := nodegroupFromAPI(ctx, ng, &m, keep); diags.HasError() {
			t.Fatal(diags)
		}
		want := int64(7)
		if keep {
			want = 2
		}
		if m.NodeCount.ValueInt64() != want {
			t.Errorf("keep=%v: node_count = %d, want %d", keep, m.NodeCount.ValueInt64(), want)
		}
		if len(m.Labels.Elements()) != 1 {
			t.Errorf("keep=%v: labels = %v; the auto_scaling labels must not show as the user's", keep, m.Labels)
		}
	}
}

func TestParseNodegroupImportID(t *testing.T) {
	for _, tt := range []struct {
		in      string
		bay, ng string
		ok      bool
	}{
		{"bay/ng", "bay", "ng", true},
		{"8f0e/1a2b", "8f0e", "1a2b", true},
		{"bay", "", "", false},
		{"/ng", "", "", false},
		{"bay/", "", "", false},
		{"a/b/c", "", "", false},
	} {
		bay, ng, ok := parseNodegroupImportID(tt.in)
		if ok != tt.ok || (ok && (bay != tt.bay || ng != tt.ng)) {
			t.Errorf("%q = %q %q %v, want %q %q %v", tt.in, bay, ng, ok, tt.bay, tt.ng, tt.ok)
		}
	}
}

func ptrInt(i int) *int { return &i }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestAccNodegroup_failedUpdateIsRetried: a nodegroup Magnum reports
// UPDATE_FAILED (here after a resize made outside Terraform) must never plan
// "No changes": the plan warns with the status and reason and retries the
// update in place, and the apply that does repairs it.
func TestAccNodegroup_failedUpdateIsRetried(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "an update failure armed on the simulator's Heat; real Magnum never finishes deleting a nodegroup, so destroy cannot succeed")
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccNodegroupConfig("ngrepair", "node_count = 1"))
	cli.run("apply", "-auto-approve")
	mc := acctest.MagnumClient(t, s, "demo")
	ctx := context.Background()
	ng, err := mc.GetNodeGroup(ctx, "ngrepair", "workers-b")
	if err != nil {
		t.Fatal(err)
	}

	s.InjectFault("ngrepair-workers-b", sim.Fault{Action: "UPDATE", Reason: "Quota exceeded for instances"})
	if err := mc.ResizeCluster(ctx, bayUUID(t, s, "ngrepair"), magnum.ResizeOpts{NodeCount: 2, NodeGroup: ng.UUID}); err != nil {
		t.Fatal(err)
	}
	waitForNodegroupStatus(t, mc, "ngrepair", ng.UUID, "UPDATE_FAILED")

	code, out := cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of an UPDATE_FAILED nodegroup exited %d, want 2 (changes):\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Nodegroup "workers-b" is UPDATE_FAILED`, "Quota exceeded for instances",
		"This plan retries the update: it applies the configured change and resizes the nodegroup to its configured node_count, 1",
		`Warning: Bay "ngrepair" is UPDATE_FAILED`, "fault in workers-b: Resource UPDATE failed", "will be updated in-place")
	cli.run("apply", "-auto-approve")
	got := waitForNodegroupStatus(t, mc, "ngrepair", ng.UUID, "UPDATE_COMPLETE")
	if got.NodeCount != 1 {
		t.Errorf("the retry left %d nodes, want the configured 1", got.NodeCount)
	}
	if code, out := cli.planExitCode(); code != 0 {
		t.Errorf("plan after the repair exited %d, want 0:\n%s", code, out)
	}
	cli.run("destroy", "-auto-approve")
}

// waitForNodegroupStatus polls the nodegroup through Magnum's API until it
// shows status.
func waitForNodegroupStatus(t *testing.T, mc *magnum.Client, bay, id, status string) *magnum.NodeGroup {
	t.Helper()
	var last *magnum.NodeGroup
	for deadline := time.Now().Add(acctest.Bound(3 * time.Minute)); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ng, err := mc.GetNodeGroup(context.Background(), bay, id)
		if err != nil {
			t.Fatalf("reading nodegroup %s of bay %s: %v", id, bay, err)
		}
		if last = ng; ng.Status == status {
			return ng
		}
	}
	t.Fatalf("nodegroup %s of bay %s did not reach %s; last seen %+v", id, bay, status, last)
	return last
}
