package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// Response bodies a running Magnum 15 answered, copied verbatim from
// reference/real-magnum/captures/transcripts.jsonl (seq numbers below), so
// the mapping is tested against what the cloud really sends: nulls, "True"
// as a label value, {} for an empty health_status_reason.
const (
	// seq #29: POST /v1/clustertemplates, 201.
	transcriptTemplate = `{"uuid": "9645b8e3-75ee-4a1f-8120-746663e8856a", "name": "ct-231358", "coe": "kubernetes", "image_id": "fedora-coreos-35", "flavor_id": "m1.small", "master_flavor_id": "m1.small", "dns_nameserver": null, "keypair_id": "kp1", "external_network_id": "public", "fixed_network": null, "fixed_subnet": null, "network_driver": "flannel", "apiserver_port": null, "docker_volume_size": 5, "cluster_distro": "fedora-coreos", "links": [{"href": "http://127.0.0.1:9511/v1/clustertemplates/9645b8e3-75ee-4a1f-8120-746663e8856a", "rel": "self"}, {"href": "http://127.0.0.1:9511/clustertemplates/9645b8e3-75ee-4a1f-8120-746663e8856a", "rel": "bookmark"}], "http_proxy": null, "https_proxy": null, "no_proxy": null, "volume_driver": null, "registry_enabled": false, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5"}, "tls_disabled": false, "public": false, "server_type": "vm", "insecure_registry": null, "docker_storage_driver": null, "master_lb_enabled": false, "floating_ip_enabled": true, "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "hidden": false, "tags": null, "created_at": "2026-11-27T23:14:01+00:00", "updated_at": null}`

	// seq #122: GET /v1/clusters/{id} 0.4 s after the POST.
	transcriptClusterInProgress = `{"uuid": "06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "name": "c1-231358", "cluster_template_id": "9645b8e3-75ee-4a1f-8120-746663e8856a", "keypair": "kp1", "node_count": 1, "master_count": 1, "docker_volume_size": 5, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5", "foo": "bar"}, "master_flavor_id": "m1.small", "flavor_id": "m1.small", "create_timeout": 60, "links": [{"href": "http://127.0.0.1:9511/v1/clusters/06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "rel": "self"}, {"href": "http://127.0.0.1:9511/clusters/06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "rel": "bookmark"}], "stack_id": null, "status": "CREATE_IN_PROGRESS", "status_reason": null, "health_status": null, "health_status_reason": {}, "discovery_url": null, "api_address": null, "coe_version": null, "container_version": null, "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "node_addresses": [], "master_addresses": [], "fixed_network": null, "fixed_subnet": null, "floating_ip_enabled": true, "merge_labels": false, "labels_overridden": {}, "labels_added": {}, "labels_skipped": {}, "master_lb_enabled": false, "created_at": "2026-11-27T23:14:13+00:00", "updated_at": null}`

	// seq #125: the same cluster, CREATE_COMPLETE.
	transcriptClusterComplete = `{"uuid": "06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "name": "c1-231358", "cluster_template_id": "9645b8e3-75ee-4a1f-8120-746663e8856a", "keypair": "kp1", "node_count": 1, "master_count": 1, "docker_volume_size": 5, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5", "foo": "bar"}, "master_flavor_id": "m1.small", "flavor_id": "m1.small", "create_timeout": 60, "links": [{"href": "http://127.0.0.1:9511/v1/clusters/06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "rel": "self"}, {"href": "http://127.0.0.1:9511/clusters/06f2f9c1-2176-4b4f-a925-c8e45b393b8f", "rel": "bookmark"}], "stack_id": "8516432c-9230-4bda-a490-a9340c07d4ad", "status": "CREATE_COMPLETE", "status_reason": null, "health_status": null, "health_status_reason": {}, "discovery_url": "http://127.0.0.1:8099/discovery/ff4bc648f97d4eeeac808dabc2ca7fe5", "api_address": "https://127.0.0.1:6443", "coe_version": "v1.23.3-rancher1", "container_version": "1.12.6", "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "node_addresses": ["10.0.0.11"], "master_addresses": ["10.0.0.10"], "fixed_network": null, "fixed_subnet": null, "floating_ip_enabled": true, "merge_labels": false, "labels_overridden": {}, "labels_added": {}, "labels_skipped": {}, "master_lb_enabled": false, "created_at": "2026-11-27T23:14:13+00:00", "updated_at": "2026-11-27T23:14:24+00:00"}`

	// seq #392: a cluster Nova could not schedule, CREATE_FAILED with faults.
	transcriptClusterFailed = `{"uuid": "d9a11384-357f-47f2-b705-bf40242318a7", "name": "cfail-231358", "cluster_template_id": "9645b8e3-75ee-4a1f-8120-746663e8856a", "keypair": "kp1", "node_count": 1, "master_count": 1, "docker_volume_size": 5, "labels": {"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "max_node_count": "5", "foo": "bar"}, "master_flavor_id": "m1.small", "flavor_id": "m1.small", "create_timeout": 60, "links": [{"href": "http://127.0.0.1:9511/v1/clusters/d9a11384-357f-47f2-b705-bf40242318a7", "rel": "self"}, {"href": "http://127.0.0.1:9511/clusters/d9a11384-357f-47f2-b705-bf40242318a7", "rel": "bookmark"}], "stack_id": "b5a4e511-68e9-4d80-8bed-7ec7457d0aac", "status": "CREATE_FAILED", "status_reason": "default-master failed, default-worker failed", "health_status": null, "health_status_reason": {}, "discovery_url": "http://127.0.0.1:8099/discovery/c30b356b3fbf491d91b733d123dcb729", "api_address": null, "coe_version": "v1.23.3-rancher1", "container_version": "1.12.6", "project_id": "49f56470f6d944d4a9a81ac47c95a702", "user_id": "454c57f4e0294a94a8293f4f42a52017", "node_addresses": [], "master_addresses": [], "faults": {"default-master": "Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR due to \"Message: No valid host was found. There are not enough hosts available., Code: 500\"", "default-worker": "Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR due to \"Message: No valid host was found. There are not enough hosts available., Code: 500\""}, "fixed_network": null, "fixed_subnet": null, "floating_ip_enabled": true, "merge_labels": false, "labels_overridden": {}, "labels_added": {}, "labels_skipped": {}, "master_lb_enabled": false, "created_at": "2026-11-27T23:19:32+00:00", "updated_at": "2026-11-27T23:19:45+00:00"}`

	transcriptTemplateUUID = "9645b8e3-75ee-4a1f-8120-746663e8856a"
	transcriptFault        = `Resource CREATE failed: ResourceInError: resources.kube_masters.resources[0].resources.kube-master: Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`
)

