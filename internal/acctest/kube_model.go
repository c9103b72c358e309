package acctest

import (
	"fmt"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// KubeModel is what a kubernetes baymodel of the acceptance tests names so
// that the target's driver builds its bays: on the simulator and on the
// real zed and 2025.1 targets the Heat driver's fedora-coreos image, on
// the capi target an Ubuntu image whose Glance property magnum_driver
// selects magnum-cluster-api (scripts/real-magnum/capi-fixtures.json).
type KubeModel struct {
	Image  string // image_id
	Flavor string // flavor_id
	// MasterFlavor is set where the driver needs it: magnum-cluster-api
	// 0.16.0 boots the control plane on the template's master_flavor_id
	// as it is, and without one its server is never created ("error
	// getting flavor from flavor name : Resource not found") and the bay
	// stays CREATE_IN_PROGRESS for ever.
	MasterFlavor  string
	NetworkDriver string // network_driver
	// DNSNameserver is set where the driver needs it: magnum-cluster-api
	// 0.16.0 splits it unguarded and fails every create without one.
	DNSNameserver string
	KubeTag       string // labels.kube_tag; the driver's Kubernetes release
	// NextImage and NextKubeTag are the same for the release after
	// KubeTag, for upgrades.
	NextImage   string
	NextKubeTag string
}

// Kube is the target's KubeModel.
func Kube() KubeModel {
	if CAPITarget() {
		// The driver runs kube_tag's release, which must be the image's
		// (its kube_version). calico is the network driver its docs and
		// chart default to (the capi differential check has also seen a
		// flannel bay complete).
		return KubeModel{
			Image: "ubuntu-2204-kube-v1.26.11", Flavor: "m1.medium", MasterFlavor: "m1.medium", NetworkDriver: "calico", DNSNameserver: "8.8.8.8",
			KubeTag: "v1.26.11", NextImage: "ubuntu-2204-kube-v1.27.4", NextKubeTag: "v1.27.4",
		}
	}
	return KubeModel{
		Image: "fedora-coreos-35", Flavor: "m1.small", NetworkDriver: "flannel",
		KubeTag: "v1.23.3-rancher1", NextImage: "fedora-coreos-35", NextKubeTag: "v1.24.3-rancher1",
	}
}

// Next is the model of the next Kubernetes release, for upgrades.
func (k KubeModel) Next() KubeModel {
	k.Image, k.KubeTag = k.NextImage, k.NextKubeTag
	return k
}

// Attributes renders the model as a baymodel's attribute lines, indented
// for a resource block: image_id, flavor_id, network_driver, and
// master_flavor_id and dns_nameserver where the target needs them. The caller writes the labels
// (with KubeTag) and whatever else the test is about.
func (k KubeModel) Attributes() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  image_id            = %q\n", k.Image)
	fmt.Fprintf(&b, "  flavor_id           = %q\n", k.Flavor)
	if k.MasterFlavor != "" {
		fmt.Fprintf(&b, "  master_flavor_id    = %q\n", k.MasterFlavor)
	}
	fmt.Fprintf(&b, "  network_driver      = %q\n", k.NetworkDriver)
	if k.DNSNameserver != "" {
		fmt.Fprintf(&b, "  dns_nameserver      = %q\n", k.DNSNameserver)
	}
	return b.String()
}

// Fields is the model as the fields of a cluster template create body,
// kube_tag label included, for tests that make baymodels through Magnum's
// API rather than Terraform.
func (k KubeModel) Fields() map[string]any {
	f := map[string]any{"image_id": k.Image, "flavor_id": k.Flavor, "network_driver": k.NetworkDriver,
		"labels": map[string]string{"kube_tag": k.KubeTag}}
	if k.DNSNameserver != "" {
		f["dns_nameserver"] = k.DNSNameserver
	}
	if k.MasterFlavor != "" {
		f["master_flavor_id"] = k.MasterFlavor
	}
	return f
}

// Template fills the model's fields, kube_tag label included, into a
// cluster template create request.
func (k KubeModel) Template(ct magnum.ClusterTemplateCreate) magnum.ClusterTemplateCreate {
	str := func(v string) *string { return &v }
	ct.ImageID, ct.FlavorID, ct.NetworkDriver = k.Image, str(k.Flavor), str(k.NetworkDriver)
	if k.DNSNameserver != "" {
		ct.DNSNameserver = str(k.DNSNameserver)
	}
	if k.MasterFlavor != "" {
		ct.MasterFlavorID = str(k.MasterFlavor)
	}
	if ct.Labels == nil {
		ct.Labels = map[string]string{}
	}
	ct.Labels["kube_tag"] = k.KubeTag
	return ct
}
