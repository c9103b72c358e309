package diagnose

import (
	"fmt"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// While bays use a baymodel, Magnum 15 accepts a change only if it is the
// only change of the request and one of: a rename, making the baymodel
// public, hidden either way, or tags set to a value (Zed's
// _is_publishing_cluster_template; checked on the real stack: rename plus
// tags in one PATCH is refused, each alone is accepted, removing tags is
// refused, setting them to "" is accepted).

// AllowedWhileInUse says whether Magnum takes op alone on a baymodel that
// bays use, and if not, why.
func AllowedWhileInUse(op magnum.PatchOp) (bool, string) {
	switch op.Path {
	case "/name", "/hidden":
		return true, ""
	case "/public":
		if v, ok := op.Value.(bool); ok && v {
			return true, ""
		}
		return false, "a baymodel bays use can be made public, not private"
	case "/tags":
		if op.Op != "remove" && op.Value != nil {
			return true, ""
		}
		return false, "tags cannot be removed while bays use the baymodel (set tags = \"\" instead)"
	}
	return false, "only name, public, hidden and tags can change while bays use the baymodel"
}

// RefusedWhileInUse lists, one per line, the changes Magnum refuses on a
// baymodel that bays use, with why.
func RefusedWhileInUse(ops []magnum.PatchOp) []string {
	var out []string
	for _, op := range ops {
		if ok, why := AllowedWhileInUse(op); !ok {
			out = append(out, fmt.Sprintf("%s: %s", strings.TrimPrefix(op.Path, "/"), why))
		}
	}
	return out
}

// TemplateUsers lists the bays that use a baymodel after prefix, or says
// nothing.
func TemplateUsers(prefix string, users []magnum.Cluster) string {
	if len(users) == 0 {
		return ""
	}
	parts := make([]string, len(users))
	for i, c := range users {
		parts[i] = fmt.Sprintf("%q (%s, %s)", c.Name, c.UUID, c.Status)
	}
	return prefix + strings.Join(parts, ", ")
}

// UpdateInUse explains Magnum's refusal to change baymodel name while bays
// use it: what it would take (refused lists the changes it refuses, from
// RefusedWhileInUse) and how to change anything else.
func UpdateInUse(name string, refused []string, err error) (summary, detail string) {
	what := "While bays use it, Magnum accepts only a change of name, public (to true), hidden or tags (to a value), one per request."
	if len(refused) > 0 {
		what += " Refused here:\n  - " + strings.Join(refused, "\n  - ")
	}
	return "Baymodel is in use by bays",
		fmt.Sprintf("Magnum refuses to change baymodel %q while bays use it. %s\n\nTo change anything else, create a new baymodel (for example with "+
			"lifecycle { create_before_destroy = true } and a new name), point the bays' baymodel_id at it so they are "+
			"upgraded or replaced, and let Terraform delete the old one afterwards.\n\n%s", name, what, APIError(err))
}

// DeleteInUse explains Magnum's refusal to delete baymodel name while
// users, the bays the session can see, use it.
func DeleteInUse(name string, users []magnum.Cluster, err error) (summary, detail string) {
	return "Baymodel is still in use by bays",
		fmt.Sprintf("Magnum refuses to delete baymodel %q while bays use it%s. Delete those bays, or move them to another "+
			"baymodel, first.\n\n%s", name, TemplateUsers(": ", users), APIError(err))
}
