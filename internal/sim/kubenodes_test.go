package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// requireRealKube skips a test of the real Kubernetes API when its binaries
// are not built, unless MAGNUM_REQUIRE_KUBE_BINS is set (CI builds them, so
// there a missing binary is a failure, not a skip).
func requireRealKube(t *testing.T) {
	t.Helper()
	if err := kubeapi.FindBinaries(kubeapi.DefaultBinDir()); err != nil {
		if os.Getenv("MAGNUM_REQUIRE_KUBE_BINS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// waitStatus polls the cluster until it shows want, in real time: a real
// API server's start takes real seconds whatever the simulator's clock says.
func (e *clusterEnv) waitStatus(id, want string, timeout time.Duration) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := e.cluster(id)
		if c["status"] == want {
			return c
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("cluster %s: status %v (%v) after %s, want %s", id, c["status"], c["status_reason"], timeout, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type kubeNode struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Taints []struct{ Key, Value, Effect string } `json:"taints"`
	} `json:"spec"`
	Status struct {
		Addresses []struct{ Type, Address string } `json:"addresses"`
		NodeInfo  struct {
			KubeletVersion string `json:"kubeletVersion"`
		} `json:"nodeInfo"`
		Conditions []struct{ Type, Status string } `json:"conditions"`
	} `json:"status"`
}

func (n kubeNode) address(typ string) string {
	for _, a := range n.Status.Addresses {
		if a.Type == typ {
			return a.Address
		}
	}
	return ""
}

func (n kubeNode) ready() bool {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// kubeNodes lists the cluster's nodes through its Kubernetes API with a
// client certificate from Magnum's certificate API.
func (e *clusterEnv) kubeNodes(id string) map[string]kubeNode {
	e.t.Helper()
	api := e.cluster(id)["api_address"].(string)
	status, body, err := kubeGet(e.t, api+"/api/v1/nodes", e.kubeCreds(e.demo, id))
	if err != nil || status != http.StatusOK {
		e.t.Fatalf("GET %s/api/v1/nodes: %d %v %s", api, status, err, body)
	}
	var list struct{ Items []kubeNode }
	if err := json.Unmarshal(body, &list); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]kubeNode{}
	for _, n := range list.Items {
		out[n.Metadata.Name] = n
	}
	return out
}

func nodeNames(nodes map[string]kubeNode, label, value string) []string {
	var out []string
	for name, n := range nodes {
		if v, ok := n.Metadata.Labels[label]; ok && v == value {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func TestBayNodesHandWrittenAPI(t *testing.T) {
	testBayNodes(t, Options{})
}

func TestBayNodesRealAPI(t *testing.T) {
	requireRealKube(t)
	testBayNodes(t, Options{KubeAPI: kubeapi.ModeReal})
}

// testBayNodes: a Heat bay's servers are its Node objects, named after the
// stack, labelled with their nodegroup and role, following resizes and
// extra nodegroups.
func testBayNodes(t *testing.T, opts Options) {
	e := newClusterEnv(t, opts)
	id := e.create("nodes1", "master_count", 1, "node_count", 2)
	e.clock.Advance(10 * time.Second)
	c := e.waitStatus(id, "CREATE_COMPLETE", 3*time.Minute)
	e.s.services().magnum.st.mu.Lock()
	st, err := e.s.services().heat.Stack(e.s.services().magnum.st.clusters[id].heatStackID)
	e.s.services().magnum.st.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	nodes := e.kubeNodes(id)
	master, workers := st.Name+"-master-0", []string{st.Name + "-node-0", st.Name + "-node-1"}
	if got := nodeNames(nodes, "magnum.openstack.org/role", "master"); !slices.Equal(got, []string{master}) {
		t.Errorf("masters = %v, want %v (nodes %v)", got, master, nodes)
	}
	if got := nodeNames(nodes, "magnum.openstack.org/nodegroup", "default-worker"); !slices.Equal(got, workers) {
		t.Errorf("default-worker nodes = %v, want %v", got, workers)
	}
	m := nodes[master]
	if _, ok := m.Metadata.Labels["node-role.kubernetes.io/master"]; !ok || len(m.Spec.Taints) != 1 ||
		m.Spec.Taints[0].Key != "node-role.kubernetes.io/master" || m.Spec.Taints[0].Effect != "NoSchedule" {
		t.Errorf("master labels %v taints %v", m.Metadata.Labels, m.Spec.Taints)
	}
	if m.address("ExternalIP") != c["master_addresses"].([]any)[0] || m.address("InternalIP") == "" {
		t.Errorf("master addresses %v, cluster master_addresses %v", m.Status.Addresses, c["master_addresses"])
	}
	for i, w := range workers {
		n := nodes[w]
		if n.Metadata.Labels["magnum.openstack.org/role"] != "worker" || len(n.Spec.Taints) != 0 || !n.ready() ||
			n.Status.NodeInfo.KubeletVersion != c["coe_version"] || n.address("ExternalIP") != c["node_addresses"].([]any)[i] ||
			n.Metadata.Labels["node.kubernetes.io/instance-type"] != "m1.small" {
			t.Errorf("worker %s: labels %v taints %v status %+v; cluster %v %v", w, n.Metadata.Labels, n.Spec.Taints, n.Status, c["coe_version"], c["node_addresses"])
		}
	}

	resize := func(count int, want []string) {
		t.Helper()
		if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": count}); r.status != http.StatusAccepted {
			t.Fatalf("resize: %d %s", r.status, r.raw)
		}
		e.clock.Advance(10 * time.Second)
		e.waitStatus(id, "UPDATE_COMPLETE", 2*time.Minute)
		if got := nodeNames(e.kubeNodes(id), "magnum.openstack.org/role", "worker"); !slices.Equal(got, want) {
			t.Errorf("after resize to %d: workers %v, want %v", count, got, want)
		}
	}
	e.demo.version = "1.9"
	resize(3, append(workers, st.Name+"-node-2"))
	resize(1, workers[:1])

	if r := e.demo.do("POST", "/v1/clusters/"+id+"/nodegroups", map[string]any{"name": "gpu", "node_count": 2}); r.status != http.StatusAccepted {
		t.Fatalf("nodegroup create: %d %s", r.status, r.raw)
	}
	e.clock.Advance(10 * time.Second)
	e.waitStatus(id, "UPDATE_COMPLETE", time.Minute)
	// Extra nodegroups register their nodes right after the nodegroup
	// completes, without holding the cluster's status.
	deadline := time.Now().Add(time.Minute)
	for {
		got := nodeNames(e.kubeNodes(id), "magnum.openstack.org/nodegroup", "gpu")
		if len(got) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gpu nodegroup nodes = %v, want 2", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A Cluster API bay's nodes are kubeadm's: the control plane's role label
// and taint, workers without Magnum's labels, names after the Machines.
func TestBayNodesClusterAPI(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master"})
	id := e.create("capi1", "master_count", 1, "node_count", 2, "labels", map[string]any{"kube_tag": "v1.30.2"})
	e.clock.Advance(10 * time.Second)
	c := e.waitStatus(id, "CREATE_COMPLETE", time.Minute)
	nodes := e.kubeNodes(id)
	if len(nodes) != 3 {
		t.Fatalf("nodes = %v, want 3", nodes)
	}
	cp := nodeNames(nodes, "node-role.kubernetes.io/control-plane", "")
	if len(cp) != 1 {
		t.Fatalf("control-plane nodes = %v", cp)
	}
	for name, n := range nodes {
		if n.Status.NodeInfo.KubeletVersion != "v1.30.2" || n.Metadata.Labels["magnum.openstack.org/role"] != "" {
			t.Errorf("node %s: labels %v version %s", name, n.Metadata.Labels, n.Status.NodeInfo.KubeletVersion)
		}
		// Magnum 2024.2+ shows the stack id as cluster_id.
		if stack, _ := c["cluster_id"].(string); stack == "" || !strings.HasPrefix(name, stack+"-") {
			t.Errorf("node %s is not named after the cluster's Cluster API name %v", name, c["cluster_id"])
		}
	}
}

// A bay whose API server cannot start fails its create with the API
// server's own words, as a master whose API never answers fails Heat's wait
// condition, and the simulator's log says so too.
func TestBayFailsWhenItsKubernetesAPIDoesNotStart(t *testing.T) {
	requireRealKube(t)
	bins := t.TempDir()
	for _, name := range kubeapi.Binaries {
		if name == "kube-apiserver" {
			script := "#!/bin/sh\necho 'E1205 run.go:72] \"command failed\" err=\"unable to load client CA (simulated)\"' >&2\nexit 1\n"
			if err := os.WriteFile(filepath.Join(bins, name), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(filepath.Join(kubeapi.DefaultBinDir(), name), filepath.Join(bins, name)); err != nil {
			t.Fatal(err)
		}
	}
	var logs strings.Builder
	var mu sync.Mutex
	e := newClusterEnv(t, Options{KubeAPI: kubeapi.ModeReal, KubeBinDir: bins, KubeLogf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, f+"\n", a...)
	}})
	id := e.create("broken")
	e.clock.Advance(10 * time.Second)
	c := e.waitStatus(id, "CREATE_FAILED", time.Minute)
	reason, _ := c["status_reason"].(string)
	if !strings.HasPrefix(reason, "The Kubernetes API server of the cluster did not start: ") || !strings.Contains(reason, "unable to load client CA (simulated)") {
		t.Errorf("status_reason = %q", reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "cluster broken ("+id+"): The Kubernetes API server of the cluster did not start") {
		t.Errorf("log: %s", logs.String())
	}
}
