package diagnose

import (
	"fmt"
	"strings"
)

// Look-ups, credentials and the clients' setup: what the cloud answered or
// lacks, and what the user can do about it.

// NotReadable: kind ident, named by the configuration, could not be read
// for purpose ("to create the bay from").
func NotReadable(kind, ident, purpose string, err error) (summary, detail string) {
	return strings.ToUpper(kind[:1]) + kind[1:] + " not found",
		fmt.Sprintf("Could not read %s %q %s.\n\n%s", kind, ident, purpose, APIError(err))
}

// CouldNotFind: an import found no what (`bay "x" by UUID or name`).
func CouldNotFind(what string, err error) string {
	return fmt.Sprintf("Could not find %s.\n\n%s", what, APIError(err))
}

// DefaultNodegroupImport refuses to import one of a bay's default
// nodegroups, which Magnum cannot delete.
func DefaultNodegroupImport(name string) (summary, detail string) {
	return "Cannot import a default nodegroup",
		fmt.Sprintf("%q is one of the bay's default nodegroups, which magnum_bay manages (node_count, master_count); Magnum cannot delete it.", name)
}

// EphemeralBayMissing follows a 404 for a bay that an ephemeral resource
// names by name: the bay may be the one this apply creates.
func EphemeralBayMissing() string {
	return "\n\nIf this configuration creates the bay, refer to it by id (id = magnum_bay.<name>.id): " +
		"the id is unknown until the bay exists, so Terraform waits for it before opening the credentials."
}

// NoAPIAddress: bay name, in status, has no endpoint yet.
func NoAPIAddress(name, status string) (summary, detail string) {
	return fmt.Sprintf("Bay %q has no API address yet", name),
		fmt.Sprintf("The bay is %s, and Magnum publishes its endpoint only once it is created. "+
			"Refer to the bay through the magnum_bay resource (e.g. id = magnum_bay.example.id), so Terraform waits for it.", status)
}

// NoClientCredentials: Magnum signs no client certificates for bay name's
// engine coe.
func NoClientCredentials(name, coe string) (summary, detail string) {
	return fmt.Sprintf("Bay %q has no client credentials", name),
		fmt.Sprintf("Its engine is %q; Magnum signs client certificates only for kubernetes, swarm and swarm-mode bays.", coe)
}

// CredentialsKept is the warning of a refresh that could not renew a
// bay's credentials (err from the certificate API) and kept the old ones.
func CredentialsKept(err error) string {
	return "The bay's credentials were left as they were; the next refresh tries again.\n\n" + CertificateError(err)
}

// QuotaExists follows Magnum's 409 to a quota create: the project already
// has one, which import brings under Terraform.
func QuotaExists(project, resource string) string {
	return fmt.Sprintf("\n\nThe project already has a quota. Bring it under Terraform with:\n  terraform import <address> %s/%s", project, resource)
}

// MagnumClientSetup: the Magnum client could not be set up (err, such as
// no container-infra endpoint in the catalog) with these settings.
func MagnumClientSetup(err error, region, availability, overrideKey string) (summary, detail string) {
	return "Cannot set up the Magnum client",
		fmt.Sprintf("%s. Check region (%q), endpoint_type (%q) and endpoint_overrides[%q].", err, region, availability, overrideKey)
}

// HeatUnavailable: the orchestration client could not be set up; bays
// still work.
func HeatUnavailable(err error) (summary, detail string) {
	return "Heat is unavailable",
		fmt.Sprintf("The orchestration client could not be set up (%s). Bays still work, but failure messages "+
			"will lack the failed Heat resources.", err)
}
