package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Names are not unique in Magnum: a look-up by a name several objects
// share answers 409 "Multiple ... exist with same name". These helpers turn
// that into an error that says so, with the objects' ids and owners, and
// the UUID to use instead. They never suggest deleting one: the others may
// belong to another user or workspace.

// ambiguousName explains a failed look-up of kind by ident when Magnum
// answered 409 because several objects share the name: ok is false for
// any other error, which the caller reports as before.
func (d *ProviderData) ambiguousName(ctx context.Context, kind, ident, purpose string, err error) (summary, detail string, ok bool) {
	if magnum.StatusCode(err) != http.StatusConflict {
		return "", "", false
	}
	summary = fmt.Sprintf("More than one %s is named %q", kind, ident)
	objs, lerr := d.namedObjects(ctx, kind, ident)
	var b strings.Builder
	fmt.Fprintf(&b, "Magnum cannot tell which %s %q means %s: more than one is named so", kind, ident, purpose)
	switch {
	case lerr != nil:
		fmt.Fprintf(&b, " (listing them failed too: %v).", lerr)
	case len(objs) > 0:
		b.WriteString(":")
		for _, o := range objs {
			fmt.Fprintf(&b, "\n  - %s", o.describe())
		}
	default:
		b.WriteString(".")
	}
	fmt.Fprintf(&b, "\n\nUse the UUID of the one you mean instead of the name. Some of them may belong to other users or "+
		"workspaces, so leave the others alone unless you know they are yours.\n\n%s", diagnose.APIError(err))
	return summary, b.String(), true
}

// namedObjects lists the objects of kind named name that the session can
// see, oldest first.
func (d *ProviderData) namedObjects(ctx context.Context, kind, name string) ([]ownedObject, error) {
	var objs []ownedObject
	var err error
	switch kind {
	case "bay":
		objs, err = d.listBays(ctx)
	default:
		objs, err = d.listBaymodels(ctx)
	}
	if err != nil {
		return nil, err
	}
	a := &createAttempt{name: name}
	return a.sameName(objs), nil
}
