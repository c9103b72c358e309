package sim

import (
	"errors"
	"fmt"
	"sort"
)

// Introspection: what tests read of the in-process Magnum's database behind
// the API, for CheckDestroy and no-orphan checks. The relay answers the
// same questions from a real Magnum (relay_backend.go).

// TemplateInfo is a cluster template (baymodel) as the store holds it.
type TemplateInfo struct {
	UUID, Name, Project string
	Public              bool
}

// ClusterInfo is a cluster as the conductor sees it at this moment.
type ClusterInfo struct {
	UUID, Name, Project, Status, StackID, APIAddress string
	NodeCount                                        int
}

func (s *magnumService) info(c *clusterRow) ClusterInfo {
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

// templates lists every cluster template in every project, oldest first.
func (s *magnumService) templates() []TemplateInfo {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	rows := make([]*template, 0, len(s.st.templates))
	for _, t := range s.st.templates {
		rows = append(rows, t)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	out := make([]TemplateInfo, len(rows))
	for i, t := range rows {
		out[i] = TemplateInfo{UUID: t.uuid, Name: t.strField("name"), Project: t.projectID, Public: t.boolField("public")}
	}
	return out
}

// templateExists reports whether a template row with this UUID exists in
// any project.
func (s *magnumService) templateExists(id string) bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	_, ok := s.st.templates[id]
	return ok
}

// clusters lists every cluster in every project, oldest first.
func (s *magnumService) clusters() []ClusterInfo {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	now := s.now()
	var rows []*clusterRow
	for _, c := range s.st.clusters {
		s.cond.sync(c, now)
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

// clusterExists reports whether a cluster (or bay) row with this UUID is
// still present.
func (s *magnumService) clusterExists(id string) bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	c := s.st.clusters[id]
	if c == nil {
		return false
	}
	s.cond.sync(c, s.now())
	return !c.deleted
}

// stacks counts the Heat stacks still present in every project, including
// those being deleted; 0 without orchestration.
func (s *magnumService) stacks() int {
	if s.heat == nil {
		return 0
	}
	return len(s.heat.Stacks(""))
}

var errNoCluster = errors.New("no such cluster")

// lockedCluster finds a live cluster by UUID for the out-of-band
// operations. Callers hold st.mu.
func (s *magnumService) lockedCluster(id string) (*clusterRow, error) {
	c := s.st.clusters[id]
	if c != nil {
		s.cond.sync(c, s.now())
	}
	if c == nil || c.deleted {
		return nil, fmt.Errorf("%w: %s", errNoCluster, id)
	}
	return c, nil
}
