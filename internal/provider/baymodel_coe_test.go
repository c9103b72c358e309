package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestExplainRefusedCOE(t *testing.T) {
	tests := []struct {
		name    string
		message string
		max     magnum.Version
		summary string
		want    []string
		notWant []string
	}{
		{
			name: "Zed refuses mesos", message: "Requested COE type mesos is not supported.", max: magnum.Version{Major: 1, Minor: 10},
			summary: "This cloud does not accept the baymodel's COE",
			want:    []string{"COEs this cloud accepts (inferred): kubernetes, swarm, swarm-mode.", `"mesos" is not among them`, "up to 1.10", "Magnum has no API that lists its drivers"},
		},
		{
			name: "current Magnum refuses swarm on ubuntu", message: "Cluster type (vm, ubuntu, swarm) not supported.", max: magnum.Version{Major: 1, Minor: 14},
			want: []string{`server_type "vm" with coe "swarm"`, `os_distro property is "ubuntu"`, "accepts (inferred): kubernetes.", `"swarm" is not among them`, "up to 1.14"},
		},
		{
			name: "a supported COE on the wrong image", message: "Cluster type (vm, None, kubernetes) not supported.", max: magnum.Version{Major: 1, Minor: 10},
			summary: "No driver on this cloud accepts the baymodel's image for its COE",
			want:    []string{"the image has no os_distro property", "kubernetes, swarm, swarm-mode."},
			notWant: []string{"is not among them"},
		},
		{
			name: "an image Magnum could not read", message: "Cluster type (vm, Unset, kubernetes) not supported.", max: magnum.Version{Major: 1, Minor: 11},
			want:    []string{"Magnum could not find the image in Glance"},
			notWant: []string{"accepts (inferred)"},
		},
		{
			name: "master's request schema refuses swarm", message: "Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes", max: magnum.Version{Major: 1, Minor: 14},
			want: []string{"accepts (inferred): kubernetes.", `"swarm" is not among them`},
		},
		{
			name: "2025.1's schema refuses swarm", message: "Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes", max: magnum.Version{Major: 1, Minor: 11},
			summary: "This cloud does not accept the baymodel's COE",
			want:    []string{"accepts (inferred): kubernetes.", `"swarm" is not among them`, "up to 1.11, which means a Magnum release from 18.0 (2024.1) to 20.0 (2025.1)"},
		},
		{
			name: "17.0's drivers refuse swarm on Fedora CoreOS", message: "Cluster type (vm, fedora-coreos, swarm) not supported.", max: magnum.Version{Major: 1, Minor: 11},
			summary: "No driver on this cloud accepts the baymodel's image for its COE",
			want:    []string{`os_distro property is "fedora-coreos"`, "from 17.0 (2023.2) to 20.0 (2025.1); only 17.0 still has swarm drivers", "on fedora-atomic"},
			notWant: []string{"is not among them"},
		},
		{name: "another error", message: "Network driver type docker is not supported, expecting a flannel/calico/unspecified network driver.", max: magnum.Version{Major: 1, Minor: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			summary, got := explainRefusedCOE(tt.message, tt.max)
			if tt.summary != "" && summary != tt.summary {
				t.Errorf("summary = %q, want %q", summary, tt.summary)
			}
			if len(tt.want) == 0 && (got != "" || summary != "") {
				t.Fatalf("explainRefusedCOE(%q) = %q, want nothing added", tt.message, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("explainRefusedCOE(%q) = %q, want it to contain %q", tt.message, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("explainRefusedCOE(%q) = %q, must not contain %q", tt.message, got, w)
				}
			}
		})
	}
}

// TestAccBaymodel_refusedCOE creates a baymodel with a COE the cloud's
// drivers do not provide: the error keeps Magnum's words and adds which
// COEs that cloud accepts, as inferred from its API version.
func TestAccBaymodel_refusedCOE(t *testing.T) {
	tests := []struct {
		profile, coe, image string
		want                []string // in order; Terraform wraps lines anywhere
	}{
		{"zed", "mesos", "fedora-coreos-35", []string{"This cloud does not accept the baymodel's COE",
			"Requested COE type mesos is not supported.", "COEs this cloud accepts (inferred): kubernetes, swarm, swarm-mode.", "up to 1.10"}},
		// A COE the drivers provide, on an image none of them claims.
		{"2025.1", "kubernetes", "fedora-21-atomic-5", []string{"No driver on this cloud accepts the baymodel's image for its COE",
			"Cluster type (vm, fedora-atomic, kubernetes) not supported.",
			`No enabled driver handles server_type "vm" with coe "kubernetes" on this image: the image's os_distro property is "fedora-atomic".`,
			"COEs this cloud accepts (inferred): kubernetes, swarm, swarm-mode. Magnum has no API", "up to 1.11"}},
		// Swarm on 2025.1: the error names the releases the cloud can be.
		{"2025.1", "swarm", "fedora-coreos-35", []string{"This cloud does not accept the baymodel's COE",
			"Value: 'swarm'. Value should be one of: kubernetes", `COEs this cloud accepts (inferred): kubernetes. "swarm" is not among them.`,
			"up to 1.11, which means a Magnum release from 18.0 (2024.1) to 20.0 (2025.1)"}},
		// master's request schema knows no COE but kubernetes.
		{"master", "swarm", "ubuntu-2204-kube-v1.30.2", []string{"This cloud does not accept the baymodel's COE",
			"Value: 'swarm'. Value should be one of: kubernetes", `COEs this cloud accepts (inferred): kubernetes. "swarm" is not among them.`, "up to 1.14"}},
	}
	for _, tt := range tests {
		t.Run(tt.profile+" "+tt.coe, func(t *testing.T) {
			if tt.profile == "zed" {
				acctest.SkipOnRelease(t, "2025.1", "Invalid input for field/attribute coe. Value: 'mesos'. Value should be one of: kubernetes",
					"Magnum 15's refusal of mesos, worded by its COE validator")
			}
			opts := fastBays()
			opts.Profile = tt.profile
			s := acctest.StartSim(t, opts)
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkNoBaysLeft(s),
				Steps: []resource.TestStep{{
					Config: acctest.ProviderBlock(s, "demo") + `
resource "magnum_baymodel" "test" {
  name     = "refused"
  coe      = "` + tt.coe + `"
  image_id = "` + tt.image + `"
}
`,
					ExpectError: wrappedText(tt.want...),
				}},
			})
		})
	}
}

// wrappedText matches the parts in order, whatever whitespace Terraform
// wraps them with.
func wrappedText(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = strings.Join(strings.Fields(regexp.QuoteMeta(p)), `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}
