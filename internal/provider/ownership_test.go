package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestCreateAttemptMadeByRequest(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	obj := func(id, project, user string, created time.Time) ownedObject {
		return ownedObject{ID: id, Name: "web", ProjectID: project, UserID: user, Status: "CREATE_IN_PROGRESS", CreatedAt: created}
	}
	cases := []struct {
		name       string
		objs       []ownedObject
		before     []string
		claimedBy  map[string]string // id -> token; "self" is the attempt's own
		wantMine   []string
		wantOthers []string
	}{
		{"own object made after the start", []ownedObject{obj("a", "p1", "u1", start.Add(time.Second))}, nil, nil, []string{"a"}, nil},
		{"created at the start's second", []ownedObject{obj("a", "p1", "u1", start)}, nil, nil, []string{"a"}, nil},
		{"another user of the project", []ownedObject{obj("a", "p1", "u2", start.Add(time.Second))}, nil, nil, nil, []string{"a"}},
		{"another project (an admin lists every project)", []ownedObject{obj("a", "p2", "u1", start.Add(time.Second))}, nil, nil, nil, nil},
		{"older than the request, beyond the skew", []ownedObject{obj("a", "p1", "u1", start.Add(-time.Minute))}, nil, nil, nil, []string{"a"}},
		{"within the clock skew", []ownedObject{obj("a", "p1", "u1", start.Add(-clockSkewKnown))}, nil, nil, []string{"a"}, nil},
		{"found by the look-up before the request", []ownedObject{obj("a", "p1", "u1", start.Add(time.Second))}, []string{"a"}, nil, nil, []string{"a"}},
		{"claimed by another resource of the run", []ownedObject{obj("a", "p1", "u1", start.Add(time.Second))}, nil, map[string]string{"a": "other"}, nil, []string{"a"}},
		{"claimed by this very attempt", []ownedObject{obj("a", "p1", "u1", start.Add(time.Second))}, nil, map[string]string{"a": "self"}, []string{"a"}, nil},
		{"two of its own: both candidates", []ownedObject{obj("a", "p1", "u1", start.Add(time.Second)), obj("b", "p1", "u1", start.Add(2*time.Second))}, nil, nil, []string{"a", "b"}, nil},
		{"another name is ignored", []ownedObject{{ID: "x", Name: "other", ProjectID: "p1", UserID: "u1", CreatedAt: start.Add(time.Second)}}, nil, nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newCreateAttempt(&ProviderData{ProjectID: "p1", UserID: "u1"}, "bay", "web")
			a.start(nil, start)
			// Without Magnum's clock the window is clockSkewUnknown; these
			// cases reason about the known-clock window.
			a.notBefore = start.Add(-clockSkewKnown)
			for _, id := range tc.before {
				a.before[id] = true
			}
			claims := newClaimSet()
			for id, tok := range tc.claimedBy {
				if tok == "self" {
					claims.take(id, a.claim)
				} else {
					claims.take(id, claim{token: tok, label: `bay "web"`})
				}
			}
			mine, others := a.madeByRequest(tc.objs, claims)
			if got := ids(mine); strings.Join(got, ",") != strings.Join(tc.wantMine, ",") {
				t.Errorf("mine = %v, want %v", got, tc.wantMine)
			}
			if got := ids(others); strings.Join(got, ",") != strings.Join(tc.wantOthers, ",") {
				t.Errorf("others = %v, want %v", got, tc.wantOthers)
			}
		})
	}
}

func TestCreateAttemptClockWindow(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	a := newCreateAttempt(nil, "bay", "web")
	a.start(nil, start)
	if want := start.Add(-clockSkewUnknown).Truncate(time.Second); !a.notBefore.Equal(want) {
		t.Errorf("without Magnum's clock notBefore = %v, want %v", a.notBefore, want)
	}
}

func TestCreateAttemptAdoptable(t *testing.T) {
	a := newCreateAttempt(&ProviderData{ProjectID: "p1", UserID: "u1"}, "baymodel", "web")
	claims := newClaimSet()
	claims.take("held", claim{token: "t", label: `baymodel "web"`})
	objs := []ownedObject{
		{ID: "mine", ProjectID: "p1", UserID: "u1", Status: "CREATE_COMPLETE"},
		{ID: "colleague", ProjectID: "p1", UserID: "u2"},
		{ID: "going", ProjectID: "p1", UserID: "u1", Status: "DELETE_IN_PROGRESS"},
		{ID: "held", ProjectID: "p1", UserID: "u1"},
	}
	mine, others := a.adoptable(objs, claims)
	if got := strings.Join(ids(mine), ","); got != "mine" {
		t.Errorf("adoptable = %s, want mine", got)
	}
	if got := strings.Join(ids(others), ","); got != "colleague,going,held" {
		t.Errorf("not adoptable = %s", got)
	}
}

