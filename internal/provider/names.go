package provider

import (
	"context"
	"net/http"

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
	objs, lerr := d.namedObjects(ctx, kind, ident)
	summary, detail = diagnose.AmbiguousName(kind, ident, purpose, diagObjects(objs, nil), lerr, err)
	return summary, detail, true
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
