package capi

// The KubeadmControlPlane controller and the version rules it rolls
// Machines by.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// reconcileKCP is the KubeadmControlPlane controller: one Machine at a
// time, each waited for, a rolling replacement of Machines whose version
// or template is outdated (one extra first, then the oldest outdated
// goes), scale down oldest first, and the v1beta1 status.
func (m *Management) reconcileKCP(ctx context.Context, st *state, kcp obj) error {
	ns := kcp.namespace()
	clusterName := kcp.label(labelClusterName)
	machines := st.byLabels(rMachine, ns, map[string]string{labelClusterName: clusterName, labelCPName: kcp.name()})
	if kcp.deleting() {
		for _, mc := range machines {
			if !mc.deleting() {
				if err := m.k.remove(ctx, rMachine, ns, mc.name()); err != nil {
					return err
				}
			}
		}
		if len(machines) == 0 && kcp.hasFinalizer(kcpFinalizer) {
			kcp.setFinalizers(slices.DeleteFunc(kcp.finalizers(), func(f string) bool { return f == kcpFinalizer }))
			_, err := m.k.update(ctx, rKCP, kcp)
			return err
		}
		return nil
	}
	if !kcp.hasFinalizer(kcpFinalizer) {
		kcp.setFinalizers(append(kcp.finalizers(), kcpFinalizer))
		_, err := m.k.update(ctx, rKCP, kcp)
		return err
	}
	fresh := clone(kcp)
	cluster := st.find(rCluster, ns, clusterName)
	desired := int64(1)
	if r, ok := kcp.num("spec", "replicas"); ok {
		desired = r
	}
	version := kcp.str("spec", "version")
	infraName := kcp.str("spec", "machineTemplate", "infrastructureRef", "name")
	upToDate := func(mc obj) bool {
		if mc.str("spec", "version") != version {
			return false
		}
		im := st.find(rOSM, ns, mc.str("spec", "infrastructureRef", "name"))
		return im == nil || im.m("metadata", "annotations")[annClonedFromName] == infraName
	}
	var active, outdated []obj
	busy := false
	for _, mc := range machines {
		if mc.deleting() {
			busy = true
			continue
		}
		active = append(active, mc)
		if !machineReady(mc) {
			busy = true
		}
		if !upToDate(mc) {
			outdated = append(outdated, mc)
		}
	}
	certs := condTrue("CertificatesAvailable")
	if _, err := m.k.get(ctx, rSecret, ns, clusterName+"-ca"); err != nil {
		certs = condFalse("CertificatesAvailable", "CertificatesGenerationFailed", "Warning", "secret "+clusterName+"-ca not found")
	}
	ready := cluster != nil && cluster.boolean("status", "infrastructureReady") && cluster.str("spec", "controlPlaneEndpoint", "host") != ""
	switch {
	case !ready || certs.status != "True":
	case busy:
	case int64(len(active)) < desired || (len(outdated) > 0 && int64(len(active)) == desired):
		if err := m.ensureClusterKubeconfig(ctx, cluster); err != nil {
			return err
		}
		if err := m.kcpMachine(ctx, kcp, len(machines) == 0); err != nil {
			return err
		}
	case int64(len(active)) > desired:
		victim := active[0]
		if len(outdated) > 0 {
			victim = outdated[0]
		}
		if err := m.k.remove(ctx, rMachine, ns, victim.name()); err != nil {
			return err
		}
	}
	// Status, as v1beta1 shows it.
	var readyN, updated int64
	minVersion := ""
	initialized := kcp.boolean("status", "initialized")
	for _, mc := range active {
		if machineReady(mc) {
			readyN++
		}
		if upToDate(mc) {
			updated++
		}
		if mc.str("status", "nodeRef", "name") != "" {
			initialized = true
		}
		if v := mc.str("spec", "version"); minVersion == "" || semverLess(v, minVersion) {
			minVersion = v
		}
	}
	n := int64(len(active))
	s := fresh.m("status")
	if s == nil {
		s = map[string]any{}
		fresh["status"] = s
	}
	s["selector"] = labelClusterName + "=" + clusterName + "," + labelControlPlane
	s["replicas"], s["updatedReplicas"], s["readyReplicas"], s["unavailableReplicas"] = n, updated, readyN, n-readyN
	s["initialized"], s["ready"] = initialized, initialized && readyN > 0
	s["observedGeneration"] = kcp.generation()
	if minVersion != "" {
		s["version"] = minVersion
	}
	conds := []cond{certs}
	if initialized {
		conds = append(conds, condTrue("Available"))
	} else {
		conds = append(conds, condFalse("Available", "WaitingForKubeadmInit", "Info", ""))
	}
	if len(machines) > 0 {
		conds = append(conds, condTrue("MachinesCreated"))
	} else {
		conds = append(conds, condFalse("MachinesCreated", "WaitingForInfrastructure", "Info", ""))
	}
	switch {
	case n < desired:
		conds = append(conds, condFalse("Resized", "ScalingUp", "Warning", fmt.Sprintf("Scaling up control plane to %d replicas (actual %d)", desired, n)))
	case n > desired:
		conds = append(conds, condFalse("Resized", "ScalingDown", "Warning", fmt.Sprintf("Scaling down control plane to %d replicas (actual %d)", desired, n)))
	default:
		conds = append(conds, condTrue("Resized"))
	}
	if len(outdated) > 0 {
		conds = append(conds, condFalse("MachinesSpecUpToDate", "RollingUpdateInProgress", "Warning",
			fmt.Sprintf("Rolling %d replicas with outdated spec (%d replicas up to date)", len(outdated), updated)))
	} else {
		conds = append(conds, condTrue("MachinesSpecUpToDate"))
	}
	if readyN == n && n > 0 {
		conds = append(conds, condTrue("MachinesReady"), condTrue("ControlPlaneComponentsHealthy"), condTrue("EtcdClusterHealthy"))
	} else {
		conds = append(conds, condFalse("MachinesReady", "NodeStartupTimeout", "Info", fmt.Sprintf("%d of %d machines are not ready", n-readyN, n)))
	}
	conds = append(conds, summary(conds, "MachinesCreated", "Resized", "MachinesSpecUpToDate", "MachinesReady", "Available", "CertificatesAvailable"))
	setConds(fresh, conds...)
	return m.writeStatus(ctx, rKCP, kcp, fresh)
}

