package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Users of terraform-provider-openstack move their clusters, cluster
// templates and nodegroups to this provider with `moved` blocks (Terraform 1.8 or later).
// The peer's state is decoded from its raw JSON rather than through a copy
// of its schema: only the attributes mapped here matter, and the peer may
// add attributes in any release without breaking the move.

const (
	peerClusterTemplateType = "openstack_containerinfra_clustertemplate_v1"
	peerClusterType         = "openstack_containerinfra_cluster_v1"
	peerNodegroupType       = "openstack_containerinfra_nodegroup_v1"

	// privateMovedFrom marks a bay or nodegroup whose state came from the
	// peer: its labels argument was unknowable (the peer stores the
	// effective labels there), so a labels configuration the object
	// already satisfies is adopted instead of replacing it. The marker is never
	// cleared: adopting labels a bay already has cannot be wrong later
	// either.
	privateMovedFrom = "moved_from"
)

var (
	_ resource.ResourceWithMoveState = &baymodelResource{}
	_ resource.ResourceWithMoveState = &bayResource{}
	_ resource.ResourceWithMoveState = &nodegroupResource{}
)

// isPeerProvider matches terraform-provider-openstack from any registry
// host: Terraform sends registry.terraform.io, OpenTofu registry.opentofu.org.
func isPeerProvider(address string) bool {
	parts := strings.Split(strings.ToLower(address), "/")
	return len(parts) == 3 && parts[1] == "terraform-provider-openstack" && parts[2] == "openstack"
}

func (r *baymodelResource) MoveState(context.Context) []resource.StateMover {
	return peerMover(peerClusterTemplateType, "magnum_baymodel", func(raw []byte) (baymodelResourceModel, error) {
		m, err := baymodelFromPeerState(raw)
		return baymodelResourceModel{baymodelModel: m, AdoptExisting: types.BoolNull()}, err
	}, false)
}

func (r *bayResource) MoveState(context.Context) []resource.StateMover {
	return peerMover(peerClusterType, "magnum_bay", bayFromPeerState, true)
}

func (r *nodegroupResource) MoveState(context.Context) []resource.StateMover {
	return peerMover(peerNodegroupType, "magnum_nodegroup", nodegroupFromPeerState, true)
}

// peerMover moves the peer's sourceType into target with convert, leaving
// every other source to other movers. markMoved records privateMovedFrom,
// for resources whose labels argument the peer could not know.
func peerMover[M any](sourceType, target string, convert func([]byte) (M, error), markMoved bool) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		if req.SourceTypeName != sourceType || !isPeerProvider(req.SourceProviderAddress) {
			return
		}
		m, err := convert(rawStateJSON(req))
		if err != nil {
			resp.Diagnostics.AddError("Cannot move "+sourceType+" to "+target, err.Error())
			return
		}
		resp.Diagnostics.Append(resp.TargetState.Set(ctx, &m)...)
		if markMoved {
			resp.Diagnostics.Append(resp.TargetPrivate.SetKey(ctx, privateMovedFrom, []byte(`"`+sourceType+`"`))...)
		}
	}}}
}

func rawStateJSON(req resource.MoveStateRequest) []byte {
	if req.SourceRawState == nil {
		return nil
	}
	return req.SourceRawState.JSON
}

// peerState reads the flat attribute JSON of an SDKv2 resource, where an
// unset optional string is "" and an unset number is 0.
type peerState map[string]json.RawMessage

func decodePeerState(raw []byte) (peerState, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("the source state is empty (Terraform sent no JSON state for it)")
	}
	var s peerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("the source state is not the JSON object this provider expects: %w", err)
	}
	if s.str("id").ValueString() == "" {
		return nil, fmt.Errorf("the source state has no id, so there is nothing to move; remove the moved block and import the resource instead")
	}
	return s, nil
}

// str treats "" as null: the peer cannot tell unset from empty.
func (s peerState) str(key string) types.String {
	var v *string
	if json.Unmarshal(s[key], &v) != nil || v == nil || *v == "" {
		return types.StringNull()
	}
	return types.StringValue(*v)
}

