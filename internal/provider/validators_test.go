package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestCheckIPList(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		wantErr string // substring; empty means valid
	}{
		{"8.8.8.8", ""},
		{"8.8.8.8,1.1.1.1", ""},
		// Users write lists the way they read them; Magnum trims too.
		{" 8.8.8.8 , 1.1.1.1 ", ""},
		{"2001:4860:4860::8888", ""},
		{"8.8.8.8,2001:4860:4860::8844", ""},
		{"", "got an empty string"},
		{"   ", "got an empty string"},
		{"dns.google", `"dns.google" is not an IP address`},
		{"8.8.8.8,nameserver", `"nameserver" is not an IP address`},
		{"8.8.8.8,", `"" is not an IP address`},
		{"8.8.8.8;1.1.1.1", `"8.8.8.8;1.1.1.1" is not an IP address`},
		{"8.8.8.8 1.1.1.1", `"8.8.8.8 1.1.1.1" is not an IP address`},
		{"256.1.1.1", `"256.1.1.1" is not an IP address`},
		{"10.0.0.0/8", `"10.0.0.0/8" is not an IP address`},
	}
	for _, tc := range cases {
		err := checkIPList(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("checkIPList(%q) = %v, want no error", tc.in, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("checkIPList(%q) accepted an invalid list", tc.in)
		case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
			t.Errorf("checkIPList(%q) = %q, want it to contain %q", tc.in, err, tc.wantErr)
		}
		if err != nil && tc.in != "" && strings.TrimSpace(tc.in) != "" && !strings.Contains(err.Error(), "8.8.8.8,1.1.1.1") {
			t.Errorf("checkIPList(%q) = %q, want an example of the expected format", tc.in, err)
		}
	}
}

func TestIPListValidator(t *testing.T) {
	t.Parallel()
	p := path.Root("dns_nameserver")
	cases := []struct {
		name string
		in   types.String
		want string // error detail substring; empty means no diagnostics
	}{
		{"null is not validated", types.StringNull(), ""},
		// Unknown values are validated again once known, at apply.
		{"unknown is not validated", types.StringUnknown(), ""},
		{"valid", types.StringValue("8.8.8.8,1.1.1.1"), ""},
		{"invalid", types.StringValue("8.8.8.8,nameserver"), `"nameserver" is not an IP address`},
		{"empty", types.StringValue(""), "empty string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var resp validator.StringResponse
			ipListValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: tc.in}, &resp)
			if tc.want == "" {
				if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() > 0 {
					t.Fatalf("unexpected diagnostics: %v", resp.Diagnostics)
				}
				return
			}
			assertError(t, resp.Diagnostics, "dns_nameserver", "Invalid IP address list", tc.want)
		})
	}

	if got := (ipListValidator{}).MarkdownDescription(context.Background()); !strings.Contains(got, "comma-separated list of IP addresses") {
		t.Errorf("MarkdownDescription = %q", got)
	}
}

// baymodelOf builds a baymodel model with only the given values set; the
// zero framework value of every other attribute is null.
func baymodelOf(coe types.String, set func(*baymodelModel)) baymodelModel {
	m := baymodelModel{COE: coe, ImageID: types.StringValue("fedora-coreos-35")}
	if set != nil {
		set(&m)
	}
	return m
}

