package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// fastBays makes the simulator's Heat finish in about a second, so a test
// still sees CREATE_IN_PROGRESS before CREATE_COMPLETE, and keeps real
// Magnum's transient HTTP 400 during deletes.
func fastBays() sim.Options {
	return sim.Options{
		HeatCreateDuration:   time.Second,
		HeatUpdateDuration:   time.Second,
		HeatDeleteDuration:   500 * time.Millisecond,
		TransientDeleteError: true,
	}
}

// bayImportIgnore lists what an import cannot reproduce: the credentials
// (an import signs its own) and what Magnum changes by itself.
var bayImportIgnore = []string{"kubeconfig", "timeouts", "health_status", "health_status_reason", "updated_at"}

func TestAccBay_basic(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	cfg := func(nodes int) string {
		return acctest.ProviderBlock(s, "demo") + testAccBayConfig("k8sbay", nodes, "")
	}
	signs := &signCounter{s: s}
	caReads := &caReadCounter{s: s}
	discoveries := &versionsDocCounter{s: s}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.SkipIfResizeRefused(t, s) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("name"), knownvalue.StringExact("k8sbay")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("coe"), knownvalue.StringExact("kubernetes")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_addresses"), knownvalue.ListSizeExact(addressCount(1))),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("master_addresses"), knownvalue.ListSizeExact(addressCount(1))),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("api_address"), knownvalue.StringRegexp(regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`))),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("stack_id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("ca_cert"), knownvalue.StringRegexp(regexp.MustCompile(`BEGIN CERTIFICATE`))),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("kubeconfig").AtMapKey("client_key"), knownvalue.StringRegexp(regexp.MustCompile(`PRIVATE KEY`))),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("effective_labels").AtMapKey("kube_tag"), knownvalue.StringExact(acctest.Kube().KubeTag)),
					statecheck.ExpectSensitiveValue("magnum_bay.test", tfjsonpath.New("kubeconfig")),
					statecheck.CompareValuePairs("magnum_bay.test", tfjsonpath.New("kubeconfig").AtMapKey("host"), "magnum_bay.test", tfjsonpath.New("api_address"), compare.ValuesSame()),
				},
				Check: checkKubectlWorks("magnum_bay.test"),
			},
			{
				// A refresh with nothing changed is empty, signs nothing,
				// reuses the CA read when the bay was created, and spends
				// no round trip on Magnum's versions document: the first
				// read negotiates the microversion.
				PreConfig: func() { signs.mark(); caReads.mark(); discoveries.mark() },
				Config:    cfg(1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(signs.expect(0), caReads.expectNone(), discoveries.expectNone()),
			},
			{
				ResourceName:      "magnum_bay.test",
				ImportState:       true,
				ImportStateVerify: true,
				// An import has no credentials to reuse, so it signs its own.
				// A real Magnum's health poller changes health_status and
				// updated_at on its own between steps.
				ImportStateVerifyIgnore: bayImportIgnore,
			},
			{
				ResourceName:            "magnum_bay.test",
				ImportState:             true,
				ImportStateId:           "k8sbay",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: bayImportIgnore,
			},
			{
				Config: cfg(3),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("UPDATE_COMPLETE")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_addresses"), knownvalue.ListSizeExact(addressCount(3))),
				},
			},
			{
				Config: cfg(1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_addresses"), knownvalue.ListSizeExact(addressCount(1))),
				},
			},
		},
	})
}

// versionsDocCounter counts GETs of Magnum's root versions document,
// which a provider process whose first Magnum request is a read never
// needs. The relay names real Magnum's routes the same way.
type versionsDocCounter struct {
	s      *sim.Sim
	before int
}

func (c *versionsDocCounter) mark() { c.before = c.s.Counters()["GET /container-infra"] }

func (c *versionsDocCounter) expectNone() resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := c.s.Counters()["GET /container-infra"] - c.before; got != 0 {
			return fmt.Errorf("the step fetched Magnum's versions document %d times, want none: every command's first request was a read", got)
		}
		return nil
	}
}

func TestAccBay_outOfBandChanges(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("drifty", 1, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.SkipIfResizeRefused(t, s) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				// Someone resized the bay elsewhere: plan puts it back.
				PreConfig: func() { mustSim(t, s.SetNodeCount(bayUUID(t, s, "drifty"), 4)) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(1)),
				},
			},
			{
				// Someone deleted it: plan creates it again.
				PreConfig: func() { mustSim(t, s.DeleteClusterOutOfBand(bayUUID(t, s, "drifty"))) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
				},
			},
		},
	})
}

