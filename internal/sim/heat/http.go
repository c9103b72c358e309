package heat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Handler serves Heat's orchestration API v1 for an Engine. It answers
// paths of the form /v1/{project_id}/stacks/...; the core mounts it under
// any prefix with http.StripPrefix, and links and redirects keep that
// prefix.
type Handler struct {
	Engine *Engine
	// Authorize authenticates the request and returns the caller's
	// project. When it fails the handler answers 401. Nil accepts every
	// request as the project in the path.
	Authorize func(r *http.Request) (project string, ok bool)
}

// maxNestedDepth is Heat's [DEFAULT]max_nested_stack_depth.
const maxNestedDepth = 5

// resourceFilters are the query keys Heat's resource index accepts.
var resourceFilters = map[string]bool{
	"type": true, "status": true, "name": true, "action": true, "id": true,
	"physical_resource_id": true, "nested_depth": true, "with_detail": true,
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 3 || segs[0] != "v1" || segs[2] != "stacks" {
		writeError(w, http.StatusNotFound, "HTTPNotFound", "The resource could not be found.")
		return
	}
	project := segs[1]
	if h.Authorize != nil {
		caller, ok := h.Authorize(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", "Keystone uri='http://127.0.0.1:5000/v3'")
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
				"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication.",
			}})
			return
		}
		// A token scoped to another project sees nothing here, as with
		// Heat's tenant-scoped lookups.
		if caller != project {
			writeError(w, http.StatusForbidden, "Forbidden", "You are not authorized to use global_index.")
			return
		}
	}
	base := mountPrefix(r) + "/v1/" + project
	rest := segs[3:]
	switch {
	case len(rest) == 0:
		switch r.Method {
		case http.MethodPost:
			h.create(w, r, project, base)
		case http.MethodGet:
			h.list(w, project, base)
		default:
			methodNotAllowed(w)
		}
	case len(rest) == 1 || (len(rest) >= 2 && rest[1] == "resources"):
		h.byIdent(w, r, project, base, rest)
	default:
		h.byNameAndID(w, r, project, base, rest)
	}
}

