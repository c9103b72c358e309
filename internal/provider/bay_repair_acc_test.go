package provider

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

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

// waitForBayStatus waits until the simulator or the real cloud shows the
// bay in status.
func waitForBayStatus(t *testing.T, s *sim.Sim, name, status string) sim.ClusterInfo {
	t.Helper()
	return waitForBay(t, s, name, "reach "+status, func(c sim.ClusterInfo, listed bool) bool { return listed && c.Status == status })
}

// waitForDeleteUnderWay waits until Magnum shows the bay's delete under
// way or done: DELETE_IN_PROGRESS, DELETE_COMPLETE, or the bay no longer
// listed.
func waitForDeleteUnderWay(t *testing.T, s *sim.Sim, name string) {
	t.Helper()
	waitForBay(t, s, name, "show its delete", func(c sim.ClusterInfo, listed bool) bool {
		return !listed || c.Status == "DELETE_IN_PROGRESS" || c.Status == "DELETE_COMPLETE"
	})
}

// waitForBay polls the bay named name until done says so, with the bay as
// last listed and whether this listing has it. A failed listing (an
// UNKNOWN entry) proves nothing and is looked at again.
func waitForBay(t *testing.T, s *sim.Sim, name, what string, done func(c sim.ClusterInfo, listed bool) bool) sim.ClusterInfo {
	t.Helper()
	var last sim.ClusterInfo
	for deadline := time.Now().Add(acctest.Bound(3 * time.Minute)); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		listed, failed := false, false
		for _, c := range s.Clusters() {
			switch {
			case c.Status == "UNKNOWN":
				failed = true
			case c.Name == name:
				listed, last = true, c
			}
		}
		if !failed && done(last, listed) {
			return last
		}
	}
	t.Fatalf("bay %s did not %s; last seen %+v", name, what, last)
	return last
}

// planExitCode runs terraform plan -detailed-exitcode: 0 no changes, 2
// changes, 1 an error.
func (c *terraformCLI) planExitCode() (int, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	cmd, out := c.command(ctx, "plan", "-detailed-exitcode")
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	c.t.Fatalf("terraform plan: %v\n%s", err, out)
	return -1, ""
}

// expectInOutput checks terraform's output for each part, with its line
// wrapping undone.
func expectInOutput(t *testing.T, out string, parts ...string) {
	t.Helper()
	t.Logf("terraform's output:\n%s", out)
	text := strings.Join(strings.Fields(out), " ")
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("terraform's output lacks %q:\n%s", p, out)
		}
	}
}

