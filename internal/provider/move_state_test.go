package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

const peerAddress = "registry.terraform.io/terraform-provider-openstack/openstack"

// peerClusterTemplateState is an openstack_containerinfra_clustertemplate_v1
// state as the peer (an SDKv2 provider) writes it: every attribute present,
// "" and 0 for unset optional ones.
const peerClusterTemplateState = `{
  "apiserver_port": 0,
  "cluster_distro": "fedora-coreos",
  "coe": "kubernetes",
  "created_at": "2026-01-02T03:04:05+00:00",
  "dns_nameserver": "8.8.8.8",
  "docker_storage_driver": "overlay2",
  "docker_volume_size": 5,
  "external_network_id": "public",
  "fixed_network": "",
  "fixed_subnet": "",
  "flavor": "m1.small",
  "floating_ip_enabled": true,
  "hidden": false,
  "http_proxy": "",
  "https_proxy": "",
  "id": "0b5a6c1e-1111-4b7e-9d3c-000000000001",
  "image": "fedora-coreos-35",
  "insecure_registry": "",
  "keypair_id": "testkey",
  "labels": {"kube_tag": "v1.23.3-rancher1", "auto_scaling_enabled": "false"},
  "master_flavor": "m1.medium",
  "master_lb_enabled": false,
  "name": "k8s-template",
  "network_driver": "flannel",
  "no_proxy": "",
  "project_id": "p1",
  "public": false,
  "region": "RegionOne",
  "registry_enabled": false,
  "server_type": "vm",
  "timeouts": null,
  "tls_disabled": false,
  "updated_at": "",
  "user_id": "u1",
  "volume_driver": "cinder"
}`

// peerClusterState is an openstack_containerinfra_cluster_v1 state with
// the peer's kubeconfig map and a configured timeouts block.
const peerClusterState = `{
  "api_address": "https://203.0.113.10:6443",
  "cluster_template_id": "0b5a6c1e-1111-4b7e-9d3c-000000000001",
  "coe_version": "v1.23.3-rancher1",
  "container_version": "1.12.6",
  "create_timeout": 60,
  "created_at": "2026-01-02T03:04:05+00:00",
  "discovery_url": "https://discovery.etcd.io/abc",
  "docker_volume_size": 5,
  "fixed_network": "",
  "fixed_subnet": "",
  "flavor": "m1.small",
  "floating_ip_enabled": true,
  "id": "6f1c2d3e-2222-4b7e-9d3c-000000000002",
  "keypair": "testkey",
  "kubeconfig": {"raw_config": "apiVersion: v1", "host": "https://203.0.113.10:6443", "cluster_ca_certificate": "CA", "client_certificate": "CERT", "client_key": "KEY"},
  "labels": {"kube_tag": "v1.23.3-rancher1", "auto_scaling_enabled": "false"},
  "master_addresses": ["203.0.113.10"],
  "master_count": 1,
  "master_flavor": "m1.medium",
  "master_lb_enabled": false,
  "merge_labels": false,
  "name": "k8sbay",
  "node_addresses": ["203.0.113.11", "203.0.113.12"],
  "node_count": 2,
  "project_id": "p1",
  "region": "RegionOne",
  "stack_id": "5e7d8c9b-3333-4b7e-9d3c-000000000003",
  "timeouts": {"create": "90m", "delete": null, "update": null},
  "updated_at": "2026-01-02T03:14:05+00:00",
  "user_id": "u1"
}`

// movedState is what the provider answered a MoveResourceState call with.
type movedState struct {
	state   tfsdk.State
	private map[string][]byte
	errors  string
}

