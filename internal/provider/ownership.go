package provider

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// The provider adopts, deletes or changes only objects its state holds or
// that it can prove it created itself. This file holds the proofs: who the
// session is, which objects resources of this run have taken, and which
// objects of a name could have come from one create request.

// clockSkewUnknown is how far before a request's start an object may be
// stamped and still count as made by it, when Magnum has not told us its
// time (no Date header). Cloud servers run NTP; a laptop or a CI runner can
// be off by minutes. The window only widens what the other proofs (same
// project and user, absent from the look-up made just before the POST,
// exactly one candidate) already narrow down.
const clockSkewUnknown = 5 * time.Minute

// clockSkewKnown covers what the Date header cannot show: it has whole
// seconds, and Magnum's created_at may be cut to whole seconds too.
const clockSkewKnown = 2 * time.Second

// tokenOwner reads the project and user the session's token belongs to.
// Magnum records exactly these as a new object's project_id and user_id
// (an application credential's token carries its owner's user id).
func tokenOwner(pc *gophercloud.ProviderClient) (projectID, userID string) {
	if pc == nil {
		return "", ""
	}
	res, ok := pc.GetAuthResult().(interface {
		ExtractProject() (*tokens.Project, error)
		ExtractUser() (*tokens.User, error)
	})
	if !ok {
		return "", ""
	}
	if p, err := res.ExtractProject(); err == nil && p != nil {
		projectID = p.ID
	}
	if u, err := res.ExtractUser(); err == nil && u != nil {
		userID = u.ID
	}
	return projectID, userID
}

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

