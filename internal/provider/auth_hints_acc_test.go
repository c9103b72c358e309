package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// TestAccProvider_stalledLoginNamesAPITimeout: Keystone takes the token
// request and never answers. The error must name api_timeout, the setting
// that bounded the wait.
func TestAccProvider_stalledLoginNamesAPITimeout(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, sim.Options{})
	mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Pattern: "^POST /identity/v3/auth/tokens", Kind: sim.FaultStall, Delay: 10 * time.Second, Times: -1}))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:   providerBlockAt(passwordAttrs(s.Credentials("demo"), s.AuthURL()), "api_timeout = 1") + lookupBaymodel,
			PlanOnly: true,
			ExpectError: errRegexp("OpenStack authentication failed", "Could not reach Keystone at "+s.AuthURL(),
				"Keystone did not answer within api_timeout (1s)", "raise api_timeout (or OS_API_TIMEOUT)"),
		}},
	})
}
