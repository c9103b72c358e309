package kubeapi

import (
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kube"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Fake is the backend of hand-written APIs (package kube).
type Fake struct{}

// Start serves a hand-written API for one bay.
func (Fake) Start(bayName string, ca *pki.CA) (Endpoint, error) {
	srv, err := kube.Start(ca, bayName)
	if err != nil {
		return nil, err
	}
	return fakeEndpoint{srv}, nil
}

// Describe names the backend for the simulator's log.
func (Fake) Describe() string {
	return "the hand-written Kubernetes API (version, discovery, namespaces, nodes)"
}

// Mode is ModeFake.
func (Fake) Mode() string { return ModeFake }

// Close has nothing to stop: each endpoint stops with its bay.
func (Fake) Close() error { return nil }

// fakeEndpoint is a kube.Server, which answers at once and holds its nodes
// in memory.
type fakeEndpoint struct{ *kube.Server }

// Ready is true at once, unless the server has stopped serving.
func (e fakeEndpoint) Ready() (bool, error) {
	if err := e.Err(); err != nil {
		return false, err
	}
	return true, nil
}

func (fakeEndpoint) NodesSynced() bool { return true }

func (e fakeEndpoint) SetNodes(nodes []Node) {
	out := make([]kube.Node, 0, len(nodes))
	for _, n := range nodes {
		kn := kube.Node{
			Name: n.Name, InternalIP: n.InternalIP, ExternalIP: n.ExternalIP,
			Labels: n.Labels, KubeletVersion: n.KubeletVersion, CPU: n.CPU, MemoryMiB: n.MemoryMiB,
		}
		for _, t := range n.Taints {
			kn.Taints = append(kn.Taints, kube.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
		}
		out = append(out, kn)
	}
	e.Server.SetNodes(out)
}