// describe renders one object for an error message: id, owner and age.
func (o ownedObject) describe() string {
	var parts []string
	if o.Status != "" {
		parts = append(parts, o.Status)
	}
	parts = append(parts, "project "+orUnknown(o.ProjectID), "user "+orUnknown(o.UserID))
	if !o.CreatedAt.IsZero() {
		parts = append(parts, "created "+o.CreatedAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s (%s)", o.ID, strings.Join(parts, ", "))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// createAttempt is one create request: who sent it, when, and what of its
// name existed just before it.
type createAttempt struct {
	// kind is "bay" or "baymodel"; claim is the resource's hold on what
	// it creates or adopts.
	kind, name        string
	claim             claim
	projectID, userID string
	// notBefore is the earliest created_at, in Magnum's clock, an object
	// made by this request can carry.
	notBefore time.Time
	// before holds the ids of the objects of this name the look-up just
	// before the request found: none of them can be the request's.
	before map[string]bool
}

// newCreateAttempt prepares a create of kind and name for the session of d.
func newCreateAttempt(d *ProviderData, kind, name string) *createAttempt {
	a := &createAttempt{kind: kind, name: name, before: map[string]bool{},
		claim: claim{token: newClaimToken(), label: fmt.Sprintf("%s %q", kind, name)}}
	if d != nil {
		a.projectID, a.userID = d.ProjectID, d.UserID
	}
	return a
}

// sameName keeps the objects named like the attempt that live in the
// session's project: admins list every project's objects, and public
// baymodels of other projects are not this project's to manage.
func (a *createAttempt) sameName(objs []ownedObject) []ownedObject {
	var out []ownedObject
	for _, o := range objs {
		if o.Name == a.name && (a.projectID == "" || o.ProjectID == "" || o.ProjectID == a.projectID) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// ownedBySession reports whether o belongs to the session's project and
// user. With no token identity (never with Keystone v3) nothing does.
func (a *createAttempt) ownedBySession(o ownedObject) bool {
	return a.projectID != "" && a.userID != "" && o.ProjectID == a.projectID && o.UserID == a.userID
}

// madeByRequest splits the objects of the attempt's name into those that
// can only have come from this request (same project and user, created at
// or after it started, absent just before it, not taken by another
// resource) and the rest.
func (a *createAttempt) madeByRequest(objs []ownedObject, claims *claimSet) (mine, others []ownedObject) {
	for _, o := range a.sameName(objs) {
		if a.ownedBySession(o) && !a.before[o.ID] && !o.CreatedAt.Before(a.notBefore) && !claims.heldByOther(o.ID, a.claim.token) {
			mine = append(mine, o)
		} else {
			others = append(others, o)
		}
	}
	return mine, others
}

// adoptable splits the objects of the attempt's name into those the
// session may adopt on request (adopt_existing): its own project and user,
// not being deleted, not held by another resource of this run.
func (a *createAttempt) adoptable(objs []ownedObject, claims *claimSet) (mine, others []ownedObject) {
	for _, o := range objs {
		if a.ownedBySession(o) && !strings.HasPrefix(o.Status, "DELETE_") && !claims.heldByOther(o.ID, a.claim.token) {
			mine = append(mine, o)
		} else {
			others = append(others, o)
		}
	}
	return mine, others
}

// listObjects renders objects one per line, saying which ones another
// resource of this run holds.
func listObjects(objs []ownedObject, claims *claimSet) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "\n  - %s", o.describe())
		if h, ok := claims.holder(o.ID); ok {
			fmt.Fprintf(&b, ", already managed by another resource of this configuration (%s)", h.label)
		}
	}
	return b.String()
}

// importHint is the import line for id. A provider is never told the
// address of the resource it serves, so the line names it the way
// Terraform shows it, in the diagnostic's "with" line.
func importHint(kind, id string) string {
	return fmt.Sprintf("  terraform import <address> %s\n"+
		"where <address> is this resource's address, shown in the \"with\" line above (such as magnum_%s.example).", id, kind)
}

// nameTakenError is the error of a create stopped because objects of its
// name exist that no resource of the state holds.
func (a *createAttempt) nameTakenError(existing []ownedObject, claims *claimSet, adoptRequested bool) string {
	var b strings.Builder
	what := "A " + a.kind
	if len(existing) > 1 {
		what = fmt.Sprintf("More than one %s", a.kind)
	}
	fmt.Fprintf(&b, "%s named %q already exists in project %s, and this resource does not manage it:%s\n\n",
		what, a.name, orUnknown(a.projectID), listObjects(existing, claims))
	fmt.Fprintf(&b, "Creating another would leave several %ss with one name, which breaks every look-up by that name.\n\n", a.kind)
	if _, held := claims.holder(existing[0].ID); len(existing) == 1 && !held {
		o := existing[0]
		b.WriteString("If it is the one this resource should manage (for example, made by an apply that was killed before it could save its state), import it:\n")
		b.WriteString(importHint(a.kind, o.ID))
		switch {
		case adoptRequested:
		case a.ownedBySession(o):
			fmt.Fprintf(&b, "\nOr set adopt_existing = true on this resource: the %s was created by this user (%s) in this project, so the provider may adopt it.", a.kind, a.userID)
		default:
			fmt.Fprintf(&b, "\nadopt_existing cannot adopt it: it was created by user %s, and the provider's credentials are user %s's.", orUnknown(o.UserID), orUnknown(a.userID))
		}
		b.WriteString("\n\nOtherwise give this resource another name. If this create is the new half of a create_before_destroy replacement of this very resource, the old object still holds the name: give the replacement a new name, or drop create_before_destroy so that Terraform deletes the old one first.")
		return b.String()
	}
	b.WriteString("Give each resource its own name. If one of them is the one this resource should manage, import it by id:\n")
	b.WriteString(importHint(a.kind, "<id>"))
	return b.String()
}

// unknownOutcomeError explains a create whose answer was lost and whose
// result could not be proven: nothing is adopted.
func (a *createAttempt) unknownOutcomeError(mine, others []ownedObject, claims *claimSet) string {
	var b strings.Builder
	switch {
	case len(mine) > 1:
		fmt.Fprintf(&b, "More than one %s named %q could have come from this request:%s\n\n", a.kind, a.name, listObjects(mine, claims))
		fmt.Fprintf(&b, "The provider adopts only a %s it can prove it created, so it adopted none. Import the one this resource should manage:\n%s",
			a.kind, importHint(a.kind, mine[0].ID))
		if len(others) > 0 {
			fmt.Fprintf(&b, "\n\nOther %ss of that name, which this request did not create:%s", a.kind, listObjects(others, claims))
		}
	case len(others) == 0:
		fmt.Fprintf(&b, "No %s named %q exists, so the create did not happen; it is safe to apply again", a.kind, a.name)
	default:
		fmt.Fprintf(&b, "No %s named %q was created by this request. These %ss of that name were made by someone else, before this request, or are managed by another resource, so the provider leaves them alone:%s\n\n"+
			"Applying again stops at them; import the right one first if one is yours:\n%s", a.kind, a.name, a.kind, listObjects(others, claims), importHint(a.kind, others[0].ID))
	}
	return b.String()
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
	diags.AddError(fmt.Sprintf("The %s belongs to another project", kind),
		fmt.Sprintf("The state records %s %q (%s) in project %s, but the provider's credentials are scoped to project %s. "+
			"Magnum shows each project only its own %ss, so with these credentials the %s would look deleted and Terraform would "+
			"plan a new one in the wrong project; the provider stops instead and leaves the state as it is.\n\n"+
			"Use credentials for project %s (project_id or project_name, OS_PROJECT_ID or OS_PROJECT_NAME, or the clouds.yaml entry). "+
			"If the %s should no longer be managed here, remove it from the state with `terraform state rm`.",
			kind, name, id, recorded.ValueString(), d.ProjectID, kind, kind, recorded.ValueString(), kind))
	return diags
}
