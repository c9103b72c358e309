package sim

import (
	"fmt"
	"slices"
)

// profile captures what differs between the Magnum releases the simulator
// can impersonate. Everything else is shared.
type profile struct {
	name       string
	maxVersion apiVersion
	// bays reports whether /v1/bays and /v1/baymodels exist. They were
	// removed, without a microversion gate, in 17.0.0 (2023.2).
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
	// networkDrivers and volumeDrivers are per COE.
	networkDrivers map[string][]string
	volumeDrivers  map[string][]string
	// templateDriver reports whether templates carry the "driver" field
	// (Magnum ≥ 18).
	templateDriver bool
}

var profiles = map[string]*profile{
	"zed": {
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
	},
	// 2024.1 (Magnum 18): bays are gone and the swarm and Atomic drivers
	// were dropped; the Heat fedora-coreos driver remains and a Cluster
	// API driver may be installed next to it.
	"2024.1": {
		name:           "2024.1",
		maxVersion:     apiVersion{1, 11},
		orchestration:  true,
		coeEnum:        []string{"swarm-mode", "mesos", "dcos", "kubernetes", "swarm"},
		templateDriver: true,
		drivers: [][3]string{
			{"vm", "fedora-coreos", "kubernetes"},
			{"vm", "ubuntu", "kubernetes"},
			{"vm", "flatcar", "kubernetes"},
		},
		networkDrivers: map[string][]string{"kubernetes": {"flannel", "calico"}},
		volumeDrivers:  map[string][]string{"kubernetes": {"cinder"}},
	},
	// master: no in-tree driver, only external Cluster API ones (see
	// capi-driver.md), so no Heat and only kubernetes.
	"master": {
		name:           "master",
		maxVersion:     apiVersion{1, 14},
		coeEnum:        []string{"kubernetes"},
		templateDriver: true,
		drivers: [][3]string{
			{"vm", "ubuntu", "kubernetes"},
			{"vm", "ubuntu-focal", "kubernetes"},
			{"vm", "debian", "kubernetes"},
			{"vm", "flatcar", "kubernetes"},
			{"vm", "rockylinux", "kubernetes"},
		},
		networkDrivers: map[string][]string{"kubernetes": {"flannel", "calico", "cilium"}},
		volumeDrivers:  map[string][]string{"kubernetes": {"cinder"}},
	},
}

func lookupProfile(name string) (*profile, error) {
	if name == "" {
		name = "zed"
	}
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (want zed, 2024.1 or master)", name)
	}
	return p, nil
}

func (p *profile) driverSupported(serverType, osDistro, coe string) bool {
	return slices.Contains(p.drivers, [3]string{serverType, osDistro, coe})
}

// driverName is what Magnum ≥ 18 reports in a template's "driver" field.
func (p *profile) driverName(osDistro string) string {
	switch osDistro {
	case "fedora-coreos":
		return "k8s_fedora_coreos_v1"
	case "":
		return ""
	}
	return "k8s_cluster_api_" + osDistro
}

// defaultNetworkDriver is [cluster_template]<coe>_default_network_driver.
func defaultNetworkDriver(coe string) string {
	if coe == "kubernetes" {
		return "flannel"
	}
	return "docker"
}
