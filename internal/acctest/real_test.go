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