// byIdent handles /stacks/{ident}[/resources[/{name}]], where Heat looks the
// stack up by name or id and redirects to its canonical /stacks/{name}/{id}
// path. PATCH and DELETE are served in place, which is what Heat's clients
// end up doing after following the redirect.
func (h *Handler) byIdent(w http.ResponseWriter, r *http.Request, project, base string, rest []string) {
	st, err := h.Engine.Lookup(project, rest[0])
	if err != nil {
		stackNotFound(w, rest[0])
		return
	}
	if len(rest) == 1 {
		switch r.Method {
		case http.MethodPatch:
			h.update(w, r, st)
			return
		case http.MethodDelete:
			h.delete(w, st)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	loc := base + "/stacks/" + url.PathEscape(st.Name) + "/" + st.ID
	if len(rest) > 1 {
		loc += "/" + strings.Join(rest[1:], "/")
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusFound, map[string]any{"stack": stackView(st, base, false)})
}

func (h *Handler) byNameAndID(w http.ResponseWriter, r *http.Request, project, base string, rest []string) {
	st, err := h.Engine.Lookup(project, rest[1])
	if err != nil || st.Name != rest[0] {
		stackNotFound(w, rest[0])
		return
	}
	switch {
	case len(rest) == 2:
		switch r.Method {
		case http.MethodGet:
			resolve := !strings.EqualFold(r.URL.Query().Get("resolve_outputs"), "false")
			writeJSON(w, http.StatusOK, map[string]any{"stack": stackView(st, base, resolve)})
		case http.MethodPatch, http.MethodPut:
			h.update(w, r, st)
		case http.MethodDelete:
			h.delete(w, st)
		default:
			methodNotAllowed(w)
		}
	case rest[2] == "resources" && len(rest) == 3 && r.Method == http.MethodGet:
		h.resources(w, r, st, base)
	case rest[2] == "resources" && len(rest) == 4 && r.Method == http.MethodGet:
		for _, res := range st.Resources {
			if res.Depth == 0 && res.Name == rest[3] {
				view := resourceView(res, base)
				view["attributes"] = res.Attributes
				view["description"] = ""
				writeJSON(w, http.StatusOK, map[string]any{"resource": view})
				return
			}
		}
		writeError(w, http.StatusNotFound, "EntityNotFound", fmt.Sprintf("The Resource (%s) could not be found.", rest[3]))
	default:
		writeError(w, http.StatusNotFound, "HTTPNotFound", "The resource could not be found.")
	}
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, project, base string) {
	var body struct {
		StackName   string          `json:"stack_name"`
		Template    json.RawMessage `json:"template"`
		Parameters  map[string]any  `json:"parameters"`
		TimeoutMins *int            `json:"timeout_mins"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "HTTPBadRequest", "The server could not comply with the request since it is either malformed or otherwise incorrect.")
		return
	}
	if body.StackName == "" {
		writeError(w, http.StatusBadRequest, "HTTPBadRequest", "No stack name specified")
		return
	}
	spec := StackSpec{Name: body.StackName, COE: coeFromTemplate(string(body.Template)), Parameters: stringParams(body.Parameters)}
	if body.TimeoutMins != nil {
		spec.TimeoutMins = *body.TimeoutMins
	}
	st, err := h.Engine.createStack(project, spec, true)
	if errors.Is(err, ErrStackExists) {
		writeError(w, http.StatusConflict, "StackExists", fmt.Sprintf("The Stack (%s) already exists.", body.StackName))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"stack": map[string]any{
		"id":    st.ID,
		"links": []map[string]string{{"href": stackURL(base, st), "rel": "self"}},
	}})
}

func (h *Handler) list(w http.ResponseWriter, project, base string) {
	stacks := h.Engine.Stacks(project)
	out := make([]map[string]any, 0, len(stacks))
	for _, st := range stacks {
		v := stackView(st, base, false)
		delete(v, "parameters")
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"stacks": out})
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request, st *Stack) {
	var body struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "HTTPBadRequest", "The server could not comply with the request since it is either malformed or otherwise incorrect.")
		return
	}
	err := h.Engine.UpdateStack(st.ID, stringParams(body.Parameters), 0)
	switch {
	case errors.Is(err, ErrActionInProgress):
		writeError(w, http.StatusConflict, "ActionInProgress", strings.TrimPrefix(err.Error(), ErrActionInProgress.Error()+": "))
	case errors.Is(err, ErrNotFound):
		stackNotFound(w, st.Name)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}

func (h *Handler) delete(w http.ResponseWriter, st *Stack) {
	if err := h.Engine.DeleteStack(st.ID, 0); err != nil {
		stackNotFound(w, st.Name)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) resources(w http.ResponseWriter, r *http.Request, st *Stack, base string) {
	q := r.URL.Query()
	var invalid []string
	for k := range q {
		if !resourceFilters[k] {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		writeError(w, http.StatusBadRequest, "HTTPBadRequest", "Invalid filter parameters "+pythonList(invalid))
		return
	}
	depth := 0
	if v := q.Get("nested_depth"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, "HTTPBadRequest", "Only integer is acceptable by 'nested_depth'.")
			return
		}
		depth = min(d, maxNestedDepth)
	}
	out := []map[string]any{}
	for _, res := range st.Resources {
		if res.Depth > depth || !matchesFilters(res, q) {
			continue
		}
		out = append(out, resourceView(res, base))
	}
	writeJSON(w, http.StatusOK, map[string]any{"resources": out})
}

// matchesFilters applies Heat's resource filters: each key may repeat (any
// value matches), keys combine with AND; status and action match the two
// halves of resource_status.
func matchesFilters(res Resource, q url.Values) bool {
	action, status, _ := strings.Cut(res.Status, "_")
	fields := map[string]string{
		"type":                 res.Type,
		"status":               status,
		"name":                 res.Name,
		"action":               action,
		"id":                   res.id,
		"physical_resource_id": res.PhysicalID,
	}
	for key, want := range fields {
		values, ok := q[key]
		if !ok {
			continue
		}
		match := false
		for _, v := range values {
			if v == want {
				match = true
			}
		}
		if !match {
			return false
		}
	}
	return true
}

func stackView(st *Stack, base string, withOutputs bool) map[string]any {
	v := map[string]any{
		"id":                    st.ID,
		"stack_name":            st.Name,
		"description":           templateDescription(st.COE),
		"template_description":  templateDescription(st.COE),
		"stack_status":          st.Status,
		"stack_status_reason":   st.StatusReason,
		"creation_time":         formatTime(st.CreationTime),
		"updated_time":          nullTime(st),
		"deletion_time":         nil,
		"timeout_mins":          st.TimeoutMins,
		"disable_rollback":      true,
		"parameters":            st.Parameters,
		"capabilities":          []any{},
		"notification_topics":   []any{},
		"tags":                  nil,
		"parent":                nil,
		"stack_owner":           nil,
		"stack_user_project_id": st.Project,
		"links":                 []map[string]string{{"href": stackURL(base, st), "rel": "self"}},
	}
	if !st.DeletionTime.IsZero() {
		v["deletion_time"] = formatTime(st.DeletionTime)
	}
	if withOutputs {
		outs := make([]map[string]any, 0, len(st.Outputs))
		for _, o := range st.Outputs {
			outs = append(outs, map[string]any{"output_key": o.Key, "output_value": o.Value, "description": o.Description})
		}
		v["outputs"] = outs
	}
	return v
}

func nullTime(st *Stack) any {
	if st.UpdatedTime.IsZero() {
		return nil
	}
	return formatTime(st.UpdatedTime)
}

func resourceView(res Resource, base string) map[string]any {
	holder := base + "/stacks/" + url.PathEscape(res.StackName) + "/" + res.StackID
	links := []map[string]string{
		{"href": holder + "/resources/" + url.PathEscape(res.Name), "rel": "self"},
		{"href": holder, "rel": "stack"},
	}
	if res.NestedStackID != "" {
		links = append(links, map[string]string{"href": base + "/stacks/" + url.PathEscape(res.NestedStackName) + "/" + res.NestedStackID, "rel": "nested"})
	}
	v := map[string]any{
		"resource_name":          res.Name,
		"logical_resource_id":    res.Name,
		"physical_resource_id":   res.PhysicalID,
		"resource_type":          res.Type,
		"resource_status":        res.Status,
		"resource_status_reason": res.StatusReason,
		"required_by":            res.RequiredBy,
		"creation_time":          res.CreationTime,
		"updated_time":           res.UpdatedTime,
		"links":                  links,
	}
	if res.ParentResource != "" {
		v["parent_resource"] = res.ParentResource
	}
	return v
}

func stackURL(base string, st *Stack) string {
	return base + "/stacks/" + url.PathEscape(st.Name) + "/" + st.ID
}

// mountPrefix recovers the part of the request path removed by
// http.StripPrefix, so that links point back through the same mount.
func mountPrefix(r *http.Request) string {
	original := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && r.RequestURI != "" {
		original = u.Path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix := strings.TrimSuffix(original, r.URL.Path)
	if !strings.HasSuffix(original, r.URL.Path) {
		prefix = ""
	}
	return scheme + "://" + r.Host + prefix
}

func coeFromTemplate(tmpl string) string {
	switch {
	case strings.Contains(tmpl, "swarm_primary_master"):
		return COESwarmMode
	case strings.Contains(tmpl, "swarm_masters"):
		return COESwarm
	default:
		return COEKubernetes
	}
}

func templateDescription(coe string) string {
	if coe == COESwarm || coe == COESwarmMode {
		return "This template will boot a Docker Swarm cluster."
	}
	return "This template will boot a Kubernetes cluster with one or more minions (as specified by the number_of_minions parameter, which defaults to 1).\n"
}

// stringParams renders JSON parameter values the way Heat shows them back:
// every value is a string, booleans in Python spelling; a null leaves the
// template default in place.
func stringParams(in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch t := v.(type) {
		case nil:
			continue
		case string:
			out[k] = t
		case bool:
			out[k] = map[bool]string{true: "True", false: "False"}[t]
		case float64:
			out[k] = strconv.FormatFloat(t, 'f', -1, 64)
		default:
			b, _ := json.Marshal(t)
			out[k] = string(b)
		}
	}
	return out
}

func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	return json.Unmarshal(data, v)
}

func pythonList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "'" + s + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func stackNotFound(w http.ResponseWriter, ident string) {
	writeError(w, http.StatusNotFound, "EntityNotFound", fmt.Sprintf("The Stack (%s) could not be found.", ident))
}

func methodNotAllowed(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "HTTPMethodNotAllowed", "The server could not comply with the request since it is either malformed or otherwise incorrect.")
}

var titles = map[int]string{
	400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
	409: "Conflict", 500: "Internal Server Error",
}

// writeError answers in the shape of Heat's fault middleware.
func writeError(w http.ResponseWriter, code int, typ, message string) {
	writeJSON(w, code, map[string]any{
		"code":        code,
		"title":       titles[code],
		"explanation": message,
		"error":       map[string]any{"type": typ, "message": message, "traceback": nil},
	})
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(code)
	_, _ = w.Write(data)
}
