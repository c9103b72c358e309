package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
)

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
				acctest.SkipOnAPI(t, "2025.1", "Invalid input for field/attribute coe. Value: 'mesos'. Value should be one of: kubernetes",
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
