package provider

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Fixtures of the mapping tests (bay_mapping_test.go, baymodel_mapping_test.go):
// response bodies a running Magnum 15 answered, copied verbatim from
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
