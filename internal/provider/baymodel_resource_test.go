package provider

import (
	"context"
	"fmt"
	"regexp"
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

func TestAccBaymodel_basic(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(s, "demo") + testAccBaymodelConfig("k8sbaymodel", 5),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("name"), knownvalue.StringExact("k8sbaymodel")),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("cluster_distro"), knownvalue.StringExact("fedora-coreos")),
					// Zed reports no driver; 2025.1 reports null for an image
					// without a magnum_driver property.
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("driver"), knownvalue.Null()),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("network_driver"), knownvalue.StringExact("flannel")),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("docker_volume_size"), knownvalue.Int64Exact(5)),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("floating_ip_enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("server_type"), knownvalue.StringExact("vm")),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("labels"), knownvalue.MapExact(map[string]knownvalue.Check{
						"kube_tag": knownvalue.StringExact("v1.23.3-rancher1"),
					})),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("project_id"), knownvalue.StringExact(s.Credentials("demo").ProjectID)),
				},
			},
			{
				ResourceName:      "magnum_baymodel.test",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// Import by name resolves to the same UUID.
				ResourceName:      "magnum_baymodel.test",
				ImportState:       true,
				ImportStateId:     "k8sbaymodel",
				ImportStateVerify: true,
			},
			{
				Config: acctest.ProviderBlock(s, "demo") + testAccBaymodelConfig("k8sbaymodel-renamed", 10),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_baymodel.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("name"), knownvalue.StringExact("k8sbaymodel-renamed")),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("docker_volume_size"), knownvalue.Int64Exact(10)),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("updated_at"), knownvalue.NotNull()),
				},
			},
			{
				// Magnum cannot unset an external network: that is a replacement.
				Config: acctest.ProviderBlock(s, "demo") + testAccBaymodelNoExternalNetwork("k8sbaymodel-renamed"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_baymodel.test", plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("external_network_id"), knownvalue.Null()),
				},
			},
		},
	})
}

func TestAccBaymodel_badInput(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{"unknown coe", `resource "magnum_baymodel" "test" {
  coe      = "nomad"
  image_id = "fedora-coreos-35"
}`, `Attribute coe value must be one of`},
		{"apiserver port too low", `resource "magnum_baymodel" "test" {
  coe            = "kubernetes"
  image_id       = "fedora-coreos-35"
  apiserver_port = 80
}`, `Attribute apiserver_port value must be between 1024 and 65535`},
		{"network driver of another coe", `resource "magnum_baymodel" "test" {
  coe            = "kubernetes"
  image_id       = "fedora-coreos-35"
  network_driver = "docker"
}`, `network_driver "docker" cannot be used with coe "kubernetes"`},
		{"bad dns", `resource "magnum_baymodel" "test" {
  coe            = "kubernetes"
  image_id       = "fedora-coreos-35"
  dns_nameserver = "8.8.8.8,nameserver"
}`, `"nameserver" is not an IP address`},
		{"devicemapper needs volume", `resource "magnum_baymodel" "test" {
  coe                   = "kubernetes"
  image_id              = "fedora-coreos-35"
  docker_storage_driver = "devicemapper"
  docker_volume_size    = 2
}`, `needs docker_volume_size of at least 3`},
		{"unknown image from Magnum", `resource "magnum_baymodel" "test" {
  coe      = "kubernetes"
  image_id = "no-such-image"
}`, `Cluster type \(vm, Unset, kubernetes\) not supported[\s\S]*HTTP status: 400[\s\S]*Request ID: req-`},
		{"unknown flavor from Magnum", `resource "magnum_baymodel" "test" {
  coe       = "kubernetes"
  image_id  = "fedora-coreos-35"
  flavor_id = "m1.nope"
}`, `Unable to find flavor m1.nope`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderBlock(s, "demo") + tc.config,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func checkBaymodelsDestroyed(s *sim.Sim) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		for _, rs := range st.RootModule().Resources {
			if rs.Type != "magnum_baymodel" {
				continue
			}
			if s.TemplateExists(rs.Primary.ID) {
				return fmt.Errorf("baymodel %s still exists in the simulator", rs.Primary.ID)
			}
		}
		return nil
	}
}

