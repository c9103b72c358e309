package sim

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// maxLimit is [api]max_limit.
const maxLimit = 1000

// pageParams are the list arguments every Magnum collection takes.
type pageParams struct {
	limit   int
	marker  string
	sortKey string
	sortDir string
}

// parsePage validates limit and sort_dir the way Magnum's api utils do.
// The marker and the sort key are checked by the caller, which knows the
// table: Magnum checks them later, in that order.
func parsePage(r *http.Request) (pageParams, *apiError) {
	q := r.URL.Query()
	pp := pageParams{limit: maxLimit, marker: q.Get("marker"), sortKey: q.Get("sort_key"), sortDir: q.Get("sort_dir")}
	if pp.sortKey == "" {
		pp.sortKey = "id"
	}
	if pp.sortDir == "" {
		pp.sortDir = "asc"
	}
	if q.Has("limit") {
		raw := q.Get("limit")
		n, err := strconv.Atoi(raw)
		if err != nil {
			return pp, invalidInput("limit", raw, "unable to convert to int")
		}
		if n <= 0 {
			return pp, errf(http.StatusBadRequest, "Limit must be positive")
		}
		pp.limit = min(n, maxLimit)
	}
	if pp.sortDir != "asc" && pp.sortDir != "desc" {
		return pp, errf(http.StatusBadRequest, "Invalid sort direction: %s. Acceptable values are 'asc' or 'desc'", pp.sortDir)
	}
	if pp.marker != "" && !isUUIDLike(pp.marker) {
		return pp, errf(http.StatusBadRequest, "Expected a uuid but received %s.", pp.marker)
	}
	return pp, nil
}

// sortValue orders field values as PostgreSQL would: NULLs after
// everything else in ascending order.
type sortValue struct {
	null bool
	v    any
}

func compareSortValues(a, b sortValue) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return 1
	case b.null:
		return -1
	}
	switch x := a.v.(type) {
	case int64:
		return cmp.Compare(x, b.v.(int64))
	case int:
		return cmp.Compare(x, b.v.(int))
	case string:
		return cmp.Compare(x, b.v.(string))
	case bool:
		y := b.v.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.v.(time.Time))
	}
	return cmp.Compare(fmt.Sprint(a.v), fmt.Sprint(b.v))
}

// paginate sorts rows by key (then id), skips past the marker row and cuts
// the page, like oslo.db's paginate_query. keyOf returns the sort value and
// the row's integer id.
func paginate[T any](rows []T, pp pageParams, marker *T, keyOf func(T) (sortValue, int)) []T {
	order := func(a, b T) int {
		ka, ia := keyOf(a)
		kb, ib := keyOf(b)
		c := compareSortValues(ka, kb)
		if c == 0 {
			c = cmp.Compare(ia, ib)
		}
		if pp.sortDir == "desc" {
			c = -c
		}
		return c
	}
	slices.SortFunc(rows, order)
	if marker != nil {
		i := 0
		for i < len(rows) && order(rows[i], *marker) <= 0 {
			i++
		}
		rows = rows[i:]
	}
	if len(rows) > pp.limit {
		rows = rows[:pp.limit]
	}
	return rows
}

// nextLink is the collection's "next" URL, present when the page is full.
func nextLink(base, collection string, pp pageParams, lastUUID string) string {
	return fmt.Sprintf("%s%s/v1/%s?sort_key=%s&sort_dir=%s&limit=%d&marker=%s",
		base, magnumPrefix, collection, url.QueryEscape(pp.sortKey), pp.sortDir, pp.limit, lastUUID)
}

func (s *magnumService) listTemplates(k *templateKind) magnumHandler {
	sortable := map[string]bool{"id": true, "uuid": true, "project_id": true, "user_id": true, "created_at": true, "updated_at": true}
	for _, f := range k.fields(s.profile) {
		if f.kind != kindReadOnly {
			sortable[f.name] = true
		}
	}
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		if aerr := checkQueryArgs(r, "limit", "marker", "sort_key", "sort_dir"); aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		pp, aerr := parsePage(r)
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		var marker *template
		if pp.marker != "" {
			if marker, aerr = s.st.findTemplate(c.p, pp.marker, scopeAdminAll); aerr != nil {
				writeMagnumError(w, aerr)
				return
			}
		}
		if !sortable[pp.sortKey] {
			writeMagnumError(w, errf(http.StatusBadRequest, "The sort_key value %q is an invalid field for sorting", pp.sortKey))
			return
		}
		var rows []*template
		for _, t := range s.st.templates {
			// Your project's templates, plus public ones unless hidden;
			// admins see everything.
			if c.p.isAdmin() || t.projectID == c.p.project.id || (t.boolField("public") && !t.boolField("hidden")) {
				rows = append(rows, t)
			}
		}
		key := func(t *template) (sortValue, int) {
			var v any
			switch pp.sortKey {
			case "id":
				v = t.id
			case "uuid":
				v = t.uuid
			case "project_id":
				v = t.projectID
			case "user_id":
				v = t.userID
			case "created_at":
				v = t.createdAt
			case "updated_at":
				if t.updatedAt != nil {
					v = *t.updatedAt
				}
			case "labels":
				if l, ok := t.v["labels"].(*pyDict); ok {
					v = pyRepr(l)
				}
			default:
				v = t.v[pp.sortKey]
			}
			return sortValue{null: v == nil, v: v}, t.id
		}
		var mp **template
		if marker != nil {
			mp = &marker
		}
		page := paginate(rows, pp, mp, key)
		items := make([]any, len(page))
		for i, t := range page {
			items[i] = s.templateView(k, t, c.base)
		}
		out := newPyDict()
		out.Set(k.collection, pyList(items))
		if len(page) > 0 && len(page) == pp.limit {
			out.Set("next", nextLink(c.base, k.collection, pp, page[len(page)-1].uuid))
		}
		writeMagnumJSON(w, http.StatusOK, out)
	}
}
