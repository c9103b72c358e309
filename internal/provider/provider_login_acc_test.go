package provider

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// Keystone logins as a user sees their cost: one per provider
// configuration, however many resources it has, and one more when a token
// expires in the middle of an apply.

// TestAccProvider_authenticatesOncePerConfiguration compares Keystone
// logins of a one-resource configuration with one of six resources and
// data sources: Terraform runs the same commands for both, so an equal
// count means one login per provider configuration, not per resource.
func TestAccProvider_authenticatesOncePerConfiguration(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	provider := acctest.ProviderBlock(s, "demo")
	many := testAccBaymodelOnly("one")
	for i := range 3 {
		many += fmt.Sprintf(`
resource "magnum_baymodel" "more%[1]d" {
  name     = "more-%[1]d"
  coe      = "kubernetes"
  image_id = "fedora-coreos-35"
}

data "magnum_baymodel" "more%[1]d" {
  id = magnum_baymodel.more%[1]d.id
}
`, i)
	}
	var loginsOne, loginsMany, magnumOne, magnumMany int
	snapshot := func(logins, magnum *int) func() {
		return func() {
			counters := s.Counters()
			*logins = counters[testAccTokenRoute]
			for route, n := range counters {
				if strings.Contains(route, " /v1/") {
					*magnum += n
				}
			}
			s.ResetCounters()
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{
			{PreConfig: s.ResetCounters, Config: provider + testAccBaymodelOnly("one")},
			{PreConfig: snapshot(&loginsOne, &magnumOne), Config: provider + many},
			{
				PreConfig: snapshot(&loginsMany, &magnumMany),
				Config:    provider + many,
				PlanOnly:  true,
			},
		},
	})
	if t.Failed() || t.Skipped() {
		return
	}
	t.Logf("Keystone logins: %d and %d; Magnum requests: %d and %d", loginsOne, loginsMany, magnumOne, magnumMany)
	if loginsOne == 0 || loginsMany != loginsOne {
		t.Fatalf("Keystone logins: %d for one resource, %d for six resources and data sources; want the same non-zero number",
			loginsOne, loginsMany)
	}
	if magnumMany <= magnumOne {
		t.Fatalf("the larger configuration made %d Magnum requests, the smaller %d: the comparison proves nothing", magnumMany, magnumOne)
	}
}

// advancingClock is the simulator's clock; a test moves it forward to
// expire tokens without waiting.
type advancingClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *advancingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *advancingClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestAccProvider_expiredTokenIsRenewed expires the provider's token just
// before it creates the baymodel, as a long apply outliving Keystone's
// token lifetime would; the provider logs in again and the create succeeds.
func TestAccProvider_expiredTokenIsRenewed(t *testing.T) {
	const ttl = time.Hour
	clock := &advancingClock{}
	s := acctest.StartSim(t, sim.Options{TokenTTL: ttl, Now: clock.Now})
	var once sync.Once
	front := frontServer(t, s, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodPost && r.URL.Path == "/container-infra/v1/clustertemplates" {
			once.Do(func() { clock.Advance(ttl + time.Minute) })
		}
		next.ServeHTTP(w, r)
	})
	renewed := func(*terraform.State) error {
		var seen []string
		for _, r := range s.Requests() {
			switch {
			case r.Route == testAccTokenRoute:
				seen = append(seen, fmt.Sprintf("login %d", r.Status))
			case r.Route == "POST /v1/clustertemplates":
				seen = append(seen, fmt.Sprintf("create %d", r.Status))
			}
		}
		got := strings.Join(seen, ", ")
		if !strings.Contains(got, "create 401, login 201, create 201") {
			return fmt.Errorf("requests were %s; want the create refused with 401, a new login, and the create again", got)
		}
		if strings.Count(got, "create 201") != 1 {
			return fmt.Errorf("requests were %s; want exactly one baymodel created", got)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config:            providerBlockAt(passwordAttrs(s.Credentials("demo"), front.URL+"/identity/v3")) + testAccBaymodelOnly("long-apply"),
			ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "demo")},
			Check:             renewed,
		}},
	})
}
