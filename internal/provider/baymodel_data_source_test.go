package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

func TestAccBaymodelDataSource_byIDAndName(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	config := acctest.ProviderBlock(s, "demo") + testAccBaymodelConfig("lookup-me", 7) + `
data "magnum_baymodel" "by_id" {
  id = magnum_baymodel.test.id
}

data "magnum_baymodel" "by_name" {
  name = magnum_baymodel.test.name
}
`
	// Every attribute the data source shares with the resource, the
	// computed ones included, must read back identically both ways.
	var checks []statecheck.StateCheck
	for name := range baymodelResourceAttributes() {
		for _, ds := range []string{"data.magnum_baymodel.by_id", "data.magnum_baymodel.by_name"} {
			checks = append(checks, statecheck.CompareValuePairs(
				"magnum_baymodel.test", tfjsonpath.New(name), ds, tfjsonpath.New(name), compare.ValuesSame()))
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: checks,
			Check:             checkMagnumCallers(s, "demo", "demo"),
		}},
	})
}

func TestAccBaymodelDataSource_errors(t *testing.T) {
	s := acctest.StartSim(t, sim.Options{})
	provider := acctest.ProviderBlock(s, "demo")
	twin := createBaymodelAs(t, s, "admin", map[string]any{"name": "twin", "coe": "kubernetes", "image_id": "fedora-coreos-35", "public": true})
	t.Cleanup(func() { _ = acctest.MagnumClient(t, s, "admin").DeleteClusterTemplate(context.Background(), twin) })
	cases := []struct {
		name   string
		config string
		want   []string
		// planOnly marks errors Terraform reports before any request.
		planOnly bool
	}{
		// Names are not unique in Magnum: it refuses to guess, and the
		// provider has to pass that on rather than pick one. The provider
		// itself refuses a second baymodel of a name in one project, so
		// the twin is the admin's public baymodel.
		{"duplicate names", provider + `
resource "magnum_baymodel" "one" {
  name     = "twin"
  coe      = "kubernetes"
  image_id = "fedora-coreos-35"
}

data "magnum_baymodel" "twin" {
  name       = "twin"
  depends_on = [magnum_baymodel.one]
}
`, []string{`More than one baymodel is named "twin"`, "more than one is named so:", "- " + twin + " (project ", "Use the UUID of the one you mean",
			"Multiple ClusterTemplates exist with same name", "Please use the ClusterTemplate uuid instead", "HTTP status: 409", "Request ID: req-"}, false},
		{"unknown id", provider + `
data "magnum_baymodel" "missing" {
  id = "3f1b7a52-0000-4000-8000-000000000000"
}
`, []string{`Error reading baymodel "3f1b7a52-0000-4000-8000-000000000000"`, "could not be found", "HTTP status: 404"}, false},
		{"neither id nor name", provider + `
data "magnum_baymodel" "none" {}
`, []string{"Exactly one of these attributes must be configured: [id,name]"}, true},
		{"both id and name", provider + `
data "magnum_baymodel" "both" {
  id   = "3f1b7a52-0000-4000-8000-000000000000"
  name = "twin"
}
`, []string{"Exactly one of these attributes must be configured: [id,name]"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkBaymodelsDestroyed(s),
				Steps: []resource.TestStep{{
					Config:      tc.config,
					PlanOnly:    tc.planOnly,
					ExpectError: errRegexp(tc.want...),
				}},
			})
		})
	}
}
