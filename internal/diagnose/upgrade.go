package diagnose

import (
	"fmt"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Upgrades: when the cloud will not upgrade a bay in place, the plan
// replaces it, and these texts say why and how to keep the old bay
// serving meanwhile.

// UpgradeSupportUnknown: asking the cloud whether it upgrades bays failed,
// so the plan replaces the bay.
func UpgradeSupportUnknown(err error) (summary, detail string) {
	return "Could not tell whether the cloud supports upgrades",
		"Planning a replacement of the bay instead of an in-place upgrade.\n\n" + APIError(err)
}

// UpgradeReplaces: bay name moves to another baymodel, but the cloud will
// not upgrade it in place, for reason why (UpgradeRefusedBefore,
// HeatUpgradeRefused).
func UpgradeReplaces(name, why string) (summary, detail string) {
	return "This bay cannot be upgraded in place; the plan replaces it",
		fmt.Sprintf("Bay %q moves to another baymodel, but %s.\n\n"+
			"So the plan replaces the bay: a new bay is built from the new baymodel and the old one is deleted, with "+
			"everything running on it. To keep the old bay serving until the new one is ready, declare the new bay as a "+
			"second resource with its own name and move the workloads first (create_before_destroy cannot keep the name: "+
			"two bays of one name make every look-up ambiguous; see the upgrades guide). To upgrade bays "+
			"in place, build them from a baymodel on a Cluster API driver (an image whose magnum_driver property names "+
			"one, such as k8s_capi_helm_v1), which Magnum upgrades in place.", name, why)
}

// UpgradeRefusedBefore is UpgradeReplaces' reason when the cloud refused
// an upgrade of this bay before, in words message.
func UpgradeRefusedBefore(message string) string {
	return fmt.Sprintf("the cloud refused to upgrade it in place before: %q", message)
}

// HeatUpgradeRefused is UpgradeReplaces' reason when the bay's baymodel ct
// is on Magnum's Heat driver, which Magnum 18.0 and later do not upgrade.
func HeatUpgradeRefused(ct magnum.ClusterTemplate) string {
	driver := ct.Driver
	if driver == "" {
		driver = "none named, so Magnum's Heat driver " + magnum.HeatDriverName + " for os_distro " + ct.ClusterDistro
	}
	return fmt.Sprintf("its baymodel %q (%s) runs on Magnum's Heat driver (driver: %s), and this cloud, Magnum 18.0 (2024.1) or later "+
		"(it reports baymodel drivers), refuses to upgrade Heat bays in place: \"Upgrading a cluster that uses the Magnum Heat "+
		"driver is not supported.\"", ct.Name, ct.UUID, driver)
}

// UpgradeRefusedUnchanged follows a failed upgrade that Magnum refused
// before anything changed.
func UpgradeRefusedUnchanged() string {
	return "\n\nThe bay is unchanged. The next plan replaces it instead of upgrading it in place; to keep the old " +
		"bay serving until the new one is ready, declare the new bay as a second resource with its own name (see the upgrades guide)."
}

// DowngradeUnknown: the kube_tag labels of from and to cannot be compared
// (why), so the provider lets bay move from one to the other.
func DowngradeUnknown(bay, from, to string, why error) (summary, detail string) {
	return "Cannot tell whether this upgrade is a downgrade",
		fmt.Sprintf("Bay %q moves from baymodel %q to baymodel %q, but %v, so the provider does not refuse it. "+
			"Make sure the new baymodel's Kubernetes version is not older: Kubernetes does not support downgrades.",
			bay, from, to, why)
}

// DowngradeRefused: moving bay from baymodel from to to lowers kube_tag.
func DowngradeRefused(bay string, from, to magnum.ClusterTemplate) (summary, detail string) {
	fromTag, toTag := from.Labels["kube_tag"], to.Labels["kube_tag"]
	return "Bay downgrade refused",
		fmt.Sprintf("Bay %q would move from baymodel %q (%s, kube_tag %s) to baymodel %q (%s, kube_tag %s), an older Kubernetes version. "+
			"Kubernetes does not support downgrades, and Magnum's drivers fail or refuse them part-way through.\n\n"+
			"Point baymodel_id at a baymodel with kube_tag %s or newer. To downgrade anyway, set upgrade = { allow_downgrade = true }; "+
			"to rebuild the bay at the older version, replace it (for example with a new name).",
			bay, from.Name, from.UUID, fromTag, to.Name, to.UUID, toTag, fromTag)
}

// NoUpgradeLabels: Magnum refuses to upgrade bay, which runs baymodel
// current, to to, which has no label its drivers upgrade by.
func NoUpgradeLabels(bay, current string, to magnum.ClusterTemplate) (summary, detail string) {
	return "Magnum cannot upgrade the bay to this baymodel",
		fmt.Sprintf("Bay %q runs baymodel %s. Magnum upgrades a bay in place only to a baymodel with a kube_tag label "+
			"(or ostree_commit or ostree_remote on Fedora CoreOS), and baymodel %q (%s) has none: Magnum would refuse the upgrade "+
			"and leave the bay UPDATE_FAILED, on every apply.\n\n"+
			"If the bay was moved to its current baymodel outside Terraform, point baymodel_id at that baymodel to keep the bay as it is. "+
			"Otherwise add a kube_tag label to baymodel %q, or rebuild the bay (for example under a new name).",
			bay, current, to.Name, to.UUID, to.Name)
}

// UpgradeNotApplied explains an upgrade Magnum reported complete while the
// bay still runs another Kubernetes release than its new baymodel's
// kube_tag. vexxhost's magnum-cluster-api (0.16.0) does this to an upgrade
// back to a release the bay ran before: it compares the new kube_tag with
// the bay's kube_tag label, which its own earlier upgrade left at the old
// value, sees no change, and leaves the cluster as it is.
func UpgradeNotApplied(bay, baymodel, kubeTag, coeVersion string) (summary, detail string) {
	summary = fmt.Sprintf("Bay %q still runs Kubernetes %s after its upgrade", bay, coeVersion)
	detail = fmt.Sprintf("Magnum reports the upgrade of bay %q to baymodel %q (kube_tag %s) complete, but the bay reports "+
		"coe_version %s: its driver did not apply the release. vexxhost's magnum-cluster-api does this to an upgrade back to a "+
		"release the bay ran before (it compares the baymodel's kube_tag with the bay's kube_tag label, which its earlier "+
		"upgrade left unchanged). The bay now names the new baymodel; to run %s, replace the bay.", bay, baymodel, kubeTag,
		coeVersion, kubeTag)
	return summary, detail
}
