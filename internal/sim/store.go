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
//
// magnum-api (magnumService) and magnum-conductor (conductor) are two
// clients of this database, as in real Magnum, but they share its lock
// for the whole of a request rather than for short row reads and writes.
// That is deliberate, for three reasons:
//
//   - The conductor has no goroutine. Its periodic status sync is computed
//     from the clock when a row is read: every GET, list and introspection
//     call runs conductor.sync on the rows it returns, and sync writes them
//     (status, stack_id, api_address, node addresses, the op it finishes).
//     An API read is therefore a conductor write, and the two must be one
//     atomic step, or a GET could show a status whose addresses or
//     nodegroups are not written yet.
//   - Rows are shared by pointer. Handlers and the conductor hold
//     *clusterRow and *nodegroup and change them in place, and an
//     operation (clusterOp) carries closures (restore, onDone) that write
//     the rows the API wrote when it accepted the request. A lock held only
//     while rows are copied in and out would let those writes land on rows
//     another request is in the middle of changing.
//   - Magnum's rules span tables and are checked before they write: the
//     quota count against the cluster insert, a template's use by clusters
//     against its update or delete, a name's uniqueness against the
//     insert. In Magnum these are DB transactions; here the lock is the
//     transaction.
//
// Splitting them needs a conductor that runs on its own (a loop on
// ConductorInterval writing rows through store methods) and API handlers
// that only read and insert copies. Reads would then depend on when that
// loop last ran, so an answer would no longer be a function of the clock
// alone: OperationTimeline's exact milestones, the benchmarks' notice
// delays and the tests that move the clock rely on that.
//
// Lock order: store.mu is taken first. Keystone (identity.mu) is asked
// before it, never under it (authenticate, projectExists). Under it the
// conductor calls Heat (heat.Engine's lock), armedFaults.mu and the
// kubeapi backend (which writes a bay's files and opens its listener, and
// starts any real kube-apiserver in the background), none of which calls
// back into Magnum.
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