func testAccBaymodelConfig(name string, volume int) string {
	return fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name                = %[1]q
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = %[2]d
  labels = {
    kube_tag = "v1.23.3-rancher1"
  }
}
`, name, volume)
}

func testAccBaymodelNoExternalNetwork(name string) string {
	return fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name               = %[1]q
  coe                = "kubernetes"
  image_id           = "fedora-coreos-35"
  keypair_id         = "testkey"
  flavor_id          = "m1.small"
  docker_volume_size = 10
  labels = {
    kube_tag = "v1.23.3-rancher1"
  }
}
`, name)
}

func TestAccBaymodel_outOfBandChanges(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	other := acctest.MagnumClient(t, s, "demo")
	cfg := acctest.ProviderBlock(s, "demo") + testAccBaymodelConfig("drifting", 5)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(st *terraform.State) error {
					id = st.RootModule().Resources["magnum_baymodel.test"].Primary.ID
					return nil
				},
			},
			{
				// Changed with another tool: the plan shows the drift and
				// the apply puts the configured value back in place.
				PreConfig: func() {
					_, err := other.UpdateClusterTemplate(context.Background(), id, []magnum.PatchOp{magnum.Replace("/docker_volume_size", 7)})
					mustSim(t, err)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_baymodel.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("docker_volume_size"), knownvalue.Int64Exact(5)),
				},
			},
			{
				// Deleted with another tool: the plan creates it again.
				PreConfig: func() { mustSim(t, other.DeleteClusterTemplate(context.Background(), id)) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_baymodel.test", plancheck.ResourceActionCreate)},
				},
			},
		},
	})
}

// A baymodel that bays use can only be renamed; anything else fails with
// Magnum's reason and what to do about it.
func TestAccBaymodel_inUseByBays(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(s, "demo") + testAccBayConfig("user", 1, "")},
			{
				Config: acctest.ProviderBlock(s, "demo") + strings.Replace(testAccBayConfig("user", 1, ""), "docker_volume_size  = 5", "docker_volume_size  = 8", 1),
				ExpectError: regexp.MustCompile(`(?s)Baymodel is in use by bays.*create_before_destroy.*` +
					`is\s+referenced\s+by\s+one\s+or\s+multiple\s+clusters.*HTTP status: 400`),
			},
		},
	})
}

// TestAccBaymodel_inUseChangesAreSplit: while bays use a baymodel, Magnum
// refuses two changes in one request, even a rename plus tags, which it
// accepts one at a time; the provider sends them one at a time. A change
// Magnum refuses outright is named, with why.
func TestAccBaymodel_inUseChangesAreSplit(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	cfg := func(edit func(string) string) string {
		return acctest.ProviderBlock(s, "demo") + edit(testAccBayConfig("inuse", 1, ""))
	}
	renamed := func(c string) string {
		return strings.Replace(c, `name                = "inuse-model"`, `name                = "inuse-model-v2"`+"\n  tags = \"team-a,prod\"", 1)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg(func(c string) string { return c })},
			{
				Config: cfg(renamed),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("name"), knownvalue.StringExact("inuse-model-v2")),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("tags"), knownvalue.StringExact("team-a,prod")),
				},
			},
			{
				Config: cfg(func(c string) string {
					return strings.Replace(strings.Replace(renamed(c), `tags = "team-a,prod"`, `tags = "team-b"`, 1), "docker_volume_size  = 5", "docker_volume_size  = 8", 1)
				}),
				ExpectError: errRegexp("Baymodel is in use by bays", "Refused here:",
					"docker_volume_size: only name, public, hidden and tags can change while bays use the baymodel", "create_before_destroy",
					"is referenced by one or multiple clusters", "HTTP status: 400"),
			},
			{
				Config:      cfg(func(c string) string { return strings.Replace(renamed(c), "\n  tags = \"team-a,prod\"", "", 1) }),
				ExpectError: errRegexp("Baymodel is in use by bays", `tags: tags cannot be removed while bays use the baymodel (set tags = "" instead)`),
			},
		},
	})
}

