package diagnose

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// APIError renders an API error for a diagnostic: the service's own words
// first, then what an operator needs to find the request in the cloud's
// logs.
func APIError(err error) string {
	var me *magnum.Error
	if !errors.As(err, &me) || magnum.IsOutcomeUnknown(err) {
		// An unknown outcome carries what the provider found out after
		// the failure; the HTTP error alone would hide it.
		return err.Error()
	}
	var b strings.Builder
	msg := me.Message
	if msg == "" {
		msg = "(no message in the response)"
	}
	svc := me.Service
	if svc == "" {
		svc = "Magnum"
	}
	fmt.Fprintf(&b, "%s said: %s\n\n", svc, msg)
	fmt.Fprintf(&b, "HTTP status: %d\n", me.StatusCode)
	fmt.Fprintf(&b, "Request: %s %s\n", me.Method, me.URL)
	if me.RequestID != "" {
		fmt.Fprintf(&b, "Request ID: %s\n", me.RequestID)
	}
	if me.Microversion != "" {
		fmt.Fprintf(&b, "API microversion: %s\n", me.Microversion)
	}
	return strings.TrimRight(b.String(), "\n")
}

// CertificateError is APIError for the certificate API, which answers 403
// to every user but the bay's creator (and admins), even within the bay's
// own project: a policy, not a missing role, as users tend to assume.
func CertificateError(err error) string {
	detail := APIError(err)
	if magnum.StatusCode(err) == http.StatusForbidden {
		detail += "\n\nMagnum lets only the user who created a bay (and cloud admins) read its CA or sign client certificates for it, " +
			"even within the same project. Authenticate as the bay's creator, or ask them for a kubeconfig."
	}
	return detail
}

// QuotaError explains the 403 every non-admin gets from the quota API:
// Magnum's own words name the policy but not who passes it.
func QuotaError(err error, policy string) string {
	detail := APIError(err)
	if magnum.StatusCode(err) != http.StatusForbidden {
		return detail
	}
	return fmt.Sprintf("Managing Magnum quotas needs a cloud administrator: Magnum's policy %q allows only the admin role by default, "+
		"and the provider's credentials do not pass it. Configure this resource with an admin provider (for example an aliased "+
		"provider block with admin credentials).\n\n%s", policy, detail)
}
