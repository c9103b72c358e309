package kubeconfig

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"
)

// DefaultRenewBefore is how long before expiry a client certificate is
// replaced. Magnum signs for five years, so a month of margin costs little
// and keeps a rarely applied configuration from handing out a dead file.
const DefaultRenewBefore = 30 * 24 * time.Hour

// Credentials are the values a caller cached from an earlier signing.
type Credentials struct {
	CertPEM    string
	KeyPEM     string
	CAPEM      string
	APIAddress string
}

// NeedsRenewal reports whether current must be replaced, given the cluster's
// CA and api_address as Magnum reports them now, and says why in words fit
// for a plan message. renewBefore <= 0 means DefaultRenewBefore.
//
// An empty caPEM means the cluster has TLS disabled: there is nothing to sign,
// so only an address change (or a stale certificate from when TLS was on)
// calls for a new file.
func NeedsRenewal(current Credentials, caPEM, apiAddress string, now time.Time, renewBefore time.Duration) (bool, string) {
	if renewBefore <= 0 {
		renewBefore = DefaultRenewBefore
	}
	if current.APIAddress != apiAddress {
		return true, fmt.Sprintf("the cluster API address changed from %q to %q", current.APIAddress, apiAddress)
	}
	if caPEM == "" {
		if current.CertPEM != "" || current.CAPEM != "" {
			return true, "the cluster no longer uses TLS"
		}
		return false, ""
	}
	if current.CertPEM == "" {
		return true, "there is no client certificate yet"
	}
	cert, err := ParseCertPEM(current.CertPEM)
	if err != nil {
		return true, fmt.Sprintf("the stored client certificate cannot be read: %v", err)
	}
	if _, err := tls.X509KeyPair([]byte(current.CertPEM), []byte(current.KeyPEM)); err != nil {
		return true, "the stored client key does not match the certificate"
	}
	if normalizePEM(current.CAPEM) != normalizePEM(caPEM) {
		return true, "the cluster CA certificate changed (was it rotated?)"
	}
	cas, err := ParseCertsPEM(caPEM)
	if err != nil {
		return true, fmt.Sprintf("the cluster CA certificate cannot be read: %v", err)
	}
	// The signature is checked directly rather than with x509.Verify: Verify
	// also judges validity periods and key usages, and an expired or odd
	// certificate must be reported as expiring, not as a CA change.
	signed := false
	for _, ca := range cas {
		if cert.CheckSignatureFrom(ca) == nil {
			signed = true
			break
		}
	}
	if !signed {
		return true, "the client certificate was not signed by the cluster's current CA"
	}
	if !now.Before(cert.NotAfter) {
		return true, fmt.Sprintf("the client certificate expired at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if cert.NotAfter.Sub(now) <= renewBefore {
		return true, fmt.Sprintf("the client certificate expires at %s, within the renewal window of %s",
			cert.NotAfter.UTC().Format(time.RFC3339), renewBefore)
	}
	return false, ""
}

// normalizePEM ignores the whitespace differences that appear when a PEM
// travels through JSON, HCL heredocs and Windows editors.
func normalizePEM(s string) string {
	return strings.Join(strings.Fields(s), "")
}
