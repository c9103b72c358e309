package provider

import (
	"context"
	"fmt"
	"regexp"
	"sort"
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

// createClusterAs creates a bay of the given name through Magnum's API as
// the project's user, the way a colleague or another workspace would, on
// the baymodel named model.
func createClusterAs(t *testing.T, s *sim.Sim, user, name, model string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	mc := acctest.MagnumClient(t, s, user)
	ct, err := mc.GetClusterTemplate(ctx, model)
	if err != nil {
		t.Errorf("%s reading baymodel %s: %v", user, model, err)
		return ""
	}
	id, err := mc.CreateCluster(ctx, magnum.ClusterCreate{Name: name, ClusterTemplateID: ct.UUID})
	if err != nil {
		t.Errorf("%s creating bay %s: %v", user, name, err)
	}
	return id
}

// checkBayInStateIs asserts the bay the state holds.
func checkBayInStateIs(want func() string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		rs, ok := st.RootModule().Resources["magnum_bay.test"]
		if !ok {
			return fmt.Errorf("no magnum_bay.test in state")
		}
		if w := want(); rs.Primary.ID != w {
			return fmt.Errorf("the state holds bay %s, want %s", rs.Primary.ID, w)
		}
		return nil
	}
}

// simBayIDs lists the simulator's bays of a name.
func simBayIDs(s *sim.Sim, name string) []string {
	var ids []string
	for _, c := range s.Clusters() {
		if c.Name == name {
			ids = append(ids, c.UUID)
		}
	}
	sort.Strings(ids)
	return ids
}

// TestAccBay_lostCreateAdoptsOnlyItsOwn: the answer to the bay POST is
// lost, and meanwhile another user of the project creates a bay of the
// same name. The provider adopts the bay its own request made, never the
// other user's (which the next destroy would delete).
func TestAccBay_lostCreateAdoptsOnlyItsOwn(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo", "api_timeout = 5") + testAccBayConfig("shared", 1, "")
	var foreign string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(s, "demo") + strings.SplitAfter(testAccBayConfig("shared", 1, ""), "}\n}\n")[0],
			},
			{
				PreConfig: func() {
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "POST /v1/clusters", Kind: sim.FaultDropResponse, AfterServe: func() {
						foreign = createClusterAs(t, s, "demo2", "shared", "shared-model")
					}}))
				},
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] != 1 {
							return fmt.Errorf("the dropped answer was never injected: %v", hits)
						}
						if ids := simBayIDs(s, "shared"); len(ids) != 2 {
							return fmt.Errorf("the simulator holds bays %v named shared, want the provider's and demo2's", ids)
						}
						return nil
					},
					checkBayInStateIs(func() string {
						for _, id := range simBayIDs(s, "shared") {
							if id != foreign {
								return id
							}
						}
						return "(none)"
					}),
				),
			},
			{
				// demo2's bay is demo2's business; it goes before destroy
				// so the baymodel can go too.
				PreConfig: func() { mustSim(t, s.DeleteClusterOutOfBand(foreign)) },
				Config:    cfg,
				Check:     checkBayCount(s, 1),
			},
		},
	})
}

// TestAccBay_lostCreateWithTwoCandidatesAdoptsNone: while the answer to
// the POST is lost, the same user makes a second bay of the name (another
// workspace with the same credentials). Either could be the request's, so
// the provider adopts neither and names both, with the import command; it
// never tells the user to delete one.
func TestAccBay_lostCreateWithTwoCandidatesAdoptsNone(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, fastBays())
	demo := s.Credentials("demo")
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("twice", 1, "")
	var other string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "POST /v1/clusters", Kind: sim.FaultDropResponse, AfterServe: func() {
						other = createClusterAs(t, s, "demo", "twice", "twice-model")
					}}))
				},
				Config: cfg,
				ExpectError: regexp.MustCompile(strings.ReplaceAll(`(?s)Error creating bay "twice".*outcome unknown.*More than one bay named "twice" could have come from this request:`+
					strings.Repeat(`\s+- [0-9a-f-]{36} \(CREATE_\w+, project `+demo.ProjectID+`, user `+demo.UserID+`, created \S+Z\)`, 2)+
					`.*adopted none.*terraform import <address> [0-9a-f-]{36}`, " ", `\s+`)),
			},
			{
				// Nothing was adopted, nothing deleted, nothing doubled.
				PreConfig: func() {
					if ids := simBayIDs(s, "twice"); len(ids) != 2 {
						t.Errorf("after the ambiguous create the simulator holds %v, want the two bays", ids)
					}
					for _, id := range simBayIDs(s, "twice") {
						mustSim(t, s.DeleteClusterOutOfBand(id))
					}
					_ = other
				},
				Config: acctest.ProviderBlock(s, "demo") + strings.SplitAfter(testAccBayConfig("twice", 1, ""), "}\n}\n")[0],
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("name"), knownvalue.StringExact("twice-model")),
				},
				Check: checkBayCount(s, 0),
			},
		},
	})
}