func TestClaimSet(t *testing.T) {
	c := newClaimSet()
	if _, ok := c.take("x", claim{token: "a", label: "first"}); !ok {
		t.Fatal("first claim refused")
	}
	if _, ok := c.take("x", claim{token: "a", label: "first"}); !ok {
		t.Error("the holder's own second claim refused")
	}
	if h, ok := c.take("x", claim{token: "b", label: "second"}); ok || h.label != "first" {
		t.Errorf("second holder got (%v, %v), want refused by first", h, ok)
	}
	if !c.heldByOther("x", "b") || c.heldByOther("x", "a") || c.heldByOther("y", "b") {
		t.Error("heldByOther is wrong")
	}
	var nilSet *claimSet
	if _, ok := nilSet.take("x", claim{token: "b"}); !ok {
		t.Error("a nil set must grant claims")
	}
}

func TestNameTakenErrorNamesEverythingNeeded(t *testing.T) {
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := newCreateAttempt(&ProviderData{ProjectID: "p1", UserID: "u1"}, "bay", "web")
	one := []ownedObject{{ID: "id-1", Name: "web", ProjectID: "p1", UserID: "u1", Status: "CREATE_IN_PROGRESS", CreatedAt: created}}
	msg := a.nameTakenError(one, newClaimSet(), false)
	for _, want := range []string{`A bay named "web" already exists in project p1`, "id-1 (CREATE_IN_PROGRESS, project p1, user u1, created 2025-03-01T12:00:00Z)",
		"terraform import <address> id-1", "Or set adopt_existing = true"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	theirs := []ownedObject{{ID: "id-2", Name: "web", ProjectID: "p1", UserID: "u2"}}
	if msg := a.nameTakenError(theirs, newClaimSet(), false); !strings.Contains(msg, "adopt_existing cannot adopt it: it was created by user u2") {
		t.Errorf("another user's object is offered for adoption:\n%s", msg)
	}
	two := append(one, theirs...)
	msg = a.nameTakenError(two, newClaimSet(), false)
	if !strings.Contains(msg, "More than one bay named") || strings.Contains(msg, "terraform import <address> id-") || strings.Contains(strings.ToLower(msg), "delete") {
		t.Errorf("the message for several objects must list them, import none by default and tell no one to delete:\n%s", msg)
	}
}

func TestUnknownOutcomeErrorNeverSuggestsDeleting(t *testing.T) {
	a := newCreateAttempt(&ProviderData{ProjectID: "p1", UserID: "u1"}, "bay", "web")
	mine := []ownedObject{{ID: "m1", ProjectID: "p1", UserID: "u1"}, {ID: "m2", ProjectID: "p1", UserID: "u1"}}
	others := []ownedObject{{ID: "o1", ProjectID: "p1", UserID: "u2"}}
	for _, msg := range []string{
		a.unknownOutcomeError(mine, others, nil),
		a.unknownOutcomeError(nil, others, nil),
	} {
		if strings.Contains(strings.ToLower(msg), "delete") {
			t.Errorf("message suggests deleting:\n%s", msg)
		}
		if !strings.Contains(msg, "terraform import <address>") {
			t.Errorf("message lacks the import command:\n%s", msg)
		}
	}
	if msg := a.unknownOutcomeError(nil, nil, nil); msg != `No bay named "web" exists, so the create did not happen; it is safe to apply again` {
		t.Errorf("nothing found: %q", msg)
	}
}

func TestCheckProject(t *testing.T) {
	d := &ProviderData{ProjectID: "p2"}
	if diags := d.checkProject("bay", "web", "id", types.StringValue("p1")); !diags.HasError() ||
		!strings.Contains(diags[0].Detail(), "project p1") || !strings.Contains(diags[0].Detail(), "scoped to project p2") {
		t.Errorf("another project's bay: %v", diags)
	}
	for _, recorded := range []types.String{types.StringValue("p2"), types.StringNull(), types.StringUnknown(), types.StringValue("")} {
		if diags := d.checkProject("bay", "web", "id", recorded); diags.HasError() {
			t.Errorf("recorded %v: unexpected error %v", recorded, diags)
		}
	}
	if diags := (&ProviderData{}).checkProject("bay", "web", "id", types.StringValue("p1")); diags.HasError() {
		t.Errorf("a session without a known project must not refuse: %v", diags)
	}
}

func ids(objs []ownedObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

// A look-up started ahead answers guardedCreate's first call only: the
// search after a lost POST answer must see the project as it is then.
func TestListedOnceListsAfreshAfterItsFirstAnswer(t *testing.T) {
	calls := 0
	list := func(context.Context) ([]ownedObject, error) {
		calls++
		return []ownedObject{{ID: fmt.Sprintf("listing-%d", calls)}}, nil
	}
	l := startListing(context.Background(), list)
	for i, want := range []string{"listing-1", "listing-2", "listing-3"} {
		objs, err := l.get(context.Background())
		if err != nil || len(objs) != 1 || objs[0].ID != want {
			t.Fatalf("call %d: %v, %v; want %s", i+1, objs, err, want)
		}
	}
}
