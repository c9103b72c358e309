package sim

import (
	"fmt"
	"slices"
)

// profile captures what differs between the Magnum releases the simulator
// can impersonate. Everything else is shared. The zed and 2025.1 profiles
// are checked against real Magnum 15.0.1 and 20.0.0 by internal/difftest;
// master is written from the source (see SIMULATOR.md for which commit
// each of its choices follows).
type profile struct {
	name       string
	maxVersion apiVersion
	// bays reports whether /v1/bays and /v1/baymodels exist. They were
	// removed, without a microversion gate, in 17.0.0 (2023.2); so was the
	// bay_uuid of certificates.
	bays bool
	// orchestration reports whether Heat is in the catalog. Cluster API
	// drivers need none.
	orchestration bool
	// coeEnum is the WSME enum of the coe field, in the order Magnum's
	// error message happened to print it in the captures.
	coeEnum []string
	// drivers lists the (server_type, os_distro, coe) tuples some enabled
	// driver claims.
	drivers [][3]string
	// networkDrivers and volumeDrivers are per COE. Magnum's error names
	// knownNetworkDrivers (the driver's list) when a network driver is
	// unknown, and the allowed ones when it is known but not allowed.
	networkDrivers      map[string][]string
	knownNetworkDrivers map[string][]string
	volumeDrivers       map[string][]string
	// templateDriver reports whether templates carry the "driver" field
	// (Magnum ≥ 18, 8a30ad34): the image's magnum_driver property, else
	// defaultDriver (null when empty).
	templateDriver bool
	defaultDriver  string
	// entryPoints names the installed drivers, which a magnum_driver image
	// property (or, on master, the request's driver: cb49cb1a) picks by
	// name, bypassing the (server_type, os_distro, coe) lookup.
	entryPoints   []string
	requestDriver bool
	// fixedNetworkAtAPI: the API refuses a cluster whose fixed network or
	// subnet Neutron does not have, with the conductor's texts, before the
	// row exists (measured on real 2025.1; Zed leaves it to the conductor,
	// which fails the create).
	fixedNetworkAtAPI bool
	// heatUpgradeRefused makes an upgrade of a Heat-driver cluster a 400
	// (Magnum ≥ 18, 2fd3059f): nothing changes on the cluster.
	heatUpgradeRefused bool
	// evenMastersRefused is the driver's validate_master_size (Magnum ≥ 18,
	// ab02c97d): an even master_count is refused before the load balancer
	// check.
	evenMastersRefused bool
	// templateByUUIDOnly: the decorator that runs validate_master_size
	// reads the cluster's template by UUID only (ab02c97d, Magnum 18 to 21;
	// a950ce71 in 22.0 fixed it), so a cluster created with the template's
	// name fails: 404 "ClusterTemplate <name> could not be found." (400
	// below 1.10, through ct_not_found_to_bad_request).
	templateByUUIDOnly bool
	// masterResizeRefusal is what resizing a Heat cluster's master
	// nodegroup answers.
	masterResizeRefusal string
	// unsetError is the 500 detail when wsme's Unset reaches the conductor
	// call (an upgrade without max_batch_size). Python's json module
	// (Zed) and oslo.serialization's msgpack (2025.1) word it differently.
	unsetError string
	// labelTypes is how WSME prints the label value types it accepts.
	labelTypes string
}

var zedProfile = &profile{
	name:          "zed",
	maxVersion:    apiVersion{1, 10},
	bays:          true,
	orchestration: true,
	coeEnum:       []string{"swarm-mode", "mesos", "dcos", "kubernetes", "swarm"},
	drivers: [][3]string{
		{"vm", "fedora-coreos", "kubernetes"},
		{"vm", "fedora-atomic", "kubernetes"},
		{"vm", "coreos", "kubernetes"},
		{"bm", "fedora", "kubernetes"},
		{"vm", "fedora-atomic", "swarm"},
		{"vm", "fedora-atomic", "swarm-mode"},
	},
	networkDrivers: map[string][]string{
		"kubernetes": {"flannel", "calico"},
		"swarm":      {"docker", "flannel"},
		"swarm-mode": {"docker", "flannel"},
	},
	volumeDrivers: map[string][]string{
		"kubernetes": {"cinder"},
		"swarm":      {"rexray"},
		"swarm-mode": {"rexray"},
	},
	masterResizeRefusal: "Resizing a master nodegroup is not supported.",
	unsetError:          "Circular reference detected",
	labelTypes:          "(<class 'str'>, (<class 'int'>,), <class 'bool'>, <class 'float'>)",
}

