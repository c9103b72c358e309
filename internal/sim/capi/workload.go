package capi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// workload is one workload cluster's Kubernetes API: what the API server
// load balancer of its OpenStackCluster leads to.
type workload struct {
	name string
	ep   kubeapi.Endpoint
	k    *kube
	ca   *pki.CA

	mu    sync.Mutex
	nodes map[string]kubeapi.Node
}

func (m *Management) workload(ns, cluster string) *workload {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.workloads[ns+"/"+cluster]
}

// startWorkload starts the API of a cluster, with the cluster CA the
// driver stored in the <cluster>-ca secret, unless it runs already.
func (m *Management) startWorkload(ctx context.Context, ns, cluster string) (*workload, error) {
	if w := m.workload(ns, cluster); w != nil {
		return w, nil
	}
	sec, err := m.k.get(ctx, rSecret, ns, cluster+"-ca")
	if err != nil {
		return nil, fmt.Errorf("reading the cluster CA secret %s-ca: %w", cluster, err)
	}
	crt, err1 := base64.StdEncoding.DecodeString(sec.str("data", "tls.crt"))
	key, err2 := base64.StdEncoding.DecodeString(sec.str("data", "tls.key"))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("secret %s-ca: bad base64", cluster)
	}
	ca, err := pki.ParseCA(string(crt), string(key))
	if err != nil {
		return nil, fmt.Errorf("secret %s-ca: %w", cluster, err)
	}
	ep, err := m.opts.Kube.Start(cluster, ca)
	if err != nil {
		return nil, err
	}
	k, err := clientFor(ep.URL(), ca, "capi-controllers")
	if err != nil {
		_ = ep.Close()
		return nil, err
	}
	w := &workload{name: cluster, ep: ep, k: k, ca: ca, nodes: map[string]kubeapi.Node{}}
	m.mu.Lock()
	m.workloads[ns+"/"+cluster] = w
	m.mu.Unlock()
	m.opts.Logf("capi: cluster %s/%s: workload API at %s", ns, cluster, ep.URL())
	return w, nil
}

func (m *Management) stopWorkload(ns, cluster string) {
	m.mu.Lock()
	w := m.workloads[ns+"/"+cluster]
	delete(m.workloads, ns+"/"+cluster)
	m.mu.Unlock()
	if w != nil {
		w.close()
		m.opts.Logf("capi: cluster %s/%s: workload API stopped", ns, cluster)
	}
}

func (w *workload) close() { _ = w.ep.Close() }

// hostPort is the load balancer's address: what the OpenStackCluster's
// controlPlaneEndpoint, and so Magnum's api_address, holds.
func (w *workload) hostPort() (string, int64) {
	u, err := url.Parse(w.ep.URL())
	if err != nil {
		return "127.0.0.1", 6443
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return u.Host, 443
	}
	p, _ := strconv.ParseInt(port, 10, 64)
	return host, p
}

// nodeReady returns name when the workload API shows that Node Ready.
func (w *workload) nodeReady(ctx context.Context, name string) (string, map[string]any) {
	w.mu.Lock()
	_, joined := w.nodes[name]
	w.mu.Unlock()
	if !joined || !w.ep.NodesSynced() {
		return "", nil
	}
	if ok, _ := w.ep.Ready(); !ok {
		return "", nil
	}
	n, err := w.k.get(ctx, resource{"", "v1", "nodes", "Node", true}, "", name)
	if err != nil {
		return "", nil
	}
	for _, c := range n.list("status", "conditions") {
		if cm, ok := asMap(c); ok && cm["type"] == "Ready" && cm["status"] == "True" {
			return name, n.m("status", "nodeInfo")
		}
	}
	return "", nil
}

func (w *workload) removeNode(name string) {
	w.mu.Lock()
	delete(w.nodes, name)
	nodes := w.list()
	w.mu.Unlock()
	w.ep.SetNodes(nodes)
}

