package magnum

import (
	"context"
	"net/http"
	"net/url"
)

// CA certificate types accepted by GetCA. Magnum silently answers the
// kubernetes CA for any other value.
const (
	CATypeKubernetes = "kubernetes"
	CATypeEtcd       = "etcd"
	CATypeFrontProxy = "front_proxy"
)

type certificate struct {
	ClusterUUID string `json:"cluster_uuid"`
	PEM         string `json:"pem"`
}

// GetCA returns a cluster's CA certificate in PEM. caType "" means the
// kubernetes CA.
func (c *Client) GetCA(ctx context.Context, clusterID, caType string) (string, error) {
	u := c.url("certificates", clusterID)
	if caType != "" {
		u += "?" + url.Values{"ca_cert_type": {caType}}.Encode()
	}
	var out certificate
	if _, _, err := c.call(ctx, request{method: http.MethodGet, url: u, out: &out, ok: []int{200}, safety: read}); err != nil {
		return "", err
	}
	return out.PEM, nil
}

// SignCertificate has the cluster's CA sign a CSR (201) and returns the
// certificate in PEM. Magnum copies the CSR subject unchanged. Signing
// twice only yields a second valid certificate, so unlike other POSTs this
// one is retried after transient failures.
func (c *Client) SignCertificate(ctx context.Context, clusterID, csrPEM string) (string, error) {
	var out certificate
	body := map[string]string{"cluster_uuid": clusterID, "csr": csrPEM}
	// Not "read": a 500 here is Magnum's 60 s RPC timeout on a CSR it
	// cannot sign (FINDINGS #268), which a retry only repeats.
	if _, _, err := c.call(ctx, request{method: http.MethodPost, url: c.url("certificates"), body: body, out: &out, ok: []int{201, 200}, safety: idempotent}); err != nil {
		return "", err
	}
	return out.PEM, nil
}

// RotateCA replaces the cluster's CA (202); the cluster goes through
// UPDATE_IN_PROGRESS. Not retried: a repeat would rotate again.
func (c *Client) RotateCA(ctx context.Context, clusterID string) error {
	_, _, err := c.call(ctx, request{method: http.MethodPatch, url: c.url("certificates", clusterID), ok: []int{202, 200}, safety: unsafe})
	return err
}
