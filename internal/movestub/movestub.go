// Package movestub is a stand-in for terraform-provider-openstack in the
// test of `moved` blocks from its containerinfra resources to magnum_*.
//
// Terraform loads every provider that the prior state references, so a
// state holding openstack_containerinfra_* resources cannot even be
// planned without a provider named openstack that knows those resource
// types. The real one cannot be downloaded on test machines. This one
// declares the two resources with the peer's attribute names and types
// (enough to decode its state) and never talks to any API: Read returns
// the state unchanged, Delete forgets it, and Create refuses.
package movestub

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// New returns the stub provider; its type name is "openstack".
func New() provider.Provider { return stub{} }

type stub struct{}

func (stub) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "openstack"
}

func (stub) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (stub) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (stub) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (stub) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource {
			return &stubResource{typeName: "containerinfra_clustertemplate_v1", attrs: clusterTemplateAttributes(), timeouts: []string{"create", "delete"}}
		},
		func() resource.Resource {
			return &stubResource{typeName: "containerinfra_cluster_v1", attrs: clusterAttributes(), timeouts: []string{"create", "update", "delete"}}
		},
		func() resource.Resource {
			return &stubResource{typeName: "containerinfra_nodegroup_v1", attrs: nodegroupAttributes(), timeouts: []string{"create", "update", "delete"}}
		},
	}
}

// The attribute tables of the peer's three resources (see
// shared/reference/peer.md §1), by type.
func clusterTemplateAttributes() map[string]attr.Type {
	return typed(
		[]string{"region", "name", "coe", "image", "dns_nameserver", "docker_storage_driver", "external_network_id",
			"fixed_network", "fixed_subnet", "http_proxy", "https_proxy", "insecure_registry", "keypair_id", "no_proxy",
			"volume_driver", "flavor", "master_flavor", "cluster_distro", "network_driver", "server_type",
			"project_id", "user_id", "created_at", "updated_at"},
		[]string{"apiserver_port", "docker_volume_size"},
		[]string{"floating_ip_enabled", "master_lb_enabled", "public", "registry_enabled", "tls_disabled", "hidden"},
		[]string{"labels"}, nil)
}

func clusterAttributes() map[string]attr.Type {
	return typed(
		[]string{"region", "name", "cluster_template_id", "discovery_url", "flavor", "master_flavor", "keypair",
			"fixed_network", "fixed_subnet", "project_id", "user_id", "api_address", "coe_version", "container_version",
			"stack_id", "created_at", "updated_at"},
		[]string{"create_timeout", "docker_volume_size", "master_count", "node_count"},
		[]string{"master_lb_enabled", "floating_ip_enabled", "merge_labels"},
		[]string{"labels", "kubeconfig"},
		[]string{"master_addresses", "node_addresses"})
}

func nodegroupAttributes() map[string]attr.Type {
	return typed(
		[]string{"region", "cluster_id", "name", "role", "image_id", "flavor_id", "project_id", "created_at", "updated_at"},
		[]string{"docker_volume_size", "node_count", "min_node_count", "max_node_count"},
		[]string{"merge_labels"},
		[]string{"labels"}, nil)
}

func typed(strs, ints, bools, maps, lists []string) map[string]attr.Type {
	out := map[string]attr.Type{}
	for _, n := range strs {
		out[n] = types.StringType
	}
	for _, n := range ints {
		out[n] = types.Int64Type
	}
	for _, n := range bools {
		out[n] = types.BoolType
	}
	for _, n := range maps {
		out[n] = types.MapType{ElemType: types.StringType}
	}
	for _, n := range lists {
		out[n] = types.ListType{ElemType: types.StringType}
	}
	return out
}

type stubResource struct {
	typeName string
	attrs    map[string]attr.Type
	timeouts []string
}

func (r *stubResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.typeName
}

func (r *stubResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{"id": schema.StringAttribute{Computed: true}}
	for name, t := range r.attrs {
		switch t := t.(type) {
		case types.MapType:
			attrs[name] = schema.MapAttribute{ElementType: t.ElemType, Optional: true, Computed: true, Sensitive: name == "kubeconfig"}
		case types.ListType:
			attrs[name] = schema.ListAttribute{ElementType: t.ElemType, Computed: true}
		default:
			switch t {
			case types.Int64Type:
				attrs[name] = schema.Int64Attribute{Optional: true, Computed: true}
			case types.BoolType:
				attrs[name] = schema.BoolAttribute{Optional: true, Computed: true}
			default:
				attrs[name] = schema.StringAttribute{Optional: true, Computed: true}
			}
		}
	}
	// SDKv2 keeps timeouts as a block of duration strings.
	to := map[string]schema.Attribute{}
	for _, k := range r.timeouts {
		to[k] = schema.StringAttribute{Optional: true}
	}
	resp.Schema = schema.Schema{
		Attributes: attrs,
		Blocks:     map[string]schema.Block{"timeouts": schema.SingleNestedBlock{Attributes: to}},
	}
}

func (r *stubResource) Create(_ context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.AddError("The openstack stub cannot create resources",
		"This provider only stands in for terraform-provider-openstack so that a state holding its resources can be loaded.")
}

func (r *stubResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *stubResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (r *stubResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