func (w *workload) list() []kubeapi.Node {
	out := make([]kubeapi.Node, 0, len(w.nodes))
	for _, n := range w.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// syncWorkloads plays the kubelets: a Machine's server that has been
// ACTIVE for NodeJoin registers its Node (named after the server, with the
// Machine's node labels and the control plane's taint), once the API
// serves.
func (m *Management) syncWorkloads(ctx context.Context, st *state) {
	m.mu.Lock()
	ws := map[string]*workload{}
	for k, w := range m.workloads {
		ws[k] = w
	}
	m.mu.Unlock()
	for key, w := range ws {
		if ok, _ := w.ep.Ready(); !ok {
			continue
		}
		ns, cluster, _ := strings.Cut(key, "/")
		changed := false
		w.mu.Lock()
		for _, mc := range st.byLabels(rMachine, ns, map[string]string{labelClusterName: cluster}) {
			if mc.deleting() {
				continue
			}
			if _, ok := w.nodes[mc.name()]; ok {
				continue
			}
			id := strings.TrimPrefix(mc.str("spec", "providerID"), "openstack:///")
			m.os.mu.Lock()
			srv := m.os.servers[id]
			m.os.mu.Unlock()
			if srv == nil || srv.state(m.opts.ServerBoot) != "ACTIVE" || time.Since(srv.Created) < m.opts.ServerBoot+m.opts.NodeJoin {
				continue
			}
			w.nodes[mc.name()] = nodeFor(mc, srv)
			changed = true
		}
		nodes := w.list()
		w.mu.Unlock()
		if changed {
			w.ep.SetNodes(nodes)
			m.poke()
		}
	}
}

func nodeFor(mc obj, srv *server) kubeapi.Node {
	n := kubeapi.Node{
		Name: mc.name(), InternalIP: srv.IP, KubeletVersion: mc.str("spec", "version"), CPU: srv.VCPUs, MemoryMiB: srv.RAM,
		Labels: map[string]string{
			"kubernetes.io/hostname": mc.name(), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
			"node.kubernetes.io/instance-type": srv.Flavor,
		},
	}
	if n.CPU == 0 {
		n.CPU = 2
	}
	if n.MemoryMiB == 0 {
		n.MemoryMiB = 4096
	}
	// Cluster API copies these label domains from the Machine to its Node.
	for k, v := range mc.strMap("metadata", "labels") {
		if strings.HasPrefix(k, "node-role.kubernetes.io/") || strings.HasPrefix(k, "node-restriction.kubernetes.io/") || strings.HasPrefix(k, "node.cluster.x-k8s.io/") {
			n.Labels[k] = v
		}
	}
	if _, cp := mc.m("metadata", "labels")[labelControlPlane]; cp {
		n.Labels["node-role.kubernetes.io/control-plane"] = ""
		n.Taints = []kubeapi.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"}}
	}
	return n
}

// ensureClusterKubeconfig writes the <cluster>-kubeconfig secret the
// control plane provider makes: the workload API's address, the cluster
// CA, and an admin client certificate.
func (m *Management) ensureClusterKubeconfig(ctx context.Context, c obj) error {
	name := c.name() + "-kubeconfig"
	if _, err := m.k.get(ctx, rSecret, c.namespace(), name); err == nil {
		return nil
	}
	w := m.workload(c.namespace(), c.name())
	if w == nil {
		return fmt.Errorf("no workload API for cluster %s yet", kobj(c))
	}
	certPEM, keyPEM, err := w.ca.IssueClientCert("kubernetes-admin", []string{"system:masters"}, time.Now())
	if err != nil {
		return err
	}
	host := c.str("spec", "controlPlaneEndpoint", "host")
	port, _ := c.num("spec", "controlPlaneEndpoint", "port")
	data := kubeconfig(c.name(), fmt.Sprintf("https://%s:%d", host, port), w.ca.CertPEM(), certPEM, keyPEM, c.name()+"-admin")
	_, err = m.k.create(ctx, rSecret, obj{
		"metadata": map[string]any{"name": name, "namespace": c.namespace(),
			"labels":          map[string]any{labelClusterName: c.name()},
			"ownerReferences": []any{ownerRef(c, rCluster, false)}},
		"type": "cluster.x-k8s.io/secret",
		"data": map[string]any{"value": base64.StdEncoding.EncodeToString(data)},
	})
	if isStatus(err, 409) {
		return nil
	}
	return err
}

func kubeconfig(cluster, server, caPEM, certPEM, keyPEM, user string) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[6]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
contexts:
- name: %[6]s@%[1]s
  context:
    cluster: %[1]s
    user: %[6]s
current-context: %[6]s@%[1]s
`, cluster, server, b64([]byte(caPEM)), b64([]byte(certPEM)), b64([]byte(keyPEM)), user)
}
