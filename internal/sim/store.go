package sim

import (
	"net/http"
	"sync"
	"time"
)

// store is Magnum's database: one mutex over every table, so handlers can
// check and write atomically the way Magnum's DB transactions do.
// Clusters, bays, nodegroups, certificates and quotas get their tables here
// and their handlers in files of their own.
type store struct {
	mu sync.Mutex
	// nextID is the autoincrement primary key shared by all tables; only
	// ordering matters (sort_key=id is the default sort).
	nextID    int
	templates map[string]*template   // by uuid
	clusters  map[string]*clusterRow // by uuid
	quotas    map[string]*quotaRow   // by project id; the only resource is Cluster
	// discovery holds the etcd discovery tokens the conductor handed out,
	// with the cluster size registered under each.
	discovery map[string]int64
}

func newStore() *store {
	return &store{templates: map[string]*template{}, clusters: map[string]*clusterRow{}, quotas: map[string]*quotaRow{},
		discovery: map[string]int64{}}
}

func (st *store) newID() int {
	st.nextID++
	return st.nextID
}

// template is one row of the cluster_template table, which /clustertemplates
// and /baymodels share.
type template struct {
	id        int
	uuid      string
	projectID string
	userID    string
	createdAt time.Time
	updatedAt *time.Time
	// v holds the API-settable fields by name: nil, string, int64, bool or
	// (labels) a *pyDict of strings.
	v map[string]any
}

func (t *template) boolField(name string) bool {
	b, _ := t.v[name].(bool)
	return b
}

func (t *template) strField(name string) string {
	s, _ := t.v[name].(string)
	return s
}

// insertClusterRow adds a bare cluster row, with no nodegroups, stack or
// conductor work, for tests of the template rules.
func (st *store) insertClusterRow(c *clusterRow) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if c.id == 0 {
		c.id = st.newID()
	}
	st.clusters[c.uuid] = c
}

// templateReferenced is Magnum's _is_cluster_template_referenced: any
// cluster, in any project, using the template. Callers hold st.mu.
func (st *store) templateReferenced(uuid string) bool {
	for _, c := range st.clusters {
		if c.templateUUID == uuid {
			return true
		}
	}
	return false
}

// referencedUpdateAllowed is Magnum's rule for updating a template that
// clusters use: exactly one changed field, and it must be a rename, making
// it public, changing hidden, or setting non-null tags. Note that an empty
// change set is refused too, as in Magnum.
func referencedUpdateAllowed(changes map[string]any) bool {
	if len(changes) != 1 {
		return false
	}
	for k, v := range changes {
		switch k {
		case "name", "hidden":
			return true
		case "public":
			b, _ := v.(bool)
			return b
		case "tags":
			return v != nil
		}
	}
	return false
}

// templateScope says how far a lookup may see beyond the caller's project.
type templateScope int

const (
	// scopeOwnOrPublic: the caller's project plus public templates. This is
	// what PATCH uses, even for admins (FINDINGS #313).
	scopeOwnOrPublic templateScope = iota
	// scopeAdminAll: as above, but admins see every project (GET, DELETE).
	scopeAdminAll
)

func (st *store) templateVisible(p *principal, t *template, scope templateScope) bool {
	if scope == scopeAdminAll && p.isAdmin() {
		return true
	}
	return t.projectID == p.project.id || t.boolField("public")
}

// findTemplate resolves {ident} as Magnum's get_resource does: a UUID-like
// ident is a UUID, anything else a name, and a name shared by several
// visible templates is a 409. Callers hold st.mu.
func (st *store) findTemplate(p *principal, ident string, scope templateScope) (*template, *apiError) {
	notFound := errf(http.StatusNotFound, "ClusterTemplate %s could not be found.", ident)
	if isUUIDLike(ident) {
		t := st.templates[ident]
		if t == nil || !st.templateVisible(p, t, scope) {
			return nil, notFound
		}
		return t, nil
	}
	var found *template
	for _, t := range st.templates {
		if t.strField("name") != ident || !st.templateVisible(p, t, scope) {
			continue
		}
		if found != nil {
			return nil, errf(http.StatusConflict, "Multiple ClusterTemplates exist with same name. Please use the ClusterTemplate uuid instead.")
		}
		found = t
	}
	if found == nil {
		return nil, notFound
	}
	return found, nil
}