// TestAccBay_failedStatusesShowInPlan: a bay Magnum reports UPDATE_FAILED,
// DELETE_FAILED or CREATE_FAILED (here made so outside Terraform, or
// imported so) must never plan "No changes": the plan warns with the
// status and reason and proposes the repair, and applying it repairs.
func TestAccBay_failedStatusesShowInPlan(t *testing.T) {
	acctest.SkipHeatOnCAPI(t, "update, delete and create failures armed on the Heat stand-in")
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	head := cliHead + acctest.ProviderBlock(s, "demo")
	cfg := head + testAccBayConfig("broken", 1, "")
	cli.writeConfig(cfg)
	cli.run("apply", "-auto-approve")
	mc := acctest.MagnumClient(t, s, "demo")
	ctx := context.Background()
	id := bayUUID(t, s, "broken")

	// A resize made elsewhere fails.
	s.InjectFault("broken", sim.Fault{Action: "UPDATE", Reason: "Quota exceeded for instances"})
	if err := mc.ResizeCluster(ctx, id, magnum.ResizeOpts{NodeCount: 1}); err != nil {
		t.Fatal(err)
	}
	waitForBayStatus(t, s, "broken", "UPDATE_FAILED")
	code, out := cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of an UPDATE_FAILED bay exited %d, want 2 (changes):\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Bay "broken" is UPDATE_FAILED`, "Quota exceeded for instances",
		"This plan retries the update: it resizes the bay to its configured node_count, 1", "will be updated in-place")
	cli.run("apply", "-auto-approve")
	if c := waitForBayStatus(t, s, "broken", "UPDATE_COMPLETE"); c.UUID != id {
		t.Fatalf("the retry replaced the bay: %s, was %s", c.UUID, id)
	}
	if code, out := cli.planExitCode(); code != 0 {
		t.Errorf("plan after the repair exited %d, want 0:\n%s", code, out)
	}

	// A delete made elsewhere fails.
	s.InjectFault("broken", sim.Fault{Action: "DELETE"})
	if err := mc.DeleteCluster(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitForBayStatus(t, s, "broken", "DELETE_FAILED")
	code, out = cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of a DELETE_FAILED bay exited %d, want 2:\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Bay "broken" is DELETE_FAILED`, "This plan deletes it again and creates it anew", "must be replaced")
	cli.run("apply", "-auto-approve")
	replaced := waitForBayStatus(t, s, "broken", "CREATE_COMPLETE")
	if n := len(s.Clusters()); n != 1 || replaced.UUID == id {
		t.Fatalf("after repairing the failed delete: %d bays, %s (was %s)", n, replaced.UUID, id)
	}

	// A bay whose create failed, imported.
	s.InjectFault("imported", sim.Fault{})
	ct, err := mc.GetClusterTemplate(ctx, "broken-model")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := mc.CreateCluster(ctx, magnum.ClusterCreate{Name: "imported", ClusterTemplateID: ct.UUID})
	if err != nil {
		t.Fatal(err)
	}
	waitForBayStatus(t, s, "imported", "CREATE_FAILED")
	cli.writeConfig(cfg + `
resource "magnum_bay" "imported" {
  name        = "imported"
  baymodel_id = magnum_baymodel.test.id
}
`)
	cli.run("import", "magnum_bay.imported", failed)
	code, out = cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of an imported CREATE_FAILED bay exited %d, want 2:\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Bay "imported" is CREATE_FAILED`, "this plan replaces it", "magnum_bay.imported must be replaced")
	cli.run("apply", "-auto-approve")
	if c := waitForBayStatus(t, s, "imported", "CREATE_COMPLETE"); c.UUID == failed {
		t.Fatalf("the failed bay was kept")
	}

	cli.run("destroy", "-auto-approve")
	if n, ts := len(s.Clusters()), s.Templates(); n != 0 || len(ts) != 0 {
		t.Fatalf("after destroy: %d bays, %d baymodels left", n, len(ts))
	}
}

// TestAccBay_driverResizeFailureSurfaces: on the capi target the failure
// is the driver's own. magnum-cluster-api 0.16.0 fails every resize of a
// nodegroup without autoscaling with status_reason "'annotations'"
// (KeyError in MachineDeployment.equals_spec,
// vexxhost/magnum-cluster-api#368, fixed after 0.16.0). A resize made
// outside Terraform leaves the bay UPDATE_FAILED: the plan warns with the
// driver's reason and proposes the retry, and the apply that retries it
// fails at once with the driver's reason in its error, the bay kept.
func TestAccBay_driverResizeFailureSurfaces(t *testing.T) {
	if !acctest.CAPITarget() {
		t.Skip("needs the capi target, whose magnum-cluster-api 0.16.0 fails every resize by itself; " +
			"TestAccBay_failedStatusesShowInPlan arms such failures on the simulator and the Heat targets")
	}
	t.Parallel()
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccBayConfig("resized", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "resized")
	mc := acctest.MagnumClient(t, s, "demo")
	ctx := context.Background()
	if err := mc.ResizeCluster(ctx, id, magnum.ResizeOpts{NodeCount: 2}); err != nil {
		t.Fatal(err)
	}
	var c *magnum.Cluster
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		var err error
		if c, err = mc.GetCluster(ctx, id); err != nil {
			t.Fatal(err)
		}
		if c.Status == "UPDATE_FAILED" || c.Status == "UPDATE_COMPLETE" {
			break
		}
	}
	switch {
	case c.Status == "UPDATE_COMPLETE":
		cli.run("destroy", "-auto-approve")
		t.Skipf("%s resized the bay: its driver does not fail resizes, and this test shows a driver's failure", acctest.RealReleaseName())
	case c.Status != "UPDATE_FAILED" || c.StatusReason == "":
		t.Fatalf("after the resize: %s %q; want UPDATE_FAILED with the driver's reason", c.Status, c.StatusReason)
	}
	t.Logf("the driver failed the resize: %q", c.StatusReason)

	code, out := cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of an UPDATE_FAILED bay exited %d, want 2 (changes):\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Bay "resized" is UPDATE_FAILED`, c.StatusReason,
		"This plan retries the update: it resizes the bay to its configured node_count, 1", "will be updated in-place")

	applyCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	apply, applyOut := cli.command(applyCtx, "apply", "-auto-approve")
	if err := apply.Run(); err == nil {
		t.Errorf("the retried resize succeeded; want the driver's failure:\n%s", applyOut)
	}
	// The conductor fails the retry again at once and leaves the bay's row
	// as it was; the provider must still tell that failure from a request
	// never started.
	expectInOutput(t, applyOut.String(), `Error: Error retrying the failed update of bay "resized"`, "failed after",
		"status UPDATE_FAILED", "status_reason: "+c.StatusReason)
	if strings.Contains(applyOut.String(), "did not start it") {
		t.Errorf("the driver's failure of the retry was reported as a request not started:\n%s", applyOut)
	}
	if b, ok := cli.bayInState(); !ok || b.ID != id {
		t.Errorf("after the failed retry the state holds %+v (present %v); want bay %s kept", b, ok, id)
	}

	cli.run("destroy", "-auto-approve")
	if n := len(s.Clusters()); n != 0 {
		t.Fatalf("after destroy: %d bays left", n)
	}
}

