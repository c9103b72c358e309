package diagnose

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// WaitError is a failed wait as a user reads it: Magnum's words for API
// errors, the waiter's account otherwise.
func WaitError(err error) string {
	if magnum.StatusCode(err) != 0 {
		return APIError(err)
	}
	return err.Error()
}

// HeatFailures looks up a stack's failed resources; nil where the cloud
// has no Heat.
type HeatFailures func(stackID string) ([]heat.Resource, error)

// BayWaitError turns a failed bay wait into the error a user can act on:
// the status and reason, Magnum's faults, a hint when the trust every new
// bay needs was refused, and, where the cloud has Heat, the nested
// resources that failed with Heat's reasons. c is the last bay seen.
func BayWaitError(err error, c *magnum.Cluster, appCredential bool, failures HeatFailures) string {
	var b strings.Builder
	b.WriteString(WaitError(err))
	var fe *waiter.FailedError
	if errors.As(err, &fe) && c != nil {
		if hint := TrustFailure(c.StatusReason, appCredential); hint != "" {
			b.WriteString("\n\n" + hint)
		}
		if hint := DNSNameserverFailure(c); hint != "" {
			b.WriteString("\n\n" + hint)
		}
	}
	// A wait that ran out of time, or saw no start, still has Magnum's
	// latest account: a Cluster API driver never fails a create whose
	// machines cannot boot, nor a delete held by a finalizer, and says
	// what it waits for only in status_reason.
	var te *waiter.TimeoutError
	var ns *waiter.NotStartedError
	if (errors.As(err, &te) || errors.As(err, &ns)) && c != nil {
		if said := ClusterStatus(c); said != "" {
			b.WriteString("\n\nMagnum's last word on it: " + said)
		}
	}
	if fe == nil || c == nil || c.StackID == "" || failures == nil {
		return b.String()
	}
	failed, herr := failures(c.StackID)
	switch {
	case magnum.StatusCode(herr) == http.StatusNotFound:
		// No Heat stack by that id: a Cluster API driver's stack_id
		// names its Cluster API cluster (kube-xxxxx), not a Heat stack.
	case herr != nil:
		fmt.Fprintf(&b, "\n\nHeat's failed resources could not be read: %v", herr)
	case len(failed) > 0:
		fmt.Fprintf(&b, "\n\nFailed Heat resources (stack %s):\n%s", c.StackID, heat.FormatFailedResources(failed))
	}
	return b.String()
}

// BayUnread adds to a failed wait's error what to do when the wait ended
// because the bay could not be read, not because it failed: the bay may be
// fine, and replacing it would throw away a healthy bay.
func BayUnread(err error, id string) string {
	var fe *waiter.FailedError
	var ns *waiter.NotStartedError
	var te *waiter.TimeoutError
	if err == nil || errors.As(err, &fe) || errors.As(err, &ns) || (errors.As(err, &te) && te.LastErr == nil) {
		return ""
	}
	return fmt.Sprintf("\n\nThe wait ended because Magnum could not be read, not because the bay failed: it may well be healthy. "+
		"Check it with `openstack coe cluster show %s`; if it is CREATE_COMPLETE, keep it instead of letting the next apply replace it:\n"+
		"  terraform untaint <address>\n"+
		"where <address> is this resource's address, shown in the \"with\" line above (such as magnum_bay.example).", id)
}

// ClusterStatus is what Magnum says about a cluster's state beyond its
// status: the reason and the faults, sorted by nodegroup so the message is
// stable between runs.
func ClusterStatus(c *magnum.Cluster) string {
	if c == nil {
		return ""
	}
	var parts []string
	if c.StatusReason != "" {
		parts = append(parts, "status_reason: "+c.StatusReason)
	}
	keys := make([]string, 0, len(c.Faults))
	for k := range c.Faults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("fault in %s: %s", k, c.Faults[k]))
	}
	return strings.Join(parts, "; ")
}

// TrustFailure explains Magnum's first conductor step failing: every new
// bay gets a Keystone trustee and trust, and a Keystone with the fix for
// LP#2150089 refuses trusts to application-credential tokens (real
// Keystone 22 + Magnum 15 fail such bays this way).
func TrustFailure(statusReason string, appCredential bool) string {
	if !strings.Contains(statusReason, "Failed to create trustee or trust") {
		return ""
	}
	if appCredential {
		return "Magnum creates a Keystone trust for every new bay, and this provider logs in with an application " +
			"credential: Keystone refuses trusts to application-credential tokens unless the cloud sets " +
			"[security_compliance] allow_insecure_application_credential_trust_escalation. Create bays with a " +
			"password or token login (user_name/password, token, or a clouds.yaml entry with them), or ask the " +
			"cloud's operators to allow it."
	}
	return "Magnum could not create the Keystone trustee or trust it needs for every new bay. This is the cloud's " +
		"configuration (the [trust] section of magnum.conf, the trustee domain, or Keystone's policy); " +
		"magnum-conductor's log has Keystone's answer."
}

// Tainted tells the user what became of an object whose create failed or
// timed out: nothing is lost, it stays in state to be replaced or deleted.
func Tainted(kind string) string {
	return "\n\nThe " + kind + " stays in the Terraform state, marked tainted: the next apply replaces it, and destroy deletes it."
}