func TestAccBay_createFailedShowsHeatReasons(t *testing.T) {
	acctest.SkipHeatOnCAPI(t, "a create failure armed on the Heat stand-in, and its failed Heat resources")
	s := acctest.StartSim(t, fastBays())
	s.InjectFault("doomed", sim.Fault{Action: "CREATE", Reason: "No valid host was found. There are not enough hosts available."})
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("doomed", 1, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ExpectError: regexp.MustCompile(`(?s)Bay "doomed" \([0-9a-f-]+\) did not become ready.*CREATE_FAILED.*` +
					`No valid host was found.*Failed Heat resources.*\(OS::Nova::Server\).*tainted`),
			},
			{
				// The failed bay stayed in state (tainted): the next apply
				// replaces it instead of orphaning it.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
				},
				Check: checkBayCount(s, 1),
			},
		},
	})
}

// TestAccBay_applicationCredentialTrustRefused: Magnum's conductor makes a
// Keystone trust for every new bay, which a Keystone with the LP#2150089 fix
// refuses to application-credential tokens. The error says why and what to
// do; the failed bay stays in state and a password login replaces it.
func TestAccBay_applicationCredentialTrustRefused(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	c := s.Credentials("demo")
	appCred := providerBlockAt(map[string]string{"auth_url": c.AuthURL, "region": c.Region,
		"application_credential_id": c.AppCredID, "application_credential_secret": c.AppCredSecret})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: appCred + testAccBayConfig("trustless", 1, ""),
				ExpectError: regexp.MustCompile(`(?s)Bay "trustless" \([0-9a-f-]+\) did not become ready.*CREATE_FAILED.*` +
					`Failed\s+to\s+create\s+trustee\s+or\s+trust\s+for\s+Cluster.*logs\s+in\s+with\s+an\s+application\s+credential.*` +
					`allow_insecure_application_credential_trust_escalation.*tainted`),
			},
			{
				Config: acctest.ProviderBlock(s, "demo") + testAccBayConfig("trustless", 1, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
				},
				Check: checkBayCount(s, 1),
			},
		},
	})
}

// TestAccBay_createTimeoutTaintsAndReplaces: a create that outlasts the
// create timeout fails with the bay tainted in state, and the next apply
// replaces it. On the capi target the slow bay is real: magnum-cluster-api
// keeps a bay whose workers no host fits CREATE_IN_PROGRESS for ever (its
// Machine's FailedCreateServer never reaches Magnum), and the capi
// fixtures' m1.nohost is such a flavor; the replacement names the model's
// worker flavor, since a tainted bay's flavor_id would otherwise carry
// over from its state.
func TestAccBay_createTimeoutTaintsAndReplaces(t *testing.T) {
	slow, replaced := `timeouts { create = "2s" }`, `timeouts { create = "2m" }`
	if acctest.CAPITarget() {
		// 90 s is the POST on a busy cloud with room to spare (it took
		// 33 s of a 45 s timeout in a clean-clone rehearsal, leaving too
		// little to see the bay once); 15 min a capi create (25-50 s here)
		// at any load.
		slow = `flavor_id = "m1.nohost"
  timeouts { create = "90s" }`
		replaced = fmt.Sprintf(`flavor_id = %q
  timeouts { create = "15m" }`, acctest.Kube().Flavor)
	} else {
		acctest.SkipUnlessSimulator(t, "a create slower than this test's timeout; the Heat stand-in builds every stack equally fast")
	}
	opts := fastBays()
	opts.HeatCreateDuration = 8 * time.Second
	s := acctest.StartSim(t, opts)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config:      acctest.ProviderBlock(s, "demo") + testAccBayConfig("slow", 1, slow),
				ExpectError: regexp.MustCompile(`(?s)timed out after .* waiting for bay "slow".*CREATE_IN_PROGRESS.*tainted`),
			},
			{
				Config: acctest.ProviderBlock(s, "demo") + testAccBayConfig("slow", 1, replaced),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("magnum_bay.test", plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("flavor_id"), knownvalue.StringExact(acctest.Kube().Flavor)),
				},
				Check: checkBayCount(s, 1),
			},
		},
	})
}

