package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
)

const testAccListConfig = `
resource "magnum_baymodel" "k8s_old" {
  name                = "list-k8s-old"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
  labels = {
    kube_tag = "v1.23.3-rancher1"
  }
}

resource "magnum_baymodel" "k8s_new" {
  name                = "list-k8s-new"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
  labels = {
    kube_tag = "v1.24.3-rancher1"
  }
}

resource "magnum_baymodel" "swarm" {
  name                = "list-swarm"
  coe                 = "swarm"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
}

resource "magnum_bay" "k8s_a" {
  name        = "list-bay-a"
  baymodel_id = magnum_baymodel.k8s_new.id
}

resource "magnum_bay" "k8s_b" {
  name        = "list-bay-b"
  baymodel_id = magnum_baymodel.k8s_new.id
}

data "magnum_baymodels" "k8s_new" {
  coe        = "kubernetes"
  name_regex = "^list-"
  labels     = { kube_tag = "v1.24.3-rancher1" }
  page_size  = 1
  depends_on = [magnum_baymodel.k8s_old, magnum_baymodel.k8s_new, magnum_baymodel.swarm]
}

data "magnum_baymodels" "all" {
  page_size  = 1
  depends_on = [magnum_baymodel.k8s_old, magnum_baymodel.k8s_new, magnum_baymodel.swarm]
}

data "magnum_bays" "ready" {
  status     = "CREATE_COMPLETE"
  coe        = "kubernetes"
  name_regex = "^list-bay-"
  page_size  = 1
  depends_on = [magnum_bay.k8s_a, magnum_bay.k8s_b]
}

data "magnum_bays" "none" {
  coe        = "swarm"
  depends_on = [magnum_bay.k8s_a, magnum_bay.k8s_b]
}
`

func TestAccListDataSources_filtersAndPages(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "exact counts of visible baymodels; on a shared cloud other tests' public baymodels are visible to every project")
	s := acctest.StartSim(t, fastBays())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(s, "demo") + testAccListConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.magnum_baymodels.k8s_new", tfjsonpath.New("baymodels"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("list-k8s-new"), "coe": knownvalue.StringExact("kubernetes")}),
				})),
				statecheck.ExpectKnownValue("data.magnum_baymodels.all", tfjsonpath.New("ids"), knownvalue.ListSizeExact(3)),
				statecheck.ExpectKnownValue("data.magnum_baymodels.all", tfjsonpath.New("baymodels").AtSliceIndex(2).AtMapKey("name"), knownvalue.StringExact("list-swarm")),
				statecheck.ExpectKnownValue("data.magnum_bays.ready", tfjsonpath.New("bays"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("list-bay-a"), "coe": knownvalue.StringExact("kubernetes"), "status": knownvalue.StringExact("CREATE_COMPLETE")}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact("list-bay-b")}),
				})),
				statecheck.ExpectKnownValue("data.magnum_bays.none", tfjsonpath.New("ids"), knownvalue.ListSizeExact(0)),
			},
			// page_size 1 over three baymodels must have taken at least
			// three pages: the client followed Magnum's next links.
			Check: func(*terraform.State) error {
				pages := 0
				for _, r := range s.Requests() {
					if r.Route == "GET /v1/clustertemplates" && regexp.MustCompile(`[?&]marker=`).MatchString(r.Path) {
						pages++
					}
				}
				if pages < 2 {
					return fmt.Errorf("%d follow-up pages requested; with page_size 1 the listing must follow next links", pages)
				}
				return nil
			},
		}},
	})
}

func TestListMatcher(t *testing.T) {
	ctx := context.Background()
	f := listFilter{
		NameRegex: types.StringValue("^prod-"), COE: types.StringValue("kubernetes"),
		Labels: types.MapValueMust(types.StringType, map[string]attr.Value{"kube_tag": types.StringValue("v1.30.2")}),
	}
	m, diags := f.compile(ctx)
	if diags.HasError() {
		t.Fatal(diags)
	}
	tests := []struct {
		name, coe string
		labels    map[string]string
		want      bool
	}{
		{"prod-a", "kubernetes", map[string]string{"kube_tag": "v1.30.2", "x": "y"}, true},
		{"dev-a", "kubernetes", map[string]string{"kube_tag": "v1.30.2"}, false},
		{"prod-b", "swarm", map[string]string{"kube_tag": "v1.30.2"}, false},
		{"prod-c", "kubernetes", map[string]string{"kube_tag": "v1.29.0"}, false},
		{"prod-d", "kubernetes", nil, false},
	}
	for _, tt := range tests {
		if got := m.match(tt.name, tt.coe, tt.labels); got != tt.want {
			t.Errorf("match(%s, %s, %v) = %v, want %v", tt.name, tt.coe, tt.labels, got, tt.want)
		}
	}
	if _, diags := (listFilter{NameRegex: types.StringValue("(")}).compile(ctx); !diags.HasError() {
		t.Error("an invalid name_regex must be an error")
	}
}