// 2025.1 (Magnum 20.0.0), as real Magnum 20 from Debian trixie answers:
// bays are gone, the COE enum is kubernetes only, and the one in-tree
// driver left is Heat's fedora-coreos, which refuses upgrades.
var epoxyProfile = &profile{
	name:           "2025.1",
	maxVersion:     apiVersion{1, 11},
	orchestration:  true,
	coeEnum:        []string{"kubernetes"},
	templateDriver: true,
	entryPoints:    []string{"k8s_fedora_coreos_v1"},
	drivers: [][3]string{
		{"vm", "fedora-coreos", "kubernetes"},
	},
	networkDrivers:      map[string][]string{"kubernetes": {"flannel", "calico"}},
	knownNetworkDrivers: map[string][]string{"kubernetes": {"flannel", "calico", "cilium"}},
	volumeDrivers:       map[string][]string{"kubernetes": {"cinder"}},
	heatUpgradeRefused:  true,
	fixedNetworkAtAPI:   true,
	evenMastersRefused:  true,
	templateByUUIDOnly:  true,
	masterResizeRefusal: "Resizing the master nodegroup is not supported by this driver.",
	unsetError:          "Cannot convert Unset to primitive",
	labelTypes:          "(<class 'str'>, <class 'int'>, <class 'bool'>, <class 'float'>)",
}

var profiles = map[string]*profile{
	"zed":    zedProfile,
	"2025.1": epoxyProfile,
	// The name this profile had while it was written from reading; kept
	// for callers that still use it.
	"2024.1": epoxyProfile,
	// master: the Heat driver is gone (31b84327), so no Heat and only
	// external Cluster API drivers (see capi-driver.md); what it shares
	// with 2025.1 follows the source history (SIMULATOR.md).
	"master": {
		name:           "master",
		maxVersion:     apiVersion{1, 14},
		coeEnum:        []string{"kubernetes"},
		templateDriver: true,
		defaultDriver:  "k8s_cluster_api_flatcar",
		requestDriver:  true,
		entryPoints: []string{"k8s_cluster_api_flatcar", "k8s_cluster_api_rockylinux", "k8s_cluster_api_ubuntu",
			"k8s_cluster_api_ubuntu_focal", "k8s_capi_helm_v1"},
		drivers: [][3]string{
			{"vm", "ubuntu", "kubernetes"},
			{"vm", "ubuntu-focal", "kubernetes"},
			{"vm", "debian", "kubernetes"},
			{"vm", "flatcar", "kubernetes"},
			{"vm", "rockylinux", "kubernetes"},
		},
		networkDrivers:      map[string][]string{"kubernetes": {"flannel", "calico", "cilium"}},
		knownNetworkDrivers: map[string][]string{"kubernetes": {"flannel", "calico", "cilium"}},
		volumeDrivers:       map[string][]string{"kubernetes": {"cinder"}},
		unsetError:          "Cannot convert Unset to primitive",
		labelTypes:          "(<class 'str'>, <class 'int'>, <class 'bool'>, <class 'float'>)",
	},
}

func lookupProfile(name string) (*profile, error) {
	if name == "" {
		name = "zed"
	}
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (want zed, 2025.1 or master)", name)
	}
	return p, nil
}

func (p *profile) driverSupported(serverType, osDistro, coe string) bool {
	return slices.Contains(p.drivers, [3]string{serverType, osDistro, coe})
}

// templateDriverFor is the "driver" a new template gets (Magnum ≥ 18):
// the image's magnum_driver property, else the release's default, which
// is none before master.
func (p *profile) templateDriverFor(img map[string]any) any {
	if d := str(img, "magnum_driver"); d != "" {
		return d
	}
	if p.defaultDriver != "" {
		return p.defaultDriver
	}
	return nil
}

// defaultNetworkDriver is [cluster_template]<coe>_default_network_driver.
func defaultNetworkDriver(coe string) string {
	if coe == "kubernetes" {
		return "flannel"
	}
	return "docker"
}