func TestAccBay_deleteFailedIsReported(t *testing.T) {
	acctest.SkipHeatOnCAPI(t, "a delete failure armed on the Heat stand-in")
	// Real Magnum shows DELETE_IN_PROGRESS for at least one conductor poll
	// before a delete can fail; a delete that failed within the first
	// poll's latency would look like an earlier attempt's stale failure.
	opts := fastBays()
	opts.HeatDeleteDuration = 5 * time.Second
	s := acctest.StartSim(t, opts)
	s.InjectFault("sticky", sim.Fault{Action: "DELETE", Reason: "Port in use by the load balancer"})
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("sticky", 1, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Config:      cfg,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Error deleting bay "sticky".*DELETE_FAILED.*Port in use`),
			},
			// The fault is used up: the test's own destroy now succeeds.
		},
	})
}

func TestAccBay_dataSource(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("looked-up", 1, "") + `
data "magnum_bay" "by_name" {
  name = magnum_bay.test.name
}

data "magnum_bay" "with_creds" {
  id                  = magnum_bay.test.id
  include_credentials = true
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValuePairs("data.magnum_bay.by_name", tfjsonpath.New("id"), "magnum_bay.test", tfjsonpath.New("id"), compare.ValuesSame()),
				statecheck.CompareValuePairs("data.magnum_bay.by_name", tfjsonpath.New("api_address"), "magnum_bay.test", tfjsonpath.New("api_address"), compare.ValuesSame()),
				statecheck.CompareValuePairs("data.magnum_bay.by_name", tfjsonpath.New("ca_cert"), "magnum_bay.test", tfjsonpath.New("ca_cert"), compare.ValuesSame()),
				statecheck.ExpectKnownValue("data.magnum_bay.by_name", tfjsonpath.New("kubeconfig"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.magnum_bay.with_creds", tfjsonpath.New("kubeconfig").AtMapKey("client_certificate"), knownvalue.StringRegexp(regexp.MustCompile("BEGIN CERTIFICATE"))),
			},
			Check: checkKubectlWorks("data.magnum_bay.with_creds"),
		}},
	})
}

func TestAccBay_badInput(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, fastBays())
	cases := []struct {
		name, body, want string
	}{
		{"master_count 0", `baymodel_id = "x"
  master_count = 0`, `Attribute master_count value must be at least 1`},
		{"node_count negative", `baymodel_id = "x"
  node_count = -1`, `Attribute node_count value must be at least 0`},
		{"bad name", `baymodel_id = "x"
  name = "1bay"`, `must start with a letter`},
		{"several masters without a load balancer", `baymodel_id = "x"
  master_count = 3
  master_lb_enabled = false`, `master_count is 3 but master_lb_enabled is false`},
		{"unknown baymodel", `baymodel_id = "no-such-baymodel"`, `(?s)Baymodel not found.*no-such-baymodel.*HTTP status: 404`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderBlock(s, "demo") + "resource \"magnum_bay\" \"test\" {\n  " + tc.body + "\n}\n",
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
	if n := len(s.Clusters()); n != 0 {
		t.Errorf("bad input created %d bays", n)
	}
}

// testAccBayConfig is a bay and its baymodel, on the image, flavor and
// network driver the target's driver builds bays with (acctest.Kube).
func testAccBayConfig(name string, nodes int, extra string) string {
	k := acctest.Kube()
	return fmt.Sprintf(`
resource "magnum_baymodel" "test" {
  name                = "%[1]s-model"
  coe                 = "kubernetes"
%[4]s  keypair_id          = "testkey"
  external_network_id = "public"
  docker_volume_size  = 5
  labels = {
    kube_tag = %[5]q
  }
}

resource "magnum_bay" "test" {
  name        = %[1]q
  baymodel_id = magnum_baymodel.test.id
  node_count  = %[2]d
  %[3]s
}
`, name, nodes, extra, k.Attributes(), k.KubeTag)
}

// addressCount is how many node or master addresses a bay of n such nodes
// shows: n, or none where a Cluster API driver builds it (no driver of
// theirs fills the addresses).
func addressCount(n int) int {
	if acctest.CAPITarget() {
		return 0
	}
	return n
}

// checkNoBaysLeft is the CheckDestroy of every bay test: no cluster, no
// Heat stack and no template of the test may outlive it.
func checkNoBaysLeft(s *sim.Sim) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		if cs := s.Clusters(); len(cs) > 0 {
			return fmt.Errorf("%d bays left in the simulator, first %s (%s)", len(cs), cs[0].Name, cs[0].Status)
		}
		if n := s.Stacks(); n > 0 {
			return fmt.Errorf("%d Heat stacks left in the simulator", n)
		}
		return checkBaymodelsDestroyed(s)(st)
	}
}

func checkBayCount(s *sim.Sim, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := len(s.Clusters()); got != want {
			return fmt.Errorf("the simulator holds %d bays, want %d (an orphan?)", got, want)
		}
		return nil
	}
}

// checkKubectlWorks writes the bay's kubeconfig and uses it with the real
// kubectl against the simulator's Kubernetes endpoint.
func checkKubectlWorks(address string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		// Real Magnum's api_address (https://127.0.0.1:6443) has no
		// Kubernetes behind it.
		if acctest.RealTarget() {
			return nil
		}
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			return nil // the kube package's own tests cover kubectl where it exists
		}
		rs, ok := st.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s not in state", address)
		}
		raw := rs.Primary.Attributes["kubeconfig.raw_config"]
		if raw == "" {
			return fmt.Errorf("%s has no kubeconfig.raw_config", address)
		}
		dir, err := os.MkdirTemp("", "kubeconfig")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
			return err
		}
		for _, args := range [][]string{{"get", "--raw", "/version"}, {"get", "namespaces"}} {
			ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
			out, err := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", path, "--request-timeout=20s"}, args...)...).CombinedOutput()
			cancel()
			if err != nil {
				return fmt.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if args[0] == "get" && args[1] == "namespaces" && !strings.Contains(string(out), "kube-system") {
				return fmt.Errorf("kubectl get namespaces did not list kube-system:\n%s", out)
			}
		}
		return nil
	}
}

