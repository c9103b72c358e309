package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
)

// Fault injection and the introspection API tests and simulator users
// drive clusters with.

// Fault describes a failure to inject into a cluster operation.
type Fault struct {
	// Action is the operation that fails: CREATE (default), UPDATE or
	// DELETE.
	Action string
	// Resource is the Heat resource that fails, as a dotted path
	// ("kube_masters.0.kube-master") or a bare name; empty lets Heat pick
	// a server (or the private subnet for a delete). Ignored by the
	// Cluster API drivers of the master profile.
	Resource string
	// Reason is the error the resource reports; a Nova "No valid host"
	// error when empty.
	Reason string
	// Timeout makes the stack operation hang until its timeout_mins
	// (create_timeout) runs out, then fail with "Create timed out". Cluster
	// API drivers have no timeout, so there it hangs for ever.
	Timeout bool
}

// defaultFaultReason is the error the captured failing stacks reported.
const defaultFaultReason = `Went to status ERROR due to "Message: No valid host was found. There are not enough hosts available., Code: 500"`

type pendingFault struct {
	match string
	fault Fault
}

func (f Fault) action() string {
	if f.Action == "" {
		return actionCreate
	}
	return strings.ToUpper(f.Action)
}

func (f *Fault) heatFault() heat.Fault {
	return heat.Fault{Action: f.action(), Resource: f.Resource, Reason: f.Reason, Timeout: f.Timeout}
}

// InjectFault arms f for the next f.Action (CREATE by default) of any
// cluster whose name contains clusterNameContains, existing or not yet
// created. Each armed fault is used once.
func (s *Sim) InjectFault(clusterNameContains string, f Fault) {
	if f.Reason == "" && !f.Timeout {
		f.Reason = defaultFaultReason
	}
	f.Action = f.action()
	if s.relay != nil {
		// Tests arm faults before anything else; without the Heat
		// stand-in the test cannot mean anything.
		if err := s.relay.armFault(clusterNameContains, f); err != nil {
			panic(err)
		}
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.faults = append(s.faults, pendingFault{match: clusterNameContains, fault: f})
}

// takeFault consumes the first fault armed for c and action. Callers hold
// st.mu.
func (s *Sim) takeFault(c *clusterRow, action string) *Fault {
	for i, p := range s.faults {
		if p.fault.action() == action && strings.Contains(c.name, p.match) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			f := p.fault
			return &f
		}
	}
	return nil
}

// ParseFault reads the -fail flag syntax "name-substring:ACTION:resource:reason"
// (resource and reason may be empty; reason may contain colons; a reason
// of "timeout" makes the operation time out).
func ParseFault(spec string) (string, Fault, error) {
	parts := strings.SplitN(spec, ":", 4)
	if len(parts) < 2 {
		return "", Fault{}, fmt.Errorf("fault %q: want name-substring:ACTION[:resource[:reason]]", spec)
	}
	f := Fault{Action: strings.ToUpper(parts[1])}
	switch f.Action {
	case actionCreate, actionUpdate, actionDelete:
	default:
		return "", Fault{}, fmt.Errorf("fault %q: action must be CREATE, UPDATE or DELETE", spec)
	}
	if len(parts) > 2 {
		f.Resource = parts[2]
	}
	if len(parts) > 3 {
		f.Reason = parts[3]
	}
	if strings.EqualFold(f.Reason, "timeout") {
		f.Reason, f.Timeout = "", true
	}
	return parts[0], f, nil
}

// ClusterInfo is a cluster as the conductor sees it at this moment.
type ClusterInfo struct {
	UUID, Name, Project, Status, StackID, APIAddress string
	NodeCount                                        int
}

func (s *Sim) info(c *clusterRow) ClusterInfo {
	return ClusterInfo{
		UUID: c.uuid, Name: c.name, Project: c.projectID, Status: c.status,
		StackID: pyStrOrEmpty(c.stackID), APIAddress: pyStrOrEmpty(c.apiAddress), NodeCount: int(c.nodeCount()),
	}
}

func pyStrOrEmpty(v any) string {
	if v == nil {
		return ""
	}
	return pyStr(v)
}

// Clusters lists every cluster in every project, oldest first.
func (s *Sim) Clusters() []ClusterInfo {
	if s.relay != nil {
		return s.relay.mustClusters()
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	now := s.now()
	var rows []*clusterRow
	for _, c := range s.st.clusters {
		s.sync(c, now)
		if !c.deleted {
			rows = append(rows, c)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	out := make([]ClusterInfo, len(rows))
	for i, c := range rows {
		out[i] = s.info(c)
	}
	return out
}

// ClusterExists reports whether a cluster (or bay) row with this UUID is
// still present, for CheckDestroy.
func (s *Sim) ClusterExists(id string) bool {
	if s.relay != nil {
		for _, c := range s.relay.mustClusters() {
			if c.UUID == id || c.Status == "UNKNOWN" {
				return true
			}
		}
		return false
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c := s.st.clusters[id]
	if c == nil {
		return false
	}
	s.sync(c, s.now())
	return !c.deleted
}

// Stacks counts the Heat stacks still present in every project, including
// those being deleted, for no-orphan checks. It is 0 in the master profile.
func (s *Sim) Stacks() int {
	if s.relay != nil {
		return s.relay.stacks()
	}
	if s.heat == nil {
		return 0
	}
	return len(s.heat.Stacks(""))
}

var errNoCluster = errors.New("no such cluster")

func (s *Sim) lockedCluster(id string) (*clusterRow, error) {
	c := s.st.clusters[id]
	if c != nil {
		s.sync(c, s.now())
	}
	if c == nil || c.deleted {
		return nil, fmt.Errorf("%w: %s", errNoCluster, id)
	}
	return c, nil
}

// SetNodeCount changes the default worker count as if someone had resized
// the cluster with another tool: the status becomes UPDATE_COMPLETE and
// updated_at moves, with no operation in between.
func (s *Sim) SetNodeCount(id string, n int) error {
	if s.relay != nil {
		return s.relay.resize(id, n)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if w := c.defaultNG("worker"); w != nil {
		w.nodeCount = int64(n)
	}
	c.op = nil
	c.status, c.statusReason, c.updatedAt = "UPDATE_COMPLETE", nil, timePtr(s.now())
	return nil
}

// DeleteClusterOutOfBand removes a cluster at once, as if it had been
// deleted elsewhere; its stack is deleted in the background.
func (s *Sim) DeleteClusterOutOfBand(id string) error {
	if s.relay != nil {
		return s.relay.deleteCluster(id)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if c.heatStackID != "" && s.heat != nil {
		_ = s.heat.DeleteStack(c.heatStackID, time.Nanosecond)
	}
	s.destroy(c)
	return nil
}

// RotateCA rotates the cluster's CA the way PATCH /v1/certificates does,
// including the resulting status change; the Kubernetes endpoint stops
// accepting client certificates from the old CA.
func (s *Sim) RotateCA(id string) error {
	if s.relay != nil {
		return errRelayUnsupported
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c, err := s.lockedCluster(id)
	if err != nil {
		return err
	}
	if aerr := s.rotateCA(c); aerr != nil {
		return errors.New(aerr.detail)
	}
	return nil
}

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
	s.InjectFault(req.ClusterNameContains, f)
	writeJSON(w, http.StatusCreated, map[string]any{"cluster_name_contains": req.ClusterNameContains, "action": f.action()})
}
