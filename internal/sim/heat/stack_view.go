package heat

import (
	"fmt"
	"strings"
	"time"
)

// Stack is what readers get of a stack: a snapshot at one instant, with
// its resources, parameters and outputs (the ones Magnum's template
// definitions read), and the helpers that read it.

func copyParams(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// snapshot renders the stack at now into an immutable Stack.
func (e *Engine) snapshot(s *stack, now time.Time) *Stack {
	out := &Stack{
		ID:           s.id,
		Name:         s.name,
		Project:      s.project,
		COE:          s.coe,
		Parameters:   copyParams(s.params),
		TimeoutMins:  s.timeoutMins,
		CreationTime: s.created,
		UpdatedTime:  s.updated,
	}
	var states map[*node]nodeState
	if s.op != nil {
		out.Action, out.Status = s.op.action, s.op.action+"_IN_PROGRESS"
		out.StatusReason = fmt.Sprintf("Stack %s started", s.op.action)
		states = e.render(s, s.op, now)
	} else {
		out.Action, out.Status, out.StatusReason = s.action, s.action+"_"+s.status, s.reason
	}
	if s.deleted {
		out.DeletionTime = s.deletedAt
	}
	if s.outputsFrom != nil {
		out.Outputs = outputs(s.coe, s.outputsFrom, s.apiAddress)
	}
	walk(s.roots, func(n *node, depth int) {
		r := Resource{
			Name:            n.name,
			PhysicalID:      n.physicalID,
			Type:            n.typ,
			Action:          n.action,
			Status:          n.action + "_" + n.status,
			StatusReason:    n.reason,
			RequiredBy:      append([]string{}, n.requiredBy...),
			Depth:           depth,
			NestedStackID:   n.nestedID,
			NestedStackName: n.nestedName,
			CreationTime:    n.created,
			UpdatedTime:     n.updated,
			Attributes:      n.attributes,
			id:              n.id,
			path:            dottedPath(n),
		}
		if st, ok := states[n]; ok {
			r.Action, r.Status, r.StatusReason, r.UpdatedTime = st.action, st.action+"_"+st.status, st.reason, st.updated
		}
		if n.parent != nil {
			r.ParentResource = n.parent.name
			r.StackID, r.StackName = n.parent.nestedID, n.parent.nestedName
		} else {
			r.StackID, r.StackName = s.id, s.name
		}
		if r.Status != "INIT_COMPLETE" {
			r.PhysicalID = n.id
			if n.nestedID != "" {
				r.PhysicalID = n.nestedID
			}
		}
		if r.Status == "DELETE_COMPLETE" {
			return
		}
		out.Resources = append(out.Resources, r)
	})
	for _, r := range out.Resources {
		out.total++
		if strings.HasSuffix(r.Status, "_COMPLETE") && r.Status != "INIT_COMPLETE" {
			out.complete++
		}
	}
	return out
}

// outputs renders what the templates output once a stack is complete.
func outputs(coe string, p map[string]string, apiAddress string) []Output {
	switch coe {
	case COESwarm, COESwarmMode:
		masters := max(atoi(p["number_of_masters"], 1), 0)
		nodes := max(atoi(p["number_of_nodes"], 1), 0)
		out := []Output{{Key: "api_address", Value: apiAddress, Description: "This is the API endpoint of the Swarm masters."}}
		if coe == COESwarmMode {
			pub := addresses(172, 24, 4*256+10, masters)
			out = append(out,
				Output{Key: "swarm_primary_master", Value: pub[:min(1, len(pub))], Description: "This is a list of the primary master IP."},
				Output{Key: "swarm_primary_master_private", Value: addresses(10, 0, 10, min(1, masters))},
				Output{Key: "swarm_secondary_masters", Value: pub[min(1, len(pub)):], Description: "This is a list of the secondary masters IPs."},
			)
		} else {
			out = append(out,
				Output{Key: "swarm_masters", Value: addresses(172, 24, 4*256+10, masters), Description: "This is a list of the public IP addresses of all the Swarm masters."},
				Output{Key: "swarm_masters_private", Value: addresses(10, 0, 10, masters), Description: "This is a list of the private IP addresses of all the Swarm masters."},
				Output{Key: "discovery_url", Value: p["discovery_url"], Description: "This is the discovery url for Swarm cluster."},
			)
		}
		return append(out,
			Output{Key: "swarm_nodes", Value: addresses(172, 24, 4*256+100, nodes), Description: "This is a list of the public IP addresses of all the Swarm nodes."},
			Output{Key: "swarm_nodes_private", Value: addresses(10, 0, 100, nodes), Description: "This is a list of the private IP addresses of all the Swarm nodes."},
		)
	default:
		masters := max(atoi(p["number_of_masters"], 1), 0)
		minions := max(atoi(p["number_of_minions"], 1), 0)
		return []Output{
			{Key: "api_address", Value: apiAddress, Description: "This is the API endpoint of the Kubernetes cluster. Use this to access the Kubernetes API.\n"},
			{Key: "registry_address", Value: "localhost:5000", Description: "This is the url of docker registry server where you can store docker images."},
			{Key: "kube_masters_private", Value: addresses(10, 0, 10, masters), Description: "This is a list of the \"private\" IP addresses of all the Kubernetes masters.\n"},
			{Key: "kube_masters", Value: addresses(172, 24, 4*256+10, masters), Description: "This is a list of the \"public\" IP addresses of all the Kubernetes masters. Use these IP addresses to log in to the Kubernetes masters via ssh.\n"},
			{Key: "kube_minions_private", Value: addresses(10, 0, 100, minions), Description: "This is a list of the \"private\" IP addresses of all the Kubernetes minions.\n"},
			{Key: "kube_minions", Value: addresses(172, 24, 4*256+100, minions), Description: "This is a list of the \"public\" IP addresses of all the Kubernetes minions. Use these IP addresses to log in to the Kubernetes minions via ssh.\n"},
		}
	}
}

// withDefaults fills in the template defaults real Heat reports for
// parameters Magnum did not pass; Magnum's poller needs kube_version.
func withDefaults(coe string, in map[string]string) map[string]string {
	var defaults map[string]string
	switch coe {
	case COESwarm, COESwarmMode:
		defaults = map[string]string{
			"number_of_masters": "1", "number_of_nodes": "1", "swarm_version": "1.2.5",
			"docker_volume_size": "0", "network_driver": "docker", "dns_nameserver": "8.8.8.8",
			"master_flavor": "m1.small", "node_flavor": "m1.small", "discovery_url": "",
			"fixed_network_cidr": "10.0.0.0/24", "tls_disabled": "False",
		}
	default:
		defaults = map[string]string{
			"number_of_masters": "1", "number_of_minions": "1",
			"kube_tag": "v1.18.16", "kube_version": "v1.18.16",
			"master_flavor": "m1.small", "minion_flavor": "m1.small", "dns_nameserver": "8.8.8.8",
			"docker_volume_size": "0", "network_driver": "flannel", "flannel_network_cidr": "10.100.0.0/16",
			"flannel_backend": "vxlan", "flannel_network_subnetlen": "24", "portal_network_cidr": "10.254.0.0/16",
			"fixed_subnet_cidr": "10.0.0.0/24", "kubernetes_port": "6443", "tls_disabled": "False",
			"registry_enabled": "False", "minions_to_remove": "", "docker_storage_driver": "overlay2",
			"wait_condition_timeout": "6000", "is_cluster_stack": "False", "master_role": "", "worker_role": "",
		}
	}
	out := copyParams(defaults)
	for k, v := range in {
		out[k] = v
	}
	// Magnum passes the kube_tag label as both kube_tag and kube_version;
	// keep them in step when a caller sets only the tag.
	if _, ok := in["kube_version"]; !ok && in["kube_tag"] != "" && coe != COESwarm && coe != COESwarmMode {
		out["kube_version"] = in["kube_tag"]
	}
	return out
}

// Stack is a point-in-time view of a stack. It is a copy: changing it does
// not affect the Engine.
type Stack struct {
	ID, Name, Project, COE string
	// Action is the last or current action (CREATE, UPDATE, DELETE).
	Action string
	// Status is Heat's stack_status, e.g. CREATE_IN_PROGRESS.
	Status       string
	StatusReason string
	Parameters   map[string]string
	// Outputs is nil until the stack has completed a create or update.
	Outputs      []Output
	TimeoutMins  int
	CreationTime time.Time
	// UpdatedTime and DeletionTime are zero when not applicable.
	UpdatedTime  time.Time
	DeletionTime time.Time
	// Resources lists every resource, nested ones included, depth first.
	Resources []Resource

	complete, total int
}

// Progress counts the resources that have finished their current action
// (deleted ones are not listed, so a delete shrinks the total).
func (s *Stack) Progress() (complete, total int) { return s.complete, s.total }

// Output returns the value of an output key, and false when absent.
func (s *Stack) Output(key string) (any, bool) {
	for _, o := range s.Outputs {
		if o.Key == key {
			return o.Value, true
		}
	}
	return nil, false
}

// Resource finds a resource by dotted path or bare name (first match).
func (s *Stack) Resource(path string) (Resource, bool) {
	for _, r := range s.Resources {
		if r.Path() == path {
			return r, true
		}
	}
	for _, r := range s.Resources {
		if r.Name == path {
			return r, true
		}
	}
	return Resource{}, false
}

// Failed lists the resources whose status ends in _FAILED.
func (s *Stack) Failed() []Resource {
	var out []Resource
	for _, r := range s.Resources {
		if strings.HasSuffix(r.Status, "_FAILED") {
			out = append(out, r)
		}
	}
	return out
}

// Output is one stack output.
type Output struct {
	Key         string
	Value       any
	Description string
}

// Resource is one resource of a stack or of a nested stack.
type Resource struct {
	Name string
	// PhysicalID is empty until the resource has started; for a
	// nested-stack resource it is the nested stack's id.
	PhysicalID   string
	Type         string
	Action       string
	Status       string // e.g. CREATE_COMPLETE
	StatusReason string
	RequiredBy   []string
	// ParentResource is the name of the resource owning the nested stack
	// this resource lives in; empty at the top level.
	ParentResource string
	// Depth is 0 for the stack's own resources, 1 for their nested
	// stacks' resources, and so on.
	Depth int
	// StackID and StackName identify the (possibly nested) stack holding
	// the resource.
	StackID, StackName string
	// NestedStackID and NestedStackName are set on ResourceGroups, their
	// members and template resources.
	NestedStackID, NestedStackName string
	CreationTime, UpdatedTime      string
	Attributes                     map[string]any

	id   string
	path string
}

// Path is the dotted path of the resource from the top of the stack.
func (r Resource) Path() string { return r.path }
