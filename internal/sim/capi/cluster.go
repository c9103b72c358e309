package capi

import (
	"context"
	"slices"
)

const clusterComponent = "cluster-controller"

// reconcileCluster is the Cluster controller: the finalizer, the
// controlPlaneEndpoint taken from the infrastructure cluster, the phase
// (with its Event), the v1beta1 conditions, and deletion of everything
// the Cluster owns, workers first, then the control plane, then the
// infrastructure.
func (m *Management) reconcileCluster(ctx context.Context, st *state, c obj) error {
	ns := c.namespace()
	if c.deleting() {
		return m.deleteCluster(ctx, st, c)
	}
	if !c.hasFinalizer(clusterFinalizer) {
		c.setFinalizers(append(c.finalizers(), clusterFinalizer))
		_, err := m.k.update(ctx, rCluster, c)
		return err
	}
	osc := st.find(rOSC, ns, c.str("spec", "infrastructureRef", "name"))
	kcp := st.find(rKCP, ns, c.str("spec", "controlPlaneRef", "name"))
	if osc != nil {
		host := osc.str("spec", "controlPlaneEndpoint", "host")
		port, _ := osc.num("spec", "controlPlaneEndpoint", "port")
		if host != "" && port > 0 && c.str("spec", "controlPlaneEndpoint", "host") == "" {
			c.set(map[string]any{"host": host, "port": port}, "spec", "controlPlaneEndpoint")
			_, err := m.k.update(ctx, rCluster, c)
			return err
		}
	}
	fresh := clone(c)
	infraReady := osc != nil && osc.boolean("status", "ready")
	cpReady := kcp != nil && kcp.boolean("status", "ready")
	cpInit := kcp != nil && kcp.boolean("status", "initialized")
	if infraReady && !c.boolean("status", "infrastructureReady") {
		m.rec.normal(ctx, c, rCluster, clusterComponent, "InfrastructureReady", "Cluster %s InfrastructureProvisioned is now True", c.name())
	}
	if cpInit && !isTrue(c, "ControlPlaneInitialized") {
		m.rec.normal(ctx, c, rCluster, clusterComponent, "ControlPlaneInitialized", "Cluster %s ControlPlaneInitialized is now True", c.name())
	}
	fresh.set(infraReady, "status", "infrastructureReady")
	fresh.set(cpReady, "status", "controlPlaneReady")
	phase := "Pending"
	if c.str("spec", "infrastructureRef", "name") != "" {
		phase = "Provisioning"
	}
	if infraReady && c.str("spec", "controlPlaneEndpoint", "host") != "" {
		phase = "Provisioned"
	}
	m.setPhase(ctx, c, fresh, phase)
	infra := mirror(osc, "InfrastructureReady", condFalse("", "WaitingForInfrastructure", "Info", ""))
	if osc != nil && getCond(osc, "Ready") == nil && infraReady {
		infra = condTrue("InfrastructureReady")
	}
	cp := mirror(kcp, "ControlPlaneReady", condFalse("", "WaitingForControlPlane", "Info", ""))
	if kcp != nil && getCond(kcp, "Ready") == nil && cpReady {
		cp = condTrue("ControlPlaneReady")
	}
	initc := condFalse("ControlPlaneInitialized", "WaitingForControlPlaneProviderInitialized", "Info",
		"Waiting for control plane provider to indicate the control plane has been initialized")
	if cpInit {
		initc = condTrue("ControlPlaneInitialized")
	}
	conds := []cond{cp, infra, initc}
	conds = append(conds, summary(conds, "ControlPlaneReady", "InfrastructureReady"))
	setConds(fresh, conds...)
	fresh.set(c.generation(), "status", "observedGeneration")
	if jsonEqual(fresh.get("status"), c.get("status")) {
		return nil
	}
	_, err := m.k.updateStatus(ctx, rCluster, fresh)
	return err
}

func (m *Management) setPhase(ctx context.Context, c, fresh obj, phase string) {
	if c.str("status", "phase") == phase {
		return
	}
	fresh.set(phase, "status", "phase")
	m.rec.normal(ctx, c, rCluster, clusterComponent, phase, "Cluster %s is %s", c.name(), phase)
}

func (m *Management) deleteCluster(ctx context.Context, st *state, c obj) error {
	ns, name := c.namespace(), c.name()
	fresh := clone(c)
	m.setPhase(ctx, c, fresh, "Deleting")
	if !jsonEqual(fresh.get("status"), c.get("status")) {
		if _, err := m.k.updateStatus(ctx, rCluster, fresh); err != nil {
			return err
		}
	}
	if !c.hasFinalizer(clusterFinalizer) {
		return nil
	}
	// Workers first: MachineDeployments, MachineSets, then their Machines.
	workers := 0
	for _, r := range []resource{rMD, rMS} {
		for _, o := range st.byLabels(r, ns, map[string]string{labelClusterName: name}) {
			workers++
			if !o.deleting() {
				if err := m.k.remove(ctx, r, ns, o.name()); err != nil {
					return err
				}
			}
		}
	}
	for _, mc := range st.byLabels(rMachine, ns, map[string]string{labelClusterName: name}) {
		if _, cp := mc.m("metadata", "labels")[labelControlPlane]; cp {
			continue
		}
		workers++
		if !mc.deleting() {
			if err := m.k.remove(ctx, rMachine, ns, mc.name()); err != nil {
				return err
			}
		}
	}
	if workers > 0 {
		return nil
	}
	for _, r := range []struct {
		res  resource
		name string
	}{{rKCP, c.str("spec", "controlPlaneRef", "name")}, {rOSC, c.str("spec", "infrastructureRef", "name")}} {
		if r.name == "" {
			continue
		}
		if o := st.find(r.res, ns, r.name); o != nil {
			if !o.deleting() {
				return m.k.remove(ctx, r.res, ns, r.name)
			}
			return nil
		}
	}
	c.setFinalizers(slices.DeleteFunc(c.finalizers(), func(f string) bool { return f == clusterFinalizer }))
	if _, err := m.k.update(ctx, rCluster, c); err != nil {
		return err
	}
	m.rec.normal(ctx, c, rCluster, clusterComponent, "Deleted", "Cluster %s has been deleted", name)
	return nil
}
