package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Magnum refuses a COE that no enabled driver provides in one of three
// ways, depending on the release: its COE validator ("Requested COE type
// mesos is not supported.", Zed), its driver lookup by (server_type,
// os_distro, coe) ("Cluster type (vm, fedora-coreos, swarm) not
// supported.", 2023.2 to 2025.2), or the request schema once the COE
// enum itself shrank to kubernetes (master). None says which engines the
// drivers really provide (Zed's enum still lists mesos), and Magnum has no
// API listing its drivers, so the provider adds what it can infer from the
// API version the cloud offers, and says so.

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
// the provider negotiated (which a pin may lower). Microversion 1.11 came
// with Magnum 17.0 (2023.2), the release that removed the bay API; the
// swarm drivers were gone by then, leaving only Kubernetes drivers (Heat
// fedora-coreos until its removal, and the external Cluster API drivers).
func inferCOEs(serverMax magnum.Version) coeInference {
	if serverMax.Less(magnum.Version{Major: 1, Minor: 11}) {
		return coeInference{
			coes:    []string{"kubernetes", "swarm", "swarm-mode"},
			release: "Magnum 16.0 (2023.1) or older, whose in-tree drivers run on Heat",
			distros: "kubernetes on images with os_distro fedora-coreos (older drivers: fedora-atomic, coreos); swarm and swarm-mode on fedora-atomic",
		}
	}
	return coeInference{
		coes:    []string{"kubernetes"},
		release: "Magnum 17.0 (2023.2) or newer, which has only Kubernetes drivers",
		distros: "kubernetes on the os_distro values the installed driver claims (fedora-coreos for the Heat driver where it remains; for example ubuntu, flatcar or rockylinux for Cluster API drivers)",
	}
}

// refusedCOEHint explains a refused COE: a diagnostic summary and text to
// add to Magnum's message, both empty for other errors.
func refusedCOEHint(ctx context.Context, client *magnum.Client, err error) (summary, detail string) {
	var me *magnum.Error
	if client == nil || !errors.As(err, &me) || me.StatusCode != 400 {
		return "", ""
	}
	if _, d := explainRefusedCOE(me.Message, magnum.Version{Major: 1, Minor: 1}); d == "" {
		return "", ""
	}
	_, serverMax, verr := client.ServerVersions(ctx)
	if verr != nil {
		return "", ""
	}
	return explainRefusedCOE(me.Message, serverMax)
}

// explainRefusedCOE is the text added to Magnum's message: which COEs the
// cloud accepts, labelled as inferred from its newest API microversion.
func explainRefusedCOE(message string, serverMax magnum.Version) (summary, detail string) {
	coe, tuple := "", ""
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
		coe = m[1]
	} else {
		return "", ""
	}
	inf := inferCOEs(serverMax)
	summary = "This cloud does not accept the baymodel's COE"
	if contains(inf.coes, coe) {
		summary = "No driver on this cloud accepts the baymodel's image for its COE"
	}
	var b strings.Builder
	if tuple != "" {
		b.WriteString("\n\n")
		b.WriteString(tuple)
	}
	fmt.Fprintf(&b, "\n\nCOEs this cloud accepts (inferred): %s.", strings.Join(inf.coes, ", "))
	if !contains(inf.coes, coe) {
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
