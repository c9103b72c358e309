package sim

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// Quotas (/v1/quotas). Magnum knows one resource, Cluster; its limit is
// enforced on cluster POST only (bays slip through, FINDINGS #381).

type quotaRow struct {
	id        int
	projectID string
	hardLimit int64
	createdAt time.Time
	updatedAt *time.Time
}

func (s *magnumService) quotaView(q *quotaRow) *pyDict {
	out := newPyDict()
	out.Set("id", int64(q.id))
	out.Set("hard_limit", q.hardLimit)
	out.Set("project_id", q.projectID)
	out.Set("resource", "Cluster")
	out.Set("created_at", s.fmtTime(q.createdAt))
	out.Set("updated_at", s.fmtTimePtr(q.updatedAt))
	return out
}

func (s *magnumService) listQuotas(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if aerr := checkQueryArgs(r, "limit", "marker", "sort_key", "sort_dir", "all_tenants"); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	if !c.p.isAdmin() {
		writeMagnumError(w, errf(http.StatusForbidden, "Policy doesn't allow quota:get_all to be performed."))
		return
	}
	all := strings.EqualFold(r.URL.Query().Get("all_tenants"), "true")
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var rows []*quotaRow
	for _, q := range s.st.quotas {
		if all || q.projectID == c.p.project.id {
			rows = append(rows, q)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	items := pyList{}
	for _, q := range rows {
		items = append(items, s.quotaView(q))
	}
	out := newPyDict()
	out.Set("quotas", items)
	writeMagnumJSON(w, http.StatusOK, out)
}

// parseQuotaBody applies the Quota API type's checks.
func (s *magnumService) parseQuotaBody(body any) (map[string]any, *apiError) {
	in, ok := body.(*pyDict)
	if !ok {
		if _, isList := body.(pyList); isList {
			// WSME reads the list as an object (FINDINGS #373).
			return nil, errf(http.StatusInternalServerError, "'list' object has no attribute 'keys'")
		}
		if body == nil {
			return nil, invalidInput("quota", nil, "Mandatory field missing.")
		}
		return nil, invalidInput("quota", body, "Value not a valid dict: "+pyStr(body))
	}
	v := map[string]any{}
	for _, k := range in.Keys() {
		ks, _ := k.(string)
		switch ks {
		case "project_id", "resource", "hard_limit", "id", "created_at", "updated_at":
		default:
			return nil, errf(http.StatusBadRequest, "Unknown attribute for argument quota: %s", pyStr(k))
		}
	}
	if p, ok := in.Get("project_id"); ok && p != nil {
		ps, isStr := p.(string)
		if !isStr {
			return nil, invalidInput("project_id", p, "Value should be string")
		}
		v["project_id"] = ps
	}
	if res, ok := in.Get("resource"); ok && res != nil {
		if res != "Cluster" {
			return nil, invalidInput("resource", res, "Value should be one of: Cluster")
		}
		v["resource"] = res
	}
	if hl, ok := in.Get("hard_limit"); ok && hl != nil {
		n, aerr := s.convertCreate(clusterKind, fieldSpec{name: "hard_limit", kind: kindInt, min: 0, hasMin: true}, hl)
		if aerr != nil {
			return nil, aerr
		}
		v["hard_limit"] = n
	}
	return v, nil
}

func (s *magnumService) createQuota(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	v, aerr := s.parseQuotaBody(body)
	if aerr == nil && v["project_id"] == nil {
		aerr = invalidInput("project_id", nil, "Mandatory field missing.")
	}
	if aerr == nil && v["resource"] == nil {
		aerr = invalidInput("resource", nil, "Mandatory field missing.")
	}
	if aerr == nil && !c.p.isAdmin() {
		aerr = errf(http.StatusForbidden, "Policy doesn't allow quota:create to be performed.")
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	project := v["project_id"].(string)
	if !s.keystone.projectExists(project) {
		writeMagnumError(w, errf(http.StatusNotFound, "The project_id %s could not be found.", project))
		return
	}
	limit, ok := v["hard_limit"].(int64)
	if !ok {
		limit = 1
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	// The failed insert still consumes an id, as the database sequence
	// does (FINDINGS #363).
	id := s.st.newID()
	if s.st.quotas[project] != nil {
		writeMagnumError(w, errf(http.StatusConflict, "Quota for project %s already exists for resource Cluster.", project))
		return
	}
	q := &quotaRow{id: id, projectID: project, hardLimit: limit, createdAt: s.now().UTC().Truncate(time.Microsecond)}
	s.st.quotas[project] = q
	writeMagnumJSON(w, http.StatusCreated, s.quotaView(q))
}

func (s *magnumService) getQuota(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	project, resource := r.PathValue("project"), r.PathValue("resource")
	if !c.p.isAdmin() && project != c.p.project.id {
		writeMagnumError(w, errf(http.StatusForbidden, "Not authorized."))
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if q := s.st.quotas[project]; q != nil && resource == "Cluster" {
		writeMagnumJSON(w, http.StatusOK, s.quotaView(q))
		return
	}
	// No row: the configured default, whatever resource was asked for.
	out := newPyDict()
	out.Set("hard_limit", int64(s.maxClusters()))
	out.Set("project_id", project)
	out.Set("resource", "Cluster")
	writeMagnumJSON(w, http.StatusOK, out)
}

func quotaNotFound(project, resource string) *apiError {
	return errf(http.StatusNotFound, "Quota could not be found: project_id %s resource %s.", project, resource)
}

func (s *magnumService) patchQuota(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	v, aerr := s.parseQuotaBody(body)
	if aerr == nil && !c.p.isAdmin() {
		aerr = errf(http.StatusForbidden, "Policy doesn't allow quota:update to be performed.")
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	project, resource := r.PathValue("project"), r.PathValue("resource")
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	q := s.st.quotas[project]
	if q == nil || resource != "Cluster" {
		writeMagnumError(w, quotaNotFound(project, resource))
		return
	}
	if n, ok := v["hard_limit"].(int64); ok {
		q.hardLimit = n
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	q.updatedAt = &now
	writeMagnumJSON(w, http.StatusAccepted, s.quotaView(q))
}

func (s *magnumService) deleteQuota(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if !c.p.isAdmin() {
		writeMagnumError(w, errf(http.StatusForbidden, "Policy doesn't allow quota:delete to be performed."))
		return
	}
	project, resource := r.PathValue("project"), r.PathValue("resource")
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.st.quotas[project] == nil || resource != "Cluster" {
		writeMagnumError(w, quotaNotFound(project, resource))
		return
	}
	delete(s.st.quotas, project)
	w.WriteHeader(http.StatusNoContent)
}
