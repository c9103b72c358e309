package acctest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

func TestSimOnlyOptions(t *testing.T) {
	cases := []struct {
		name string
		opts sim.Options
		want string // substring of the reason; "" means runnable against real Magnum
	}{
		{"defaults", sim.Options{}, ""},
		{"zed profile and Heat timings", sim.Options{Profile: "zed", HeatCreateDuration: time.Second, ConductorInterval: 2 * time.Second}, ""},
		{"newer profile", sim.Options{Profile: "master"}, "master profile"},
		{"another real release's profile", sim.Options{Profile: "2025.1"}, "2025.1 profile (the real target is Magnum 15.0.1 (Zed))"},
		{"fake clock", sim.Options{Now: time.Now}, "clock"},
		{"token lifetime", sim.Options{TokenTTL: time.Minute}, "token lifetime"},
		{"TLS", sim.Options{TLS: true}, "HTTPS"},
		{"latency", sim.Options{Latency: time.Second}, "latency"},
	}
	t.Setenv(TargetEnv, "real")
	t.Setenv(ReleaseEnv, "zed")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := simOnlyOptions(tc.opts)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("simOnlyOptions = %q, want %q", got, tc.want)
			}
		})
	}
}

// On the 2025.1 target, tests asking for the 2025.1 profile run and those
// asking for zed's skip, naming the release.
func TestSimOnlyOptionsOn2025(t *testing.T) {
	t.Setenv(TargetEnv, "real")
	t.Setenv(ReleaseEnv, "2025.1")
	if got := simOnlyOptions(sim.Options{Profile: "2025.1"}); got != "" {
		t.Errorf("2025.1 profile on the 2025.1 target: %q, want runnable", got)
	}
	if got := simOnlyOptions(sim.Options{}); got != "" {
		t.Errorf("default profile on the 2025.1 target: %q, want runnable", got)
	}
	if got, want := simOnlyOptions(sim.Options{Profile: "zed"}), "the zed profile (the real target is Magnum 20.0.0 (2025.1))"; got != want {
		t.Errorf("zed profile on the 2025.1 target: %q, want %q", got, want)
	}
}

// The capi target speaks 2025.1's API: tests asking for that profile run
// there, and its baymodels name the Cluster API driver's image, flavors,
// network driver, DNS server and the image's kube_tag.
func TestCAPITarget(t *testing.T) {
	t.Setenv(TargetEnv, "real")
	t.Setenv(ReleaseEnv, "capi")
	if !CAPITarget() || RealAPI() != "2025.1" {
		t.Fatalf("CAPITarget() = %v, RealAPI() = %q; want true, 2025.1", CAPITarget(), RealAPI())
	}
	if got := simOnlyOptions(sim.Options{Profile: "2025.1"}); got != "" {
		t.Errorf("2025.1 profile on the capi target: %q, want runnable", got)
	}
	if got, want := simOnlyOptions(sim.Options{Profile: "master"}), "the master profile (the real target is Magnum 20.0.0 with magnum-cluster-api 0.16.0 (capi))"; got != want {
		t.Errorf("master profile on the capi target: %q, want %q", got, want)
	}
	k := Kube()
	attrs := k.Attributes()
	for _, want := range []string{`image_id            = "ubuntu-2204-kube-v1.26.11"`, `master_flavor_id    = "m1.medium"`,
		`network_driver      = "calico"`, `dns_nameserver      = "8.8.8.8"`} {
		if !strings.Contains(attrs, want) {
			t.Errorf("Kube().Attributes() lacks %s:\n%s", want, attrs)
		}
	}
	if k.KubeTag != "v1.26.11" || k.Next().Image != "ubuntu-2204-kube-v1.27.4" || k.Next().KubeTag != "v1.27.4" {
		t.Errorf("Kube() = %+v, Next() = %+v", k, k.Next())
	}
	if f := k.Fields(); f["master_flavor_id"] != "m1.medium" || f["dns_nameserver"] != "8.8.8.8" {
		t.Errorf("Kube().Fields() = %v", f)
	}
}

// Elsewhere the baymodels stay on the Heat driver's image, with no DNS
// server or master flavor the tests did not ask for.
func TestKubeModelOffCAPI(t *testing.T) {
	t.Setenv(TargetEnv, "")
	k := Kube()
	if k.Image != "fedora-coreos-35" || k.KubeTag != "v1.23.3-rancher1" || k.Next().KubeTag != "v1.24.3-rancher1" {
		t.Errorf("Kube() = %+v", k)
	}
	if attrs := k.Attributes(); strings.Contains(attrs, "dns_nameserver") || strings.Contains(attrs, "master_flavor_id") {
		t.Errorf("Kube().Attributes() off the capi target:\n%s", attrs)
	}
}

func TestReadOpenRC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openrc")
	content := "# written by up.sh\n" +
		"export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne\n" +
		"export OS_USERNAME=admin OS_PASSWORD='secret' OS_PROJECT_NAME=admin\n" +
		"unset OS_CLOUD\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	vars, err := readOpenRC(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"OS_AUTH_URL": "http://127.0.0.1:5000/v3", "OS_REGION_NAME": "RegionOne", "OS_PASSWORD": "secret", "OS_PROJECT_NAME": "admin"}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	if _, ok := vars["OS_CLOUD"]; ok {
		t.Error("an unset line was read as a variable")
	}
	if _, err := readOpenRC(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), OpenRCEnv) {
		t.Errorf("missing file: %v, want an error naming %s", err, OpenRCEnv)
	}
}

// A test without a bay runs once on Magnum 20: on the 2025.1 target, not
// again on the capi stack, which runs the same Magnum and Keystone.
func TestSkipBaylessOnCAPI(t *testing.T) {
	for _, tc := range []struct {
		target, release string
		skip            bool
	}{
		{"", "", false},
		{"real", "zed", false},
		{"real", "2025.1", false},
		{"real", "capi", true},
	} {
		t.Setenv(TargetEnv, tc.target)
		t.Setenv(ReleaseEnv, tc.release)
		skipped := false
		t.Run(tc.release, func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			SkipBaylessOnCAPI(t)
		})
		if skipped != tc.skip {
			t.Errorf("target %q release %q: skipped = %v, want %v", tc.target, tc.release, skipped, tc.skip)
		}
	}
}