// positive treats 0 as null, for sizes and ports where 0 means unset.
func (s peerState) positive(key string) types.Int64 {
	var v *int64
	if json.Unmarshal(s[key], &v) != nil || v == nil || *v <= 0 {
		return types.Int64Null()
	}
	return types.Int64Value(*v)
}

func (s peerState) count(key string, fallback int64) types.Int64 {
	var v *int64
	if json.Unmarshal(s[key], &v) != nil || v == nil {
		return types.Int64Value(fallback)
	}
	return types.Int64Value(*v)
}

func (s peerState) boolean(key string) types.Bool {
	var v *bool
	if json.Unmarshal(s[key], &v) != nil || v == nil {
		return types.BoolNull()
	}
	return types.BoolValue(*v)
}

func (s peerState) stringMap(key string) map[string]string {
	var v map[string]string
	_ = json.Unmarshal(s[key], &v)
	return v
}

func (s peerState) list(key string) types.List {
	var v []string
	if json.Unmarshal(s[key], &v) != nil || v == nil {
		return types.ListNull(types.StringType)
	}
	elems := make([]attr.Value, len(v))
	for i, e := range v {
		elems[i] = types.StringValue(e)
	}
	return types.ListValueMust(types.StringType, elems)
}

func stringMapValue(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// baymodelFromPeerState maps an openstack_containerinfra_clustertemplate_v1
// state to magnum_baymodel. region is dropped (this provider has one
// region per provider block); tags, which the peer lacks, start null.
func baymodelFromPeerState(raw []byte) (baymodelModel, error) {
	s, err := decodePeerState(raw)
	if err != nil {
		return baymodelModel{}, err
	}
	return baymodelModel{
		ID:                  s.str("id"),
		Name:                s.str("name"),
		COE:                 s.str("coe"),
		ImageID:             s.str("image"),
		KeypairID:           s.str("keypair_id"),
		ExternalNetworkID:   s.str("external_network_id"),
		FlavorID:            s.str("flavor"),
		MasterFlavorID:      s.str("master_flavor"),
		DockerVolumeSize:    s.positive("docker_volume_size"),
		DockerStorageDriver: s.str("docker_storage_driver"),
		NetworkDriver:       s.str("network_driver"),
		VolumeDriver:        s.str("volume_driver"),
		DNSNameserver:       s.str("dns_nameserver"),
		FixedNetwork:        s.str("fixed_network"),
		FixedSubnet:         s.str("fixed_subnet"),
		HTTPProxy:           s.str("http_proxy"),
		HTTPSProxy:          s.str("https_proxy"),
		NoProxy:             s.str("no_proxy"),
		Labels:              stringMapValue(s.stringMap("labels")),
		TLSDisabled:         s.boolean("tls_disabled"),
		Public:              s.boolean("public"),
		Hidden:              s.boolean("hidden"),
		RegistryEnabled:     s.boolean("registry_enabled"),
		InsecureRegistry:    s.str("insecure_registry"),
		ServerType:          s.str("server_type"),
		MasterLBEnabled:     s.boolean("master_lb_enabled"),
		FloatingIPEnabled:   s.boolean("floating_ip_enabled"),
		APIServerPort:       s.positive("apiserver_port"),
		Tags:                types.StringNull(),
		ClusterDistro:       s.str("cluster_distro"),
		// The peer has no such attribute; the refresh after the move
		// reads it.
		Driver:    types.StringNull(),
		ProjectID: s.str("project_id"),
		UserID:    s.str("user_id"),
		CreatedAt: s.str("created_at"),
		UpdatedAt: s.str("updated_at"),
	}, nil
}

var bayTimeoutsAttrTypes = map[string]attr.Type{
	"create": types.StringType,
	"update": types.StringType,
	"delete": types.StringType,
}

// bayFromPeerState maps an openstack_containerinfra_cluster_v1 state to
// magnum_bay.
//
// The peer's labels are the bay's effective labels whether or not they
// were configured, so they become effective_labels and labels starts null
// (inherit); see movedLabelsRequireReplace for a configuration that sets
// them. The peer's kubeconfig map is dropped: the refresh that follows the
// move signs new credentials in this provider's format.
func bayFromPeerState(raw []byte) (bayModel, error) {
	s, err := decodePeerState(raw)
	if err != nil {
		return bayModel{}, err
	}
	if s.str("cluster_template_id").IsNull() {
		return bayModel{}, fmt.Errorf("the source state has no cluster_template_id")
	}
	to := peerTimeouts(s)
	labels := s.stringMap("labels")
	effective := types.MapNull(types.StringType)
	if labels != nil {
		effective = stringMapValue(labels)
	}
	merge := s.boolean("merge_labels")
	if merge.IsNull() {
		merge = types.BoolValue(false)
	}
	return bayModel{
		bayAttributes: bayAttributes{
			ID:                 s.str("id"),
			Name:               s.str("name"),
			BaymodelID:         s.str("cluster_template_id"),
			NodeCount:          s.count("node_count", 1),
			MasterCount:        s.count("master_count", 1),
			CreateTimeout:      s.positive("create_timeout"),
			DiscoveryURL:       s.str("discovery_url"),
			Keypair:            s.str("keypair"),
			FlavorID:           s.str("flavor"),
			MasterFlavorID:     s.str("master_flavor"),
			DockerVolumeSize:   s.positive("docker_volume_size"),
			Labels:             types.MapNull(types.StringType),
			MergeLabels:        merge,
			MasterLBEnabled:    s.boolean("master_lb_enabled"),
			FloatingIPEnabled:  s.boolean("floating_ip_enabled"),
			FixedNetwork:       s.str("fixed_network"),
			FixedSubnet:        s.str("fixed_subnet"),
			COE:                types.StringNull(),
			Status:             types.StringNull(),
			StatusReason:       types.StringNull(),
			Faults:             types.MapNull(types.StringType),
			HealthStatus:       types.StringNull(),
			HealthStatusReason: types.MapNull(types.StringType),
			APIAddress:         s.str("api_address"),
			COEVersion:         s.str("coe_version"),
			ContainerVersion:   s.str("container_version"),
			MasterAddresses:    s.list("master_addresses"),
			NodeAddresses:      s.list("node_addresses"),
			StackID:            s.str("stack_id"),
			ProjectID:          s.str("project_id"),
			UserID:             s.str("user_id"),
			CreatedAt:          s.str("created_at"),
			UpdatedAt:          s.str("updated_at"),
			EffectiveLabels:    effective,
			CACert:             types.StringNull(),
			Kubeconfig:         types.ObjectNull(kubeconfigAttrTypes),
			DockerTLS:          types.ObjectNull(dockerTLSAttrTypes),
		},
		StoreCredentials: types.BoolValue(true),
		AutoScaling:      types.ObjectNull(autoScalingAttrTypes),
		Upgrade:          types.ObjectNull(bayUpgradeAttrTypes),
		Timeouts:         timeouts.Value{Object: to},
	}, nil
}

// nodegroupFromPeerState maps an openstack_containerinfra_nodegroup_v1
// state to magnum_nodegroup. The peer's id is "<cluster>/<nodegroup>";
// labels are handled as for bays (see bayFromPeerState), and node_labels,
// node_taints and auto_scaling, which the peer lacks, start null.
func nodegroupFromPeerState(raw []byte) (nodegroupModel, error) {
	s, err := decodePeerState(raw)
	if err != nil {
		return nodegroupModel{}, err
	}
	id := s.str("id").ValueString()
	clusterID := s.str("cluster_id")
	if i := strings.LastIndex(id, "/"); i >= 0 {
		if clusterID.IsNull() && i > 0 {
			clusterID = types.StringValue(id[:i])
		}
		id = id[i+1:]
	}
	if id == "" || clusterID.IsNull() {
		return nodegroupModel{}, fmt.Errorf("the source state's id %q does not name a cluster and a nodegroup", s.str("id").ValueString())
	}
	labels := s.stringMap("labels")
	effective := types.MapNull(types.StringType)
	if labels != nil {
		effective = stringMapValue(labels)
	}
	merge := s.boolean("merge_labels")
	if merge.IsNull() {
		merge = types.BoolValue(false)
	}
	return nodegroupModel{
		ID:               types.StringValue(id),
		BayID:            clusterID,
		Name:             s.str("name"),
		Role:             s.str("role"),
		FlavorID:         s.str("flavor_id"),
		ImageID:          s.str("image_id"),
		DockerVolumeSize: s.positive("docker_volume_size"),
		Labels:           types.MapNull(types.StringType),
		MergeLabels:      merge,
		EffectiveLabels:  effective,
		NodeCount:        s.count("node_count", 1),
		MinNodeCount:     s.count("min_node_count", 0),
		MaxNodeCount:     s.positive("max_node_count"),
		NodeLabels:       types.MapNull(types.StringType),
		NodeTaints:       types.ListNull(types.ObjectType{AttrTypes: taintAttrTypes}),
		AutoScaling:      types.ObjectNull(autoScalingAttrTypes),
		Status:           types.StringNull(),
		StatusReason:     types.StringNull(),
		StackID:          types.StringNull(),
		ProjectID:        s.str("project_id"),
		CreatedAt:        s.str("created_at"),
		UpdatedAt:        s.str("updated_at"),
		Timeouts:         timeouts.Value{Object: peerTimeouts(s)},
	}, nil
}

// peerTimeouts carries the peer's timeouts block over; both providers
// spell durations the same way.
func peerTimeouts(s peerState) types.Object {
	var peer map[string]*string
	if json.Unmarshal(s["timeouts"], &peer) != nil || peer == nil {
		return types.ObjectNull(bayTimeoutsAttrTypes)
	}
	vals := map[string]attr.Value{}
	for k := range bayTimeoutsAttrTypes {
		vals[k] = types.StringNull()
		if v := peer[k]; v != nil && *v != "" {
			vals[k] = types.StringValue(*v)
		}
	}
	return types.ObjectValueMust(bayTimeoutsAttrTypes, vals)
}

// movedLabelsRequireReplace replaces a bay or nodegroup when its labels
// argument changes, since Magnum cannot change labels, except right after
// a move from the peer: then the prior labels are not what the user
// configured, and a configuration the object already satisfies is adopted
// in place.
func movedLabelsRequireReplace(what string) planmodifier.Map {
	return mapplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = true
		if req.Private == nil {
			return
		}
		moved, diags := req.Private.GetKey(ctx, privateMovedFrom)
		resp.Diagnostics.Append(diags...)
		if len(moved) == 0 || req.PlanValue.IsUnknown() {
			return
		}
		var effective types.Map
		var merge types.Bool
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("effective_labels"), &effective)...)
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("merge_labels"), &merge)...)
		if resp.Diagnostics.HasError() || effective.IsUnknown() {
			return
		}
		want, d := stringMap(ctx, req.PlanValue)
		resp.Diagnostics.Append(d...)
		have, d := stringMap(ctx, effective)
		resp.Diagnostics.Append(d...)
		resp.RequiresReplace = !labelsSatisfied(want, have, merge.ValueBool())
	},
		"Changes replace the "+what+", unless it was just moved from the openstack provider and already has these labels.",
		"Changes replace the "+what+", unless it was just moved from the `openstack` provider and already has these labels.")
}

// labelsSatisfied reports whether a bay with the effective labels have
// already is what the configured labels want: merged labels need only be
// present, others must be the whole set (that is what Read reports back,
// so anything less would be an inconsistent result after apply).
func labelsSatisfied(want, have map[string]string, merge bool) bool {
	if want == nil {
		// Inheriting the baymodel's labels is a different bay.
		return false
	}
	if !merge {
		return maps.Equal(want, have)
	}
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
