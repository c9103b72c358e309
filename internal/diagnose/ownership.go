package diagnose

import (
	"fmt"
	"strings"
	"time"
)

// Ownership: the provider touches only objects its state holds or that it
// can prove it created in this run. These texts name the objects that
// stood in the way, with their owners, and the import command that brings
// the right one under Terraform. They never suggest deleting anything: the
// other objects may be other users' or workspaces'.

// Object is a bay or baymodel as an ownership message names it.
type Object struct {
	ID, ProjectID, UserID, Status string
	CreatedAt                     time.Time
	// HeldBy names the resource of this configuration that already
	// manages the object; "" when none does.
	HeldBy string
}

// describe renders one object: id, status, owner and age.
func (o Object) describe() string {
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

// orUnknown names an owner the session could not learn.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// listObjects renders objects one per line, saying which ones another
// resource of this run holds.
func listObjects(objs []Object) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "\n  - %s", o.describe())
		if o.HeldBy != "" {
			fmt.Fprintf(&b, ", already managed by another resource of this configuration (%s)", o.HeldBy)
		}
	}
	return b.String()
}

// ImportHint is the import line for id. A provider is never told the
// address of the resource it serves, so the line names it the way
// Terraform shows it, in the diagnostic's "with" line.
func ImportHint(kind, id string) string {
	return fmt.Sprintf("  terraform import <address> %s\n"+
		"where <address> is this resource's address, shown in the \"with\" line above (such as magnum_%s.example).", id, kind)
}

// CreateSummary titles a failed guarded create of kind named name.
func CreateSummary(kind, name string, nameTaken bool) string {
	if nameTaken {
		return fmt.Sprintf("A %s named %q already exists", kind, name)
	}
	return fmt.Sprintf("Error creating %s %q", kind, name)
}

// NameLookupFailed is the error of a create stopped because the look-up
// of its name, made so as never to create a second object, failed.
func NameLookupFailed(kind, name string, err error) string {
	return fmt.Sprintf("Before creating %s %q the provider looks its name up, so as never to make a second one, and the look-up failed:\n\n%s", kind, name, APIError(err))
}

// NameTaken is the error of a create stopped because objects of its name
// exist that no resource of the state holds.
type NameTaken struct {
	Kind, Name string
	// ProjectID and UserID are the session's.
	ProjectID, UserID string
	// Existing holds the objects of the name, oldest first; at least one.
	Existing []Object
	// FirstIsSessions says the first of Existing was created by the
	// session's user in its project, so adopt_existing could adopt it.
	FirstIsSessions bool
	// AdoptRequested says adopt_existing was set and could not adopt.
	AdoptRequested bool
}

func (t NameTaken) String() string {
	var b strings.Builder
	what := "A " + t.Kind
	if len(t.Existing) > 1 {
		what = fmt.Sprintf("More than one %s", t.Kind)
	}
	fmt.Fprintf(&b, "%s named %q already exists in project %s, and this resource does not manage it:%s\n\n",
		what, t.Name, orUnknown(t.ProjectID), listObjects(t.Existing))
	fmt.Fprintf(&b, "Creating another would leave several %ss with one name, which breaks every look-up by that name.\n\n", t.Kind)
	if len(t.Existing) == 1 && t.Existing[0].HeldBy == "" {
		o := t.Existing[0]
		b.WriteString("If it is the one this resource should manage (for example, made by an apply that was killed before it could save its state), import it:\n")
		b.WriteString(ImportHint(t.Kind, o.ID))
		switch {
		case t.AdoptRequested:
		case t.FirstIsSessions:
			fmt.Fprintf(&b, "\nOr set adopt_existing = true on this resource: the %s was created by this user (%s) in this project, so the provider may adopt it.", t.Kind, t.UserID)
		default:
			fmt.Fprintf(&b, "\nadopt_existing cannot adopt it: it was created by user %s, and the provider's credentials are user %s's.", orUnknown(o.UserID), orUnknown(t.UserID))
		}
		b.WriteString("\n\nOtherwise give this resource another name. If this create is the new half of a create_before_destroy replacement of this very resource, the old object still holds the name: give the replacement a new name, or drop create_before_destroy so that Terraform deletes the old one first.")
	} else {
		b.WriteString("Give each resource its own name. If one of them is the one this resource should manage, import it by id:\n")
		b.WriteString(ImportHint(t.Kind, "<id>"))
	}
	if t.AdoptRequested {
		fmt.Fprintf(&b, "\n\nadopt_existing adopts only when exactly one %s of the name exists and it was created by this user (%s) in this project.", t.Kind, orUnknown(t.UserID))
	}
	return b.String()
}

