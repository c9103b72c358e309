package diagnose

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Magnum refuses a COE that no enabled driver provides in one of three
// ways, depending on the release: its COE validator ("Requested COE type
// mesos is not supported.", Zed), its driver lookup by (server_type,
// os_distro, coe) ("Cluster type (vm, fedora-coreos, swarm) not
// supported.", any release), or the request schema once the COE enum
// itself shrank to kubernetes (Magnum 18.0, 2024.1, bc79012f; real Magnum
// 20 answers "Value should be one of: kubernetes"). None says which
// engines the drivers really provide (Zed's enum still lists mesos), and
// Magnum has no API listing its drivers, so the provider adds what it can
// infer from the API version the cloud offers and the way it refused, and
// says so.

var (
	refusedCOERegexp         = regexp.MustCompile(`Requested COE type (\S+) is not supported\.`)
	refusedClusterTypeRegexp = regexp.MustCompile(`Cluster type \(([^,()]*), ([^,()]*), ([^,()]*)\) not supported\.`)
	refusedCOEEnumRegexp     = regexp.MustCompile(`Invalid input for field/attribute coe\. Value: '([^']*)'\. Value should be one of:`)
)

// coeInference is what the drivers of a range of Magnum releases accept.
type coeInference struct {
	coes    []string
	release string
	distros string
}

// inferCOEs goes by the newest microversion the cloud offers, not the one
// the provider negotiated (which a pin may lower), and by whether the
// request schema refused the COE (enumRefusal). Each Magnum release raised
// the microversion at most once: 1.10 up to 16.0 (2023.1); 1.11 from 17.0
// (2023.2, which removed the bay API but still had swarm drivers) to 20.0
// (2025.1); 1.12 in 21.0 and 22.0 (2025.2, 2026.1); 1.13 and 1.14 on
// master only, whose in-tree Heat driver is gone too. From 18.0 the COE
// enum is kubernetes alone.
func inferCOEs(serverMax magnum.Version, enumRefusal bool) coeInference {
	if serverMax.Less(magnum.Version{Major: 1, Minor: 11}) {
		return coeInference{
			coes:    []string{"kubernetes", "swarm", "swarm-mode"},
			release: "Magnum 16.0 (2023.1) or older, whose in-tree drivers run on Heat",
			distros: "kubernetes on images with os_distro fedora-coreos (older drivers: fedora-atomic, coreos); swarm and swarm-mode on fedora-atomic",
		}
	}
	inf := coeInference{
		coes:    []string{"kubernetes"},
		distros: "kubernetes on the os_distro values the installed driver claims (fedora-coreos for the Heat driver where it remains; for example ubuntu, flatcar or rockylinux for Cluster API drivers)",
	}
	switch {
	case serverMax.Less(magnum.Version{Major: 1, Minor: 12}) && enumRefusal:
		inf.release = "a Magnum release from 18.0 (2024.1) to 20.0 (2025.1), whose request schema knows no COE but kubernetes (swarm was removed in 18.0)"
	case serverMax.Less(magnum.Version{Major: 1, Minor: 12}):
		inf.coes = []string{"kubernetes", "swarm", "swarm-mode"}
		inf.release = "a Magnum release from 17.0 (2023.2) to 20.0 (2025.1); only 17.0 still has swarm drivers"
		inf.distros = "kubernetes on fedora-coreos for the Heat driver, or on what a Cluster API driver claims; swarm and swarm-mode (17.0 only) on fedora-atomic"
	case serverMax.Less(magnum.Version{Major: 1, Minor: 13}):
		inf.release = "Magnum 21.0 (2025.2) or 22.0 (2026.1), which has only Kubernetes drivers"
	default:
		inf.release = "a Magnum newer than 22.0 (2026.1), which has only Kubernetes drivers, all outside Magnum (Cluster API)"
	}
	return inf
}

// IsRefusedCOE reports whether message is one of Magnum's ways of refusing
// a COE or its image, which RefusedCOE explains (the caller then asks the
// cloud for its newest microversion).
func IsRefusedCOE(message string) bool {
	_, d := RefusedCOE(message, magnum.Version{Major: 1, Minor: 1})
	return d != ""
}

// RefusedCOE is the text added to Magnum's message when it refused a
// baymodel's COE: which COEs the cloud accepts, labelled as inferred from
// serverMax, the newest API microversion it offers; "" for other messages.
func RefusedCOE(message string, serverMax magnum.Version) (summary, detail string) {
	coe, tuple, enumRefusal := "", "", false
	if m := refusedCOERegexp.FindStringSubmatch(message); m != nil {
		coe = m[1]
	} else if m := refusedClusterTypeRegexp.FindStringSubmatch(message); m != nil {
		coe = m[3]
		tuple = describeClusterType(m[1], m[2], m[3])
		if m[2] == "Unset" {
			// The image is what is wrong, not the engine.
			return "", "\n\n" + tuple
		}
	} else if m := refusedCOEEnumRegexp.FindStringSubmatch(message); m != nil {
		coe, enumRefusal = m[1], true
	} else {
		return "", ""
	}
	inf := inferCOEs(serverMax, enumRefusal)
	summary = "This cloud does not accept the baymodel's COE"
	if slices.Contains(inf.coes, coe) {
		summary = "No driver on this cloud accepts the baymodel's image for its COE"
	}
	var b strings.Builder
	if tuple != "" {
		b.WriteString("\n\n")
		b.WriteString(tuple)
	}
	fmt.Fprintf(&b, "\n\nCOEs this cloud accepts (inferred): %s.", strings.Join(inf.coes, ", "))
	if !slices.Contains(inf.coes, coe) {
		fmt.Fprintf(&b, " %q is not among them.", coe)
	}
	fmt.Fprintf(&b, " Magnum has no API that lists its drivers, so this is inferred from the API version the cloud offers "+
		"(up to %s, which means %s); the cloud's operators may have enabled fewer drivers. Drivers by image: %s.",
		serverMax, inf.release, inf.distros)
	return summary, b.String()
}

// describeClusterType explains Magnum's driver lookup key, whose middle
// part is not from the request but from the image.
func describeClusterType(serverType, distro, coe string) string {
	var image string
	switch distro {
	case "Unset":
		image = "Magnum could not find the image in Glance (check image_id), so it had no os_distro to match"
	case "None":
		image = "the image has no os_distro property, which Magnum's drivers match on"
	default:
		image = fmt.Sprintf("the image's os_distro property is %q", distro)
	}
	return fmt.Sprintf("No enabled driver handles server_type %q with coe %q on this image: %s.", serverType, coe, image)
}