func decodeTemplate(t *testing.T, body string) *magnum.ClusterTemplate {
	t.Helper()
	var ct magnum.ClusterTemplate
	if err := json.Unmarshal([]byte(body), &ct); err != nil {
		t.Fatalf("decoding the cluster template: %v", err)
	}
	return &ct
}

func decodeCluster(t *testing.T, body string) *magnum.Cluster {
	t.Helper()
	var c magnum.Cluster
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatalf("decoding the cluster: %v", err)
	}
	return &c
}

func strMap(kv ...string) types.Map {
	elems := make(map[string]attr.Value, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		elems[kv[i]] = types.StringValue(kv[i+1])
	}
	return types.MapValueMust(types.StringType, elems)
}

func strList(vals ...string) types.List {
	elems := make([]attr.Value, len(vals))
	for i, v := range vals {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

// assertModelFields compares the named fields of a framework model (tfsdk
// tag => value), so a failure names the Terraform attribute.
func assertModelFields(t *testing.T, model any, want map[string]attr.Value) {
	t.Helper()
	got := modelFields(reflect.ValueOf(model))
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("model has no attribute %q", name)
			continue
		}
		if !g.Equal(w) {
			t.Errorf("%s = %s, want %s", name, g, w)
		}
	}
}

func modelFields(v reflect.Value) map[string]attr.Value {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	out := map[string]attr.Value{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Anonymous && v.Field(i).Kind() == reflect.Struct {
			for k, av := range modelFields(v.Field(i)) {
				out[k] = av
			}
			continue
		}
		if av, ok := v.Field(i).Interface().(attr.Value); ok {
			out[f.Tag.Get("tfsdk")] = av
		}
	}
	return out
}

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

