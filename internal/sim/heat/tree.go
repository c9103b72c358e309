package heat

import (
	"fmt"
	"strconv"
	"strings"
)

// Where Magnum's Heat driver installs its templates (Debian's Zed package);
// nested-stack resources carry these paths as their resource_type.
const (
	templateDir       = "file:///usr/lib/python3/dist-packages/magnum/drivers/"
	commonTemplates   = templateDir + "common/templates/"
	k8sFCOSTemplates  = templateDir + "k8s_fedora_coreos_v1/templates/"
	swarmTemplates    = templateDir + "swarm_fedora_atomic_v1/templates/"
	swarmV2Templates  = templateDir + "swarm_fedora_atomic_v2/templates/"
	typeResourceGroup = "OS::Heat::ResourceGroup"
)

// node is one resource in a stack or in one of its nested stacks.
type node struct {
	name       string
	typ        string
	id         string // Heat's internal resource id, only used by the id filter
	physicalID string
	requiredBy []string
	attributes map[string]any
	// member marks a ResourceGroup member, which Heat's failure paths write
	// as resources[N] instead of resources.N.
	member bool

	parent   *node
	children []*node
	// nested stack holding children; set for nested-stack resources only
	nestedID, nestedName string

	// settled state, valid when no operation involves the node
	action, status, reason string
	created, updated       string
}

func (n *node) isLeaf() bool { return len(n.children) == 0 && n.nestedID == "" }

// pathSegment is how Heat names this resource in a failure path.
func (n *node) pathSegment() string {
	if n.member {
		return "resources[" + n.name + "]"
	}
	return "resources." + n.name
}

// memberSpec describes what one ResourceGroup member's nested template
// contains.
type memberSpec struct {
	template string
	leaves   []leafSpec
}

type leafSpec struct{ name, typ string }

// shape is the resource layout of one COE's Heat template, reduced to what
// Magnum and the provider's diagnostics look at.
type shape struct {
	// top-level resources in creation order; groups are expanded later
	top []topSpec
}

type topSpec struct {
	name       string
	typ        string
	requiredBy []string
	// nested template resources (network, load balancers)
	nested []leafSpec
	// for ResourceGroups: the parameter holding the member count and the
	// member template
	countParam string
	countFn    func(params map[string]string) int
	member     *memberSpec
}

