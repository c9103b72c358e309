package magnum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/clusters"
)

// Cluster is a Magnum cluster (the provider's bay) as GET and list/detail
// return it.
type Cluster struct {
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	ClusterTemplateID string `json:"cluster_template_id"`
	Keypair           string `json:"keypair"`
	NodeCount         int    `json:"node_count"`
	MasterCount       int    `json:"master_count"`
	DockerVolumeSize  *int   `json:"docker_volume_size"`
	Labels            Labels `json:"labels"`
	LabelsOverridden  Labels `json:"labels_overridden"`
	LabelsAdded       Labels `json:"labels_added"`
	LabelsSkipped     Labels `json:"labels_skipped"`
	MergeLabels       bool   `json:"merge_labels"`
	MasterFlavorID    string `json:"master_flavor_id"`
	FlavorID          string `json:"flavor_id"`
	CreateTimeout     int    `json:"create_timeout"`
	// StackID is the Heat stack (Heat driver) or the driver's cluster id.
	// Magnum ≥ 1.13 calls it cluster_id; both land here.
	StackID      string `json:"stack_id"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	// Faults maps nodegroup name to the failure reason; Magnum sends it only
	// while the cluster is in a *_FAILED state.
	Faults             map[string]string `json:"faults"`
	HealthStatus       string            `json:"health_status"`
	HealthStatusReason map[string]any    `json:"health_status_reason"`
	DiscoveryURL       string            `json:"discovery_url"`
	APIAddress         string            `json:"api_address"`
	COEVersion         string            `json:"coe_version"`
	ContainerVersion   string            `json:"container_version"`
	ProjectID          string            `json:"project_id"`
	UserID             string            `json:"user_id"`
	NodeAddresses      []string          `json:"node_addresses"`
	MasterAddresses    []string          `json:"master_addresses"`
	FixedNetwork       string            `json:"fixed_network"`
	FixedSubnet        string            `json:"fixed_subnet"`
	FloatingIPEnabled  *bool             `json:"floating_ip_enabled"`
	MasterLBEnabled    *bool             `json:"master_lb_enabled"`
	Links              []Link            `json:"links"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

func (c *Cluster) UnmarshalJSON(b []byte) error {
	type plain Cluster
	w := struct {
		*plain
		ClusterID          string          `json:"cluster_id"`
		HealthStatusReason json.RawMessage `json:"health_status_reason"`
		CreatedAt          Timestamp       `json:"created_at"`
		UpdatedAt          Timestamp       `json:"updated_at"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.ClusterID != "" {
		c.StackID = w.ClusterID
	}
	c.CreatedAt, c.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	c.HealthStatusReason = decodeHealthReason(w.HealthStatusReason)
	return nil
}

// decodeHealthReason accepts the dict Magnum normally sends and, should a
// driver store free text, keeps it under "reason" rather than failing the
// whole read.
func decodeHealthReason(raw json.RawMessage) map[string]any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		return m
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		var inner map[string]any
		if json.Unmarshal([]byte(s), &inner) == nil {
			return inner
		}
		return map[string]any{"reason": s}
	}
	return map[string]any{"reason": string(raw)}
}

// ClusterCreate is the POST body. Nil fields are inherited from the
// template. Labels nil inherits the template's labels; with MergeLabels
// they are merged over them.
type ClusterCreate struct {
	Name              string            `json:"name,omitempty"`
	ClusterTemplateID string            `json:"cluster_template_id"`
	Keypair           *string           `json:"keypair,omitempty"`
	NodeCount         *int              `json:"node_count,omitempty"`
	MasterCount       *int              `json:"master_count,omitempty"`
	DockerVolumeSize  *int              `json:"docker_volume_size,omitempty"`
	MasterFlavorID    *string           `json:"master_flavor_id,omitempty"`
	FlavorID          *string           `json:"flavor_id,omitempty"`
	FixedNetwork      *string           `json:"fixed_network,omitempty"`
	FixedSubnet       *string           `json:"fixed_subnet,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	MergeLabels       *bool             `json:"merge_labels,omitempty"`
	CreateTimeout     *int              `json:"create_timeout,omitempty"`
	FloatingIPEnabled *bool             `json:"floating_ip_enabled,omitempty"`
	MasterLBEnabled   *bool             `json:"master_lb_enabled,omitempty"`
	DiscoveryURL      *string           `json:"discovery_url,omitempty"`
}

// CreateCluster POSTs a cluster and returns its UUID (202). The creation
// itself is asynchronous: wait for CREATE_COMPLETE. If the error satisfies
// IsOutcomeUnknown, look the cluster up by name before trying again.
func (c *Client) CreateCluster(ctx context.Context, opts ClusterCreate) (string, error) {
	if opts.NodeCount != nil && *opts.NodeCount == 0 {
		if _, err := c.require(ctx, "creating a cluster with node_count 0", VersionZeroNodes); err != nil {
			return "", err
		}
	}
	var out struct {
		UUID string `json:"uuid"`
	}
	err := c.call(ctx, request{method: http.MethodPost, url: c.url("clusters"), out: &out, safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Create(ctx, sc, opts).Result
		}})
	if err != nil {
		return "", err
	}
	if out.UUID == "" {
		return "", &OutcomeUnknownError{Method: http.MethodPost, URL: c.url("clusters"), Err: fmt.Errorf("the 202 response carried no uuid")}
	}
	return out.UUID, nil
}

// GetCluster reads one cluster by UUID or name with every detail field.
func (c *Client) GetCluster(ctx context.Context, idOrName string) (*Cluster, error) {
	var out Cluster
	err := c.call(ctx, request{method: http.MethodGet, url: c.url("clusters", idOrName), out: &out, safety: read,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Get(ctx, sc, esc(idOrName)).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListClusters returns every cluster in the project with detail fields
// (faults are never present in lists).
func (c *Client) ListClusters(ctx context.Context, opts ListOpts) ([]Cluster, error) {
	return listAll[Cluster](ctx, c, []string{"clusters", "detail"}, "clusters", opts)
}

// DeleteCluster asks Magnum to delete (204). The cluster then goes
// DELETE_IN_PROGRESS and disappears (404); a repeat DELETE is harmless.
func (c *Client) DeleteCluster(ctx context.Context, idOrName string) error {
	return c.call(ctx, request{method: http.MethodDelete, url: c.url("clusters", idOrName), safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Delete(ctx, sc, esc(idOrName)).Result
		}})
}

// UpdateClusterNodeCount sets the default worker nodegroup's size with
// PATCH replace /node_count (202). Magnum only logs an update it refuses
// (e.g. cluster not *_COMPLETE), so callers must wait for the change to
// start rather than trust the 202.
func (c *Client) UpdateClusterNodeCount(ctx context.Context, id string, n int) error {
	if n < 0 {
		return fmt.Errorf("node_count must be ≥ 0, got %d", n)
	}
	if n == 0 {
		if _, err := c.require(ctx, "scaling a cluster to 0 nodes", VersionZeroNodes); err != nil {
			return err
		}
	}
	ops := []PatchOp{Replace("/node_count", n)}
	return c.call(ctx, request{method: http.MethodPatch, url: c.url("clusters", id), safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Update(ctx, sc, esc(id), ops).Result
		}})
}

// ResizeOpts is the body of POST /clusters/{id}/actions/resize.
type ResizeOpts struct {
	NodeCount int `json:"node_count"`
	// NodesToRemove names Nova server ids to remove when shrinking.
	NodesToRemove []string `json:"nodes_to_remove,omitempty"`
	// NodeGroup defaults to the default worker nodegroup.
	NodeGroup string `json:"nodegroup,omitempty"`
}

// ResizeCluster resizes a worker nodegroup (1.7+, zero nodes 1.10+).
func (c *Client) ResizeCluster(ctx context.Context, id string, opts ResizeOpts) error {
	if opts.NodeCount < 0 {
		return fmt.Errorf("node_count must be ≥ 0, got %d", opts.NodeCount)
	}
	need, op := VersionResize, "resize"
	if opts.NodeCount == 0 {
		need, op = VersionZeroNodes, "resizing to 0 nodes"
	}
	if _, err := c.require(ctx, op, need); err != nil {
		return err
	}
	return c.call(ctx, request{method: http.MethodPost, url: c.url("clusters", id, "actions", "resize"), safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Resize(ctx, sc, esc(id), opts).Result
		}})
}

// UpgradeOpts is the body of POST /clusters/{id}/actions/upgrade.
type UpgradeOpts struct {
	ClusterTemplate string `json:"cluster_template"`
	MaxBatchSize    *int   `json:"max_batch_size,omitempty"`
	NodeGroup       string `json:"nodegroup,omitempty"`
}

// UpgradeCluster moves a cluster to another template (1.8+). Magnum makes
// a synchronous call to its conductor, so driver errors come back here.
func (c *Client) UpgradeCluster(ctx context.Context, id string, opts UpgradeOpts) error {
	if opts.ClusterTemplate == "" {
		return fmt.Errorf("upgrade needs a cluster template")
	}
	if _, err := c.require(ctx, "upgrade", VersionUpgrade); err != nil {
		return err
	}
	u := c.url("clusters", id, "actions", "upgrade")
	err := c.call(ctx, request{method: http.MethodPost, url: u, safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clusters.Upgrade(ctx, sc, esc(id), opts).Result
		}})
	if IsRPCTimeout(err) {
		return &OutcomeUnknownError{Method: http.MethodPost, URL: u, Err: err}
	}
	return err
}

// rpcTimeout is how Magnum's API reports oslo.messaging's MessagingTimeout.
const rpcTimeout = "Timed out waiting for a reply to message ID"

// IsRPCTimeout reports a 500 that says Magnum's API gave up waiting for its
// conductor. The upgrade is an RPC call, not a cast like create, resize and
// delete: the API answers only when the conductor has, and after 60 s
// (rpc_response_timeout) it answers this instead. The message stays queued,
// so the conductor may still carry the upgrade out (the capi stack's busy
// conductor got the call 17 s late in a clean-clone CI rehearsal, and did
// not answer within the minute).
func IsRPCTimeout(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusInternalServerError && strings.HasPrefix(e.Message, rpcTimeout)
}
