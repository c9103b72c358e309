package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// Every bay and baymodel create runs the same guard: look the name up in
// the project first, so an object that a killed or lost apply made is
// never doubled; and when the answer to the POST is lost, adopt only what
// provably came from that POST (createAttempt).

// lostCreateLooks and lostCreateInterval bound the search for a bay whose
// POST answer was lost: Magnum's API casts the create to its conductor,
// which inserts the row a moment later.
const (
	lostCreateLooks    = 3
	lostCreateInterval = 1500 * time.Millisecond
)

func adoptExistingAttribute(kind string) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: fmt.Sprintf("What to do when, at create time, a %[1]s of this `name` already exists in the project and no resource "+
			"manages it (for example, one an apply made just before it was killed): by default the create stops with an error that names "+
			"it and the `terraform import` command. `true` adopts it instead, but only when exactly one such %[1]s exists and it was "+
			"created by the same user in the same project as the provider's credentials; anything else stays an error. "+
			"The provider then brings it to the configuration where Magnum can do that in place. Only consulted at create time.", kind),
		Optional: true,
	}
}

// errNameTaken carries a nameTakenError message.
type errNameTaken struct{ msg string }

func (e *errNameTaken) Error() string { return e.msg }

// guardedCreate runs one create: the look-up, then either adoption of an
// existing object (with adopt, when allowed) or post, and on a lost
// answer the search for what post made. It returns the id and whether it
// was adopted.
func guardedCreate(ctx context.Context, d *ProviderData, kind, name string, adopt bool,
	list func(context.Context) ([]ownedObject, error), post func(context.Context) (string, error)) (string, bool, error) {
	a := newCreateAttempt(d, kind, name)
	objs, err := list(ctx)
	if err != nil {
		return "", false, errors.New(diagnose.NameLookupFailed(kind, name, err))
	}
	existing := a.sameName(objs)
	for _, o := range existing {
		a.before[o.ID] = true
	}
	if len(existing) > 0 {
		if !adopt {
			return "", false, &errNameTaken{a.nameTakenError(existing, d.claimSet(), false)}
		}
		mine, _ := a.adoptable(existing, d.claimSet())
		if len(mine) != 1 || len(existing) != 1 {
			return "", false, &errNameTaken{a.nameTakenError(existing, d.claimSet(), true)}
		}
		if h, ok := d.claimSet().take(mine[0].ID, a.claim); !ok {
			return "", false, errors.New(diagnose.HeldByOther(kind, mine[0].ID, h.label, false))
		}
		tflog.Info(ctx, "adopting an existing "+kind+" of the same name, as adopt_existing asks", map[string]any{"name": name, "id": mine[0].ID})
		return mine[0].ID, true, nil
	}

	a.start(d, time.Now())
	id, err := post(ctx)
	if magnum.IsOutcomeUnknown(err) {
		// Never POST again blindly: the first request may have created it.
		id, err = a.findLost(ctx, d, kind, list, err)
	}
	if err != nil {
		return "", false, err
	}
	if h, ok := d.claimSet().take(id, a.claim); !ok {
		return "", false, errors.New(diagnose.HeldByOther(kind, id, h.label, true))
	}
	return id, false, nil
}

func (d *ProviderData) claimSet() *claimSet {
	if d == nil {
		return nil
	}
	return d.claims
}

// listBays and listBaymodels are the look-ups of guardedCreate.
func (d *ProviderData) listBays(ctx context.Context) ([]ownedObject, error) {
	// Magnum 15 answers a whole list with the transient 400 while any
	// cluster of it is in the last moments of a delete.
	var clusters []magnum.Cluster
	err := rideOutTransient400(ctx, func(ctx context.Context) error {
		var err error
		clusters, err = d.Magnum.ListClusters(ctx, magnum.ListOpts{})
		return err
	}, readBayTries, readBayInterval)
	if err != nil {
		return nil, err
	}
	out := make([]ownedObject, len(clusters))
	for i, c := range clusters {
		out[i] = clusterObject(c)
	}
	return out, nil
}

func (d *ProviderData) listBaymodels(ctx context.Context) ([]ownedObject, error) {
	templates, err := d.Magnum.ListClusterTemplates(ctx, magnum.ListOpts{})
	if err != nil {
		return nil, err
	}
	out := make([]ownedObject, len(templates))
	for i, t := range templates {
		out[i] = templateObject(t)
	}
	return out, nil
}