// plannedBay is a create plan for a configuration that sets only name and
// baymodel_id: defaults filled in, everything inherited unknown.
func plannedBay() bayModel {
	var m bayModel
	for _, v := range []*types.String{
		&m.ID, &m.DiscoveryURL, &m.Keypair, &m.FlavorID, &m.MasterFlavorID, &m.FixedNetwork, &m.FixedSubnet,
		&m.COE, &m.Status, &m.StatusReason, &m.HealthStatus, &m.APIAddress, &m.COEVersion, &m.ContainerVersion,
		&m.StackID, &m.ProjectID, &m.UserID, &m.CreatedAt, &m.UpdatedAt, &m.CACert,
	} {
		*v = types.StringUnknown()
	}
	m.Name = types.StringValue("c1-231358")
	m.BaymodelID = types.StringValue("ct-231358")
	m.NodeCount, m.MasterCount = types.Int64Value(1), types.Int64Value(1)
	m.CreateTimeout, m.DockerVolumeSize = types.Int64Unknown(), types.Int64Unknown()
	m.Labels = types.MapNull(types.StringType)
	m.MergeLabels = types.BoolValue(false)
	m.MasterLBEnabled, m.FloatingIPEnabled = types.BoolUnknown(), types.BoolUnknown()
	m.Faults, m.HealthStatusReason = types.MapUnknown(types.StringType), types.MapUnknown(types.StringType)
	m.EffectiveLabels = types.MapUnknown(types.StringType)
	m.MasterAddresses, m.NodeAddresses = types.ListUnknown(types.StringType), types.ListUnknown(types.StringType)
	m.Kubeconfig, m.DockerTLS = types.ObjectUnknown(kubeconfigAttrTypes), types.ObjectUnknown(dockerTLSAttrTypes)
	return m
}

func TestBayCreateRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(*bayModel)
		want   string
	}{
		// Inherited arguments are unknown in the plan: sending them would
		// override the baymodel with zero values.
		{"inherited arguments are left to the baymodel", func(*bayModel) {},
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1}`},
		{"every argument is sent", func(m *bayModel) {
			m.Keypair, m.FlavorID, m.MasterFlavorID = types.StringValue("kp2"), types.StringValue("m1.large"), types.StringValue("m1.xlarge")
			m.FixedNetwork, m.FixedSubnet = types.StringValue("net"), types.StringValue("subnet")
			m.DiscoveryURL = types.StringValue("https://discovery.etcd.io/abc")
			m.NodeCount, m.MasterCount, m.DockerVolumeSize, m.CreateTimeout = types.Int64Value(3), types.Int64Value(3), types.Int64Value(20), types.Int64Value(90)
			m.MasterLBEnabled, m.FloatingIPEnabled = types.BoolValue(true), types.BoolValue(false)
			m.Labels = strMap("foo", "bar")
		}, `{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","keypair":"kp2","node_count":3,"master_count":3,` +
			`"docker_volume_size":20,"master_flavor_id":"m1.xlarge","flavor_id":"m1.large","fixed_network":"net","fixed_subnet":"subnet",` +
			`"labels":{"foo":"bar"},"create_timeout":90,"floating_ip_enabled":false,"master_lb_enabled":true,"discovery_url":"https://discovery.etcd.io/abc"}`},
		// false is Magnum's default, and the bays API has no merge_labels at
		// all, so only true is sent.
		{"merge_labels false is not sent", func(m *bayModel) { m.Labels = strMap("foo", "bar") },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1,"labels":{"foo":"bar"}}`},
		{"merge_labels true is sent", func(m *bayModel) { m.Labels, m.MergeLabels = strMap("foo", "bar"), types.BoolValue(true) },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1,"labels":{"foo":"bar"},"merge_labels":true}`},
		{"zero nodes is sent", func(m *bayModel) { m.NodeCount = types.Int64Value(0) },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":0,"master_count":1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := plannedBay()
			tc.change(&m)
			// The baymodel was given by name; the POST needs the UUID.
			req, diags := bayCreateRequest(ctx, m, transcriptTemplateUUID)
			if diags.HasError() {
				t.Fatal(diags)
			}
			body, _ := json.Marshal(req)
			if string(body) != tc.want {
				t.Fatalf("POST body\n got %s\nwant %s", body, tc.want)
			}
		})
	}
}

func TestBayFromAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	meta := bayMeta{BaymodelUUID: transcriptTemplateUUID, COE: "kubernetes"}
	null, s := types.StringNull(), types.StringValue
	emptyMap := types.MapValueMust(types.StringType, map[string]attr.Value{})
	effective := strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "True", "max_node_count", "5", "foo", "bar")

	cases := []struct {
		name string
		body string
		want map[string]attr.Value
	}{
		{"in progress, before Heat has a stack", transcriptClusterInProgress, map[string]attr.Value{
			"id": s("06f2f9c1-2176-4b4f-a925-c8e45b393b8f"), "name": s("c1-231358"), "status": s("CREATE_IN_PROGRESS"),
			"stack_id": null, "status_reason": null, "discovery_url": null, "api_address": null, "coe_version": null,
			"container_version": null, "health_status": null, "updated_at": null,
			"created_at": s("2026-11-27T23:14:13Z"), "faults": emptyMap, "health_status_reason": emptyMap,
			"master_addresses": strList(), "node_addresses": strList(), "create_timeout": types.Int64Value(60),
		}},
		{"complete", transcriptClusterComplete, map[string]attr.Value{
			"status": s("CREATE_COMPLETE"), "stack_id": s("8516432c-9230-4bda-a490-a9340c07d4ad"),
			"api_address": s("https://127.0.0.1:6443"), "coe_version": s("v1.23.3-rancher1"), "container_version": s("1.12.6"),
			"discovery_url":    s("http://127.0.0.1:8099/discovery/ff4bc648f97d4eeeac808dabc2ca7fe5"),
			"master_addresses": strList("10.0.0.10"), "node_addresses": strList("10.0.0.11"),
			"keypair": s("kp1"), "flavor_id": s("m1.small"), "master_flavor_id": s("m1.small"),
			"docker_volume_size": types.Int64Value(5), "node_count": types.Int64Value(1), "master_count": types.Int64Value(1),
			"fixed_network": null, "fixed_subnet": null,
			"floating_ip_enabled": types.BoolValue(true), "master_lb_enabled": types.BoolValue(false),
			"project_id": s("49f56470f6d944d4a9a81ac47c95a702"), "user_id": s("454c57f4e0294a94a8293f4f42a52017"),
			"created_at": s("2026-11-27T23:14:13Z"), "updated_at": s("2026-11-27T23:14:24Z"),
			"coe": s("kubernetes"), "effective_labels": effective, "faults": emptyMap,
		}},
		{"failed, with faults per nodegroup", transcriptClusterFailed, map[string]attr.Value{
			"status": s("CREATE_FAILED"), "status_reason": s("default-master failed, default-worker failed"),
			"faults":      strMap("default-master", transcriptFault, "default-worker", transcriptFault),
			"api_address": null, "stack_id": s("b5a4e511-68e9-4d80-8bed-7ec7457d0aac"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := plannedBay()
			if diags := bayFromAPI(ctx, decodeCluster(t, tc.body), &m.bayAttributes, meta); diags.HasError() {
				t.Fatal(diags)
			}
			assertModelFields(t, m, tc.want)
			// The user gave the baymodel by name and the bay is still on it:
			// keeping the name avoids a perpetual diff.
			if want := s("ct-231358"); !m.BaymodelID.Equal(want) {
				t.Errorf("baymodel_id = %s, want the configured %s", m.BaymodelID, want)
			}
			// labels was not configured: the baymodel's are inherited and
			// show only in effective_labels.
			if !m.Labels.IsNull() {
				t.Errorf("labels = %s, want null", m.Labels)
			}
		})
	}

	baymodelCases := []struct {
		name       string
		configured types.String
		meta       bayMeta
		clusterCT  string
		want       string
	}{
		{"name kept while the bay stays on it", s("ct-231358"), meta, transcriptTemplateUUID, "ct-231358"},
		{"UUID kept", s(transcriptTemplateUUID), meta, transcriptTemplateUUID, transcriptTemplateUUID},
		// Someone ran `openstack coe cluster upgrade` elsewhere: the state
		// must show the new template so the plan offers to move it back.
		{"name replaced when the bay moved to another baymodel", s("ct-231358"), meta, "11111111-2222-3333-4444-555555555555",
			"11111111-2222-3333-4444-555555555555"},
		{"UUID replaced when the bay moved to another baymodel", s(transcriptTemplateUUID), meta, "11111111-2222-3333-4444-555555555555",
			"11111111-2222-3333-4444-555555555555"},
		{"import fills it in", types.StringNull(), bayMeta{}, transcriptTemplateUUID, transcriptTemplateUUID},
		{"unknown is filled in", types.StringUnknown(), meta, transcriptTemplateUUID, transcriptTemplateUUID},
	}
	for _, tc := range baymodelCases {
		t.Run("baymodel_id: "+tc.name, func(t *testing.T) {
			t.Parallel()
			c := decodeCluster(t, transcriptClusterComplete)
			c.ClusterTemplateID = tc.clusterCT
			m := plannedBay()
			m.BaymodelID = tc.configured
			if diags := bayFromAPI(ctx, c, &m.bayAttributes, tc.meta); diags.HasError() {
				t.Fatal(diags)
			}
			if !m.BaymodelID.Equal(s(tc.want)) {
				t.Fatalf("baymodel_id = %s, want %q", m.BaymodelID, tc.want)
			}
		})
	}

	t.Run("coe stays as it was without baymodel metadata", func(t *testing.T) {
		t.Parallel()
		m := plannedBay()
		m.COE = s("swarm")
		if diags := bayFromAPI(ctx, decodeCluster(t, transcriptClusterComplete), &m.bayAttributes, bayMeta{}); diags.HasError() {
			t.Fatal(diags)
		}
		if !m.COE.Equal(s("swarm")) {
			t.Fatalf("coe = %s", m.COE)
		}
	})

	t.Run("load balancer and floating IP flags Magnum leaves out", func(t *testing.T) {
		t.Parallel()
		// Magnum's list entries have neither flag: an unknown plan value
		// becomes null, a configured one is kept.
		body := strings.NewReplacer(`"master_lb_enabled": false, `, ``, `"floating_ip_enabled": true, `, ``).Replace(transcriptClusterComplete)
		c := decodeCluster(t, body)
		if c.MasterLBEnabled != nil || c.FloatingIPEnabled != nil {
			t.Fatal("test body still has the flags")
		}
		m := plannedBay()
		m.FloatingIPEnabled = types.BoolValue(false)
		if diags := bayFromAPI(ctx, c, &m.bayAttributes, meta); diags.HasError() {
			t.Fatal(diags)
		}
		if !m.MasterLBEnabled.IsNull() {
			t.Errorf("master_lb_enabled = %s, want null", m.MasterLBEnabled)
		}
		if !m.FloatingIPEnabled.Equal(types.BoolValue(false)) {
			t.Errorf("floating_ip_enabled = %s, want the configured false", m.FloatingIPEnabled)
		}
	})

	t.Run("health reasons of any JSON type become strings", func(t *testing.T) {
		t.Parallel()
		body := strings.Replace(transcriptClusterComplete, `"health_status_reason": {}`,
			`"health_status_reason": {"api": "ok", "k8s-node-0.Ready": true, "nodes": 3}`, 1)
		m := plannedBay()
		if diags := bayFromAPI(ctx, decodeCluster(t, body), &m.bayAttributes, meta); diags.HasError() {
			t.Fatal(diags)
		}
		want := strMap("api", "ok", "k8s-node-0.Ready", "true", "nodes", "3")
		if !m.HealthStatusReason.Equal(want) {
			t.Fatalf("health_status_reason = %s, want %s", m.HealthStatusReason, want)
		}
	})
}

