package kube

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

type namespace struct {
	name            string
	uid             string
	resourceVersion string
	created         time.Time
	labels          map[string]string
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", s.handleVersion)
	mux.HandleFunc("GET /api", s.handleAPIVersions)
	mux.HandleFunc("GET /apis", s.handleAPIGroups)
	mux.HandleFunc("GET /api/v1", s.handleResourceList)
	mux.HandleFunc("GET /api/v1/namespaces", s.handleListNamespaces)
	mux.HandleFunc("POST /api/v1/namespaces", s.handleCreateNamespace)
	mux.HandleFunc("GET /api/v1/namespaces/{name}", s.handleGetNamespace)
	mux.HandleFunc("DELETE /api/v1/namespaces/{name}", s.handleDeleteNamespace)
	mux.HandleFunc("GET /api/v1/nodes", s.handleListNodes)
	mux.HandleFunc("GET /api/v1/nodes/{name}", s.handleGetNode)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", nil)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ca := s.ca
		s.mu.Unlock()
		if !peerVerifiedBy(r, ca) {
			writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", nil)
			return
		}
		s.record(r)
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	v := s.gitVersion
	s.mu.Unlock()
	major, minor := "", ""
	if m := semverPrefix.FindStringSubmatch(v); m != nil {
		major, minor = m[1], m[2]
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"major":        major,
		"minor":        minor,
		"gitVersion":   v,
		"gitCommit":    "0000000000000000000000000000000000000000",
		"gitTreeState": "clean",
		"buildDate":    "2022-01-25T21:19:12Z",
		"goVersion":    "go1.17.6",
		"compiler":     "gc",
		"platform":     "linux/amd64",
	})
}

// Discovery is answered in the legacy shape with a plain application/json
// content type. kubectl first asks for aggregated discovery
// (apidiscovery.k8s.io/v2); client-go looks at the response content type and
// falls back to the legacy documents when it is not the aggregated one, which
// is what an API server older than 1.26 does.
func (s *Server) handleAPIVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":     "APIVersions",
		"versions": []string{"v1"},
		"serverAddressByClientCIDRs": []map[string]string{
			{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host},
		},
	})
}

func (s *Server) handleAPIGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":       "APIGroupList",
		"apiVersion": "v1",
		"groups":     []any{},
	})
}

func (s *Server) handleResourceList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":         "APIResourceList",
		"groupVersion": "v1",
		"resources": []map[string]any{
			{
				"name":         "namespaces",
				"singularName": "namespace",
				"namespaced":   false,
				"kind":         "Namespace",
				"verbs":        []string{"create", "delete", "get", "list"},
				"shortNames":   []string{"ns"},
			},
			{
				"name":         "nodes",
				"singularName": "node",
				"namespaced":   false,
				"kind":         "Node",
				"verbs":        []string{"get", "list"},
				"shortNames":   []string{"no"},
			},
		},
	})
}

func (s *Server) handleListNamespaces(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("watch") != "" {
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "watch is not supported by the simulator", nil)
		return
	}
	// kubectl delete --wait lists with fieldSelector=metadata.name=<name>
	// to learn when the namespace is gone.
	nameFilter := ""
	if fs := r.URL.Query().Get("fieldSelector"); fs != "" {
		v, ok := strings.CutPrefix(fs, "metadata.name=")
		if !ok {
			writeStatus(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("field label not supported: %s", strings.SplitN(fs, "=", 2)[0]), nil)
			return
		}
		nameFilter = v
	}

	s.mu.Lock()
	var items []*namespace
	for _, ns := range s.namespaces {
		if nameFilter == "" || ns.name == nameFilter {
			items = append(items, ns)
		}
	}
	rv := strconv.Itoa(s.rvCounter)
	now := s.now()
	s.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })

	if wantsTable(r) {
		rows := make([]map[string]any, 0, len(items))
		for _, ns := range items {
			rows = append(rows, map[string]any{
				"cells": []any{ns.name, "Active", humanDuration(now.Sub(ns.created))},
				"object": map[string]any{
					"kind":       "PartialObjectMetadata",
					"apiVersion": "meta.k8s.io/v1",
					"metadata":   ns.metadata(),
				},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"kind":       "Table",
			"apiVersion": "meta.k8s.io/v1",
			"metadata":   map[string]string{"resourceVersion": rv},
			"columnDefinitions": []map[string]any{
				{"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
				{"name": "Status", "type": "string", "format": "", "description": "The status of the namespace", "priority": 0},
				{"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0},
			},
			"rows": rows,
		})
		return
	}
	objs := make([]any, 0, len(items))
	for _, ns := range items {
		objs = append(objs, ns.object("Active"))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":       "NamespaceList",
		"apiVersion": "v1",
		"metadata":   map[string]string{"resourceVersion": rv},
		"items":      objs,
	})
}

var semverPrefix = regexp.MustCompile(`^v(\d+)\.(\d+)`)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (s *Server) handleCreateNamespace(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		// kubectl's typed clients send built-in objects as protobuf.
		if strings.HasPrefix(r.Header.Get("Content-Type"), protobufContentType) {
			body.Metadata.Name, body.Metadata.Labels, err = decodeProtobufObjectMeta(data)
		} else {
			err = json.Unmarshal(data, &body)
		}
	}
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "the body of the request was in an unknown format", nil)
		return
	}
	name := body.Metadata.Name
	if name == "" || len(name) > 63 || !dns1123Label.MatchString(name) {
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid",
			fmt.Sprintf("Namespace %q is invalid: metadata.name: Invalid value: %q: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", name, name),
			map[string]any{"name": name, "kind": "Namespace"})
		return
	}
	dryRun := r.URL.Query().Get("dryRun") != ""

	s.mu.Lock()
	if _, exists := s.namespaces[name]; exists {
		s.mu.Unlock()
		writeStatus(w, http.StatusConflict, "AlreadyExists", fmt.Sprintf("namespaces %q already exists", name),
			map[string]any{"name": name, "kind": "namespaces"})
		return
	}
	var ns *namespace
	if dryRun {
		ns = &namespace{name: name, created: s.now(), labels: map[string]string{"kubernetes.io/metadata.name": name}}
	} else {
		ns = s.addNamespace(name, s.now())
	}
	for k, v := range body.Metadata.Labels {
		ns.labels[k] = v
	}
	obj := ns.object("Active")
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, obj)
}

