package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
)

// TestAccBay_storeCredentialsFalse shows that a bay with
// store_credentials = false leaves no private key in the state file and
// signs nothing, and that the setting can be switched both ways in place.
func TestAccBay_storeCredentialsFalse(t *testing.T) {
	acctest.PreCheck(t)
	dir := rawStateDir(t)
	s := acctest.StartSim(t, fastBays())
	cfg := func(store bool) string {
		return acctest.ProviderBlock(s, "demo") + testAccBayConfig("keyless", 1, fmt.Sprintf("store_credentials = %t", store))
	}
	signs := &signCounter{s: s}
	const bay = "magnum_bay.test"
	kube := tfjsonpath.New("kubeconfig")
	noKeyInStateFile := checkRawState(dir, func(_ map[string]map[string]any, rest string) error {
		ca, err := rawStateAttr(rest, "magnum_bay", "ca_cert")
		if err != nil {
			return err
		}
		// The CA (in ca_cert and kubeconfig) is the only certificate left.
		return onlyCACertificates(rest, ca)
	})
	keyless := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(bay, tfjsonpath.New("store_credentials"), knownvalue.Bool(false)),
		statecheck.CompareValuePairs(bay, kube.AtMapKey("host"), bay, tfjsonpath.New("api_address"), compare.ValuesSame()),
		statecheck.CompareValuePairs(bay, kube.AtMapKey("cluster_ca_certificate"), bay, tfjsonpath.New("ca_cert"), compare.ValuesSame()),
		statecheck.ExpectKnownValue(bay, kube.AtMapKey("cluster_ca_certificate"), knownvalue.StringRegexp(regexp.MustCompile(`BEGIN CERTIFICATE`))),
		statecheck.ExpectKnownValue(bay, kube.AtMapKey("client_key"), knownvalue.Null()),
		statecheck.ExpectKnownValue(bay, kube.AtMapKey("client_certificate"), knownvalue.Null()),
		statecheck.ExpectKnownValue(bay, kube.AtMapKey("client_certificate_not_after"), knownvalue.Null()),
		statecheck.ExpectKnownValue(bay, kube.AtMapKey("raw_config"), knownvalue.Null()),
	}
	inPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(bay, plancheck.ResourceActionUpdate),
		plancheck.ExpectUnknownValue(bay, kube),
	}}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoBaysLeft(s),
		Steps: []resource.TestStep{
			{
				PreConfig:         signs.mark,
				Config:            cfg(false),
				ConfigStateChecks: keyless,
				Check:             resource.ComposeAggregateTestCheckFunc(noKeyInStateFile, signs.expect(0)),
			},
			{
				// A refresh reads the CA again but signs nothing.
				PreConfig: signs.mark,
				Config:    cfg(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(noKeyInStateFile, signs.expect(0)),
			},
			{
				// Turned on, the bay signs its own credentials in place.
				PreConfig:        signs.mark,
				Config:           cfg(true),
				ConfigPlanChecks: inPlace,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bay, tfjsonpath.New("store_credentials"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(bay, kube.AtMapKey("client_key"), knownvalue.StringRegexp(regexp.MustCompile(`PRIVATE KEY`))),
					statecheck.ExpectKnownValue(bay, kube.AtMapKey("raw_config"), knownvalue.StringRegexp(regexp.MustCompile(`client-key-data`))),
				},
				Check: resource.ComposeAggregateTestCheckFunc(signs.expect(1), checkKubectlWorks(bay)),
			},
			{
				// Turned off again, the key leaves the state file.
				PreConfig:         signs.mark,
				Config:            cfg(false),
				ConfigPlanChecks:  inPlace,
				ConfigStateChecks: keyless,
				Check:             resource.ComposeAggregateTestCheckFunc(noKeyInStateFile, signs.expect(0)),
			},
		},
	})
}

// rawStateAttr returns a string attribute of the only resource of a type
// in a state file.
func rawStateAttr(stateJSON, typ, attr string) (string, error) {
	var st rawState
	if err := json.Unmarshal([]byte(stateJSON), &st); err != nil {
		return "", err
	}
	for _, r := range st.Resources {
		if r.Type == typ && r.Mode == "managed" && len(r.Instances) == 1 {
			var v string
			err := json.Unmarshal(r.Instances[0].Attributes[attr], &v)
			return v, err
		}
	}
	return "", fmt.Errorf("no %s in the state file", typ)
}
