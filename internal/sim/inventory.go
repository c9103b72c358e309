package sim

import "sort"

// TemplateInfo is a cluster template (baymodel) as the store holds it.
type TemplateInfo struct {
	UUID, Name, Project string
	Public              bool
}

// Templates lists every cluster template in every project, oldest first,
// so a test can prove that nothing it made, even twice, outlives it.
func (s *Sim) Templates() []TemplateInfo {
	if s.relay != nil {
		return s.relay.mustTemplates()
	}
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