// moveState sends Terraform's MoveResourceState call for a `moved` block
// from sourceType (of the provider at address) to targetType, through the
// provider's protocol server. handled is false when no mover claimed it.
func moveState(t *testing.T, targetType, sourceType, address, raw string) (movedState, bool) {
	t.Helper()
	ctx := context.Background()
	server := providerserver.NewProtocol6(newTestProvider())()
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := server.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{
		SourceProviderAddress: address,
		SourceTypeName:        sourceType,
		SourceState:           &tfprotov6.RawState{JSON: []byte(raw)},
		TargetTypeName:        targetType,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out movedState
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			if strings.Contains(d.Summary, "Unable to Move Resource State") && strings.Contains(d.Detail, "does not include support for the given source resource") {
				return out, false
			}
			out.errors += d.Summary + ": " + d.Detail + "\n"
		}
	}
	if resp.TargetState == nil {
		return out, out.errors != ""
	}
	var r resource.Resource = &bayResource{}
	switch targetType {
	case "magnum_baymodel":
		r = &baymodelResource{}
	case "magnum_nodegroup":
		r = &nodegroupResource{}
	}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	val, err := resp.TargetState.Unmarshal(sr.Schema.Type().TerraformType(ctx))
	if err != nil {
		t.Fatal(err)
	}
	out.state = tfsdk.State{Schema: sr.Schema, Raw: val}
	if len(resp.TargetPrivate) > 0 {
		if err := json.Unmarshal(resp.TargetPrivate, &out.private); err != nil {
			t.Fatalf("private state %s: %v", resp.TargetPrivate, err)
		}
	}
	return out, true
}

func checkAttributes(t *testing.T, st tfsdk.State, want map[string]attr.Value) {
	t.Helper()
	for name, w := range want {
		var v attr.Value
		if d := st.GetAttribute(context.Background(), path.Root(name), &v); d.HasError() {
			t.Fatalf("%s: %v", name, d)
		}
		if !v.Equal(w) {
			t.Errorf("%s = %s, want %s", name, v, w)
		}
	}
}

func TestMoveState_baymodelFromPeer(t *testing.T) {
	moved, handled := moveState(t, "magnum_baymodel", peerClusterTemplateType, peerAddress, peerClusterTemplateState)
	if !handled || moved.errors != "" {
		t.Fatalf("the baymodel did not accept a move from %s: %s", peerClusterTemplateType, moved.errors)
	}
	checkAttributes(t, moved.state, map[string]attr.Value{
		"id":                 types.StringValue("0b5a6c1e-1111-4b7e-9d3c-000000000001"),
		"image_id":           types.StringValue("fedora-coreos-35"),
		"flavor_id":          types.StringValue("m1.small"),
		"master_flavor_id":   types.StringValue("m1.medium"),
		"keypair_id":         types.StringValue("testkey"),
		"docker_volume_size": types.Int64Value(5),
		// The peer's 0 and "" mean unset: they must not become arguments
		// the configuration lacks.
		"apiserver_port": types.Int64Null(),
		"fixed_network":  types.StringNull(),
		"http_proxy":     types.StringNull(),
		"updated_at":     types.StringNull(),
		"tags":           types.StringNull(),
		"labels": types.MapValueMust(types.StringType, map[string]attr.Value{
			"kube_tag": types.StringValue("v1.23.3-rancher1"), "auto_scaling_enabled": types.StringValue("false"),
		}),
		"floating_ip_enabled": types.BoolValue(true),
		"server_type":         types.StringValue("vm"),
	})
}

