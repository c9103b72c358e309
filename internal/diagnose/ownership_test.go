package diagnose

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

const importLine = "\nwhere <address> is this resource's address, shown in the \"with\" line above (such as magnum_bay.example)."

func TestNameTaken(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	mine := Object{ID: "id-1", ProjectID: "p1", UserID: "u1", Status: "CREATE_IN_PROGRESS", CreatedAt: created}
	theirs := Object{ID: "id-2", ProjectID: "p1", UserID: "u2"}
	held := Object{ID: "id-3", ProjectID: "p1", UserID: "u1", HeldBy: `bay "web"`}
	head := "A bay named \"web\" already exists in project p1, and this resource does not manage it:\n" +
		"  - id-1 (CREATE_IN_PROGRESS, project p1, user u1, created 2025-03-01T12:00:00Z)\n\n" +
		"Creating another would leave several bays with one name, which breaks every look-up by that name.\n\n" +
		"If it is the one this resource should manage (for example, made by an apply that was killed before it could save its state), import it:\n" +
		"  terraform import <address> id-1" + importLine
	cbd := "\n\nOtherwise give this resource another name. If this create is the new half of a create_before_destroy replacement of this very resource, " +
		"the old object still holds the name: give the replacement a new name, or drop create_before_destroy so that Terraform deletes the old one first."
	cases := []struct {
		name string
		in   NameTaken
		want string
	}{
		{"the session's own object", NameTaken{Kind: "bay", Name: "web", ProjectID: "p1", UserID: "u1", Existing: []Object{mine}, FirstIsSessions: true},
			head + "\nOr set adopt_existing = true on this resource: the bay was created by this user (u1) in this project, so the provider may adopt it." + cbd},
		{"adoption was asked for and refused", NameTaken{Kind: "bay", Name: "web", ProjectID: "p1", UserID: "u1", Existing: []Object{mine}, FirstIsSessions: true, AdoptRequested: true},
			head + cbd + "\n\nadopt_existing adopts only when exactly one bay of the name exists and it was created by this user (u1) in this project."},
		{"another user's object", NameTaken{Kind: "bay", Name: "web", ProjectID: "p1", Existing: []Object{theirs}},
			strings.Replace(strings.Replace(head, "id-1 (CREATE_IN_PROGRESS, project p1, user u1, created 2025-03-01T12:00:00Z)", "id-2 (project p1, user u2)", 1), "<address> id-1", "<address> id-2", 1) +
				"\nadopt_existing cannot adopt it: it was created by user u2, and the provider's credentials are user unknown's." + cbd},
		{"several objects, one held by another resource", NameTaken{Kind: "bay", Name: "web", ProjectID: "p1", UserID: "u1", Existing: []Object{mine, held}},
			"More than one bay named \"web\" already exists in project p1, and this resource does not manage it:\n" +
				"  - id-1 (CREATE_IN_PROGRESS, project p1, user u1, created 2025-03-01T12:00:00Z)\n" +
				"  - id-3 (project p1, user u1), already managed by another resource of this configuration (bay \"web\")\n\n" +
				"Creating another would leave several bays with one name, which breaks every look-up by that name.\n\n" +
				"Give each resource its own name. If one of them is the one this resource should manage, import it by id:\n" +
				"  terraform import <address> <id>" + importLine},
	}
	for _, tc := range cases {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
		if strings.Contains(strings.ToLower(tc.in.String()), "delete it") {
			t.Errorf("%s: the text tells the user to delete an object that may not be theirs", tc.name)
		}
	}
}

func TestLostCreate(t *testing.T) {
	t.Parallel()
	m1, m2 := Object{ID: "m1", ProjectID: "p1", UserID: "u1"}, Object{ID: "m2", ProjectID: "p1", UserID: "u1"}
	o1 := Object{ID: "o1", ProjectID: "p1", UserID: "u2"}
	cases := []struct {
		name         string
		mine, others []Object
		want         string
	}{
		{"nothing found", nil, nil, `No bay named "web" exists, so the create did not happen; it is safe to apply again`},
		{"only others'", nil, []Object{o1}, "No bay named \"web\" was created by this request. These bays of that name were made by someone else, before this request, " +
			"or are managed by another resource, so the provider leaves them alone:\n  - o1 (project p1, user u2)\n\n" +
			"Applying again stops at them; import the right one first if one is yours:\n  terraform import <address> o1" + importLine},
		{"two candidates and another", []Object{m1, m2}, []Object{o1}, "More than one bay named \"web\" could have come from this request:\n" +
			"  - m1 (project p1, user u1)\n  - m2 (project p1, user u1)\n\n" +
			"The provider adopts only a bay it can prove it created, so it adopted none. Import the one this resource should manage:\n" +
			"  terraform import <address> m1" + importLine + "\n\nOther bays of that name, which this request did not create:\n  - o1 (project p1, user u2)"},
	}
	for _, tc := range cases {
		got := LostCreate("bay", "web", tc.mine, tc.others)
		if got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
		if strings.Contains(strings.ToLower(got), "delete") {
			t.Errorf("%s: suggests deleting:\n%s", tc.name, got)
		}
	}
	if got, want := LostCreateUnchecked("bay", "web", errors.New("EOF")),
		`The create request may or may not have reached Magnum, and listing bays to find out failed too: EOF. Check for a bay named "web" before applying again`; got != want {
		t.Errorf("LostCreateUnchecked = %q, want %q", got, want)
	}
}

