package provider

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// The provider adopts, deletes or changes only objects its state holds or
// that it can prove it created itself. This file holds what every resource
// checks: which objects resources of this run have taken (claims), and
// that a state belongs to the session's project. Which objects of a name
// came from one create request is the create guard's (create_guard.go);
// how the objects and the refusals read is internal/diagnose's.

// claimSet records which resource of this provider instance holds each
// object id. Terraform runs one provider process per provider
// configuration and applies resources in parallel, so two resources with
// the same name in one configuration would otherwise both be able to take
// one object.
type claimSet struct {
	mu  sync.Mutex
	ids map[string]claim
}

// claim is one holder: token tells holders apart, label names them in
// messages (two resources can share a label).
type claim struct{ token, label string }

func newClaimSet() *claimSet { return &claimSet{ids: map[string]claim{}} }

// take gives id to c, unless another holder has it: then it returns that
// holder and false. A nil set (an unconfigured provider in unit tests)
// grants everything.
func (s *claimSet) take(id string, c claim) (claim, bool) {
	if s == nil || id == "" {
		return claim{}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.ids[id]; ok && h.token != c.token {
		return h, false
	}
	s.ids[id] = c
	return claim{}, true
}

// holder reports who holds id.
func (s *claimSet) holder(id string) (claim, bool) {
	if s == nil {
		return claim{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.ids[id]
	return h, ok
}

// heldByOther reports whether a holder other than token has id.
func (s *claimSet) heldByOther(id, token string) bool {
	h, ok := s.holder(id)
	return ok && h.token != token
}

// holdInState marks id as held by the resource whose state holds it, so
// no create of this run adopts it.
func (d *ProviderData) holdInState(kind, name, id string) {
	d.claimSet().take(id, claim{token: "state/" + id, label: fmt.Sprintf("%s %q", kind, name)})
}

// newClaimToken makes the token of one resource's create.
func newClaimToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ownedObject is what an ownership decision needs of a bay or baymodel.
type ownedObject struct {
	ID, Name, ProjectID, UserID, Status string
	CreatedAt                           time.Time
}

func clusterObject(c magnum.Cluster) ownedObject {
	return ownedObject{ID: c.UUID, Name: c.Name, ProjectID: c.ProjectID, UserID: c.UserID, Status: c.Status, CreatedAt: c.CreatedAt}
}

func templateObject(t magnum.ClusterTemplate) ownedObject {
	return ownedObject{ID: t.UUID, Name: t.Name, ProjectID: t.ProjectID, UserID: t.UserID, CreatedAt: t.CreatedAt}
}

// diagObjects is objs as ownership messages name them, with the resource
// of this run that holds each (claims may be nil).
func diagObjects(objs []ownedObject, claims *claimSet) []diagnose.Object {
	out := make([]diagnose.Object, len(objs))
	for i, o := range objs {
		out[i] = diagnose.Object{ID: o.ID, ProjectID: o.ProjectID, UserID: o.UserID, Status: o.Status, CreatedAt: o.CreatedAt}
		if h, ok := claims.holder(o.ID); ok {
			out[i].HeldBy = h.label
		}
	}
	return out
}

// checkProject refuses to read, change or delete an object whose state
// records another project than the session's. Magnum hides other
// projects' objects behind a 404, so reading on would drop the object
// from the state as "deleted elsewhere" and plan a new one in the wrong
// project.
func (d *ProviderData) checkProject(kind, name, id string, recorded types.String) diag.Diagnostics {
	var diags diag.Diagnostics
	if d == nil || d.ProjectID == "" || recorded.IsNull() || recorded.IsUnknown() || recorded.ValueString() == "" ||
		recorded.ValueString() == d.ProjectID {
		return diags
	}
	diags.AddError(diagnose.OtherProject(kind, name, id, recorded.ValueString(), d.ProjectID))
	return diags
}