// kcpMachine creates one control plane Machine: kubeadm init for the
// first, join for the others.
func (m *Management) kcpMachine(ctx context.Context, kcp obj, first bool) error {
	clusterName := kcp.label(labelClusterName)
	name := kcp.name() + "-" + randomSuffix()
	labels := kcp.strMap("spec", "machineTemplate", "metadata", "labels")
	labels[labelClusterName] = clusterName
	labels[labelControlPlane] = ""
	labels[labelCPName] = kcp.name()
	boot := clone(kcp.m("spec", "kubeadmConfigSpec"))
	if boot == nil {
		boot = map[string]any{}
	}
	if first {
		delete(boot, "joinConfiguration")
	} else {
		delete(boot, "initConfiguration")
	}
	extra := map[string]any{}
	if t := kcp.str("spec", "machineTemplate", "nodeVolumeDetachTimeout"); t != "" {
		extra["nodeVolumeDetachTimeout"] = t
	}
	return m.newMachine(ctx, kcp, rKCP, name, labels, kcp.strMap("spec", "machineTemplate", "metadata", "annotations"),
		kcp.str("spec", "version"), boot, kcp.m("spec", "machineTemplate", "infrastructureRef"), extra)
}

// semverLess compares v1.2.3 versions numerically.
func semverLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(strings.SplitN(pa[i], "-", 2)[0])
		y, _ := strconv.Atoi(strings.SplitN(pb[i], "-", 2)[0])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

func rollingOut(kcp obj) bool {
	u, _ := kcp.num("status", "updatedReplicas")
	r, _ := kcp.num("status", "replicas")
	return u != r
}
