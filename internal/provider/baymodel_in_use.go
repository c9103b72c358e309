package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// While bays use a baymodel, Magnum 15 accepts a change only if it is the
// only change of the request and one of: a rename, making the baymodel
// public, hidden either way, or tags set to a value (Zed's
// _is_publishing_cluster_template; checked on the real stack: rename plus
// tags in one PATCH is refused, each alone is accepted, removing tags is
// refused, setting them to "" is accepted). A plan that changes several of
// these is split into one PATCH each; anything else is named as refused.

// allowedWhileInUse says whether Magnum takes op alone on a baymodel that
// bays use, and if not, why.
func allowedWhileInUse(op magnum.PatchOp) (bool, string) {
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

// refusedWhileInUse lists, one per line, the changes Magnum refuses on a
// baymodel that bays use, with why.
func refusedWhileInUse(ops []magnum.PatchOp) []string {
	var out []string
	for _, op := range ops {
		if ok, why := allowedWhileInUse(op); !ok {
			out = append(out, fmt.Sprintf("%s: %s", strings.TrimPrefix(op.Path, "/"), why))
		}
	}
	return out
}

// patchInUse applies ops to a baymodel that bays use: one PATCH per change
// when Magnum allows each of them, which is how it accepts several.
func (r *baymodelResource) patchInUse(ctx context.Context, id string, ops []magnum.PatchOp) (*magnum.ClusterTemplate, error) {
	for _, op := range ops {
		if _, err := r.data.Magnum.UpdateClusterTemplate(ctx, id, []magnum.PatchOp{op}); err != nil {
			return nil, err
		}
	}
	return r.data.Magnum.GetClusterTemplate(ctx, id)
}
