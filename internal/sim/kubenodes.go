package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// The bay's Kubernetes API (package kubeapi) shows the bay's servers as
// Node objects, named and labelled as Magnum's drivers make them:
//
//   - Heat (k8s_fedora_coreos_v1): the kubelet registers with the Nova
//     server's name, <stack name>-master-N or <stack name>-node-N, and
//     --node-labels magnum.openstack.org/role=<nodegroup role> and
//     magnum.openstack.org/nodegroup=<nodegroup name>; masters add
//     node-role.kubernetes.io/master="" and the taint
//     node-role.kubernetes.io/master:NoSchedule
//     (configure-kubernetes-{master,minion}.sh).
//   - Cluster API (vexxhost): kubeadm's nodes, named after their Machines;
//     control-plane nodes carry node-role.kubernetes.io/control-plane and
//     its NoSchedule taint, workers no role label and no Magnum labels.
//
// The list changes when the conductor copies a finished stack (or Cluster
// API operation) onto the cluster, so a resize shows in `kubectl get nodes`
// when the bay's status does.

// refreshKubeNodes tells the bay's API its current nodes. Callers hold
// st.mu.
func (cd *conductor) refreshKubeNodes(c *clusterRow) {
	if c.kube == nil {
		return
	}
	if c.driver == driverCAPI {
		c.kube.SetNodes(cd.capiNodes(c))
		return
	}
	c.kube.SetNodes(cd.heatNodes(c))
}

// kubeSettled reports whether the bay's API serves and shows the bay's
// nodes, which a Magnum master's wait condition waits for before Heat
// completes, and the error that kept the API from starting. Callers hold
// st.mu.
func (cd *conductor) kubeSettled(c *clusterRow) (bool, error) {
	if c.kube == nil {
		return true, nil
	}
	ready, err := c.kube.Ready()
	if err != nil {
		return false, err
	}
	return ready && c.kube.NodesSynced(), nil
}

// failKube is the status_reason of an operation whose Kubernetes API did
// not come up.
func failKube(err error) string {
	return "The Kubernetes API server of the cluster did not start: " + err.Error()
}

func (cd *conductor) heatNodes(c *clusterRow) []kubeapi.Node {
	var nodes []kubeapi.Node
	if cd.heat == nil {
		return nodes
	}
	version := pyStrOrEmpty(c.coeVersion)
	if st, err := cd.heat.Stack(c.heatStackID); err == nil {
		// The kubelets run what Heat deployed, which the conductor copies
		// into coe_version only when the operation completes.
		if v := st.Parameters["kube_version"]; v != "" {
			version = v
		}
		nodes = append(nodes, cd.stackNodes(c, st, "kube_masters", st.Name+"-master-", "master", "default-master", c.masterFlavorID, version)...)
		worker := "default-worker"
		if ng := c.defaultNG("worker"); ng != nil {
			worker = ng.name
		}
		nodes = append(nodes, cd.stackNodes(c, st, "kube_minions", st.Name+"-node-", "worker", worker, c.flavorID, version)...)
	}
	for _, ng := range c.nodegroups {
		if ng.isDefault || ng.heatStackID == "" || ng.status == "CREATE_IN_PROGRESS" || ng.status == "CREATE_FAILED" {
			continue
		}
		st, err := cd.heat.Stack(ng.heatStackID)
		if err != nil {
			continue
		}
		nodes = append(nodes, cd.stackNodes(c, st, "kube_minions", st.Name+"-node-", ng.role, ng.name, ng.flavorID, version)...)
	}
	return nodes
}

