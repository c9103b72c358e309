package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// signCounter counts the certificates a step signs: mark in PreConfig,
// expect in Check.
type signCounter struct {
	s      *sim.Sim
	before int
}

func (c *signCounter) mark() { c.before = c.s.Counters()["POST /v1/certificates"] }

func (c *signCounter) expect(want int) resource.TestCheckFunc { return c.expectBetween(want, want) }

func (c *signCounter) expectBetween(lo, hi int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := c.s.Counters()["POST /v1/certificates"] - c.before; got < lo || got > hi {
			return fmt.Errorf("the step signed %d certificates, want %d to %d", got, lo, hi)
		}
		return nil
	}
}

func TestAccBay_caRotationRenewsCredentials(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "CA rotation out of band and kubectl against the bay's Kubernetes endpoint")
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("rotated", 1, "")
	signs := &signCounter{s: s}
	var firstCert string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(st *terraform.State) error {
					firstCert = st.RootModule().Resources["magnum_bay.test"].Primary.Attributes["kubeconfig.client_certificate"]
					return nil
				},
			},
			{
				// The CA was rotated elsewhere: the refresh signs a new
				// certificate with the new CA, and kubectl still works.
				PreConfig: func() {
					mustSim(t, s.RotateCA(bayUUID(t, s, "rotated")))
					signs.mark()
				},
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					// Plan and apply each refresh, and a plan's refresh is
					// not saved, so the count is 1 or 2, never 0.
					signs.expectBetween(1, 2),
					checkKubectlWorks("magnum_bay.test"),
					func(st *terraform.State) error {
						if st.RootModule().Resources["magnum_bay.test"].Primary.Attributes["kubeconfig.client_certificate"] == firstCert {
							return fmt.Errorf("the client certificate was not renewed after the CA rotation")
						}
						return nil
					},
				),
			},
		},
	})
}

// swarmRefusal2025 is real Magnum 20's answer to a swarm baymodel: its
// COE enum is kubernetes alone (Magnum 18.0 on).
const swarmRefusal2025 = "Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes"

func TestAccBay_swarmHasDockerTLS(t *testing.T) {
	acctest.SkipOnAPI(t, "2025.1", swarmRefusal2025, "a swarm bay's Docker TLS credentials")
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "swarm" {
  name                = "swarmbaymodel"
  coe                 = "swarm"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "docker"
}

resource "magnum_bay" "swarm" {
  name        = "swarmbay"
  baymodel_id = magnum_baymodel.swarm.id
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("magnum_bay.swarm", tfjsonpath.New("coe"), knownvalue.StringExact("swarm")),
				statecheck.ExpectKnownValue("magnum_bay.swarm", tfjsonpath.New("docker_tls").AtMapKey("docker_host"), knownvalue.StringRegexp(regexp.MustCompile(`^tcp://127\.0\.0\.1:2376$`))),
				statecheck.ExpectKnownValue("magnum_bay.swarm", tfjsonpath.New("docker_tls").AtMapKey("tls_verify"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("magnum_bay.swarm", tfjsonpath.New("docker_tls").AtMapKey("cert_pem"), knownvalue.StringRegexp(regexp.MustCompile(`BEGIN CERTIFICATE`))),
				statecheck.ExpectSensitiveValue("magnum_bay.swarm", tfjsonpath.New("docker_tls")),
				statecheck.ExpectKnownValue("magnum_bay.swarm", tfjsonpath.New("kubeconfig"), knownvalue.Null()),
			},
		}},
	})
}

// caReadCounter counts the bay CA reads a step makes: mark in PreConfig,
// expect in Check.
type caReadCounter struct {
	s      *sim.Sim
	before int
}

func (c *caReadCounter) mark() { c.before = c.s.Counters()["GET /v1/certificates/{id}"] }

// expectNone fails if the step read a CA. A real Magnum's health poller
// saves the cluster on its own between steps, which rightly makes the
// provider read the CA again, so it holds on the simulator only.
func (c *caReadCounter) expectNone() resource.TestCheckFunc {
	return func(*terraform.State) error {
		if acctest.RealTarget() {
			return nil
		}
		if got := c.s.Counters()["GET /v1/certificates/{id}"] - c.before; got != 0 {
			return fmt.Errorf("the step read the bay's CA %d times, want none: the bay did not change", got)
		}
		return nil
	}
}
