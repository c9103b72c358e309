package sim

// Node addresses of clusters with extra nodegroups. Magnum 15 fills each
// nodegroup's node_addresses from its own stack, and a cluster's are those
// of all its worker nodegroups, default first (seen against real Magnum:
// a cluster of two default workers and a one-node nodegroup lists three).

// workerAddresses lists the cluster's worker servers: the default worker
// nodegroup's, then those of every extra worker nodegroup.
func (c *clusterRow) workerAddresses() []string {
	out := append([]string{}, c.nodeAddresses...)
	for _, ng := range c.nodegroups {
		if !ng.isDefault && ng.role != "master" {
			out = append(out, ng.nodeAddresses...)
		}
	}
	return out
}

// stackWorkerAddresses reads the worker servers of a nodegroup's stack, as
// the poller does when the stack completes. Callers hold st.mu.
func (cd *conductor) stackWorkerAddresses(c *clusterRow, stackID string) []string {
	if cd.heat == nil || stackID == "" {
		return []string{}
	}
	st, err := cd.heat.Stack(stackID)
	if err != nil {
		return []string{}
	}
	priv := ""
	if !c.floatingIPEnabled {
		priv = "_private"
	}
	key := "kube_minions"
	if c.coe != "kubernetes" {
		key = "swarm_nodes"
	}
	if addrs := outputList(st, key+priv); addrs != nil {
		return addrs
	}
	return []string{}
}
