package diagnose

import (
	"fmt"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// BayRepair is what a plan says about a bay Magnum reports as failed or as
// going away, which must never plan "No changes".
type BayRepair struct {
	Name, ID, Status string
	// StatusReason and Faults are Magnum's words on the status.
	StatusReason string
	Faults       map[string]string
	// NodeCount is the configured node_count; Changed says the
	// configuration changes node_count or baymodel_id.
	NodeCount int64
	Changed   bool
}

// Warning explains the status and what the plan does about it; both are
// "" for a status that needs no repair.
func (r BayRepair) Warning() (summary, detail string) {
	why := ""
	if s := ClusterStatus(&magnum.Cluster{StatusReason: r.StatusReason, Faults: r.Faults}); s != "" {
		why = " (" + s + ")"
	}
	summary = fmt.Sprintf("Bay %q is %s", r.Name, r.Status)
	switch r.Status {
	case "UPDATE_FAILED":
		what := fmt.Sprintf("resizes the bay to its configured node_count, %d, which makes Magnum update it again", r.NodeCount)
		if r.Changed {
			what = "applies the configured change again"
		}
		detail = fmt.Sprintf("Magnum reports bay %q (%s) as UPDATE_FAILED%s.\n\n"+
			"This plan retries the update: it %s. If the cause is still there the apply fails again with Magnum's reason; "+
			"change the configuration or fix the cloud first.", r.Name, r.ID, why, what)
	case "CREATE_FAILED":
		detail = fmt.Sprintf("Magnum reports bay %q (%s) as CREATE_FAILED%s.\n\n"+
			"A bay whose create failed cannot be repaired in place, so this plan replaces it: the failed bay is deleted and a new one created.",
			r.Name, r.ID, why)
	case "DELETE_FAILED":
		detail = fmt.Sprintf("Magnum reports bay %q (%s) as DELETE_FAILED%s: a delete was started (perhaps outside Terraform) and failed, "+
			"so the bay is half torn down.\n\nThis plan deletes it again and creates it anew.", r.Name, r.ID, why)
	case "DELETE_IN_PROGRESS":
		summary = fmt.Sprintf("Bay %q is being deleted", r.Name)
		detail = fmt.Sprintf("Magnum reports bay %q (%s) as DELETE_IN_PROGRESS: someone (perhaps outside Terraform) is deleting it.\n\n"+
			"This plan waits for the delete to finish and creates the bay anew.", r.Name, r.ID)
	case "DELETE_COMPLETE":
		// Magnum shows it between the save and the destroy of the row; on
		// a Cluster API driver the trustee's deletion comes in between.
		summary = fmt.Sprintf("Bay %q has been deleted", r.Name)
		detail = fmt.Sprintf("Magnum reports bay %q (%s) as DELETE_COMPLETE: it was deleted (perhaps outside Terraform) and Magnum is removing its record.\n\n"+
			"This plan waits for the record to go and creates the bay anew.", r.Name, r.ID)
	default:
		return "", ""
	}
	return summary, detail
}

// NodegroupRepair is what a plan says about a nodegroup Magnum reports as
// failed or as going away, which, like a bay, must never plan "No changes".
type NodegroupRepair struct {
	Name, ID, Bay, Status string
	// StatusReason is Magnum's word on the status (the Heat stack's
	// reason on clouds with Heat).
	StatusReason string
	// NodeCount is the configured node_count; Changed says the
	// configuration changes something else too.
	NodeCount int64
	Changed   bool
}

// Warning explains the status and what the plan does about it; both are
// "" for a status that needs no repair.
func (r NodegroupRepair) Warning() (summary, detail string) {
	why := ""
	if r.StatusReason != "" {
		why = " (" + r.StatusReason + ")"
	}
	subject := fmt.Sprintf("nodegroup %q (%s) of bay %s", r.Name, r.ID, r.Bay)
	summary = fmt.Sprintf("Nodegroup %q is %s", r.Name, r.Status)
	switch r.Status {
	case "UPDATE_FAILED":
		what := fmt.Sprintf("resizes the nodegroup to its configured node_count, %d, which makes Magnum update it again", r.NodeCount)
		if r.Changed {
			what = "applies the configured change and resizes the nodegroup to its configured node_count, " + fmt.Sprint(r.NodeCount)
		}
		detail = fmt.Sprintf("Magnum reports %s as UPDATE_FAILED%s.\n\n"+
			"This plan retries the update: it %s. If the cause is still there the apply fails again with Magnum's reason; "+
			"change the configuration or fix the cloud first.", subject, why, what)
	case "CREATE_FAILED":
		detail = fmt.Sprintf("Magnum reports %s as CREATE_FAILED%s.\n\n"+
			"A nodegroup whose create failed cannot be repaired in place, so this plan replaces it: the failed nodegroup is deleted and a new one created.",
			subject, why)
	case "DELETE_FAILED":
		detail = fmt.Sprintf("Magnum reports %s as DELETE_FAILED%s: a delete was started (perhaps outside Terraform) and failed.\n\n"+
			"This plan deletes it again and creates it anew.", subject, why)
	case "DELETE_IN_PROGRESS", "DELETE_COMPLETE":
		summary = fmt.Sprintf("Nodegroup %q is being deleted", r.Name)
		detail = fmt.Sprintf("Magnum reports %s as %s: someone (perhaps outside Terraform) is deleting it.\n\n"+
			"This plan waits for the delete to finish and creates the nodegroup anew.", subject, r.Status)
	default:
		return "", ""
	}
	return summary, detail
}