// TestAccBaymodel_sameNameTwiceInOneConfiguration: two baymodel resources
// with one name. The second must not take the first's baymodel, nor make
// a second of that name.
func TestAccBaymodel_sameNameTwiceInOneConfiguration(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	cfg := acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "first" {
  name     = "dup"
  coe      = "kubernetes"
  image_id = "fedora-coreos-35"
}

resource "magnum_baymodel" "second" {
  name       = "dup"
  coe        = "kubernetes"
  image_id   = "fedora-coreos-35"
  depends_on = [magnum_baymodel.first]
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config: cfg,
			ExpectError: errRegexp(`A baymodel named "dup" already exists`, `already managed by another resource of this configuration (baymodel "dup")`,
				"Give each resource its own name"),
		}, {
			// Only the first baymodel exists, held by the first resource.
			Config: strings.Split(cfg, "\nresource \"magnum_baymodel\" \"second\"")[0],
			Check: func(st *terraform.State) error {
				var dups []string
				for _, tm := range s.Templates() {
					if tm.Name == "dup" {
						dups = append(dups, tm.UUID)
					}
				}
				first := st.RootModule().Resources["magnum_baymodel.first"]
				if len(dups) != 1 || first == nil || first.Primary.ID != dups[0] {
					return fmt.Errorf("baymodels named dup: %v; the state's first: %v", dups, first)
				}
				return nil
			},
		}},
	})
}

