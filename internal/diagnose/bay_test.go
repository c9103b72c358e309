package diagnose

import (
	"errors"
	"strings"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestBayTexts(t *testing.T) {
	t.Parallel()
	notFound := &magnum.Error{StatusCode: 404, Method: "GET", URL: "http://magnum/v1/clustertemplates/k8s", Message: "ClusterTemplate k8s could not be found."}
	api := "Magnum said: ClusterTemplate k8s could not be found.\n\nHTTP status: 404\nRequest: GET http://magnum/v1/clustertemplates/k8s"
	forbidden := &magnum.Error{StatusCode: 403, Method: "GET", URL: "http://magnum/v1/certificates/c1", Message: "Policy doesn't allow certificate:get to be performed."}
	pair := func(a, b string) string { return a + "|" + b }
	cases := []struct{ name, got, want string }{
		{"not readable", pair(NotReadable("baymodel", "k8s", "to create the bay from", notFound)),
			"Baymodel not found|Could not read baymodel \"k8s\" to create the bay from.\n\n" + api},
		{"not readable, bay", pair(NotReadable("bay", "web", `to add nodegroup "ng" to`, errors.New("EOF"))),
			"Bay not found|Could not read bay \"web\" to add nodegroup \"ng\" to.\n\nEOF"},
		{"could not find", CouldNotFind(`baymodel "k8s" by UUID or name`, notFound), "Could not find baymodel \"k8s\" by UUID or name.\n\n" + api},
		{"default nodegroup", pair(DefaultNodegroupImport("default-worker")),
			"Cannot import a default nodegroup|\"default-worker\" is one of the bay's default nodegroups, which magnum_bay manages (node_count, master_count); Magnum cannot delete it."},
		{"no API address", pair(NoAPIAddress("web", "CREATE_IN_PROGRESS")),
			"Bay \"web\" has no API address yet|The bay is CREATE_IN_PROGRESS, and Magnum publishes its endpoint only once it is created. " +
				"Refer to the bay through the magnum_bay resource (e.g. id = magnum_bay.example.id), so Terraform waits for it."},
		{"no client credentials", pair(NoClientCredentials("web", "mesos")),
			"Bay \"web\" has no client credentials|Its engine is \"mesos\"; Magnum signs client certificates only for kubernetes, swarm and swarm-mode bays."},
		{"quota exists", QuotaExists("p1", "Cluster"),
			"\n\nThe project already has a quota. Bring it under Terraform with:\n  terraform import <address> p1/Cluster"},
		{"client setup", pair(MagnumClientSetup(errors.New("no container-infra endpoint in the catalog"), "RegionOne", "public", "container-infra")),
			"Cannot set up the Magnum client|no container-infra endpoint in the catalog. Check region (\"RegionOne\"), endpoint_type (\"public\") and endpoint_overrides[\"container-infra\"]."},
		{"heat unavailable", pair(HeatUnavailable(errors.New("bad URL"))),
			"Heat is unavailable|The orchestration client could not be set up (bad URL). Bays still work, but failure messages will lack the failed Heat resources."},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, tc.got, tc.want)
		}
	}
	kept := CredentialsKept(forbidden)
	if !strings.HasPrefix(kept, "The bay's credentials were left as they were; the next refresh tries again.\n\nMagnum said: Policy doesn't allow") ||
		!strings.Contains(kept, "Authenticate as the bay's creator") {
		t.Errorf("CredentialsKept does not keep the old credentials' note and the certificate policy's explanation:\n%s", kept)
	}
	if !strings.Contains(EphemeralBayMissing(), "id = magnum_bay.<name>.id") {
		t.Errorf("EphemeralBayMissing = %q", EphemeralBayMissing())
	}
}

func TestUpgradeTexts(t *testing.T) {
	t.Parallel()
	from := magnum.ClusterTemplate{Name: "k8s-124", UUID: "t1", Labels: map[string]string{"kube_tag": "v1.24.3"}}
	to := magnum.ClusterTemplate{Name: "k8s-123", UUID: "t2", Labels: map[string]string{"kube_tag": "v1.23.3"}}
	_, down := DowngradeRefused("web", from, to)
	_, unknown := DowngradeUnknown("web", "a", "b", errors.New("only one of the baymodels sets the kube_tag label"))
	_, labels := NoUpgradeLabels("web", `"k8s-124" (t1)`, magnum.ClusterTemplate{Name: "bare", UUID: "t3"})
	_, replaces := UpgradeReplaces("web", UpgradeRefusedBefore("not supported"))
	heat := HeatUpgradeRefused(magnum.ClusterTemplate{Name: "k8s", UUID: "t1", ClusterDistro: "fedora-coreos"})
	capi := HeatUpgradeRefused(magnum.ClusterTemplate{Name: "k8s", UUID: "t1", Driver: "k8s_fedora_coreos_v1"})
	cases := []struct {
		name, got string
		want      []string
	}{
		{"downgrade refused", down, []string{`Bay "web" would move from baymodel "k8s-124" (t1, kube_tag v1.24.3) to baymodel "k8s-123" (t2, kube_tag v1.23.3)`,
			"Point baymodel_id at a baymodel with kube_tag v1.24.3 or newer", "allow_downgrade = true"}},
		{"downgrade unknown", unknown, []string{`Bay "web" moves from baymodel "a" to baymodel "b", but only one of the baymodels sets the kube_tag label, so the provider does not refuse it.`}},
		{"no upgrade labels", labels, []string{`Bay "web" runs baymodel "k8s-124" (t1).`, `baymodel "bare" (t3) has none`, `add a kube_tag label to baymodel "bare"`}},
		{"replaced after a refusal", replaces, []string{`Bay "web" moves to another baymodel, but the cloud refused to upgrade it in place before: "not supported".`,
			"declare the new bay as a second resource with its own name"}},
		{"Heat driver by default", heat, []string{`driver: none named, so Magnum's Heat driver ` + magnum.HeatDriverName + ` for os_distro fedora-coreos`}},
		{"Heat driver named", capi, []string{`its baymodel "k8s" (t1) runs on Magnum's Heat driver (driver: k8s_fedora_coreos_v1)`}},
		{"refused, unchanged", UpgradeRefusedUnchanged(), []string{"\n\nThe bay is unchanged. The next plan replaces it"}},
	}
	for _, tc := range cases {
		for _, w := range tc.want {
			if !strings.Contains(tc.got, w) {
				t.Errorf("%s: lacks %q:\n%s", tc.name, w, tc.got)
			}
		}
	}
	if s, d := UpgradeSupportUnknown(errors.New("EOF")); s != "Could not tell whether the cloud supports upgrades" ||
		d != "Planning a replacement of the bay instead of an in-place upgrade.\n\nEOF" {
		t.Errorf("UpgradeSupportUnknown = %q, %q", s, d)
	}
}