func TestMoveState_bayFromPeer(t *testing.T) {
	moved, handled := moveState(t, "magnum_bay", peerClusterType, peerAddress, peerClusterState)
	if !handled || moved.errors != "" {
		t.Fatalf("the bay did not accept a move from %s: %s", peerClusterType, moved.errors)
	}
	checkAttributes(t, moved.state, map[string]attr.Value{
		"id":               types.StringValue("6f1c2d3e-2222-4b7e-9d3c-000000000002"),
		"baymodel_id":      types.StringValue("0b5a6c1e-1111-4b7e-9d3c-000000000001"),
		"flavor_id":        types.StringValue("m1.small"),
		"master_flavor_id": types.StringValue("m1.medium"),
		"keypair":          types.StringValue("testkey"),
		"node_count":       types.Int64Value(2),
		"master_count":     types.Int64Value(1),
		"create_timeout":   types.Int64Value(60),
		"merge_labels":     types.BoolValue(false),
		"fixed_network":    types.StringNull(),
		// The peer's labels are what the bay has, configured or not.
		"labels": types.MapNull(types.StringType),
		"effective_labels": types.MapValueMust(types.StringType, map[string]attr.Value{
			"kube_tag": types.StringValue("v1.23.3-rancher1"), "auto_scaling_enabled": types.StringValue("false"),
		}),
		// The peer's kubeconfig (RSA key, no expiry) is not carried over:
		// the refresh after the move signs credentials of this provider's.
		"kubeconfig":        types.ObjectNull(kubeconfigAttrTypes),
		"store_credentials": types.BoolValue(true),
		"node_addresses": types.ListValueMust(types.StringType, []attr.Value{
			types.StringValue("203.0.113.11"), types.StringValue("203.0.113.12"),
		}),
		"timeouts": timeouts.Value{Object: types.ObjectValueMust(bayTimeoutsAttrTypes, map[string]attr.Value{
			"create": types.StringValue("90m"), "update": types.StringNull(), "delete": types.StringNull(),
		})},
	})
	if len(moved.private[privateMovedFrom]) == 0 {
		t.Errorf("the moved bay has no %s marker in its private state %v, so a labels configuration would replace it", privateMovedFrom, moved.private)
	}
}

// peerNodegroupState is an openstack_containerinfra_nodegroup_v1 state:
// its id is "<cluster>/<nodegroup>", max_node_count 0 when unlimited.
const peerNodegroupState = `{
  "cluster_id": "6f1c2d3e-2222-4b7e-9d3c-000000000002",
  "created_at": "2026-01-02T03:14:05+00:00",
  "docker_volume_size": 10,
  "flavor_id": "m1.large",
  "id": "6f1c2d3e-2222-4b7e-9d3c-000000000002/9a8b7c6d-3333-4b7e-9d3c-000000000003",
  "image_id": "fedora-coreos-35",
  "labels": {"kube_tag": "v1.23.3-rancher1", "ng": "gpu"},
  "max_node_count": 0,
  "merge_labels": true,
  "min_node_count": 1,
  "name": "gpu",
  "node_count": 2,
  "project_id": "p1",
  "region": "RegionOne",
  "role": "gpu",
  "timeouts": {"create": "2h", "update": null, "delete": ""},
  "updated_at": ""
}`

func TestMoveState_nodegroupFromPeer(t *testing.T) {
	moved, handled := moveState(t, "magnum_nodegroup", peerNodegroupType, peerAddress, peerNodegroupState)
	if !handled || moved.errors != "" {
		t.Fatalf("the nodegroup did not accept a move from %s: %s", peerNodegroupType, moved.errors)
	}
	checkAttributes(t, moved.state, map[string]attr.Value{
		"id":                 types.StringValue("9a8b7c6d-3333-4b7e-9d3c-000000000003"),
		"bay_id":             types.StringValue("6f1c2d3e-2222-4b7e-9d3c-000000000002"),
		"name":               types.StringValue("gpu"),
		"role":               types.StringValue("gpu"),
		"flavor_id":          types.StringValue("m1.large"),
		"docker_volume_size": types.Int64Value(10),
		"node_count":         types.Int64Value(2),
		"min_node_count":     types.Int64Value(1),
		"max_node_count":     types.Int64Null(),
		"merge_labels":       types.BoolValue(true),
		"labels":             types.MapNull(types.StringType),
		"effective_labels": types.MapValueMust(types.StringType, map[string]attr.Value{
			"kube_tag": types.StringValue("v1.23.3-rancher1"), "ng": types.StringValue("gpu"),
		}),
		"updated_at": types.StringNull(),
		"timeouts": timeouts.Value{Object: types.ObjectValueMust(bayTimeoutsAttrTypes, map[string]attr.Value{
			"create": types.StringValue("2h"), "update": types.StringNull(), "delete": types.StringNull(),
		})},
	})
	if len(moved.private[privateMovedFrom]) == 0 {
		t.Errorf("the moved nodegroup has no %s marker in its private state %v", privateMovedFrom, moved.private)
	}
}