func TestValidateBaymodelCombination(t *testing.T) {
	t.Parallel()
	str := types.StringValue
	type want struct {
		attr   string
		detail string
	}
	cases := []struct {
		name string
		m    baymodelModel
		want []want
	}{
		{"kubernetes with flannel", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.NetworkDriver = str("flannel") }), nil},
		{"kubernetes with calico", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.NetworkDriver = str("calico") }), nil},
		{"kubernetes with cilium", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.NetworkDriver = str("cilium") }), nil},
		{"kubernetes with docker", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.NetworkDriver = str("docker") }),
			[]want{{"network_driver", `network_driver "docker" cannot be used with coe "kubernetes"; allowed values: flannel, calico, cilium.`}}},
		{"swarm with docker", baymodelOf(str("swarm"), func(m *baymodelModel) { m.NetworkDriver = str("docker") }), nil},
		{"swarm with calico", baymodelOf(str("swarm"), func(m *baymodelModel) { m.NetworkDriver = str("calico") }),
			[]want{{"network_driver", `network_driver "calico" cannot be used with coe "swarm"; allowed values: docker, flannel.`}}},
		{"swarm-mode with flannel", baymodelOf(str("swarm-mode"), func(m *baymodelModel) { m.NetworkDriver = str("flannel") }), nil},
		{"swarm-mode with cilium", baymodelOf(str("swarm-mode"), func(m *baymodelModel) { m.NetworkDriver = str("cilium") }),
			[]want{{"network_driver", `"cilium" cannot be used with coe "swarm-mode"`}}},
		// Magnum has no driver list for engines without a driver here; the
		// cloud decides.
		{"mesos accepts any network driver", baymodelOf(str("mesos"), func(m *baymodelModel) { m.NetworkDriver = str("docker") }), nil},
		{"network driver left to Magnum", baymodelOf(str("kubernetes"), nil), nil},
		{"unknown network driver is checked later", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.NetworkDriver = types.StringUnknown() }), nil},

		{"kubernetes with cinder", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.VolumeDriver = str("cinder") }), nil},
		{"kubernetes with rexray", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.VolumeDriver = str("rexray") }),
			[]want{{"volume_driver", `volume_driver "rexray" cannot be used with coe "kubernetes"; allowed values: cinder.`}}},
		{"swarm with rexray", baymodelOf(str("swarm"), func(m *baymodelModel) { m.VolumeDriver = str("rexray") }), nil},
		{"swarm-mode with cinder", baymodelOf(str("swarm-mode"), func(m *baymodelModel) { m.VolumeDriver = str("cinder") }),
			[]want{{"volume_driver", `volume_driver "cinder" cannot be used with coe "swarm-mode"; allowed values: rexray.`}}},
		{"dcos accepts any volume driver", baymodelOf(str("dcos"), func(m *baymodelModel) { m.VolumeDriver = str("cinder") }), nil},
		{"unknown volume driver is checked later", baymodelOf(str("swarm"), func(m *baymodelModel) { m.VolumeDriver = types.StringUnknown() }), nil},

		{"devicemapper without a volume", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.DockerStorageDriver = str("devicemapper") }),
			[]want{{"docker_volume_size", `docker_storage_driver "devicemapper" needs docker_volume_size of at least 3 (GB).`}}},
		{"devicemapper with 2 GB", baymodelOf(str("kubernetes"), func(m *baymodelModel) {
			m.DockerStorageDriver, m.DockerVolumeSize = str("devicemapper"), types.Int64Value(2)
		}), []want{{"docker_volume_size", "at least 3"}}},
		{"devicemapper with 3 GB", baymodelOf(str("kubernetes"), func(m *baymodelModel) {
			m.DockerStorageDriver, m.DockerVolumeSize = str("devicemapper"), types.Int64Value(3)
		}), nil},
		{"devicemapper with a size known at apply", baymodelOf(str("kubernetes"), func(m *baymodelModel) {
			m.DockerStorageDriver, m.DockerVolumeSize = str("devicemapper"), types.Int64Unknown()
		}), nil},
		{"overlay2 needs no volume", baymodelOf(str("kubernetes"), func(m *baymodelModel) { m.DockerStorageDriver = str("overlay2") }), nil},
		{"unknown storage driver is checked later", baymodelOf(str("kubernetes"), func(m *baymodelModel) {
			m.DockerStorageDriver, m.DockerVolumeSize = types.StringUnknown(), types.Int64Value(1)
		}), nil},

		{"every problem is reported at once", baymodelOf(str("kubernetes"), func(m *baymodelModel) {
			m.NetworkDriver, m.VolumeDriver = str("docker"), str("rexray")
			m.DockerStorageDriver, m.DockerVolumeSize = str("devicemapper"), types.Int64Value(1)
		}), []want{{"network_driver", `"docker"`}, {"volume_driver", `"rexray"`}, {"docker_volume_size", "at least 3"}}},

		// Without a known coe nothing can be compared; the coe validator
		// reports a bad one on its own.
		{"unknown coe", baymodelOf(types.StringUnknown(), func(m *baymodelModel) {
			m.NetworkDriver, m.VolumeDriver = str("docker"), str("rexray")
			m.DockerStorageDriver, m.DockerVolumeSize = str("devicemapper"), types.Int64Value(1)
		}), nil},
		{"null coe", baymodelOf(types.StringNull(), func(m *baymodelModel) { m.NetworkDriver = str("docker") }), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := validateBaymodelCombination(tc.m)
			if got := diags.ErrorsCount(); got != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", got, len(tc.want), diags)
			}
			for _, w := range tc.want {
				assertError(t, diags, w.attr, w.detail)
			}
		})
	}
}

func TestBaymodelReplacePaths(t *testing.T) {
	t.Parallel()
	net := func(v types.String) baymodelModel {
		return baymodelOf(types.StringValue("kubernetes"), func(m *baymodelModel) { m.ExternalNetworkID = v })
	}
	cases := []struct {
		name        string
		state, plan types.String
		replace     bool
	}{
		// Magnum answers 400 "external_network_id is a mandatory attribute
		// and can not be removed", so removal is only possible by replacing.
		{"removing the external network replaces", types.StringValue("public"), types.StringNull(), true},
		{"changing it is in place", types.StringValue("public"), types.StringValue("ext-net"), false},
		{"adding it is in place", types.StringNull(), types.StringValue("public"), false},
		{"unchanged", types.StringValue("public"), types.StringValue("public"), false},
		{"never set", types.StringNull(), types.StringNull(), false},
		{"a value known at apply is not a removal", types.StringValue("public"), types.StringUnknown(), false},
	}
	for _, tc := range cases {
		got := baymodelReplacePaths(net(tc.state), net(tc.plan))
		switch {
		case tc.replace && (len(got) != 1 || !got[0].Equal(path.Root("external_network_id"))):
			t.Errorf("%s: replace paths = %v, want [external_network_id]", tc.name, got)
		case !tc.replace && len(got) != 0:
			t.Errorf("%s: replace paths = %v, want none", tc.name, got)
		}
	}

	t.Run("other removals stay in place", func(t *testing.T) {
		state := baymodelOf(types.StringValue("kubernetes"), func(m *baymodelModel) {
			m.KeypairID, m.FlavorID, m.DNSNameserver, m.DockerVolumeSize = types.StringValue("kp1"), types.StringValue("m1.small"),
				types.StringValue("8.8.8.8"), types.Int64Value(5)
		})
		if got := baymodelReplacePaths(state, baymodelOf(types.StringValue("kubernetes"), nil)); len(got) != 0 {
			t.Fatalf("replace paths = %v, want none: Magnum removes these in place", got)
		}
	})
}
