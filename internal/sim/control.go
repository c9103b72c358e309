package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The /_sim endpoints: the test API of backend.go over HTTP, for the
// magnum-sim command's users and for tests that drive a simulator in
// another process. They need no token.

// registerControl serves the unauthenticated /_sim endpoints.
func (s *Sim) registerControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sim/faults", s.controlFault)
	mux.HandleFunc("POST /_sim/http-faults", s.controlHTTPFault)
	mux.HandleFunc("DELETE /_sim/http-faults", s.controlHTTPFault)
	mux.HandleFunc("GET /_sim/clusters", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"clusters": s.Clusters(), "stacks": s.Stacks()})
	})
}

func (s *Sim) controlFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClusterNameContains string `json:"cluster_name_contains"`
		Action              string `json:"action"`
		Resource            string `json:"resource"`
		Reason              string `json:"reason"`
		Timeout             bool   `json:"timeout"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	action := strings.ToUpper(req.Action)
	if err == nil && action != "" && action != actionCreate && action != actionUpdate && action != actionDelete {
		err = fmt.Errorf("action must be CREATE, UPDATE or DELETE, not %q", req.Action)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	f := Fault{Action: action, Resource: req.Resource, Reason: req.Reason, Timeout: req.Timeout}
	if err := s.backend.injectFault(req.ClusterNameContains, f); err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"cluster_name_contains": req.ClusterNameContains, "action": f.action()})
}