// Movers must leave alone what is not theirs, so Terraform reports that no
// mover matched instead of a wrong state; and they must refuse, with a
// reason, a state of theirs they cannot read.
func TestMoveState_sources(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		sourceType string
		address    string
		raw        string
		handled    bool
		wantErr    string
	}{
		{"OpenTofu registry", "magnum_bay", peerClusterType, "registry.opentofu.org/terraform-provider-openstack/openstack", peerClusterState, true, ""},
		{"other provider", "magnum_bay", peerClusterType, "registry.terraform.io/example/openstack", peerClusterState, false, ""},
		{"other resource type", "magnum_bay", "openstack_containerinfra_nodegroup_v1", peerAddress, peerClusterState, false, ""},
		{"cluster into nodegroup", "magnum_nodegroup", peerClusterType, peerAddress, peerClusterState, false, ""},
		{"nodegroup without its cluster", "magnum_nodegroup", peerNodegroupType, peerAddress, `{"id": "9a8b"}`, true, "does not name a cluster and a nodegroup"},
		{"nodegroup id from cluster_id", "magnum_nodegroup", peerNodegroupType, peerAddress, `{"id": "9a8b", "cluster_id": "c1", "name": "x"}`, true, ""},
		{"cluster into baymodel", "magnum_baymodel", peerClusterType, peerAddress, peerClusterState, false, ""},
		{"template into bay", "magnum_bay", peerClusterTemplateType, peerAddress, peerClusterTemplateState, false, ""},
		{"no id", "magnum_baymodel", peerClusterTemplateType, peerAddress, `{"id": "", "name": "x"}`, true, "has no id"},
		{"not an object", "magnum_bay", peerClusterType, peerAddress, `[1]`, true, "not the JSON object"},
		{"no template", "magnum_bay", peerClusterType, peerAddress, `{"id": "c1"}`, true, "no cluster_template_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moved, handled := moveState(t, tt.target, tt.sourceType, tt.address, tt.raw)
			if handled != tt.handled {
				t.Fatalf("handled = %v, want %v (%s)", handled, tt.handled, moved.errors)
			}
			if !handled {
				return
			}
			msg := moved.errors
			if (tt.wantErr == "") != (msg == "") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("errors = %q, want one containing %q", msg, tt.wantErr)
			}
		})
	}
}

func TestLabelsSatisfied(t *testing.T) {
	have := map[string]string{"kube_tag": "v1.23.3", "auto_scaling_enabled": "false"}
	tests := []struct {
		name  string
		want  map[string]string
		merge bool
		ok    bool
	}{
		{"inherit is another bay", nil, false, false},
		{"the whole set", map[string]string{"kube_tag": "v1.23.3", "auto_scaling_enabled": "false"}, false, true},
		{"a subset without merge", map[string]string{"kube_tag": "v1.23.3"}, false, false},
		{"a subset with merge", map[string]string{"kube_tag": "v1.23.3"}, true, true},
		{"another value with merge", map[string]string{"kube_tag": "v1.24.3"}, true, false},
		{"a missing key with merge", map[string]string{"boot_volume_size": "20"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := labelsSatisfied(tt.want, have, tt.merge); got != tt.ok {
				t.Errorf("labelsSatisfied(%v, merge=%v) = %v, want %v", tt.want, tt.merge, got, tt.ok)
			}
		})
	}
}