// TestAccBay_importByNamePlansNoChange: a healthy bay made outside
// Terraform, imported by name and configured with its baymodel's name,
// plans nothing at all (the import records the baymodel's UUID).
func TestAccBay_importByNamePlansNoChange(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	full := strings.Replace(testAccBayConfig("byname", 1, ""),
		"baymodel_id = magnum_baymodel.test.id", "baymodel_id = magnum_baymodel.test.name", 1)
	cfg := acctest.ProviderBlock(s, "demo") + full
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(s, "demo") + strings.SplitAfter(full, "}\n}\n")[0]},
			{
				PreConfig: func() {
					createClusterAs(t, s, "demo", "byname", "byname-model")
					waitForBayStatus(t, s, "byname", "CREATE_COMPLETE")
				},
				Config:             cfg,
				ResourceName:       "magnum_bay.test",
				ImportState:        true,
				ImportStateId:      "byname",
				ImportStatePersist: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
				},
			},
		},
	})
}

// TestAccBay_planWhileDeletingConverges: a bay being deleted outside
// Terraform. The refresh rides out Magnum 15's transient 400 of a delete
// under way, the plan replaces the bay, and the apply waits for the delete
// and creates it anew.
func TestAccBay_planWhileDeletingConverges(t *testing.T) {
	opts := fastBays()
	opts.HeatDeleteDuration = 30 * time.Second
	s := acctest.StartSim(t, opts)
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("going", 1, "")
	var first string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(st *terraform.State) error {
					first = st.RootModule().Resources["magnum_bay.test"].Primary.ID
					return nil
				},
			},
			{
				PreConfig: func() {
					if err := acctest.MagnumClient(t, s, "demo").DeleteCluster(context.Background(), first); err != nil {
						t.Fatal(err)
					}
					// The refresh meets the transient 400 of a delete under
					// way (real Magnum 15 answers it in the delete's last
					// moments).
					if !acctest.RealTarget() {
						mustSim(t, s.InjectHTTPFault(transient400()))
					} else {
						// Real Magnum's conductor, not its API, marks the
						// delete under way; a plan made before that sees a
						// healthy bay. With magnum-cluster-api the DELETE
						// itself can take seconds, and the bay can be gone
						// by the first look (a CI run waited 13 minutes for
						// the DELETE_IN_PROGRESS it had missed); the plan
						// then creates it anew, which the check allows.
						waitForDeleteUnderWay(t, s, "going")
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{replaceWhileDeleting()},
				},
				Check: func(*terraform.State) error {
					if hits := s.HTTPFaultHits(); !acctest.RealTarget() && (len(hits) != 1 || hits[0] != 1) {
						return fmt.Errorf("the refresh did not meet the transient 400: %v", hits)
					}
					bays := s.Clusters()
					if len(bays) != 1 || bays[0].UUID == first || bays[0].Status != "CREATE_COMPLETE" {
						return fmt.Errorf("after the plan made during the delete: %+v; want one new CREATE_COMPLETE bay", bays)
					}
					return nil
				},
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccBay_planAfterDeleteCompleteConverges: a bay deleted outside
// Terraform, read while Magnum still shows it DELETE_COMPLETE. With
// magnum-cluster-api that status stays readable while the conductor deletes
// the trustee through Keystone (driver.py saves it, periodic.py destroys the
// row after); a plan there said "No changes" for a bay that was gone. The
// plan warns and replaces it, and the apply sends no second DELETE.
func TestAccBay_planAfterDeleteCompleteConverges(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "a DELETE_COMPLETE held for 30 s; real Magnum shows it for as long as its teardown takes")
	t.Parallel()
	opts := fastBays()
	opts.DeleteCompleteShownFor = 30 * time.Second
	s := acctest.StartSim(t, opts)
	cli := newTerraformCLI(t)
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccBayConfig("gone", 1, ""))
	cli.run("apply", "-auto-approve")
	id := bayUUID(t, s, "gone")
	if err := acctest.MagnumClient(t, s, "demo").DeleteCluster(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitForBayStatus(t, s, "gone", "DELETE_COMPLETE")
	code, out := cli.planExitCode()
	if code != 2 {
		t.Errorf("plan of a DELETE_COMPLETE bay exited %d, want 2 (changes):\n%s", code, out)
	}
	expectInOutput(t, out, `Warning: Bay "gone" has been deleted`, "DELETE_COMPLETE",
		"This plan waits for the record to go and creates the bay anew", "must be replaced")
	cli.run("apply", "-auto-approve")
	bays := s.Clusters()
	if len(bays) != 1 || bays[0].UUID == id || bays[0].Status != "CREATE_COMPLETE" {
		t.Fatalf("after the apply: %+v; want one new CREATE_COMPLETE bay", bays)
	}
	deletes := 0
	for _, r := range s.Requests() {
		if r.Method == "DELETE" && strings.HasSuffix(r.Path, "/"+id) {
			deletes++
		}
	}
	if deletes != 1 {
		t.Errorf("bay %s got %d DELETE requests, want 1 (the one made outside Terraform)", id, deletes)
	}
	if code, out := cli.planExitCode(); code != 0 {
		t.Errorf("plan after the repair exited %d, want 0:\n%s", code, out)
	}
	cli.run("destroy", "-auto-approve")
}

// replaceWhileDeleting expects the plan made during the delete to replace
// the bay. On a real cloud the delete may also have finished before the
// refresh (real 2025.1 removes the row one conductor period after
// DELETE_IN_PROGRESS, and nothing here can slow its Heat down), and then
// the converging plan is a plain create; the simulator's 30 s Heat delete
// keeps it to the replace. A failure names the status the refresh read, so
// a plan that kept the bay shows what the provider took for a live one.
func replaceWhileDeleting() plancheck.PlanCheck {
	return replaceOrCreate{createToo: acctest.RealTarget()}
}

type replaceOrCreate struct{ createToo bool }

func (c replaceOrCreate) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != "magnum_bay.test" {
			continue
		}
		if rc.Change.Actions.Replace() || c.createToo && rc.Change.Actions.Create() {
			return
		}
		want := "Replace"
		if c.createToo {
			want += ", or Create once the delete finished"
		}
		status := "none (not in state)"
		if before, ok := rc.Change.Before.(map[string]any); ok {
			status = fmt.Sprintf("%v (status_reason %v)", before["status"], before["status_reason"])
		}
		resp.Error = fmt.Errorf("magnum_bay.test: expected %s; got %v; the refresh read status %s", want, rc.Change.Actions, status)
		return
	}
	resp.Error = errors.New("magnum_bay.test: not in the plan")
}