// HeldByOther is the error of an adoption or create whose object another
// resource of this configuration already holds; created says the create
// made it (the resources share a name).
func HeldByOther(kind, id, holder string, created bool) string {
	if created {
		return fmt.Sprintf("%s %s was created, but another resource of this configuration (%s) already holds it; "+
			"give each resource its own name", kind, id, holder)
	}
	return fmt.Sprintf("%s %s is already managed by another resource of this configuration (%s)", kind, id, holder)
}

// LostCreate explains a create whose answer was lost and whose result
// could not be proven, so nothing was adopted: mine could each have come
// from the request, others did not. It follows the lost request's error.
func LostCreate(kind, name string, mine, others []Object) string {
	var b strings.Builder
	switch {
	case len(mine) > 1:
		fmt.Fprintf(&b, "More than one %s named %q could have come from this request:%s\n\n", kind, name, listObjects(mine))
		fmt.Fprintf(&b, "The provider adopts only a %s it can prove it created, so it adopted none. Import the one this resource should manage:\n%s",
			kind, ImportHint(kind, mine[0].ID))
		if len(others) > 0 {
			fmt.Fprintf(&b, "\n\nOther %ss of that name, which this request did not create:%s", kind, listObjects(others))
		}
	case len(others) == 0:
		fmt.Fprintf(&b, "No %s named %q exists, so the create did not happen; it is safe to apply again", kind, name)
	default:
		fmt.Fprintf(&b, "No %s named %q was created by this request. These %ss of that name were made by someone else, before this request, or are managed by another resource, so the provider leaves them alone:%s\n\n"+
			"Applying again stops at them; import the right one first if one is yours:\n%s", kind, name, kind, listObjects(others), ImportHint(kind, others[0].ID))
	}
	return b.String()
}

// LostCreateUnchecked follows a lost create's error when listing the
// objects to find out what it did failed too.
func LostCreateUnchecked(kind, name string, listErr error) string {
	return fmt.Sprintf("The create request may or may not have reached Magnum, and listing %ss to find out failed too: %v. "+
		"Check for a %s named %q before applying again", kind, listErr, kind, name)
}

// OtherProject refuses an object whose state records another project than
// the session's: Magnum hides other projects' objects behind a 404, so
// reading on would drop it from the state and plan a new one in the wrong
// project.
func OtherProject(kind, name, id, recorded, session string) (summary, detail string) {
	return fmt.Sprintf("The %s belongs to another project", kind),
		fmt.Sprintf("The state records %s %q (%s) in project %s, but the provider's credentials are scoped to project %s. "+
			"Magnum shows each project only its own %ss, so with these credentials the %s would look deleted and Terraform would "+
			"plan a new one in the wrong project; the provider stops instead and leaves the state as it is.\n\n"+
			"Use credentials for project %s (project_id or project_name, OS_PROJECT_ID or OS_PROJECT_NAME, or the clouds.yaml entry). "+
			"If the %s should no longer be managed here, remove it from the state with `terraform state rm`.",
			kind, name, id, recorded, session, kind, kind, recorded, kind)
}

// AmbiguousName explains Magnum's 409 to a look-up of kind by a name
// several objects share: objs are those the session can see (listErr if
// listing them failed), and the way out is the UUID of the one meant.
// purpose completes "which kind ident means ...".
func AmbiguousName(kind, ident, purpose string, objs []Object, listErr, err error) (summary, detail string) {
	summary = fmt.Sprintf("More than one %s is named %q", kind, ident)
	var b strings.Builder
	fmt.Fprintf(&b, "Magnum cannot tell which %s %q means %s: more than one is named so", kind, ident, purpose)
	switch {
	case listErr != nil:
		fmt.Fprintf(&b, " (listing them failed too: %v).", listErr)
	case len(objs) > 0:
		b.WriteString(":")
		for _, o := range objs {
			fmt.Fprintf(&b, "\n  - %s", o.describe())
		}
	default:
		b.WriteString(".")
	}
	fmt.Fprintf(&b, "\n\nUse the UUID of the one you mean instead of the name. Some of them may belong to other users or "+
		"workspaces, so leave the others alone unless you know they are yours.\n\n%s", APIError(err))
	return summary, b.String()
}

// AdoptMismatch refuses to adopt bay id (named name) that differs from the
// configuration in what Magnum cannot change on a running bay, listed in
// diff.
func AdoptMismatch(id, name string, diff []string) string {
	return fmt.Sprintf("Bay %s named %q differs from the configuration in what Magnum cannot change on a running bay:\n  - %s\n\n"+
		"adopt_existing adopts a bay only when it matches. Import it and change the configuration to match, or give this resource another name:\n%s",
		id, name, strings.Join(diff, "\n  - "), ImportHint("bay", id))
}
