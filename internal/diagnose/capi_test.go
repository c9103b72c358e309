package diagnose

import (
	"strings"
	"testing"
)

func TestMissingDNSNameserver(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, driver, dns string
		warn              bool
	}{
		{"magnum-cluster-api without", "k8s_cluster_api_ubuntu", "", true},
		{"magnum-cluster-api flatcar without", "k8s_cluster_api_flatcar", "", true},
		{"magnum-cluster-api with", "k8s_cluster_api_ubuntu", "8.8.8.8", false},
		{"capi-helm needs none", "k8s_capi_helm_v1", "", false},
		{"heat driver", "k8s_fedora_coreos_v1", "", false},
		{"no driver reported", "", "", false},
	}
	for _, tc := range cases {
		summary, detail := MissingDNSNameserver("capi", tc.driver, tc.dns)
		if (summary != "") != tc.warn || (detail != "") != tc.warn {
			t.Errorf("%s: %q / %q, want a warning: %v", tc.name, summary, detail, tc.warn)
			continue
		}
		if !tc.warn {
			continue
		}
		for _, want := range []string{`Baymodel "capi" has no dns_nameserver`} {
			if !strings.Contains(summary, want) {
				t.Errorf("%s: summary %q lacks %q", tc.name, summary, want)
			}
		}
		for _, want := range []string{`driver "` + tc.driver + `" for baymodel "capi"`, "magnum-cluster-api",
			`CREATE_FAILED, status_reason "'NoneType' object has no attribute 'split'"`, "Set dns_nameserver", "8.8.8.8",
			"no existing plan changes"} {
			if !strings.Contains(detail, want) {
				t.Errorf("%s: detail lacks %q:\n%s", tc.name, want, detail)
			}
		}
	}
}

func TestMissingMasterFlavor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, driver, flavor string
		warn                 bool
	}{
		{"magnum-cluster-api without", "k8s_cluster_api_ubuntu", "", true},
		{"magnum-cluster-api rockylinux without", "k8s_cluster_api_rockylinux", "", true},
		{"magnum-cluster-api with", "k8s_cluster_api_ubuntu", "m1.medium", false},
		{"capi-helm not seen", "k8s_capi_helm_v1", "", false},
		{"heat driver has a default", "k8s_fedora_coreos_v1", "", false},
		{"no driver reported", "", "", false},
	}
	for _, tc := range cases {
		summary, detail := MissingMasterFlavor("capi", tc.driver, tc.flavor)
		if (summary != "") != tc.warn || (detail != "") != tc.warn {
			t.Errorf("%s: %q / %q, want a warning: %v", tc.name, summary, detail, tc.warn)
			continue
		}
		if !tc.warn {
			continue
		}
		if want := `Baymodel "capi" has no master_flavor_id`; !strings.Contains(summary, want) {
			t.Errorf("%s: summary %q lacks %q", tc.name, summary, want)
		}
		for _, want := range []string{`driver "` + tc.driver + `" for baymodel "capi"`, "magnum-cluster-api",
			"error getting flavor from flavor name : Resource not found", "CREATE_IN_PROGRESS until its create timeout",
			"Set master_flavor_id on the baymodel, or on every bay"} {
			if !strings.Contains(detail, want) {
				t.Errorf("%s: detail lacks %q:\n%s", tc.name, want, detail)
			}
		}
	}
}