// Deleting a baymodel that a live bay uses fails, after a short grace for
// the bay to start deleting, naming the bay; the test's own destroy then
// deletes both at once, which works because the baymodel waits for the
// bay being deleted.
func TestAccBaymodel_deleteWhileInUse(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	model := `
resource "magnum_baymodel" "used" {
  name                = "used-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
}
`
	bay := func(ref string) string {
		return fmt.Sprintf(`
resource "magnum_bay" "user" {
  name        = "user-bay"
  baymodel_id = %s
}
`, ref)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkNoBaysLeft(s), func(*terraform.State) error {
			if n := len(s.Templates()); n != 0 {
				return fmt.Errorf("%d baymodels left after destroy", n)
			}
			return nil
		}),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(s, "demo") + model + bay("magnum_baymodel.used.id")},
			{
				// The bay keeps the baymodel by name, which the
				// configuration no longer manages.
				Config:      acctest.ProviderBlock(s, "demo") + `data "magnum_baymodel" "used" { name = "used-model" }` + bay("data.magnum_baymodel.used.id"),
				ExpectError: wrappedText("Baymodel is still in use by bays", `Magnum refuses to delete baymodel "used-model" while bays use it: "user-bay"`, "CREATE_COMPLETE"),
			},
		},
	})
}

// The driver a baymodel reports (Magnum 2024.1 and later): copied from the
// image's magnum_driver property, null without one, on the resource and
// its data source alike.
func TestAccBaymodel_driver(t *testing.T) {
	s := acctest.StartSim(t, sim.Options{Profile: "2025.1"})
	model := func(name, image string) string {
		return fmt.Sprintf(`
resource "magnum_baymodel" %[1]q {
  name                = %[1]q
  coe                 = "kubernetes"
  image_id            = %[2]q
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
}
`, name, image)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(s, "demo") + model("plain", "fedora-coreos-35") + model("named", "fedora-coreos-35-heat") + `
data "magnum_baymodel" "named" {
  id = magnum_baymodel.named.id
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("magnum_baymodel.plain", tfjsonpath.New("driver"), knownvalue.Null()),
				statecheck.ExpectKnownValue("magnum_baymodel.named", tfjsonpath.New("driver"), knownvalue.StringExact("k8s_fedora_coreos_v1")),
				statecheck.ExpectKnownValue("data.magnum_baymodel.named", tfjsonpath.New("driver"), knownvalue.StringExact("k8s_fedora_coreos_v1")),
			},
		}},
	})
}

// On a cloud whose baymodels get vexxhost's magnum-cluster-api driver, a
// baymodel without dns_nameserver is warned about when its create tells
// the driver and on every later plan, and the warning is true: a bay from
// it fails with the driver's error, which says what to do, and doing it
// works. A baymodel with one is not warned about, and none gets a default.
func TestAccBaymodel_clusterAPIDriverWithoutDNSNameserverWarns(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	opts := fastBays()
	opts.Profile = "master"
	s := acctest.StartSim(t, opts)
	baymodels := cliHead + acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "nodns" {
  name                = "capi-nodns"
  coe                 = "kubernetes"
  image_id            = "ubuntu-2204-kube-v1.30.2"
  external_network_id = "public"
  flavor_id           = "m1.medium"
  master_flavor_id    = "m1.medium"
  network_driver      = "calico"
  labels              = { kube_tag = "v1.30.2" }
}
` + capiBaymodel("withdns", "capi-withdns", "v1.30.2")
	cli.writeConfig(baymodels)
	out := cli.run("apply", "-auto-approve")
	warning := `Warning: Baymodel "capi-nodns" has no dns_nameserver, which its Cluster API driver needs`
	expectInOutput(t, out, warning, `Magnum reports driver "k8s_cluster_api_flatcar" for baymodel "capi-nodns"`,
		`CREATE_FAILED, status_reason "'NoneType' object has no attribute 'split'"`, "with magnum_baymodel.nodns")
	if strings.Contains(out, `"capi-withdns" has no dns_nameserver`) {
		t.Errorf("the baymodel with a dns_nameserver was warned about:\n%s", out)
	}
	code, out := cli.planExitCode()
	if code != 0 {
		t.Errorf("plan after the apply exited %d, want 0 (no default is planned):\n%s", code, out)
	}
	expectInOutput(t, out, warning)

	cli.writeConfig(baymodels + `
resource "magnum_bay" "doomed" {
  name        = "doomed"
  baymodel_id = magnum_baymodel.nodns.id
}
`)
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	cmd, buf := cli.command(ctx, "apply", "-auto-approve")
	if err := cmd.Run(); err == nil {
		t.Fatalf("a bay from the baymodel without dns_nameserver was created:\n%s", buf)
	}
	expectInOutput(t, buf.String(), "status CREATE_FAILED: status_reason: 'NoneType' object has no attribute 'split'",
		"Set dns_nameserver on the baymodel; the next apply then replaces this bay.")

	// What the hint says works: the failed bay goes, the baymodel
	// changes, a new bay is built.
	cli.writeConfig(strings.Replace(baymodels, `  name                = "capi-nodns"`, `  name                = "capi-nodns"
  dns_nameserver      = "1.1.1.1"`, 1) + `
resource "magnum_bay" "doomed" {
  name        = "doomed"
  baymodel_id = magnum_baymodel.nodns.id
}
`)
	out = cli.run("apply", "-auto-approve")
	if bay, ok := cli.bayInState(); !ok || bay.Status != "CREATE_COMPLETE" || bay.Tainted || strings.Contains(out, "has no dns_nameserver") {
		t.Errorf("after setting dns_nameserver: bay %+v (in state: %v)\n%s", bay, ok, out)
	}
	cli.run("destroy", "-auto-approve")
}

// A baymodel of vexxhost's Cluster API driver without master_flavor_id is
// warned about at apply and plan; a bay from it that names no master
// flavor either never leaves CREATE_IN_PROGRESS (real magnum-cluster-api
// 0.16.0 never creates its control-plane server), and its create timeout
// shows the driver's progress reason; a bay that names one is built.
func TestAccBaymodel_clusterAPIDriverWithoutMasterFlavorWarns(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	opts := fastBays()
	opts.Profile = "master"
	s := acctest.StartSim(t, opts)
	baymodel := cliHead + acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "nomaster" {
  name                = "capi-nomaster"
  coe                 = "kubernetes"
  image_id            = "ubuntu-2204-kube-v1.30.2"
  external_network_id = "public"
  flavor_id           = "m1.medium"
  network_driver      = "calico"
  dns_nameserver      = "8.8.8.8"
  labels              = { kube_tag = "v1.30.2" }
}
`
	cli.writeConfig(baymodel)
	out := cli.run("apply", "-auto-approve")
	warning := `Warning: Baymodel "capi-nomaster" has no master_flavor_id, which its Cluster API driver needs`
	expectInOutput(t, out, warning, `Magnum reports driver "k8s_cluster_api_flatcar" for baymodel "capi-nomaster"`,
		"CREATE_IN_PROGRESS until its create timeout", "with magnum_baymodel.nomaster")
	code, out := cli.planExitCode()
	if code != 0 {
		t.Errorf("plan after the apply exited %d, want 0:\n%s", code, out)
	}
	expectInOutput(t, out, warning)

	bay := func(extra string) string {
		return baymodel + `
resource "magnum_bay" "capi" {
  name        = "capibay"
  baymodel_id = magnum_baymodel.nomaster.id
  ` + extra + `
}
`
	}
	cli.writeConfig(bay(`timeouts {
    create = "5s"
  }`))
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	cmd, buf := cli.command(ctx, "apply", "-auto-approve")
	if err := cmd.Run(); err == nil {
		t.Fatalf("a bay with no master flavor anywhere was created:\n%s", buf)
	}
	expectInOutput(t, buf.String(), "timed out", "CREATE_IN_PROGRESS", "CAPI Cluster status: Provisioned")

	// Naming the master flavor on the bay is enough: the tainted bay is
	// replaced by one that is built.
	cli.writeConfig(bay(`master_flavor_id = "m1.medium"`))
	out = cli.run("apply", "-auto-approve")
	if b, ok := cli.bayInState(); !ok || b.Status != "CREATE_COMPLETE" || b.Tainted {
		t.Errorf("with master_flavor_id on the bay: %+v (in state: %v)\n%s", b, ok, out)
	}
	cli.run("destroy", "-auto-approve")
}
