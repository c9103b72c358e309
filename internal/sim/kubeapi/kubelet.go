package kubeapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The simulator plays the bay's kubelets, which no process here runs: it
// renews each node's Lease (so the node lifecycle controller keeps the
// nodes Ready), reports the pods the scheduler bound to them as running and
// ready (or, for pods that do not restart, as succeeded), and confirms the
// deletion of pods being deleted, as a kubelet does once their containers
// have stopped. Nothing is run: there are no containers, images are never
// pulled, and a pod is ready as soon as it is bound.
//
// sigs.k8s.io/kwok does the same from its own process; measured here it
// needed its stage definitions written for it, a second dependency tree
// (k8s.io v0.36) that doubles a cold build, and a process per bay, so the
// few requests below replaced it.

const (
	kubeletInterval = 300 * time.Millisecond
	leaseInterval   = 10 * time.Second
	leaseDuration   = 40
)

type kubeletState struct {
	lastLease time.Time
	podIPs    map[string]string // pod uid -> IP
	nextIP    int
}

// kubeletPass does one round of the kubelets' work. It returns an error
// when the API server could not be reached.
func (b *bay) kubeletPass(ctx context.Context, st *kubeletState) error {
	b.mu.Lock()
	nodes := map[string]Node{}
	for _, n := range b.nodes {
		nodes[n.Name] = n
	}
	b.mu.Unlock()
	if len(nodes) == 0 {
		return nil
	}
	if time.Since(st.lastLease) >= leaseInterval {
		for name := range nodes {
			if err := b.renewLease(ctx, name); err != nil {
				return err
			}
		}
		st.lastLease = time.Now()
	}
	var pods struct {
		Items []podObject `json:"items"`
	}
	if err := b.call(ctx, http.MethodGet, "/api/v1/pods", "", nil, &pods); err != nil {
		return err
	}
	for _, p := range pods.Items {
		node, ok := nodes[p.Spec.NodeName]
		if !ok {
			continue
		}
		path := "/api/v1/namespaces/" + url.PathEscape(p.Metadata.Namespace) + "/pods/" + url.PathEscape(p.Metadata.Name)
		switch {
		case p.Metadata.DeletionTimestamp != "":
			err := b.call(ctx, http.MethodDelete, path, "application/json", map[string]any{
				"gracePeriodSeconds": 0, "preconditions": map[string]string{"uid": p.Metadata.UID},
			}, nil)
			if err != nil && !isConflict(err) {
				return err
			}
		case p.Status.Phase == "Pending" || p.Status.Phase == "":
			ip, ok := st.podIPs[p.Metadata.UID]
			if !ok {
				st.nextIP++
				ip = fmt.Sprintf("10.100.%d.%d", st.nextIP/250%250, st.nextIP%250+2)
				st.podIPs[p.Metadata.UID] = ip
			}
			if err := b.call(ctx, http.MethodPatch, path+"/status", "application/merge-patch+json",
				map[string]any{"status": runningStatus(p, node, ip)}, nil); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func (b *bay) renewLease(ctx context.Context, node string) error {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	path := "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + url.PathEscape(node)
	lease := map[string]any{
		"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
		"metadata": map[string]any{"name": node, "namespace": "kube-node-lease"},
		"spec":     map[string]any{"holderIdentity": node, "leaseDurationSeconds": leaseDuration, "renewTime": now},
	}
	err := b.call(ctx, http.MethodPatch, path, "application/merge-patch+json", map[string]any{"spec": lease["spec"]}, nil)
	if isNotFound(err) {
		err = b.call(ctx, http.MethodPost, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "application/json", lease, nil)
	}
	return err
}

type podObject struct {
	Metadata struct {
		Name              string `json:"name"`
		Namespace         string `json:"namespace"`
		UID               string `json:"uid"`
		DeletionTimestamp string `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		NodeName       string `json:"nodeName"`
		RestartPolicy  string `json:"restartPolicy"`
		InitContainers []struct {
			Name  string `json:"name"`
			Image string `json:"image"`
		} `json:"initContainers"`
		Containers []struct {
			Name  string `json:"name"`
			Image string `json:"image"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

// runningStatus is what a kubelet reports once every container started:
// Running and Ready, or Succeeded for a pod that is not restarted (a Job's,
// a Helm hook's), whose containers are taken to exit 0 at once.
func runningStatus(p podObject, node Node, ip string) map[string]any {
	now := time.Now().UTC().Format(time.RFC3339)
	done := p.Spec.RestartPolicy == "Never" || p.Spec.RestartPolicy == "OnFailure"
	phase, ready := "Running", "True"
	if done {
		phase, ready = "Succeeded", "False"
	}
	var containers, inits []map[string]any
	for _, c := range p.Spec.InitContainers {
		inits = append(inits, map[string]any{
			"name": c.Name, "image": c.Image, "imageID": "", "ready": false, "restartCount": 0,
			"state": map[string]any{"terminated": map[string]any{"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}},
		})
	}
	for _, c := range p.Spec.Containers {
		state := map[string]any{"running": map[string]any{"startedAt": now}}
		if done {
			state = map[string]any{"terminated": map[string]any{"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}}
		}
		containers = append(containers, map[string]any{
			"name": c.Name, "image": c.Image, "imageID": c.Image, "containerID": "containerd://" + randomToken()[:32],
			"ready": !done, "started": !done, "restartCount": 0, "state": state,
		})
	}
	status := map[string]any{
		"phase": phase, "hostIP": node.InternalIP, "hostIPs": []map[string]string{{"ip": node.InternalIP}},
		"podIP": ip, "podIPs": []map[string]string{{"ip": ip}}, "startTime": now,
		"conditions": []map[string]string{
			{"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": now},
			{"type": "Initialized", "status": "True", "lastTransitionTime": now},
			{"type": "Ready", "status": ready, "lastTransitionTime": now},
			{"type": "ContainersReady", "status": ready, "lastTransitionTime": now},
			{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
		},
		"containerStatuses": containers,
	}
	if len(inits) > 0 {
		status["initContainerStatuses"] = inits
	}
	return status
}
