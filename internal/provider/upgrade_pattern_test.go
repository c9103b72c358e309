package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
)

// heatUpgradeRefusal is what Magnum 18.0 (2024.1) and later answer to an
// upgrade of a bay on the Heat driver (2fd3059f), real Magnum 20 included.
const heatUpgradeRefusal = "Upgrading a cluster that uses the Magnum Heat driver is not supported."

// TestAccBay_createBeforeDestroyUpgrade applies examples/upgrade as written:
// a new kube_tag creates the new baymodel, moves the bay to it, and only
// then deletes the old baymodel, which Magnum would refuse while the bay
// used it. Where the cloud upgrades in place (Zed) the bay is updated;
// where it refuses Heat upgrades (2025.1) the plan replaces the bay, the
// old one first, since two bays cannot share its name.
func TestAccBay_createBeforeDestroyUpgrade(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "upgrade", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	// The test framework supplies the provider; drop the example's
	// terraform block, which names the registry source.
	example := regexp.MustCompile(`(?s)terraform \{.*?\n\}\n`).ReplaceAllString(string(raw), "")
	for _, tc := range []struct {
		name, profile string
		bayAction     plancheck.ResourceActionType
		status        string
	}{
		{"in place", "", plancheck.ResourceActionUpdate, "UPDATE_COMPLETE"},
		{"replaced where Heat bays cannot upgrade", "2025.1", plancheck.ResourceActionDestroyBeforeCreate, "CREATE_COMPLETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The example's fedora-coreos image selects the Heat driver on
			// every Magnum 20, the capi target's included.
			if tc.profile == "" {
				acctest.SkipOnAPI(t, "2025.1", heatUpgradeRefusal, "an in-place upgrade through the example")
			} else {
				acctest.SkipHeatOnCAPI(t, "the example's fedora-coreos image")
			}
			opts := fastBays()
			opts.Profile = tc.profile
			s := acctest.StartSim(t, opts)
			cfg := acctest.ProviderBlock(s, "demo") + example
			vars := func(tag string) config.Variables { return config.Variables{"kube_tag": config.StringVariable(tag)} }
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkNoBaysLeft(s),
				Steps: []resource.TestStep{
					{
						Config:          cfg,
						ConfigVariables: vars("v1.23.3-rancher1"),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("magnum_bay.k8s", tfjsonpath.New("coe_version"), knownvalue.StringExact("v1.23.3-rancher1")),
						},
					},
					{
						Config:          cfg,
						ConfigVariables: vars("v1.24.3-rancher1"),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{
								plancheck.ExpectResourceAction("magnum_baymodel.k8s", plancheck.ResourceActionCreateBeforeDestroy),
								plancheck.ExpectResourceAction("magnum_bay.k8s", tc.bayAction),
							},
						},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("magnum_bay.k8s", tfjsonpath.New("status"), knownvalue.StringExact(tc.status)),
							statecheck.ExpectKnownValue("magnum_bay.k8s", tfjsonpath.New("effective_labels").AtMapKey("kube_tag"), knownvalue.StringExact("v1.24.3-rancher1")),
							statecheck.ExpectKnownValue("magnum_baymodel.k8s", tfjsonpath.New("name"), knownvalue.StringExact("k8s-v1-24-3-rancher1")),
						},
						Check: resource.ComposeTestCheckFunc(checkBayCount(s, 1), func(*terraform.State) error {
							for _, tm := range s.Templates() {
								if strings.Contains(tm.Name, "v1-23") {
									return fmt.Errorf("the old baymodel %s outlived the upgrade", tm.Name)
								}
							}
							return nil
						}),
					},
				},
			})
		})
	}
}