func k8sShape(params map[string]string) shape {
	lbType := "OS::Heat::None"
	if params["master_lb_enabled"] == "True" || params["master_lb_enabled"] == "true" {
		lbType = "OS::Octavia::LoadBalancer"
	}
	lbPart := func(kind string) string {
		if lbType == "OS::Heat::None" {
			return lbType
		}
		return "OS::Octavia::" + kind
	}
	lb := []leafSpec{
		{"loadbalancer", lbType}, {"listener", lbPart("Listener")}, {"pool", lbPart("Pool")},
		{"monitor", lbPart("HealthMonitor")}, {"floating", "OS::Heat::None"},
	}
	return shape{top: []topSpec{
		{name: "network", typ: commonTemplates + "network.yaml",
			requiredBy: []string{"api_lb", "etcd_lb", "kube_masters", "kube_minions"},
			nested: []leafSpec{
				{"private_network", "OS::Neutron::Net"}, {"private_subnet", "OS::Neutron::Subnet"},
				{"extrouter", "OS::Neutron::Router"}, {"extrouter_inside", "OS::Neutron::RouterInterface"},
				{"network_switch", "Magnum::NetworkSwitcher"},
			}},
		{name: "secgroup_kube_master", typ: "OS::Neutron::SecurityGroup", requiredBy: []string{"kube_masters"}},
		{name: "secgroup_kube_minion", typ: "OS::Neutron::SecurityGroup",
			requiredBy: []string{"secgroup_rule_tcp_kube_minion", "secgroup_rule_udp_kube_minion", "secgroup_rule_tcp_kube_minion_pods_cidr", "secgroup_rule_udp_kube_minion_pods_cidr", "kube_minions"}},
		{name: "secgroup_rule_tcp_kube_minion", typ: "OS::Neutron::SecurityGroupRule"},
		{name: "secgroup_rule_udp_kube_minion", typ: "OS::Neutron::SecurityGroupRule"},
		{name: "secgroup_rule_tcp_kube_minion_pods_cidr", typ: "OS::Neutron::SecurityGroupRule"},
		{name: "secgroup_rule_udp_kube_minion_pods_cidr", typ: "OS::Neutron::SecurityGroupRule"},
		{name: "master_nodes_server_group", typ: "OS::Nova::ServerGroup", requiredBy: []string{"kube_masters"}},
		{name: "worker_nodes_server_group", typ: "OS::Nova::ServerGroup", requiredBy: []string{"kube_minions"}},
		{name: "api_lb", typ: commonTemplates + "lb_api.yaml", requiredBy: []string{"kube_masters", "api_address_lb_switch"}, nested: lb},
		{name: "etcd_lb", typ: commonTemplates + "lb_etcd.yaml", requiredBy: []string{"kube_masters", "etcd_address_lb_switch"}, nested: lb},
		{name: "kube_masters", typ: typeResourceGroup,
			requiredBy: []string{"api_address_lb_switch", "etcd_address_lb_switch", "kube_cluster_deploy", "kube_minions"},
			countParam: "number_of_masters",
			member: &memberSpec{template: k8sFCOSTemplates + "kubemaster.yaml", leaves: []leafSpec{
				{"kube_master_eth0", "OS::Neutron::Port"}, {"docker_volume", "OS::Cinder::Volume"},
				{"kube-master", "OS::Nova::Server"}, {"kube_master_floating", "OS::Neutron::FloatingIP"},
				{"docker_volume_attach", "OS::Cinder::VolumeAttachment"}, {"master_config_deployment", "OS::Heat::SoftwareDeployment"},
			}}},
		{name: "api_address_lb_switch", typ: "Magnum::ApiGatewaySwitcher", requiredBy: []string{"api_address_floating_switch", "kube_minions"}},
		{name: "etcd_address_lb_switch", typ: "Magnum::ApiGatewaySwitcher", requiredBy: []string{"kube_minions"}},
		{name: "api_address_floating_switch", typ: "Magnum::FloatingIPAddressSwitcher"},
		{name: "kube_cluster_config", typ: "OS::Heat::SoftwareConfig", requiredBy: []string{"kube_cluster_deploy"}},
		{name: "kube_cluster_deploy", typ: "OS::Heat::SoftwareDeployment"},
		{name: "kube_minions", typ: typeResourceGroup, countParam: "number_of_minions",
			member: &memberSpec{template: k8sFCOSTemplates + "kubeminion.yaml", leaves: []leafSpec{
				{"kube_minion_eth0", "OS::Neutron::Port"}, {"docker_volume", "OS::Cinder::Volume"},
				{"kube-minion", "OS::Nova::Server"}, {"kube_minion_floating", "OS::Neutron::FloatingIP"},
				{"docker_volume_attach", "OS::Cinder::VolumeAttachment"}, {"node_config_deployment", "OS::Heat::SoftwareDeployment"},
			}}},
	}}
}