func TestConfiguredLabels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server := map[string]string{"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "foo": "bar"}
	cases := []struct {
		name       string
		configured types.Map
		merge      bool
		actual     map[string]string
		want       types.Map
	}{
		{"not configured stays null", types.MapNull(types.StringType), false, server, types.MapNull(types.StringType)},
		{"not configured stays null when merging", types.MapNull(types.StringType), true, server, types.MapNull(types.StringType)},
		{"unknown stays unknown", types.MapUnknown(types.StringType), false, server, types.MapUnknown(types.StringType)},
		// Magnum treats {} like no labels and applies the baymodel's.
		{"empty stays empty", strMap(), false, server, strMap()},
		// The baymodel's own labels are not the user's: no drift.
		{"merge keeps only configured keys", strMap("foo", "bar"), true, server, strMap("foo", "bar")},
		{"merge shows drift in a configured key", strMap("foo", "bar"), true,
			map[string]string{"kube_tag": "v1.23.3-rancher1", "foo": "changed"}, strMap("foo", "changed")},
		{"merge shows a configured key that is gone", strMap("foo", "bar", "baz", "1"), true,
			map[string]string{"kube_tag": "v1.23.3-rancher1", "foo": "bar"}, strMap("foo", "bar")},
		// Without merge the bay's labels are exactly the configured ones, so
		// anything else on the server is drift.
		{"non-merge mirrors the server", strMap("foo", "bar"), false, server, strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "True", "foo", "bar")},
		{"non-merge shows drift in a configured key", strMap("foo", "bar"), false, map[string]string{"foo": "baz"}, strMap("foo", "baz")},
		{"non-merge with no labels on the server", strMap("foo", "bar"), false, nil, strMap()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, diags := configuredLabels(ctx, tc.configured, tc.merge, tc.actual)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("labels = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDescribeBay(t *testing.T) {
	t.Parallel()
	failed := decodeCluster(t, transcriptClusterFailed)
	cases := []struct {
		name string
		in   *magnum.Cluster
		want string
	}{
		{"nil", nil, ""},
		{"nothing to say", decodeCluster(t, transcriptClusterInProgress), ""},
		// Faults sorted by nodegroup so the message is stable between runs.
		{"reason and faults", failed, "status_reason: default-master failed, default-worker failed; " +
			"fault in default-master: " + transcriptFault + "; fault in default-worker: " + transcriptFault},
		{"reason only", &magnum.Cluster{StatusReason: "Stack CREATE failed"}, "status_reason: Stack CREATE failed"},
		{"faults only", &magnum.Cluster{Faults: map[string]string{"b": "2", "a": "1"}}, "fault in a: 1; fault in b: 2"},
	}
	for _, tc := range cases {
		if got := diagnose.ClusterStatus(tc.in); got != tc.want {
			t.Errorf("%s: diagnose.ClusterStatus =\n %q\nwant\n %q", tc.name, got, tc.want)
		}
	}
}

func TestStringifyValues(t *testing.T) {
	t.Parallel()
	got := stringifyValues(map[string]any{
		"api": "ok", "ready": true, "down": false, "count": float64(3), "ratio": 0.5, "missing": nil,
	})
	want := map[string]string{"api": "ok", "ready": "true", "down": "false", "count": "3", "ratio": "0.5", "missing": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stringifyValues = %v, want %v", got, want)
	}
	if got := stringifyValues(nil); got == nil || len(got) != 0 {
		t.Fatalf("stringifyValues(nil) = %#v, want an empty non-nil map", got)
	}
}

func TestNullUnknowns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := plannedBay()
	m.Name = types.StringValue("kept")
	m.Labels = strMap("foo", "bar")
	m.MasterLBEnabled = types.BoolValue(true)

	got := nullUnknowns(ctx, m)

	null := map[string]attr.Value{
		"id":                   types.StringNull(),
		"create_timeout":       types.Int64Null(),
		"docker_volume_size":   types.Int64Null(),
		"floating_ip_enabled":  types.BoolNull(),
		"faults":               types.MapNull(types.StringType),
		"effective_labels":     types.MapNull(types.StringType),
		"master_addresses":     types.ListNull(types.StringType),
		"node_addresses":       types.ListNull(types.StringType),
		"kubeconfig":           types.ObjectNull(kubeconfigAttrTypes),
		"docker_tls":           types.ObjectNull(dockerTLSAttrTypes),
		"name":                 types.StringValue("kept"),
		"baymodel_id":          types.StringValue("ct-231358"),
		"node_count":           types.Int64Value(1),
		"labels":               strMap("foo", "bar"),
		"master_lb_enabled":    types.BoolValue(true),
		"merge_labels":         types.BoolValue(false),
		"health_status_reason": types.MapNull(types.StringType),
	}
	assertModelFields(t, *got, null)
	for name, v := range modelFields(reflect.ValueOf(got)) {
		if v.IsUnknown() {
			t.Errorf("%s is still unknown", name)
		}
	}
	// The argument is a copy: Create keeps planning with the original.
	if !m.ID.IsUnknown() || !m.Kubeconfig.IsUnknown() {
		t.Fatal("nullUnknowns modified its argument")
	}
}

// TestBayRead_baymodelChangedOutOfBandShowsAsDrift covers a bay that someone
// moved to another baymodel outside Terraform (`openstack coe cluster
// upgrade`). bayFromAPI reports that as drift when given the baymodel the
// state was built from, but Read first refreshes the private metadata to
// the bay's current baymodel and passes that, so baymodel_id keeps the
// configured value and the plan never offers to move the bay back.
func TestBayRead_baymodelChangedOutOfBandShowsAsDrift(t *testing.T) {
	t.Parallel()
	const movedTo = "11111111-2222-3333-4444-555555555555"
	// The bay failed, so it has no api_address and Read signs nothing.
	cluster := strings.Replace(transcriptClusterFailed, transcriptTemplateUUID, movedTo, 1)
	template := strings.NewReplacer(transcriptTemplateUUID, movedTo, `"name": "ct-231358"`, `"name": "ct-other"`).Replace(transcriptTemplate)
	magnumSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, `{"versions": [{"id": "v1", "status": "CURRENT", "max_version": "1.10", "min_version": "1.1"}]}`)
		case "/v1/clusters/d9a11384-357f-47f2-b705-bf40242318a7":
			_, _ = io.WriteString(w, cluster)
		case "/v1/clustertemplates/" + movedTo:
			_, _ = io.WriteString(w, template)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errors": [{"status": 404, "detail": "not served by this test"}]}`)
		}
	}))
	t.Cleanup(magnumSrv.Close)

	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("demo")
	ctx := context.Background()
	server := providerserver.NewProtocol6(newTestProvider())()
	cfg, _ := protoConfig(t, map[string]any{
		"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password, "user_domain_name": c.UserDomainName,
		"project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName,
		"endpoint_overrides": map[string]string{"container-infra": magnumSrv.URL + "/v1"},
	})
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	cresp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg})
	if err != nil || protoHasError(cresp.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, protoDiags(cresp.Diagnostics))
	}

	var sresp resource.SchemaResponse
	(&bayResource{}).Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	set := map[string]any{
		"id": "d9a11384-357f-47f2-b705-bf40242318a7", "name": "cfail-231358", "baymodel_id": "ct-231358",
		"merge_labels": false, "status": "CREATE_FAILED",
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, set[name])
	}
	state, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	private, _ := json.Marshal(map[string][]byte{
		privateBayMeta: []byte(`{"baymodel_uuid":"` + transcriptTemplateUUID + `","coe":"kubernetes","tls_disabled":false}`),
	})

	rresp, err := server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "magnum_bay", CurrentState: &state, Private: private})
	if err != nil || protoHasError(rresp.Diagnostics) {
		t.Fatalf("ReadResource: %v %v", err, protoDiags(rresp.Diagnostics))
	}
	raw, err := rresp.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]tftypes.Value
	if err := raw.As(&got); err != nil {
		t.Fatal(err)
	}
	var baymodelID string
	if err := got["baymodel_id"].As(&baymodelID); err != nil {
		t.Fatal(err)
	}
	if baymodelID != movedTo {
		t.Fatalf("after the bay moved to baymodel %s out of band, Read left baymodel_id = %q: the plan shows no drift", movedTo, baymodelID)
	}
}

func protoHasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func protoDiags(diags []*tfprotov6.Diagnostic) []string {
	out := make([]string, len(diags))
	for i, d := range diags {
		out[i] = d.Summary + ": " + d.Detail
	}
	return out
}
