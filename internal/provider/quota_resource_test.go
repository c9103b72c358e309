package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

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

func testAccQuotaConfig(project string, limit int) string {
	return fmt.Sprintf(`
resource "magnum_quota" "test" {
  project_id = %q
  hard_limit = %d
}
`, project, limit)
}

func TestAccQuota_basic(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	demo := s.Credentials("demo").ProjectID
	cfg := func(limit int) string { return acctest.ProviderBlock(s, "admin") + testAccQuotaConfig(demo, limit) }
	admin := acctest.MagnumClient(t, s, "admin")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			q, err := admin.GetQuota(context.Background(), demo, magnum.QuotaResourceCluster)
			if err != nil {
				return err
			}
			if q.Exists() {
				return fmt.Errorf("the quota of project %s outlived destroy (hard_limit %d)", demo, q.HardLimit)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: cfg(3),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_quota.test", tfjsonpath.New("id"), knownvalue.StringExact(demo+"/Cluster")),
					statecheck.ExpectKnownValue("magnum_quota.test", tfjsonpath.New("resource"), knownvalue.StringExact("Cluster")),
					statecheck.ExpectKnownValue("magnum_quota.test", tfjsonpath.New("hard_limit"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue("magnum_quota.test", tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
				Check: func(*terraform.State) error {
					q, err := admin.GetQuota(context.Background(), demo, magnum.QuotaResourceCluster)
					if err != nil || !q.Exists() || q.HardLimit != 3 {
						return fmt.Errorf("Magnum holds %+v, %v; want a stored limit of 3", q, err)
					}
					return nil
				},
			},
			{
				Config: cfg(5),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_quota.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_quota.test", tfjsonpath.New("hard_limit"), knownvalue.Int64Exact(5)),
				},
			},
			{
				ResourceName:      "magnum_quota.test",
				ImportState:       true,
				ImportStateId:     demo + "/Cluster",
				ImportStateVerify: true,
			},
			{
				// Deleted behind Terraform's back: Magnum then answers with
				// its default, which must read as gone, not as a limit of 20.
				PreConfig: func() {
					if err := admin.DeleteQuota(context.Background(), demo, magnum.QuotaResourceCluster); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(5),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_quota.test", plancheck.ResourceActionCreate)},
				},
			},
		},
	})
}

func TestAccQuota_nonAdminIsToldWhy(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderBlock(s, "demo") + testAccQuotaConfig(s.Credentials("demo").ProjectID, 2),
			ExpectError: regexp.MustCompile(`(?s)needs a cloud administrator: Magnum's\s+policy\s+"quota:create".*Policy\s+doesn't\s+allow\s+quota:create`),
		}},
	})
}
