package kube

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Node is one of the bay's servers as the API lists it.
type Node struct {
	Name                   string
	InternalIP, ExternalIP string
	Labels                 map[string]string
	Taints                 []Taint
	KubeletVersion         string
	CPU, MemoryMiB         int
}

// Taint is a node taint.
type Taint struct{ Key, Value, Effect string }

type nodeEntry struct {
	Node
	uid, resourceVersion string
	created              time.Time
}

// SetNodes replaces the bay's nodes: new names are registered now, names
// no longer listed are gone, and the others keep their creation time.
func (s *Server) SetNodes(nodes []Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*nodeEntry, len(nodes))
	for _, n := range nodes {
		e, ok := s.nodes[n.Name]
		if !ok {
			s.rvCounter++
			e = &nodeEntry{uid: newUID(), resourceVersion: strconv.Itoa(s.rvCounter), created: s.now().UTC().Truncate(time.Second)}
		}
		e.Node = n
		next[n.Name] = e
	}
	if len(next) != len(s.nodes) {
		s.rvCounter++
	}
	s.nodes = next
}

func (s *Server) handleListNodes(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("watch") != "" {
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "watch is not supported by the simulator", nil)
		return
	}
	match, err := parseLabelSelector(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error(), nil)
		return
	}
	s.mu.Lock()
	var items []nodeEntry
	for _, n := range s.nodes {
		if match(n.Labels) {
			items = append(items, *n)
		}
	}
	rv := strconv.Itoa(s.rvCounter)
	now := s.now()
	s.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })

	if wantsTable(r) {
		rows := make([]map[string]any, 0, len(items))
		for _, n := range items {
			rows = append(rows, map[string]any{
				"cells": []any{n.Name, "Ready", n.roles(), humanDuration(now.Sub(n.created)), n.KubeletVersion,
					n.InternalIP, orNone(n.ExternalIP), osImage, kernelVersion, containerRuntime},
				"object": map[string]any{
					"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": n.metadata(),
				},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"kind": "Table", "apiVersion": "meta.k8s.io/v1",
			"metadata": map[string]string{"resourceVersion": rv},
			"columnDefinitions": []map[string]any{
				{"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
				{"name": "Status", "type": "string", "format": "", "description": "The status of the node", "priority": 0},
				{"name": "Roles", "type": "string", "format": "", "description": "The roles of the node", "priority": 0},
				{"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0},
				{"name": "Version", "type": "string", "format": "", "description": "Kubelet Version reported by the node.", "priority": 0},
				{"name": "Internal-IP", "type": "string", "format": "", "description": "List of addresses reachable to the node.", "priority": 1},
				{"name": "External-IP", "type": "string", "format": "", "description": "List of addresses reachable to the node.", "priority": 1},
				{"name": "OS-Image", "type": "string", "format": "", "description": "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", "priority": 1},
				{"name": "Kernel-Version", "type": "string", "format": "", "description": "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", "priority": 1},
				{"name": "Container-Runtime", "type": "string", "format": "", "description": "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", "priority": 1},
			},
			"rows": rows,
		})
		return
	}
	objs := make([]any, 0, len(items))
	for _, n := range items {
		objs = append(objs, n.object())
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "NodeList", "apiVersion": "v1",
		"metadata": map[string]string{"resourceVersion": rv},
		"items":    objs,
	})
}

func (s *Server) handleGetNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.mu.Lock()
	n, ok := s.nodes[name]
	var obj map[string]any
	if ok {
		obj = n.object()
	}
	s.mu.Unlock()
	if !ok {
		writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("nodes %q not found", name),
			map[string]any{"name": name, "kind": "nodes"})
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

// What the nodes of a Fedora CoreOS 35 bay report.
const (
	osImage          = "Fedora CoreOS 35"
	kernelVersion    = "5.15.0"
	containerRuntime = "containerd://1.6.20"
)

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// roles is kubectl's ROLES column: the node-role.kubernetes.io/ labels.
func (n *nodeEntry) roles() string {
	var roles []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return "<none>"
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

func (n *nodeEntry) metadata() map[string]any {
	labels := make(map[string]string, len(n.Labels))
	for k, v := range n.Labels {
		labels[k] = v
	}
	return map[string]any{
		"name": n.Name, "uid": n.uid, "resourceVersion": n.resourceVersion,
		"creationTimestamp": n.created.Format(time.RFC3339), "labels": labels,
	}
}

func (n *nodeEntry) object() map[string]any {
	addrs := []map[string]string{{"type": "InternalIP", "address": n.InternalIP}}
	if n.ExternalIP != "" {
		addrs = append(addrs, map[string]string{"type": "ExternalIP", "address": n.ExternalIP})
	}
	addrs = append(addrs, map[string]string{"type": "Hostname", "address": n.Name})
	taints := make([]map[string]string, 0, len(n.Taints))
	for _, t := range n.Taints {
		tm := map[string]string{"key": t.Key, "effect": t.Effect}
		if t.Value != "" {
			tm["value"] = t.Value
		}
		taints = append(taints, tm)
	}
	capacity := map[string]string{
		"cpu": strconv.Itoa(n.CPU), "memory": strconv.Itoa(n.MemoryMiB) + "Mi", "pods": "110",
	}
	spec := map[string]any{}
	if len(taints) > 0 {
		spec["taints"] = taints
	}
	created := n.created.Format(time.RFC3339)
	return map[string]any{
		"kind": "Node", "apiVersion": "v1",
		"metadata": n.metadata(),
		"spec":     spec,
		"status": map[string]any{
			"addresses": addrs, "capacity": capacity, "allocatable": capacity,
			"conditions": []map[string]string{{
				"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
				"lastHeartbeatTime": created, "lastTransitionTime": created,
			}},
			"nodeInfo": map[string]string{
				"kubeletVersion": n.KubeletVersion, "kubeProxyVersion": n.KubeletVersion,
				"operatingSystem": "linux", "architecture": "amd64",
				"osImage": osImage, "kernelVersion": kernelVersion, "containerRuntimeVersion": containerRuntime,
			},
		},
	}
}

// parseLabelSelector understands the equality forms kubectl -l sends:
// k=v, k==v, k!=v, k and !k, joined by commas.
func parseLabelSelector(sel string) (func(map[string]string) bool, error) {
	type req struct {
		key, value string
		op         string
	}
	var reqs []req
	for _, part := range strings.Split(sel, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case strings.Contains(part, "!="):
			k, v, _ := strings.Cut(part, "!=")
			reqs = append(reqs, req{strings.TrimSpace(k), strings.TrimSpace(v), "!="})
		case strings.Contains(part, "=="):
			k, v, _ := strings.Cut(part, "==")
			reqs = append(reqs, req{strings.TrimSpace(k), strings.TrimSpace(v), "="})
		case strings.Contains(part, "="):
			k, v, _ := strings.Cut(part, "=")
			reqs = append(reqs, req{strings.TrimSpace(k), strings.TrimSpace(v), "="})
		case strings.HasPrefix(part, "!"):
			reqs = append(reqs, req{key: strings.TrimPrefix(part, "!"), op: "!"})
		case strings.ContainsAny(part, " ()"):
			return nil, fmt.Errorf("unable to parse requirement: the simulator supports only equality selectors, got %q", part)
		default:
			reqs = append(reqs, req{key: part, op: "exists"})
		}
	}
	return func(labels map[string]string) bool {
		for _, r := range reqs {
			v, ok := labels[r.key]
			switch r.op {
			case "=":
				if !ok || v != r.value {
					return false
				}
			case "!=":
				if ok && v == r.value {
					return false
				}
			case "!":
				if ok {
					return false
				}
			case "exists":
				if !ok {
					return false
				}
			}
		}
		return true
	}, nil
}