func swarmShape(coe string) shape {
	network := topSpec{name: "network", typ: commonTemplates + "network.yaml",
		nested: []leafSpec{
			{"private_network", "OS::Neutron::Net"}, {"private_subnet", "OS::Neutron::Subnet"},
			{"extrouter", "OS::Neutron::Router"}, {"extrouter_inside", "OS::Neutron::RouterInterface"},
		}}
	master := func(tmpl string) *memberSpec {
		return &memberSpec{template: tmpl, leaves: []leafSpec{
			{"swarm_master_eth0", "OS::Neutron::Port"}, {"swarm-master", "OS::Nova::Server"},
			{"swarm_master_floating", "OS::Neutron::FloatingIP"},
		}}
	}
	node := func(tmpl string) *memberSpec {
		return &memberSpec{template: tmpl, leaves: []leafSpec{
			{"swarm_node_eth0", "OS::Neutron::Port"}, {"swarm-node", "OS::Nova::Server"},
			{"swarm_node_floating", "OS::Neutron::FloatingIP"},
		}}
	}
	if coe == COESwarmMode {
		network.requiredBy = []string{"swarm_primary_master", "swarm_secondary_masters", "swarm_nodes"}
		return shape{top: []topSpec{
			network,
			{name: "secgroup_swarm_manager", typ: "OS::Neutron::SecurityGroup", requiredBy: []string{"swarm_primary_master", "swarm_secondary_masters"}},
			{name: "secgroup_swarm_node", typ: "OS::Neutron::SecurityGroup", requiredBy: []string{"swarm_nodes"}},
			{name: "swarm_primary_master", typ: typeResourceGroup, requiredBy: []string{"swarm_secondary_masters", "swarm_nodes"},
				countFn: func(map[string]string) int { return 1 }, member: master(swarmV2Templates + "swarmmaster.yaml")},
			{name: "swarm_secondary_masters", typ: typeResourceGroup,
				countFn: func(p map[string]string) int { return max(atoi(p["number_of_masters"], 1)-1, 0) },
				member:  master(swarmV2Templates + "swarmmaster.yaml")},
			{name: "swarm_nodes", typ: typeResourceGroup, countParam: "number_of_nodes", member: node(swarmV2Templates + "swarmnode.yaml")},
		}}
	}
	network.requiredBy = []string{"api_lb", "swarm_masters", "swarm_nodes"}
	return shape{top: []topSpec{
		network,
		{name: "api_lb", typ: commonTemplates + "lb_api.yaml", requiredBy: []string{"swarm_masters"},
			nested: []leafSpec{{"loadbalancer", "OS::Heat::None"}, {"listener", "OS::Heat::None"}, {"pool", "OS::Heat::None"}}},
		{name: "secgroup_swarm_manager", typ: "OS::Neutron::SecurityGroup", requiredBy: []string{"swarm_masters"}},
		{name: "secgroup_swarm_node", typ: "OS::Neutron::SecurityGroup", requiredBy: []string{"swarm_nodes"}},
		{name: "swarm_masters", typ: typeResourceGroup, requiredBy: []string{"swarm_nodes"}, countParam: "number_of_masters",
			member: master(swarmTemplates + "swarmmaster.yaml")},
		{name: "swarm_nodes", typ: typeResourceGroup, countParam: "number_of_nodes", member: node(swarmTemplates + "swarmnode.yaml")},
	}}
}

func shapeFor(coe string, params map[string]string) shape {
	switch coe {
	case COESwarm, COESwarmMode:
		return swarmShape(coe)
	default:
		return k8sShape(params)
	}
}

func (t topSpec) count(params map[string]string) int {
	if t.countFn != nil {
		return t.countFn(params)
	}
	return max(atoi(params[t.countParam], 1), 0)
}

// treeBuilder creates nodes with fresh identifiers.
type treeBuilder struct {
	newID     func() string
	stackName string
}

func (b treeBuilder) leaf(name, typ string, parent *node) *node {
	n := &node{name: name, typ: typ, id: b.newID(), parent: parent, attributes: map[string]any{}}
	if strings.HasPrefix(typ, "OS::Neutron::") {
		// Heat folds a Neutron resource's "show" attribute into its
		// attributes, id included; Magnum reads secgroup_kube_minion's id
		// when it adds a nodegroup (KeyError 'id' against real Magnum 15
		// without it).
		n.attributes["id"] = n.id
	}
	switch name {
	case "network":
		n.attributes["fixed_network"] = b.newID()
		n.attributes["fixed_subnet"] = b.newID()
	}
	return n
}

func (b treeBuilder) nestedName(parent *node) string {
	prefix := b.stackName
	for chain := parentChain(parent); len(chain) > 0; chain = chain[1:] {
		prefix += "-" + chain[0].name
	}
	return prefix + "-" + shortID()
}

