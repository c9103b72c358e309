package diagnose

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// magnumClusterAPIDriverPrefix starts the names of vexxhost's
// magnum-cluster-api drivers (k8s_cluster_api_ubuntu, _flatcar, ...), as
// Magnum reports them in a cluster template's driver field.
const magnumClusterAPIDriverPrefix = "k8s_cluster_api_"

// MissingDNSNameserver warns about a baymodel whose driver is
// magnum-cluster-api and which has no dns_nameserver: the driver splits
// the field without a default when it builds the Cluster API cluster, so
// every bay created from the baymodel fails at once. Seen with Magnum 20
// and magnum-cluster-api 0.16.0 (Debian trixie's); the driver's main
// branch reads the field the same way. The openstack CLI hides it by
// sending 8.8.8.8 when none is given. Both strings are "" when there is
// nothing to warn about.
func MissingDNSNameserver(baymodel, driver, dnsNameserver string) (summary, detail string) {
	if dnsNameserver != "" || !strings.HasPrefix(driver, magnumClusterAPIDriverPrefix) {
		return "", ""
	}
	summary = fmt.Sprintf("Baymodel %q has no dns_nameserver, which its Cluster API driver needs", baymodel)
	detail = fmt.Sprintf("Magnum reports driver %q for baymodel %q: vexxhost's magnum-cluster-api, which reads dns_nameserver "+
		"without a default when it builds a bay (release 0.16.0 and its main branch alike). Every bay created from this baymodel "+
		"then fails at once: CREATE_FAILED, status_reason \"'NoneType' object has no attribute 'split'\".\n\n"+
		"Set dns_nameserver to the resolvers the bays' nodes should use (comma-separated; the openstack CLI sends 8.8.8.8 "+
		"when none is given). The provider sets no default of its own, so that no existing plan changes.", driver, baymodel)
	return summary, detail
}

// MissingMasterFlavor warns about a baymodel whose driver is
// magnum-cluster-api and which has no master_flavor_id: Magnum gives a bay
// the baymodel's master flavor unless the bay names one, the driver's
// validation lets a missing one through, and the control plane's machine
// then has no flavor, so its server is never created and the bay stays
// CREATE_IN_PROGRESS until its create timeout. Seen with Magnum 20 and
// magnum-cluster-api 0.16.0 (Debian trixie's). Both strings are "" when
// there is nothing to warn about.
func MissingMasterFlavor(baymodel, driver, masterFlavor string) (summary, detail string) {
	if masterFlavor != "" || !strings.HasPrefix(driver, magnumClusterAPIDriverPrefix) {
		return "", ""
	}
	summary = fmt.Sprintf("Baymodel %q has no master_flavor_id, which its Cluster API driver needs", baymodel)
	detail = fmt.Sprintf("Magnum reports driver %q for baymodel %q: vexxhost's magnum-cluster-api, which boots a bay's "+
		"control plane on the bay's master_flavor_id, or else the baymodel's, and does not refuse a bay with neither: "+
		"its control-plane server is then never created (\"error getting flavor from flavor name : Resource not found\" "+
		"on the Cluster API machine), and the bay stays CREATE_IN_PROGRESS until its create timeout.\n\n"+
		"Set master_flavor_id on the baymodel, or on every bay created from it.", driver, baymodel)
	return summary, detail
}

// capiStackID is the stack_id magnum-cluster-api gives a bay: the name of
// its Cluster API cluster, saved before anything can fail.
var capiStackID = regexp.MustCompile(`^kube-[a-z0-9]{5}$`)

// DNSNameserverFailure explains a create that magnum-cluster-api failed at
// once for want of the baymodel's dns_nameserver (MissingDNSNameserver);
// "" for any other failure.
func DNSNameserverFailure(c *magnum.Cluster) string {
	if c == nil || c.Status != "CREATE_FAILED" || c.StatusReason != "'NoneType' object has no attribute 'split'" ||
		!capiStackID.MatchString(c.StackID) {
		return ""
	}
	return "This is how vexxhost's magnum-cluster-api driver fails a bay whose baymodel has no dns_nameserver " +
		"(it splits the field without a default). Set dns_nameserver on the baymodel; the next apply then replaces this bay."
}
