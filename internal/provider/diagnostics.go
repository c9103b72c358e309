package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// apiErrorDetail renders an API error for a diagnostic: the service's own
// words first, then what an operator needs to find the request in the
// cloud's logs.
func apiErrorDetail(err error) string {
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
