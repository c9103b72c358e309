package kubeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// syncNodes makes the API's Node objects those of the last SetNodes: the
// simulator plays each server's kubelet registering, and Heat deleting the
// servers a resize removed. kwok keeps the registered nodes' heartbeats and
// Ready condition from then on.
func (b *bay) syncNodes(ctx context.Context) error {
	b.mu.Lock()
	want := append([]Node(nil), b.nodes...)
	gen := b.nodesGen
	b.mu.Unlock()

	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				Taints []struct {
					Key string `json:"key"`
				} `json:"taints"`
			} `json:"spec"`
			Status struct {
				NodeInfo struct {
					KubeletVersion string `json:"kubeletVersion"`
				} `json:"nodeInfo"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := b.call(ctx, http.MethodGet, "/api/v1/nodes", "", nil, &list); err != nil {
		return err
	}
	have := map[string]string{}
	notReady := map[string]bool{}
	for _, it := range list.Items {
		have[it.Metadata.Name] = it.Status.NodeInfo.KubeletVersion
		for _, t := range it.Spec.Taints {
			notReady[it.Metadata.Name] = notReady[it.Metadata.Name] || t.Key == "node.kubernetes.io/not-ready"
		}
	}
	pending := false
	wanted := map[string]bool{}
	for _, n := range want {
		wanted[n.Name] = true
		version, exists := have[n.Name]
		switch {
		case !exists:
			pending = true
			if err := b.call(ctx, http.MethodPost, "/api/v1/nodes", "application/json", nodeObject(n), nil); err != nil {
				return err
			}
			// Whether a create keeps the status is the API server's
			// business; the kubelet sets it through the subresource.
			if err := b.call(ctx, http.MethodPatch, "/api/v1/nodes/"+n.Name+"/status", "application/merge-patch+json",
				map[string]any{"status": nodeStatus(n)}, nil); err != nil {
				return err
			}
		case notReady[n.Name]:
			// The admission plugin taints a new node not-ready until the
			// node lifecycle controller has seen its Ready condition.
			pending = true
		case version != n.KubeletVersion:
			// An upgrade: the kubelet restarts with the new version.
			if err := b.call(ctx, http.MethodPatch, "/api/v1/nodes/"+n.Name+"/status", "application/merge-patch+json",
				map[string]any{"status": map[string]any{"nodeInfo": map[string]string{
					"kubeletVersion": n.KubeletVersion, "kubeProxyVersion": n.KubeletVersion}}}, nil); err != nil {
				return err
			}
		}
	}
	for name := range have {
		if !wanted[name] {
			if err := b.call(ctx, http.MethodDelete, "/api/v1/nodes/"+name, "", nil, nil); err != nil {
				return err
			}
		}
	}
	if pending {
		return errNodesPending
	}
	b.mu.Lock()
	if b.nodesGen == gen {
		b.synced = gen
	}
	b.mu.Unlock()
	return nil
}

// errNodesPending: registered, but not all nodes schedulable yet.
var errNodesPending = errors.New("nodes registered, waiting for them to be schedulable")

// call makes one request to the API server as the simulator's admin and
// decodes a 2xx answer into out; a 404 on DELETE counts as done.
func (b *bay) call(ctx context.Context, method, path, contentType string, body, out any) error {
	b.mu.Lock()
	client, port := b.client, b.apiPort
	b.mu.Unlock()
	if client == nil {
		return fmt.Errorf("the API server is not running")
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "https://127.0.0.1:"+strconv.Itoa(port)+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound && method == http.MethodDelete:
		return nil
	case resp.StatusCode/100 != 2:
		return &statusError{code: resp.StatusCode, msg: fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))}
	case out != nil:
		return json.Unmarshal(data, out)
	}
	return nil
}

func nodeObject(n Node) map[string]any {
	spec := map[string]any{"providerID": "openstack:///" + n.Name}
	if len(n.Taints) > 0 {
		taints := make([]map[string]string, 0, len(n.Taints))
		for _, t := range n.Taints {
			tm := map[string]string{"key": t.Key, "effect": t.Effect}
			if t.Value != "" {
				tm["value"] = t.Value
			}
			taints = append(taints, tm)
		}
		spec["taints"] = taints
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{"name": n.Name, "labels": n.Labels},
		"spec":     spec,
		"status":   nodeStatus(n),
	}
}

func nodeStatus(n Node) map[string]any {
	addrs := []map[string]string{{"type": "InternalIP", "address": n.InternalIP}}
	if n.ExternalIP != "" {
		addrs = append(addrs, map[string]string{"type": "ExternalIP", "address": n.ExternalIP})
	}
	addrs = append(addrs, map[string]string{"type": "Hostname", "address": n.Name})
	capacity := map[string]string{
		"cpu": strconv.Itoa(max(n.CPU, 1)), "memory": strconv.Itoa(max(n.MemoryMiB, 512)) + "Mi",
		"pods": "110", "ephemeral-storage": "20Gi",
	}
	now := time.Now().UTC().Format(time.RFC3339)
	return map[string]any{
		"addresses": addrs, "capacity": capacity, "allocatable": capacity,
		"conditions": []map[string]string{{
			"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
			"lastHeartbeatTime": now, "lastTransitionTime": now,
		}},
		"nodeInfo": map[string]string{
			"kubeletVersion": n.KubeletVersion, "kubeProxyVersion": n.KubeletVersion,
			"operatingSystem": "linux", "architecture": "amd64",
			"osImage": "Fedora CoreOS 35", "containerRuntimeVersion": "containerd://1.6.20",
			"kernelVersion": "5.15.0", "machineID": "", "systemUUID": "", "bootID": "",
		},
	}
}

// statusError is an API server's answer other than 2xx.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func hasStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.code == code
}

func isNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

func isConflict(err error) bool { return hasStatus(err, http.StatusConflict) }
