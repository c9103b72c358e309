package magnum

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/certificates"
)

// CA certificate types accepted by GetCA. Magnum silently answers the
// kubernetes CA for any other value.
const (
	CATypeKubernetes = "kubernetes"
	CATypeEtcd       = "etcd"
	CATypeFrontProxy = "front_proxy"
)

// GetCA returns a cluster's CA certificate in PEM. caType "" means the
// kubernetes CA. gophercloud's certificates.Get has no ca_cert_type, so a
// typed request is a plain GET.
func (c *Client) GetCA(ctx context.Context, clusterID, caType string) (string, error) {
	u := c.url("certificates", clusterID)
	send := func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
		return certificates.Get(ctx, sc, esc(clusterID)).Result
	}
	if caType != "" {
		u += "?" + url.Values{"ca_cert_type": {caType}}.Encode()
		send = getJSON(u, http.StatusOK)
	}
	var out certificates.Certificate
	if err := c.call(ctx, request{method: http.MethodGet, url: u, out: &out, safety: read, send: send}); err != nil {
		return "", err
	}
	return out.PEM, nil
}

// SignCertificate has the cluster's CA sign a CSR (201) and returns the
// certificate in PEM. Magnum copies the CSR subject unchanged. Signing
// twice only yields a second valid certificate, so unlike other POSTs this
// one is retried after transient failures.
func (c *Client) SignCertificate(ctx context.Context, clusterID, csrPEM string) (string, error) {
	var out certificates.Certificate
	body := signRequest{ClusterUUID: clusterID, CSR: csrPEM}
	// Not "read": a 500 here is Magnum's 60 s RPC timeout on a CSR it
	// cannot sign (FINDINGS #268), which a retry only repeats.
	err := c.call(ctx, request{method: http.MethodPost, url: c.url("certificates"), out: &out, safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return certificates.Create(ctx, sc, body).Result
		}})
	if err != nil {
		return "", err
	}
	return out.PEM, nil
}

// RotateCA replaces the cluster's CA (202); the cluster goes through
// UPDATE_IN_PROGRESS. Not retried: a repeat would rotate again.
func (c *Client) RotateCA(ctx context.Context, clusterID string) error {
	return c.call(ctx, request{method: http.MethodPatch, url: c.url("certificates", clusterID), safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return certificates.Update(ctx, sc, esc(clusterID)).Result
		}})
}