// TestAccBaymodel_existingNameNeedsImportOrAdoption: a baymodel of the
// configured name exists (an earlier apply was killed after creating it).
// The create stops with the import command; adopt_existing adopts it and
// brings it to the configuration, but never another user's.
func TestAccBaymodel_existingNameNeedsImportOrAdoption(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	demo, demo2 := s.Credentials("demo"), s.Credentials("demo2")
	mine := createBaymodelAs(t, s, "demo", map[string]any{"name": "legacy", "coe": "kubernetes", "image_id": "fedora-coreos-35", "docker_volume_size": 3})
	theirs := createBaymodelAs(t, s, "demo2", map[string]any{"name": "colleague", "coe": "kubernetes", "image_id": "fedora-coreos-35"})
	t.Cleanup(func() { _ = acctest.MagnumClient(t, s, "demo2").DeleteClusterTemplate(context.Background(), theirs) })
	model := func(name, extra string) string {
		return acctest.ProviderBlock(s, "demo") + fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name               = %q
  coe                = "kubernetes"
  image_id           = "fedora-coreos-35"
  docker_volume_size = 5
  %s
}
`, name, extra)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{
			{
				Config: model("legacy", ""),
				ExpectError: errRegexp(`A baymodel named "legacy" already exists`, "and this resource does not manage it:",
					"- "+mine+" (project "+demo.ProjectID+", user "+demo.UserID+", created",
					"terraform import <address> "+mine, "adopt_existing = true"),
			},
			{
				// Another user's baymodel is never adopted.
				Config: model("colleague", "adopt_existing = true"),
				ExpectError: errRegexp(`A baymodel named "colleague" already exists`, "user "+demo2.UserID,
					"terraform import <address> "+theirs, "adopt_existing adopts only when exactly one baymodel of the name exists and it was created by this user"),
			},
			{
				Config: model("legacy", "adopt_existing = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("id"), knownvalue.StringExact(mine)),
					statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("docker_volume_size"), knownvalue.Int64Exact(5)),
				},
			},
			{
				Config: model("legacy", "adopt_existing = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccBaymodel_unnamedGetsGeneratedName: a baymodel without a name gets
// one from the provider, so a create whose answer is lost can be found.
func TestAccBaymodel_unnamedGetsGeneratedName(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "test" {
  coe      = "kubernetes"
  image_id = "fedora-coreos-35"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("magnum_baymodel.test", tfjsonpath.New("name"), knownvalue.StringRegexp(regexp.MustCompile(`^tf-baymodel-[0-9a-f]{8}$`))),
			},
		}},
	})
}

// TestAccBay_otherProjectCredentialsRefuse: a state made by project demo,
// planned with project alt's credentials, to which demo's bay is a 404.
// The plan must stop and name both projects, not drop the bay from the
// state and plan a new one in alt.
func TestAccBay_otherProjectCredentialsRefuse(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	demo, alt := s.Credentials("demo"), s.Credentials("alt")
	cfg := func(project string) string {
		return acctest.ProviderBlock(s, project) + testAccBayConfig("mine", 1, "")
	}
	var bayID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg("demo"),
				Check: func(st *terraform.State) error {
					bayID = st.RootModule().Resources["magnum_bay.test"].Primary.ID
					return nil
				},
			},
			{
				Config:   cfg("alt"),
				PlanOnly: true,
				// The baymodel is refreshed first and stops the plan there.
				ExpectError: errRegexp("The baymodel belongs to another project", `The state records baymodel "mine-model"`, "in project "+demo.ProjectID,
					"scoped to project "+alt.ProjectID, "leaves the state as it is", "Use credentials for project "+demo.ProjectID),
			},
			{
				// The state still holds the bay, and the bay is still there.
				Config: cfg("demo"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeTestCheckFunc(
					checkBayInStateIs(func() string { return bayID }),
					checkBayCount(s, 1),
				),
			},
		},
	})
}

// TestAccBay_ambiguousNamesSayMoreThanOne: names are not unique in Magnum.
// A baymodel_id or an import id that several objects share is "more than
// one", with their ids and owners, never "not found"; and nothing tells
// the user to delete one, since they may be someone else's.
func TestAccBay_ambiguousNamesSayMoreThanOne(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	demo, demo2 := s.Credentials("demo"), s.Credentials("demo2")
	body := map[string]any{"name": "twin", "coe": "kubernetes", "image_id": "fedora-coreos-35", "keypair_id": "testkey",
		"external_network_id": "public", "flavor_id": "m1.small", "network_driver": "flannel"}
	own := createBaymodelAs(t, s, "demo", body)
	public := createBaymodelAs(t, s, "admin", map[string]any{"name": "twin", "coe": "kubernetes", "image_id": "fedora-coreos-35", "public": true})
	first := createClusterAs(t, s, "demo", "dup", own)
	second := createClusterAs(t, s, "demo2", "dup", own)
	t.Cleanup(func() {
		for _, id := range []string{first, second} {
			_ = s.DeleteClusterOutOfBand(id)
		}
		for deadline := time.Now().Add(time.Minute); len(s.Clusters()) > 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		}
		_ = acctest.MagnumClient(t, s, "demo").DeleteClusterTemplate(context.Background(), own)
		_ = acctest.MagnumClient(t, s, "admin").DeleteClusterTemplate(context.Background(), public)
	})
	cfg := acctest.ProviderBlock(s, "demo") + `
resource "magnum_bay" "test" {
  name        = "third"
  baymodel_id = "twin"
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ExpectError: errRegexp(`More than one baymodel is named "twin"`, `Magnum cannot tell which baymodel "twin" means to create the bay from`,
					"- "+own+" (project "+demo.ProjectID, "Use the UUID of the one you mean", "HTTP status: 409"),
			},
			{
				Config:        cfg,
				ResourceName:  "magnum_bay.test",
				ImportState:   true,
				ImportStateId: "dup",
				ExpectError: errRegexp(`More than one bay is named "dup"`, "more than one is named so:",
					"- "+first+" (CREATE_", "user "+demo.UserID, "- "+second+" (CREATE_", "user "+demo2.UserID,
					"leave the others alone unless you know they are yours", "HTTP status: 409"),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := len(simBayIDs(s, "third")); n != 0 {
				return fmt.Errorf("%d bays named third were created", n)
			}
			return nil
		},
	})
}
