package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// transient400 is the answer Magnum 15 gives a read of a cluster whose
// nodegroup rows are gone and whose row is not yet (FINDINGS 4z).
func transient400() sim.HTTPFault {
	return sim.HTTPFault{Route: "GET /v1/clusters/{id}", Kind: sim.FaultStatus, Status: 400,
		Message: "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1"}
}

// TestAccBay_deleteFailingBehindTheTransient400: the first poll after
// DELETE meets Magnum 15's transient 400, which shows the delete tearing
// the bay down, and the delete fails before the next poll. That failure is
// this delete's, reported as DELETE_FAILED at once, not as "accepted but
// not started" a minute later.
func TestAccBay_deleteFailingBehindTheTransient400(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, fastBays())
	cfg := acctest.ProviderBlock(s, "demo") + testAccBayConfig("quickfail", 1, "")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					s.InjectFault("quickfail", sim.Fault{Action: "DELETE", Reason: "Port in use by the load balancer"})
					// The refresh and the check for a stack id read the
					// bay first; the delete's first poll gets the 400.
					f := transient400()
					f.Skip = 2
					mustSim(t, s.InjectHTTPFault(f))
				},
				Config:      cfg,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Error deleting bay "quickfail".*failed\s+after\s+\d+s:\s+status\s+DELETE_FAILED.*Port\s+in\s+use`),
			},
			{
				PreConfig: func() {
					if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] != 1 {
						t.Errorf("the transient 400 was not served to the delete's first poll: %v", hits)
					}
					s.ClearHTTPFaults()
				},
				Config: cfg,
			},
		},
	})
}

// TestAccBay_lostResizeAnswerUnderConductorLag: the answer to a resize is
// lost and Magnum's conductor picks the cast up a couple of seconds later
// (10 s poller, as on real Magnum). The settle check reads until it knows,
// instead of telling the user the resize did not happen.
func TestAccBay_lostResizeAnswerUnderConductorLag(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	opts := fastBays()
	opts.ConductorInterval = 10 * time.Second
	s := acctest.StartSim(t, opts)
	cfg := func(n int) string { return acctest.ProviderBlock(s, "demo") + testAccBayConfig("laggy", n, "") }
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg(1)},
			{
				PreConfig: func() {
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "POST /v1/clusters/{id}/actions/resize", Kind: sim.FaultDropResponse}))
				},
				Config: cfg(2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("node_count"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("UPDATE_COMPLETE")),
				},
				Check: func(*terraform.State) error {
					if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] != 1 {
						return fmt.Errorf("the resize's answer was not dropped: %v", hits)
					}
					if bays := s.Clusters(); len(bays) != 1 || bays[0].NodeCount != 2 {
						return fmt.Errorf("the simulator holds %+v", bays)
					}
					return nil
				},
			},
		},
	})
}

// TestAccBay_upgradeRPCTimeoutIsSettled: Magnum's API answers an upgrade
// only when its conductor has (an RPC call, not a cast), and a conductor
// behind on its work lets the call time out: a 500 "Timed out waiting for a
// reply" while the conductor carries the upgrade out all the same (the capi
// stack, loaded, in a clean-clone CI rehearsal). The provider reads the bay
// before it reports anything, finds the upgrade under way, and waits for it:
// one upgrade request, no error, the bay on the new baymodel.
func TestAccBay_upgradeRPCTimeoutIsSettled(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, fastBays())
	cfg := func(template string) string { return bayOnTwoModels(s, "rpcbay", template) }
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{Config: cfg("v123")},
			{
				PreConfig: func() {
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "POST /v1/clusters/{id}/actions/upgrade", Kind: sim.FaultServedStatus,
						Status: 500, Message: "Timed out waiting for a reply to message ID 7f00eed21d37469bb55f811a883c88eb"}))
				},
				Config: cfg("v124"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("UPDATE_COMPLETE")),
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("coe_version"), knownvalue.StringExact(acctest.Kube().NextKubeTag)),
				},
				Check: func(*terraform.State) error {
					if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] != 1 {
						return fmt.Errorf("the upgrade was not answered with the RPC timeout: %v", hits)
					}
					if ups := s.Upgrades(); len(ups) != 1 {
						return fmt.Errorf("%d upgrade requests, want 1: %+v", len(ups), ups)
					}
					return nil
				},
			},
		},
	})
}

// TestAccBay_transient5xxDoesNotTaintAHealthyBay: Magnum answers 503 to
// the bay's reads for a while during the create. The bay is fine, so it
// must end in the state untainted; and when the reads fail for good, the
// error says the bay may be fine and how to untaint it.
func TestAccBay_transient5xxDoesNotTaintAHealthyBay(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "HTTP fault injection")
	s := acctest.StartSim(t, fastBays())
	cfg := func(name string) string { return acctest.ProviderBlock(s, "demo") + testAccBayConfig(name, 1, "") }
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				// 40 answers of 503 cover 8 polls with the client's 5
				// attempts each.
				PreConfig: func() {
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "GET /v1/clusters/{id}", Kind: sim.FaultStatus, Status: 503, Times: 40}))
				},
				Config: cfg("blinky"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
				},
				Check: func(*terraform.State) error {
					if hits := s.HTTPFaultHits(); len(hits) != 1 || hits[0] != 40 {
						return fmt.Errorf("the 503s were not all served: %v", hits)
					}
					return nil
				},
			},
			{
				Config:  cfg("blinky"),
				Destroy: true,
			},
			{
				PreConfig: func() {
					s.ClearHTTPFaults()
					mustSim(t, s.InjectHTTPFault(sim.HTTPFault{Route: "GET /v1/clusters/{id}", Kind: sim.FaultStatus, Status: 503, Times: -1}))
				},
				Config: cfg("unread"),
				ExpectError: errRegexp(`Bay "unread"`, "did not become ready", "HTTP status: 503", "marked tainted",
					"could not be read, not because the bay failed: it may well be healthy", "openstack coe cluster show",
					"terraform untaint <address>"),
			},
			{
				PreConfig: func() { s.ClearHTTPFaults() },
				Config:    cfg("unread"),
			},
		},
	})
}