// stackNodes makes one node per server a stack's address outputs list.
func (cd *conductor) stackNodes(c *clusterRow, st *heat.Stack, output, prefix, role, nodegroup string, flavor any, version string) []kubeapi.Node {
	private := outputList(st, output+"_private")
	public := outputList(st, output)
	nodes := make([]kubeapi.Node, 0, len(private))
	for i, ip := range private {
		n := cd.node(prefix+strconv.Itoa(i), flavor, version)
		n.InternalIP = ip
		if c.floatingIPEnabled && i < len(public) {
			n.ExternalIP = public[i]
		}
		n.Labels["magnum.openstack.org/role"] = role
		n.Labels["magnum.openstack.org/nodegroup"] = nodegroup
		if role == "master" {
			n.Labels["node-role.kubernetes.io/master"] = ""
			n.Taints = []kubeapi.Taint{{Key: "node-role.kubernetes.io/master", Effect: "NoSchedule"}}
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// capiNodes makes the Machines' nodes: the control plane's, then each
// worker nodegroup's MachineDeployment's.
func (cd *conductor) capiNodes(c *clusterRow) []kubeapi.Node {
	stack := pyStrOrEmpty(c.stackID)
	version := pyStrOrEmpty(c.coeVersion)
	var nodes []kubeapi.Node
	worker := 0
	for _, ng := range c.nodegroups {
		for i := int64(0); i < ng.nodeCount; i++ {
			if ng.role == "master" {
				n := cd.node(fmt.Sprintf("%s-control-plane-%s", stack, shortHash(c.uuid, ng.uuid, strconv.FormatInt(i, 10))), c.masterFlavorID, version)
				n.InternalIP = fmt.Sprintf("10.0.0.%d", 10+i)
				n.Labels["node-role.kubernetes.io/control-plane"] = ""
				n.Taints = []kubeapi.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"}}
				nodes = append(nodes, n)
				continue
			}
			n := cd.node(fmt.Sprintf("%s-%s-%s-%s", stack, ng.name, shortHash(ng.uuid), shortHash(ng.uuid, strconv.FormatInt(i, 10))), ng.flavorID, version)
			n.InternalIP = fmt.Sprintf("10.0.%d.%d", 1+worker/200, 10+worker%200)
			worker++
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// node is a node with the labels every kubelet (and the OpenStack cloud
// controller manager) sets, sized after its flavor.
func (cd *conductor) node(name string, flavor any, version string) kubeapi.Node {
	fl := pyStrOrEmpty(flavor)
	n := kubeapi.Node{
		Name: name, KubeletVersion: version, CPU: 2, MemoryMiB: 4096,
		Labels: map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
		},
	}
	for _, f := range cd.fx.Flavors {
		if fl != "" && (str(f, "name") == fl || str(f, "id") == fl) {
			n.Labels["node.kubernetes.io/instance-type"] = str(f, "name")
			if v, ok := f["vcpus"].(float64); ok {
				n.CPU = int(v)
			}
			if v, ok := f["ram"].(float64); ok {
				n.MemoryMiB = int(v)
			}
			break
		}
	}
	return n
}

// shortHash is five lowercase characters derived from parts, like the
// random suffixes Cluster API gives Machines, but stable.
func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:5]
}

// failOnKube ends an operation whose bay API did not start, as a master
// whose API never answers fails its wait condition.
func (cd *conductor) failOnKube(c *clusterRow, op *clusterOp, err error, at time.Time) {
	c.status = op.action + "_FAILED"
	c.statusReason = failKube(err)
	c.updatedAt = timePtr(at)
	c.op = nil
	cd.kubeLogf("cluster %s (%s): %s", c.name, c.uuid, failKube(err))
}

// kubeLogf writes to Options.KubeLogf, else Options.Logf.
func (cd *conductor) kubeLogf(format string, args ...any) { kubeLogger(cd.opts)(format, args...) }

// kubeLogger is where the bays' Kubernetes APIs report: Options.KubeLogf,
// else Options.Logf, else nowhere.
func kubeLogger(opts Options) func(format string, args ...any) {
	switch {
	case opts.KubeLogf != nil:
		return opts.KubeLogf
	case opts.Logf != nil:
		return opts.Logf
	}
	return func(string, ...any) {}
}