func TestOwnershipOneLiners(t *testing.T) {
	t.Parallel()
	lookupErr := &magnum.Error{StatusCode: 503, Method: "GET", URL: "http://magnum/v1/clusters", Message: "down"}
	summary, detail := OtherProject("bay", "web", "id-1", "p1", "p2")
	_, ambiguous := AmbiguousName("baymodel", "k8s", "to create the bay from", []Object{{ID: "t1", ProjectID: "p1", UserID: "u1"}}, nil,
		&magnum.Error{StatusCode: 409, Method: "GET", URL: "http://magnum/v1/clustertemplates/k8s", Message: "Multiple clustertemplates exist with same name. Please use the clustertemplate uuid instead."})
	_, unlisted := AmbiguousName("bay", "web", "to read", nil, errors.New("EOF"), errors.New("409"))
	cases := []struct{ name, got, want string }{
		{"create summary", CreateSummary("bay", "web", false), `Error creating bay "web"`},
		{"name-taken summary", CreateSummary("baymodel", "k8s", true), `A baymodel named "k8s" already exists`},
		{"look-up failed", NameLookupFailed("bay", "web", lookupErr), "Before creating bay \"web\" the provider looks its name up, so as never to make a second one, " +
			"and the look-up failed:\n\nMagnum said: down\n\nHTTP status: 503\nRequest: GET http://magnum/v1/clusters"},
		{"held", HeldByOther("bay", "id-1", `bay "web"`, false), `bay id-1 is already managed by another resource of this configuration (bay "web")`},
		{"created but held", HeldByOther("baymodel", "id-1", `baymodel "k8s"`, true),
			`baymodel id-1 was created, but another resource of this configuration (baymodel "k8s") already holds it; give each resource its own name`},
		{"other project summary", summary, "The bay belongs to another project"},
		{"other project", detail, "The state records bay \"web\" (id-1) in project p1, but the provider's credentials are scoped to project p2. " +
			"Magnum shows each project only its own bays, so with these credentials the bay would look deleted and Terraform would plan a new one in the wrong project; " +
			"the provider stops instead and leaves the state as it is.\n\nUse credentials for project p1 (project_id or project_name, OS_PROJECT_ID or OS_PROJECT_NAME, " +
			"or the clouds.yaml entry). If the bay should no longer be managed here, remove it from the state with `terraform state rm`."},
		{"ambiguous name", ambiguous, "Magnum cannot tell which baymodel \"k8s\" means to create the bay from: more than one is named so:\n  - t1 (project p1, user u1)\n\n" +
			"Use the UUID of the one you mean instead of the name. Some of them may belong to other users or workspaces, so leave the others alone unless you know they are yours.\n\n" +
			"Magnum said: Multiple clustertemplates exist with same name. Please use the clustertemplate uuid instead.\n\nHTTP status: 409\nRequest: GET http://magnum/v1/clustertemplates/k8s"},
		{"ambiguous name, unlisted", unlisted, "Magnum cannot tell which bay \"web\" means to read: more than one is named so (listing them failed too: EOF).\n\n" +
			"Use the UUID of the one you mean instead of the name. Some of them may belong to other users or workspaces, so leave the others alone unless you know they are yours.\n\n409"},
		{"adopt mismatch", AdoptMismatch("id-1", "web", []string{"flavor_id: m1.small in the configuration, m1.large in Magnum", "keypair: a, b"}),
			"Bay id-1 named \"web\" differs from the configuration in what Magnum cannot change on a running bay:\n" +
				"  - flavor_id: m1.small in the configuration, m1.large in Magnum\n  - keypair: a, b\n\n" +
				"adopt_existing adopts a bay only when it matches. Import it and change the configuration to match, or give this resource another name:\n" +
				"  terraform import <address> id-1" + importLine},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, tc.got, tc.want)
		}
	}
}
