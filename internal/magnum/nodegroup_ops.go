package magnum

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/nodegroups"
)

// VersionNodeTaints is the microversion that documents node_labels and
// node_taints on nodegroups (Magnum master). Magnum does not check it, but
// older releases reject the unknown fields, so the client gates on it.
var VersionNodeTaints = Version{1, 14}

// Taint is one Kubernetes taint of a nodegroup's nodes (1.14).
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

// NodeGroupCreate is the POST body. Unset fields are inherited: the image
// from the cluster's template, flavor and labels from the cluster.
type NodeGroupCreate struct {
	Name             string            `json:"name"`
	NodeCount        *int              `json:"node_count,omitempty"`
	MinNodeCount     *int              `json:"min_node_count,omitempty"`
	MaxNodeCount     *int              `json:"max_node_count,omitempty"`
	Role             string            `json:"role,omitempty"`
	FlavorID         string            `json:"flavor_id,omitempty"`
	ImageID          string            `json:"image_id,omitempty"`
	DockerVolumeSize *int              `json:"docker_volume_size,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	MergeLabels      *bool             `json:"merge_labels,omitempty"`
	NodeLabels       map[string]string `json:"node_labels,omitempty"`
	NodeTaints       []Taint           `json:"node_taints,omitempty"`
}

// CreateNodeGroup adds a nodegroup to a cluster (1.9+; zero nodes 1.10+;
// node_labels and node_taints 1.14+). Magnum answers 202 with the object
// before its conductor has created it: wait for CREATE_COMPLETE.
func (c *Client) CreateNodeGroup(ctx context.Context, clusterID string, opts NodeGroupCreate) (*NodeGroup, error) {
	need, op := VersionNodeGroup, "creating a nodegroup"
	switch {
	case len(opts.NodeLabels) > 0 || len(opts.NodeTaints) > 0:
		need, op = VersionNodeTaints, "setting node_labels or node_taints on a nodegroup"
	case opts.NodeCount != nil && *opts.NodeCount == 0:
		need, op = VersionZeroNodes, "creating a nodegroup with node_count 0"
	}
	if _, err := c.require(ctx, op, need); err != nil {
		return nil, err
	}
	var out NodeGroup
	err := c.call(ctx, request{method: http.MethodPost, url: c.url("clusters", clusterID, "nodegroups"), out: &out, safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return nodegroups.Create(ctx, sc, esc(clusterID), opts).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateNodeGroup PATCHes a nodegroup. Magnum accepts only min_node_count
// and max_node_count (and, from 1.14, node_labels and node_taints); the
// node count changes through ResizeCluster with ResizeOpts.NodeGroup.
func (c *Client) UpdateNodeGroup(ctx context.Context, clusterID, idOrName string, ops []PatchOp) (*NodeGroup, error) {
	need, what := VersionNodeGroup, "updating a nodegroup"
	for _, op := range ops {
		if strings.HasPrefix(op.Path, "/node_labels") || op.Path == "/node_taints" {
			need, what = VersionNodeTaints, "changing node_labels or node_taints"
		}
	}
	if _, err := c.require(ctx, what, need); err != nil {
		return nil, err
	}
	var out NodeGroup
	err := c.call(ctx, request{method: http.MethodPatch, url: c.url("clusters", clusterID, "nodegroups", idOrName), out: &out, safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return nodegroups.Update(ctx, sc, esc(clusterID), esc(idOrName), ops).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteNodeGroup asks Magnum to delete a nodegroup (204). It then goes
// DELETE_IN_PROGRESS and disappears; a default nodegroup cannot be deleted.
func (c *Client) DeleteNodeGroup(ctx context.Context, clusterID, idOrName string) error {
	if _, err := c.require(ctx, "deleting a nodegroup", VersionNodeGroup); err != nil {
		return err
	}
	return c.call(ctx, request{method: http.MethodDelete, url: c.url("clusters", clusterID, "nodegroups", idOrName), safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return nodegroups.Delete(ctx, sc, esc(clusterID), esc(idOrName)).Result
		}})
}

// PythonTaints renders taints the way a JSON-patch value must carry a list:
// as the Python literal Magnum passes to ast.literal_eval.
func PythonTaints(taints []Taint) string {
	parts := make([]string, len(taints))
	for i, t := range taints {
		parts[i] = fmt.Sprintf("{%s: %s, %s: %s, %s: %s}",
			pythonQuote("key"), pythonQuote(t.Key), pythonQuote("value"), pythonQuote(t.Value), pythonQuote("effect"), pythonQuote(t.Effect))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