func parentChain(n *node) []*node {
	var out []*node
	for ; n != nil; n = n.parent {
		out = append([]*node{n}, out...)
	}
	return out
}

func (b treeBuilder) build(sh shape, params map[string]string) []*node {
	var roots []*node
	for _, t := range sh.top {
		n := b.leaf(t.name, t.typ, nil)
		n.requiredBy = append([]string{}, t.requiredBy...)
		switch {
		case t.member != nil:
			n.nestedID, n.nestedName = b.newID(), b.nestedName(n)
			for i := 0; i < t.count(params); i++ {
				n.children = append(n.children, b.member(n, t.member, i))
			}
		case len(t.nested) > 0:
			n.nestedID, n.nestedName = b.newID(), b.nestedName(n)
			for _, l := range t.nested {
				n.children = append(n.children, b.leaf(l.name, l.typ, n))
			}
		}
		roots = append(roots, n)
	}
	return roots
}

func (b treeBuilder) member(group *node, spec *memberSpec, index int) *node {
	m := b.leaf(strconv.Itoa(index), spec.template, group)
	m.member = true
	m.nestedID, m.nestedName = b.newID(), b.nestedName(m)
	for _, l := range spec.leaves {
		m.children = append(m.children, b.leaf(l.name, l.typ, m))
	}
	return m
}

// resizeGroups makes every ResourceGroup match params. It returns the
// members added and removed; removed members are detached from the tree.
func (b treeBuilder) resizeGroups(roots []*node, sh shape, params map[string]string) (added, removed []*node, groups []*node) {
	byName := map[string]*node{}
	for _, r := range roots {
		byName[r.name] = r
	}
	for _, t := range sh.top {
		if t.member == nil {
			continue
		}
		g := byName[t.name]
		if g == nil {
			continue
		}
		want := t.count(params)
		have := len(g.children)
		if want == have {
			continue
		}
		groups = append(groups, g)
		for i := have; i < want; i++ {
			m := b.member(g, t.member, i)
			g.children = append(g.children, m)
			added = append(added, m)
		}
		if want < have {
			// Magnum names the members to remove (minions_to_remove); the
			// simulator, like a ResourceGroup without a removal policy,
			// drops the highest indexes.
			removed = append(removed, g.children[want:]...)
			g.children = g.children[:want]
		}
	}
	return added, removed, groups
}

// walk visits nodes depth first, parents before children.
func walk(nodes []*node, fn func(n *node, depth int)) {
	var rec func(ns []*node, depth int)
	rec = func(ns []*node, depth int) {
		for _, n := range ns {
			fn(n, depth)
			rec(n.children, depth+1)
		}
	}
	rec(nodes, 0)
}

func leaves(nodes []*node) []*node {
	var out []*node
	walk(nodes, func(n *node, _ int) {
		if n.isLeaf() {
			out = append(out, n)
		}
	})
	return out
}

// findPath resolves a fault target: a dotted path of resource names from the
// top ("kube_masters.0.kube-master") or a bare name matched anywhere, first
// in creation order.
func findPath(roots []*node, path string) *node {
	var found *node
	walk(roots, func(n *node, _ int) {
		if found != nil {
			return
		}
		if n.name == path || dottedPath(n) == path {
			found = n
		}
	})
	return found
}

func dottedPath(n *node) string {
	s := ""
	for _, c := range parentChain(n) {
		if s != "" {
			s += "."
		}
		s += c.name
	}
	return s
}

func atoi(s string, def int) int {
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return def
		}
		return int(f)
	}
	return v
}

// addresses returns count IPv4 addresses counting up from a.b.0.start.
func addresses(a, b byte, start, count int) []string {
	out := make([]string, 0, count)
	for i := 0; i < count; i++ {
		h := start + i
		out = append(out, fmt.Sprintf("%d.%d.%d.%d", a, b, h/256, h%256))
	}
	return out
}