// createErrorSummary titles a failed guarded create.
func createErrorSummary(kind, name string, err error) string {
	var taken *errNameTaken
	return diagnose.CreateSummary(kind, name, errors.As(err, &taken))
}

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

// nameTakenError is the error of a create stopped because objects of its
// name exist that no resource of the state holds.
func (a *createAttempt) nameTakenError(existing []ownedObject, claims *claimSet, adoptRequested bool) string {
	return diagnose.NameTaken{
		Kind: a.kind, Name: a.name, ProjectID: a.projectID, UserID: a.userID,
		Existing: diagObjects(existing, claims), FirstIsSessions: a.ownedBySession(existing[0]), AdoptRequested: adoptRequested,
	}.String()
}

// unknownOutcomeError explains a create whose answer was lost and whose
// result could not be proven: nothing is adopted.
func (a *createAttempt) unknownOutcomeError(mine, others []ownedObject, claims *claimSet) string {
	return diagnose.LostCreate(a.kind, a.name, diagObjects(mine, claims), diagObjects(others, claims))
}

// findLost settles a POST whose answer was lost by looking for what it
// made, before anything else.
func (a *createAttempt) findLost(ctx context.Context, d *ProviderData, kind string, list func(context.Context) ([]ownedObject, error), postErr error) (string, error) {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	looks := 1
	if kind == "bay" {
		looks = lostCreateLooks
	}
	const (
		settled = "settled"
		notYet  = "nothing of the request's yet"
	)
	var mine, others []ownedObject
	var listErr error
	n := 0
	_, werr := waiter.Wait(ctx, waiter.Config{
		What:        fmt.Sprintf("the %s the lost create request made", kind),
		Schedule:    func(time.Duration) time.Duration { return lostCreateInterval },
		IsTransient: func(error) bool { return false },
	}, func(ctx context.Context) (struct{}, string, error) {
		objs, err := list(ctx)
		if err != nil {
			listErr = err
			return struct{}{}, "", err
		}
		n++
		mine, others = a.madeByRequest(objs, d.claimSet())
		if len(mine) > 0 || n >= looks {
			return struct{}{}, settled, nil
		}
		return struct{}{}, notYet, nil
	}, waiter.Conditions[struct{}]{Target: []string{settled}, Pending: []string{notYet}, IsFailed: func(string) bool { return false }})
	if listErr == nil && werr != nil {
		// The settle context ran out between two looks.
		listErr = werr
	}
	if listErr != nil {
		return "", fmt.Errorf("%w\n\n%s", postErr, diagnose.LostCreateUnchecked(kind, a.name, listErr))
	}
	if len(mine) == 1 {
		tflog.Info(ctx, "the create request's answer was lost, but the "+kind+" it made exists; adopting it", map[string]any{"name": a.name, "id": mine[0].ID})
		return mine[0].ID, nil
	}
	return "", fmt.Errorf("%w\n\n%s", postErr, a.unknownOutcomeError(mine, others, d.claimSet()))
}

// start records when the POST leaves, in Magnum's clock as far as it is
// known (the look-up that precedes it has just shown Magnum's Date).
func (a *createAttempt) start(d *ProviderData, local time.Time) {
	skew := clockSkewUnknown
	server := local
	if d != nil && d.Magnum != nil {
		var known bool
		if server, known = d.Magnum.ServerTime(local); known {
			skew = clockSkewKnown
		}
	}
	a.notBefore = server.Add(-skew).Truncate(time.Second)
}

// listedOnce is a name look-up started ahead of guardedCreate, so that it
// runs beside the create's other reads (a bay's baymodel) instead of after
// them. Its first call answers with that listing; later calls (the search
// after a lost POST answer) list afresh, as they must.
type listedOnce struct {
	list func(context.Context) ([]ownedObject, error)
	done chan struct{}
	objs []ownedObject
	err  error
	used bool
}

func startListing(ctx context.Context, list func(context.Context) ([]ownedObject, error)) *listedOnce {
	l := &listedOnce{list: list, done: make(chan struct{})}
	lctx := ownLogFields(ctx, "name_lookup")
	go func() {
		defer close(l.done)
		l.objs, l.err = list(lctx)
	}()
	return l
}

// get is guardedCreate's list; guardedCreate calls it from one goroutine.
func (l *listedOnce) get(ctx context.Context) ([]ownedObject, error) {
	if l.used {
		return l.list(ctx)
	}
	l.used = true
	select {
	case <-l.done:
		return l.objs, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
