package magnum

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/quotas"
)

// QuotaResourceCluster is the only resource Magnum keeps quotas for.
const QuotaResourceCluster = "Cluster"

// Quota is a project's limit on one resource. Magnum answers a GET for a
// project without a quota row with its configured default and no id, so
// Exists tells a real row from the default.
type Quota struct {
	ID        *int      `json:"id"`
	ProjectID string    `json:"project_id"`
	Resource  string    `json:"resource"`
	HardLimit int       `json:"hard_limit"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Exists reports whether the quota is a stored row rather than the default.
func (q *Quota) Exists() bool { return q != nil && q.ID != nil }

func (q *Quota) UnmarshalJSON(b []byte) error {
	type plain Quota
	w := struct {
		*plain
		CreatedAt Timestamp `json:"created_at"`
		UpdatedAt Timestamp `json:"updated_at"`
	}{plain: (*plain)(q)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	q.CreatedAt, q.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	return nil
}

// GetQuota reads a project's quota for resource. Without a row Magnum
// returns its default (see Quota.Exists); a non-admin asking about another
// project gets 403. gophercloud's quotas package has only Create, and its
// Quotas type drops the id that tells a row from the default.
func (c *Client) GetQuota(ctx context.Context, projectID, resource string) (*Quota, error) {
	var out Quota
	u := c.url("quotas", projectID, resource)
	if err := c.call(ctx, request{method: http.MethodGet, url: u, out: &out, safety: read, send: getJSON(u, http.StatusOK)}); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateQuota stores a quota (admin only; 201). A second one for the same
// project and resource is a 409.
func (c *Client) CreateQuota(ctx context.Context, projectID, resource string, hardLimit int) (*Quota, error) {
	var out Quota
	body := quotas.CreateOpts{ProjectID: projectID, Resource: resource, HardLimit: hardLimit}
	err := c.call(ctx, request{method: http.MethodPost, url: c.url("quotas"), out: &out, safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return quotas.Create(ctx, sc, body).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateQuota changes a stored quota's hard limit (admin only; 202). The
// body is a whole quota object, not JSON-patch: Magnum 15 answers a patch
// list with a 500.
func (c *Client) UpdateQuota(ctx context.Context, projectID, resource string, hardLimit int) (*Quota, error) {
	var out Quota
	u := c.url("quotas", projectID, resource)
	body := quotas.CreateOpts{ProjectID: projectID, Resource: resource, HardLimit: hardLimit}
	err := c.call(ctx, request{method: http.MethodPatch, url: u, out: &out, safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) (r gophercloud.Result) {
			resp, err := sc.Patch(ctx, u, body, &r.Body, &gophercloud.RequestOpts{OkCodes: []int{202, 200}})
			_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
			return r
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteQuota removes a stored quota (admin only; 204), so the project
// falls back to the cloud's default.
func (c *Client) DeleteQuota(ctx context.Context, projectID, resource string) error {
	u := c.url("quotas", projectID, resource)
	return c.call(ctx, request{method: http.MethodDelete, url: u, safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) (r gophercloud.Result) {
			resp, err := sc.Delete(ctx, u, nil)
			_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
			return r
		}})
}