func bayUUID(t *testing.T, s *sim.Sim, name string) string {
	t.Helper()
	for _, c := range s.Clusters() {
		if c.Name == name {
			return c.UUID
		}
	}
	t.Fatalf("no bay named %q in the simulator", name)
	return ""
}

func mustSim(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// On today's clouds (Cluster API drivers, no Heat) the same configuration
// works: no stack diagnostics are needed to create, resize and delete.
func TestAccBay_masterProfileWithoutHeat(t *testing.T) {
	opts := fastBays()
	opts.Profile = "master"
	s := acctest.StartSim(t, opts)
	cfg := func(nodes int) string {
		return acctest.ProviderBlock(s, "demo") + capiBaymodel("capi", "capi-v1.30", "v1.30.2") + fmt.Sprintf(`
resource "magnum_bay" "capi" {
  name        = "capibay"
  baymodel_id = magnum_baymodel.capi.id
  node_count  = %d
}
`, nodes)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.capi", tfjsonpath.New("stack_id"), knownvalue.StringRegexp(regexp.MustCompile(`^kube-[a-z0-9]{5}$`))),
					statecheck.ExpectKnownValue("magnum_bay.capi", tfjsonpath.New("coe_version"), knownvalue.StringExact("v1.30.2")),
					statecheck.ExpectKnownValue("magnum_bay.capi", tfjsonpath.New("node_addresses"), knownvalue.ListSizeExact(0)),
				},
				Check: checkKubectlWorks("magnum_bay.capi"),
			},
			{
				Config: cfg(2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.capi", tfjsonpath.New("node_count"), knownvalue.Int64Exact(2)),
				},
			},
		},
	})
}

// With the conductor's polling lag between Magnum and Heat, the status a
// resize starts from is an earlier UPDATE_COMPLETE: the wait must end on the
// update this resize started, with its addresses, not on that old status.
func TestAccBay_resizeWaitsForTheUpdateItStarted(t *testing.T) {
	opts := fastBays()
	opts.ConductorInterval = 2 * time.Second
	opts.HeatUpdateDuration = 2 * time.Second
	s := acctest.StartSim(t, opts)
	cfg := func(nodes int) string {
		return acctest.ProviderBlock(s, "demo") + testAccBayConfig("laggy", nodes, "")
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.SkipIfResizeRefused(t, s) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg(1)},
			{Config: cfg(2)},
			{
				Config: cfg(3),
				// Addresses are written when Heat's update completes, so
				// three of them prove the wait saw this resize finish.
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("UPDATE_COMPLETE")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_addresses"), knownvalue.ListSizeExact(addressCount(3))),
				},
			},
		},
	})
}

// A long create is visible with TF_LOG=INFO: each status change of the bay
// with the elapsed time and, where the cloud has Heat, the stack's status
// while the bay is in progress.
func TestAccBay_progressIsLoggedAtInfo(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "reads the provider's own log of a simulated create")
	logPath := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	t.Setenv("TF_ACC_LOG", "INFO")
	t.Setenv("TF_LOG", "INFO")
	t.Setenv("TF_LOG_SDK_HELPER_RESOURCE", "OFF")
	opts := fastBays()
	opts.HeatCreateDuration = 3 * time.Second
	s := acctest.StartSim(t, opts)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock(s, "demo") + testAccBayConfig("watched", 1, ""),
			Check: func(*terraform.State) error {
				raw, err := os.ReadFile(logPath)
				if err != nil {
					return err
				}
				log := string(raw)
				for _, want := range []*regexp.Regexp{
					regexp.MustCompile(`bay "watched": CREATE_IN_PROGRESS, Heat stack CREATE_IN_PROGRESS \(\d+s elapsed\)`),
					// The poll that ends the wait does not read Heat (it
					// would only delay the end), and must not repeat the
					// stack status an earlier poll read.
					regexp.MustCompile(`bay "watched": CREATE_COMPLETE \(\d+s elapsed\)`),
				} {
					if !want.MatchString(log) {
						return fmt.Errorf("the INFO log lacks %q", want)
					}
				}
				if stale := regexp.MustCompile(`bay "watched": CREATE_COMPLETE, Heat stack`); stale.MatchString(log) {
					return fmt.Errorf("the INFO log shows a Heat stack status on the poll that saw the bay complete: %q", stale.FindString(log))
				}
				return nil
			},
		}},
	})
}
