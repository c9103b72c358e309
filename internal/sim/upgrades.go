package sim

// UpgradeRequest is the body of an accepted cluster upgrade action, as
// Magnum's API parsed it.
type UpgradeRequest struct {
	ClusterUUID     string
	ClusterTemplate string // as sent: a UUID or a name
	// MaxBatchSize is 0 when the request left it out (Magnum defaults it
	// to 1 in the driver).
	MaxBatchSize int
	NodeGroup    string
}

// upgradeRequests lists the upgrade actions Magnum accepted, oldest first.
func (s *magnumService) upgradeRequests() []UpgradeRequest {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return append([]UpgradeRequest(nil), s.upgrades...)
}

// recordUpgrade keeps an accepted upgrade's options; st.mu is held.
func (s *magnumService) recordUpgrade(c *clusterRow, v map[string]any) {
	u := UpgradeRequest{ClusterUUID: c.uuid}
	u.ClusterTemplate, _ = v["cluster_template"].(string)
	u.NodeGroup, _ = v["nodegroup"].(string)
	if n, ok := v["max_batch_size"].(int64); ok {
		u.MaxBatchSize = int(n)
	}
	s.upgrades = append(s.upgrades, u)
}
