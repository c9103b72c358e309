package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/nodegroups"
)

// NodeGroup is a cluster's nodegroup (1.9+). Lists carry a subset of the
// fields; GetNodeGroup fills them all.
type NodeGroup struct {
	UUID             string   `json:"uuid"`
	Name             string   `json:"name"`
	ClusterID        string   `json:"cluster_id"`
	ProjectID        string   `json:"project_id"`
	DockerVolumeSize *int     `json:"docker_volume_size"`
	Labels           Labels   `json:"labels"`
	LabelsOverridden Labels   `json:"labels_overridden"`
	LabelsAdded      Labels   `json:"labels_added"`
	LabelsSkipped    Labels   `json:"labels_skipped"`
	FlavorID         string   `json:"flavor_id"`
	ImageID          string   `json:"image_id"`
	NodeAddresses    []string `json:"node_addresses"`
	NodeCount        int      `json:"node_count"`
	Role             string   `json:"role"`
	MinNodeCount     *int     `json:"min_node_count"`
	MaxNodeCount     *int     `json:"max_node_count"`
	IsDefault        bool     `json:"is_default"`
	StackID          string   `json:"stack_id"`
	Status           string   `json:"status"`
	StatusReason     string   `json:"status_reason"`
	Version          string   `json:"version"`
	MergeLabels      bool     `json:"merge_labels"`
	// NodeLabels and NodeTaints exist from Magnum master (1.14).
	NodeLabels Labels    `json:"node_labels"`
	NodeTaints []Taint   `json:"node_taints"`
	Links      []Link    `json:"links"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (n *NodeGroup) UnmarshalJSON(b []byte) error {
	type plain NodeGroup
	w := struct {
		*plain
		CreatedAt Timestamp `json:"created_at"`
		UpdatedAt Timestamp `json:"updated_at"`
	}{plain: (*plain)(n)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	n.CreatedAt, n.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	return nil
}

// ListNodeGroups lists a cluster's nodegroups (1.9+; Magnum answers 406
// below). Create, update and delete are in nodegroup_ops.go.
func (c *Client) ListNodeGroups(ctx context.Context, clusterID string) ([]NodeGroup, error) {
	if _, err := c.require(ctx, "listing nodegroups", VersionNodeGroup); err != nil {
		return nil, err
	}
	return listAll[NodeGroup](ctx, c, []string{"clusters", clusterID, "nodegroups"}, "nodegroups", ListOpts{})
}

// GetNodeGroup reads one nodegroup by UUID or name (1.9+).
func (c *Client) GetNodeGroup(ctx context.Context, clusterID, idOrName string) (*NodeGroup, error) {
	if _, err := c.require(ctx, "reading a nodegroup", VersionNodeGroup); err != nil {
		return nil, err
	}
	var out NodeGroup
	err := c.call(ctx, request{method: http.MethodGet, url: c.url("clusters", clusterID, "nodegroups", idOrName), out: &out, safety: read,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return nodegroups.Get(ctx, sc, esc(clusterID), esc(idOrName)).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DefaultWorker picks the default worker nodegroup from a listing: the
// node_count Terraform manages lives there, while Cluster.NodeCount sums
// every worker nodegroup.
func DefaultWorker(groups []NodeGroup) (NodeGroup, bool) {
	for _, g := range groups {
		if g.IsDefault && g.Role != "master" {
			return g, true
		}
	}
	return NodeGroup{}, false
}