func (s *Server) handleGetNamespace(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.mu.Lock()
	ns, ok := s.namespaces[name]
	var obj map[string]any
	if ok {
		obj = ns.object("Active")
	}
	s.mu.Unlock()
	if !ok {
		writeNamespaceNotFound(w, name)
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) handleDeleteNamespace(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.mu.Lock()
	ns, ok := s.namespaces[name]
	var obj map[string]any
	if ok {
		// A real API server keeps the namespace in Terminating until its
		// finalizer has run; the simulator has nothing to finalize, so it
		// answers as a Terminating namespace and forgets it at once.
		obj = ns.object("Terminating")
		delete(s.namespaces, name)
		s.rvCounter++
	}
	s.mu.Unlock()
	if !ok {
		writeNamespaceNotFound(w, name)
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

// addNamespace must be called with s.mu held, or before the server starts.
func (s *Server) addNamespace(name string, created time.Time) *namespace {
	s.rvCounter++
	ns := &namespace{
		name:            name,
		uid:             newUID(),
		resourceVersion: strconv.Itoa(s.rvCounter),
		created:         created.UTC().Truncate(time.Second),
		labels:          map[string]string{"kubernetes.io/metadata.name": name},
	}
	s.namespaces[name] = ns
	return ns
}

func (ns *namespace) metadata() map[string]any {
	labels := make(map[string]string, len(ns.labels))
	for k, v := range ns.labels {
		labels[k] = v
	}
	return map[string]any{
		"name":              ns.name,
		"uid":               ns.uid,
		"resourceVersion":   ns.resourceVersion,
		"creationTimestamp": ns.created.Format(time.RFC3339),
		"labels":            labels,
	}
}

func (ns *namespace) object(phase string) map[string]any {
	return map[string]any{
		"kind":       "Namespace",
		"apiVersion": "v1",
		"metadata":   ns.metadata(),
		"spec":       map[string]any{"finalizers": []string{"kubernetes"}},
		"status":     map[string]any{"phase": phase},
	}
}

// wantsTable reports whether the client asked for the server-side printing
// format, as kubectl get does for human-readable output.
func wantsTable(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "g=meta.k8s.io") {
			return true
		}
	}
	return false
}

func writeNamespaceNotFound(w http.ResponseWriter, name string) {
	writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("namespaces %q not found", name),
		map[string]any{"name": name, "kind": "namespaces"})
}

// writeStatus answers with a metav1.Status, the error shape kubectl parses.
func writeStatus(w http.ResponseWriter, code int, reason, message string, details map[string]any) {
	body := map[string]any{
		"kind":       "Status",
		"apiVersion": "v1",
		"metadata":   map[string]any{},
		"status":     "Failure",
		"message":    message,
		"reason":     reason,
		"code":       code,
	}
	if details != nil {
		body["details"] = details
	}
	writeJSON(w, code, body)
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

// humanDuration approximates the AGE column format of kubectl.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 10*time.Minute:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 8*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func newUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// discardLogger silences the TLS handshake errors that the tests provoke on
// purpose (clients with a certificate from another CA).
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