// TestAccBay_outOfBandUpgradeConverges: the bay was upgraded outside
// Terraform from a baymodel without upgrade labels. Moving it back is an
// upgrade Magnum refuses on every apply (409, UPDATE_FAILED), so the plan
// says so instead of proposing it; pointing baymodel_id at the bay's new
// baymodel then plans nothing.
func TestAccBay_outOfBandUpgradeConverges(t *testing.T) {
	acctest.SkipOnRelease(t, "2025.1", heatUpgradeRefusal, "an upgrade made outside Terraform, which needs a cloud that upgrades Heat bays")
	if acctest.CAPITarget() {
		t.Skip("the bay's baymodel has no kube_tag label, and magnum-cluster-api runs kube_tag's release whatever the image " +
			"(0.16.0 falls back to v1.25.3), so on the capi target that bay would not be the image's Kubernetes; " +
			"TestAccBay_upgradeInPlace and TestAccBay_upgradeOptionsAndDowngrade upgrade its bays")
	}
	s := acctest.StartSim(t, fastBays())
	model := func(bayModel string) string {
		return acctest.ProviderBlock(s, "demo") + fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name                = "plain-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "flannel"
}

resource "magnum_bay" "test" {
  name        = "moved"
  baymodel_id = %s
}
`, bayModel)
	}
	var newer string
	t.Cleanup(func() {
		if newer != "" {
			_ = acctest.MagnumClient(t, s, "demo").DeleteClusterTemplate(context.Background(), newer)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: model("magnum_baymodel.test.id")},
			{
				PreConfig: func() {
					newer = createBaymodelAs(t, s, "demo", map[string]any{"name": "newer-model", "coe": "kubernetes",
						"image_id": "fedora-coreos-35", "keypair_id": "testkey", "external_network_id": "public", "flavor_id": "m1.small",
						"network_driver": "flannel", "labels": map[string]string{"kube_tag": "v1.24.3-rancher1"}})
					one := 1
					if err := acctest.MagnumClient(t, s, "demo").UpgradeCluster(context.Background(), bayUUID(t, s, "moved"),
						magnum.UpgradeOpts{ClusterTemplate: newer, MaxBatchSize: &one}); err != nil {
						t.Fatal(err)
					}
					waitForBayStatus(t, s, "moved", "UPDATE_COMPLETE")
				},
				Config:   model("magnum_baymodel.test.id"),
				PlanOnly: true,
				ExpectError: errRegexp("Magnum cannot upgrade the bay to this baymodel", `Bay "moved" runs baymodel "newer-model"`,
					`baymodel "plain-model"`, "has none", "point baymodel_id at that baymodel"),
			},
			{
				Config: model(fmt.Sprintf("%q", "newer-model")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
