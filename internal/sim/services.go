package sim

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// /v1/mservices and /v1/stats, which the differential check against real
// Magnum 15 asks for (a missing route answered 404 where Magnum answers
// 403 or 200).

// conductorStarted stands for the time the conductor first reported in.
var conductorStarted = sync.OnceValue(func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) })

// listServices shows the one conductor; the policy is admin only.
func (s *magnumService) listServices(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if !c.p.isAdmin() {
		writeMagnumError(w, errf(http.StatusForbidden, "Policy doesn't allow magnum-service:get_all to be performed."))
		return
	}
	started := s.fmtTime(conductorStarted())
	svc := newPyDict()
	svc.Set("host", "localhost")
	svc.Set("binary", "magnum-conductor")
	svc.Set("state", "up")
	svc.Set("id", int64(1))
	svc.Set("report_count", int64(1))
	svc.Set("disabled", false)
	svc.Set("disabled_reason", nil)
	svc.Set("created_at", started)
	svc.Set("updated_at", started)
	writeMagnumJSON(w, http.StatusOK, map[string]any{"mservices": []any{svc}})
}

// stats counts clusters and the nodes of their nodegroups (masters
// included), for the caller's project unless an admin asks for all or
// names one.
func (s *magnumService) stats(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if aerr := checkQueryArgs(r, "project_id", "type"); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	q := r.URL.Query()
	if typ := q.Get("type"); typ != "" && !strings.EqualFold(typ, "cluster") {
		writeMagnumError(w, errf(http.StatusBadRequest, "Invalid stats type. Allowed values are 'cluster'"))
		return
	}
	project := q.Get("project_id")
	if !c.p.isAdmin() {
		if project == "" {
			project = c.p.project.id
		}
		if project != c.p.project.id {
			writeMagnumError(w, errf(http.StatusForbidden, "Not authorized."))
			return
		}
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	now := s.now()
	var clusters, nodes int64
	for _, cl := range s.st.clusters {
		s.cond.sync(cl, now)
		if cl.deleted || (project != "" && cl.projectID != project) {
			continue
		}
		clusters++
		for _, ng := range cl.nodegroups {
			nodes += ng.nodeCount
		}
	}
	doc := newPyDict()
	doc.Set("clusters", clusters)
	doc.Set("nodes", nodes)
	writeMagnumJSON(w, http.StatusOK, doc)
}
