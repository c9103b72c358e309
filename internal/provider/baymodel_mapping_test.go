package provider

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// plannedBaymodel is a plan as Terraform sends it for a configuration that
// sets only coe, image_id and a few arguments: defaults filled in, computed
// attributes unknown.
func plannedBaymodel() baymodelModel {
	unknown := types.StringUnknown()
	return baymodelModel{
		ID: unknown, Name: unknown, NetworkDriver: unknown, ClusterDistro: unknown, ProjectID: unknown,
		UserID: unknown, CreatedAt: unknown, UpdatedAt: unknown,
		COE: types.StringValue("kubernetes"), ImageID: types.StringValue("fedora-coreos-35"),
		Labels:      types.MapValueMust(types.StringType, map[string]attr.Value{}),
		TLSDisabled: types.BoolValue(false), Public: types.BoolValue(false), Hidden: types.BoolValue(false),
		RegistryEnabled: types.BoolValue(false), MasterLBEnabled: types.BoolValue(false),
		FloatingIPEnabled: types.BoolValue(true), ServerType: types.StringValue("vm"),
	}
}

func TestBaymodelCreateRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("unset and computed arguments are left to Magnum", func(t *testing.T) {
		t.Parallel()
		req, diags := baymodelCreateRequest(ctx, plannedBaymodel())
		if diags.HasError() {
			t.Fatal(diags)
		}
		body, _ := json.Marshal(req)
		// No name: Magnum generates one. No network_driver: Magnum picks the
		// COE's default. The schema defaults are sent as they were planned.
		want := `{"coe":"kubernetes","image_id":"fedora-coreos-35","registry_enabled":false,"tls_disabled":false,"public":false,` +
			`"hidden":false,"master_lb_enabled":false,"floating_ip_enabled":true,"server_type":"vm"}`
		if string(body) != want {
			t.Fatalf("POST body\n got %s\nwant %s", body, want)
		}
	})

	t.Run("every argument is sent", func(t *testing.T) {
		t.Parallel()
		m := plannedBaymodel()
		s := types.StringValue
		m.Name, m.KeypairID, m.FlavorID, m.MasterFlavorID = s("ct-231358"), s("kp1"), s("m1.small"), s("m1.large")
		m.DNSNameserver, m.ExternalNetworkID, m.FixedNetwork, m.FixedSubnet = s("8.8.8.8"), s("public"), s("private"), s("private-subnet")
		m.NetworkDriver, m.VolumeDriver, m.DockerStorageDriver = s("calico"), s("cinder"), s("overlay2")
		m.DockerVolumeSize, m.APIServerPort = types.Int64Value(5), types.Int64Value(6443)
		m.HTTPProxy, m.HTTPSProxy, m.NoProxy, m.InsecureRegistry = s("http://proxy:3128"), s("http://proxy:3129"), s("localhost"), s("registry:5000")
		m.Labels = strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "true")
		m.RegistryEnabled, m.TLSDisabled, m.Public, m.Hidden = types.BoolValue(true), types.BoolValue(true), types.BoolValue(true), types.BoolValue(true)
		m.MasterLBEnabled, m.FloatingIPEnabled, m.ServerType, m.Tags = types.BoolValue(true), types.BoolValue(false), s("bm"), s("prod")

		req, diags := baymodelCreateRequest(ctx, m)
		if diags.HasError() {
			t.Fatal(diags)
		}
		var got map[string]any
		body, _ := json.Marshal(req)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"name": "ct-231358", "coe": "kubernetes", "image_id": "fedora-coreos-35", "keypair_id": "kp1", "flavor_id": "m1.small",
			"master_flavor_id": "m1.large", "dns_nameserver": "8.8.8.8", "external_network_id": "public", "fixed_network": "private",
			"fixed_subnet": "private-subnet", "network_driver": "calico", "volume_driver": "cinder", "docker_storage_driver": "overlay2",
			"docker_volume_size": float64(5), "apiserver_port": float64(6443), "http_proxy": "http://proxy:3128",
			"https_proxy": "http://proxy:3129", "no_proxy": "localhost", "insecure_registry": "registry:5000",
			"labels":           map[string]any{"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "true"},
			"registry_enabled": true, "tls_disabled": true, "public": true, "hidden": true, "master_lb_enabled": true,
			"floating_ip_enabled": false, "server_type": "bm", "tags": "prod",
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("POST body\n got %v\nwant %v", got, want)
		}
	})
}

func TestBaymodelFromAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ct := decodeTemplate(t, transcriptTemplate)

	m := plannedBaymodel()
	if diags := baymodelFromAPI(ctx, ct, &m); diags.HasError() {
		t.Fatal(diags)
	}
	null, s := types.StringNull(), types.StringValue
	assertModelFields(t, m, map[string]attr.Value{
		"id":                  s(transcriptTemplateUUID),
		"name":                s("ct-231358"),
		"coe":                 s("kubernetes"),
		"image_id":            s("fedora-coreos-35"),
		"keypair_id":          s("kp1"),
		"external_network_id": s("public"),
		"flavor_id":           s("m1.small"),
		"master_flavor_id":    s("m1.small"),
		"docker_volume_size":  types.Int64Value(5),
		"network_driver":      s("flannel"),
		"cluster_distro":      s("fedora-coreos"),
		// Magnum's nulls must stay null, or an unset argument shows a diff.
		"dns_nameserver":        null,
		"fixed_network":         null,
		"fixed_subnet":          null,
		"http_proxy":            null,
		"https_proxy":           null,
		"no_proxy":              null,
		"volume_driver":         null,
		"insecure_registry":     null,
		"docker_storage_driver": null,
		"tags":                  null,
		"apiserver_port":        types.Int64Null(),
		// Magnum turned the JSON true and 5 it was sent into strings.
		"labels":              strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "True", "max_node_count", "5"),
		"tls_disabled":        types.BoolValue(false),
		"public":              types.BoolValue(false),
		"hidden":              types.BoolValue(false),
		"registry_enabled":    types.BoolValue(false),
		"server_type":         s("vm"),
		"master_lb_enabled":   types.BoolValue(false),
		"floating_ip_enabled": types.BoolValue(true),
		"project_id":          s("49f56470f6d944d4a9a81ac47c95a702"),
		"user_id":             s("454c57f4e0294a94a8293f4f42a52017"),
		"created_at":          s("2026-11-27T23:14:01Z"),
		"updated_at":          null,
	})

	t.Run("null labels become an empty map, matching the schema default", func(t *testing.T) {
		t.Parallel()
		ct := decodeTemplate(t, strings.Replace(transcriptTemplate,
			`"labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5"}`, `"labels": null`, 1))
		m := plannedBaymodel()
		if diags := baymodelFromAPI(ctx, ct, &m); diags.HasError() {
			t.Fatal(diags)
		}
		if want := types.MapValueMust(types.StringType, map[string]attr.Value{}); !m.Labels.Equal(want) {
			t.Fatalf("labels = %s, want {}", m.Labels)
		}
	})

	t.Run("every model attribute is known afterwards", func(t *testing.T) {
		t.Parallel()
		m := plannedBaymodel()
		if diags := baymodelFromAPI(ctx, ct, &m); diags.HasError() {
			t.Fatal(diags)
		}
		for name, v := range modelFields(reflect.ValueOf(m)) {
			if v.IsUnknown() {
				t.Errorf("%s is still unknown; Terraform rejects unknown values in state", name)
			}
		}
	})
}

// transcriptBaymodelState is the state after creating the transcript's
// template with the arguments its POST carried.
func transcriptBaymodelState(t *testing.T) baymodelModel {
	t.Helper()
	m := plannedBaymodel()
	if diags := baymodelFromAPI(context.Background(), decodeTemplate(t, transcriptTemplate), &m); diags.HasError() {
		t.Fatal(diags)
	}
	return m
}

func TestBaymodelPatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(plan *baymodelModel)
		want   []magnum.PatchOp
	}{
		{"no change sends nothing", func(*baymodelModel) {}, nil},
		// Magnum accepts exactly one op on a template that bays use, and a
		// rename is one of the few it allows: nothing else may ride along.
		{"rename alone is one op", func(p *baymodelModel) { p.Name = types.StringValue("ct-renamed") },
			[]magnum.PatchOp{{Op: "replace", Path: "/name", Value: "ct-renamed"}}},
		// Magnum reads /labels with ast.literal_eval: a JSON object fails.
		{"labels are sent as a Python dict string", func(p *baymodelModel) {
			p.Labels = strMap("kube_tag", "v1.24.0", "auto_healing_enabled", "True", "max_node_count", "5", "note", "it's")
		}, []magnum.PatchOp{{Op: "replace", Path: "/labels",
			Value: `{'auto_healing_enabled': 'True', 'kube_tag': 'v1.24.0', 'max_node_count': '5', 'note': 'it\'s'}`}}},
		{"emptied labels are replaced by an empty dict", func(p *baymodelModel) {
			p.Labels = types.MapValueMust(types.StringType, map[string]attr.Value{})
		}, []magnum.PatchOp{{Op: "replace", Path: "/labels", Value: "{}"}}},
		// A plan that does not know name or network_driver (Magnum computes
		// them) must not send them, or Magnum would overwrite its own choice.
		{"unknown name and network_driver are not sent", func(p *baymodelModel) {
			p.Name, p.NetworkDriver = types.StringUnknown(), types.StringUnknown()
			p.DockerVolumeSize = types.Int64Value(10)
		}, []magnum.PatchOp{{Op: "replace", Path: "/docker_volume_size", Value: 10}}},
		{"a removed argument is removed", func(p *baymodelModel) { p.KeypairID = types.StringNull() },
			[]magnum.PatchOp{{Op: "remove", Path: "/keypair_id"}}},
		{"a new argument is set", func(p *baymodelModel) { p.DNSNameserver = types.StringValue("8.8.8.8") },
			[]magnum.PatchOp{{Op: "replace", Path: "/dns_nameserver", Value: "8.8.8.8"}}},
		// Magnum refuses to remove it; the plan replaces the baymodel instead
		// (baymodelReplacePaths), so a PATCH must not try.
		{"the external network is never removed", func(p *baymodelModel) { p.ExternalNetworkID = types.StringNull() }, nil},
		{"publishing is one op", func(p *baymodelModel) { p.Public = types.BoolValue(true) },
			[]magnum.PatchOp{{Op: "replace", Path: "/public", Value: true}}},
		// Computed attributes never reach the PATCH.
		{"computed attributes are not sent", func(p *baymodelModel) {
			p.ClusterDistro, p.UpdatedAt, p.ProjectID = types.StringUnknown(), types.StringUnknown(), types.StringValue("other")
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := transcriptBaymodelState(t)
			plan := transcriptBaymodelState(t)
			tc.change(&plan)
			ops, diags := baymodelPatch(ctx, state, plan)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if len(ops) != len(tc.want) {
				t.Fatalf("ops = %+v, want %+v", ops, tc.want)
			}
			for i := range ops {
				if ops[i].Op != tc.want[i].Op || ops[i].Path != tc.want[i].Path || !reflect.DeepEqual(ops[i].Value, tc.want[i].Value) {
					t.Fatalf("op %d = %+v (%T), want %+v (%T)", i, ops[i], ops[i].Value, tc.want[i], tc.want[i].Value)
				}
			}
		})
	}
}
