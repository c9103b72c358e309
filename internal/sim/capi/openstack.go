package capi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// The OpenStack provider (CAPO v0.9, API v1alpha7), played by the
// simulator. What CAPO asks of OpenStack to decide anything it asks of the
// real services, as CAPO would, with the application credential the driver
// wrote into the cluster's identity secret: Keystone for a token and
// catalog, Neutron for the external network, Glance for the image, Nova
// for the flavor and key pair. What it would create (networks, routers,
// security groups, load balancers, floating IPs, servers) it keeps in
// cloud, with the IDs and Events CAPO's calls would yield; a load
// balancer's address is the workload cluster's Kubernetes API.

const (
	capoComponent        = "openstack-controller"
	oscFinalizer         = "openstackcluster.infrastructure.cluster.x-k8s.io"
	osmFinalizer         = "openstackmachine.infrastructure.cluster.x-k8s.io"
	noValidHost          = "No valid host was found. There are not enough hosts available."
	unschedulableTraitPf = "trait:CUSTOM_"
)

// cloud is what the provider stand-in made in OpenStack.
type cloud struct {
	logf func(string, ...any)

	mu       sync.Mutex
	lbs      map[string]*loadBalancer // by ID
	servers  map[string]*server       // by ID
	sessions map[string]*osSession    // by application credential ID
}

type loadBalancer struct {
	ID, Name, Description, ProjectID, VIP, FloatingIP, Status string
	Created                                                   time.Time
}

type server struct {
	ID, Name, Flavor, Image, Status, Fault, IP string
	VCPUs, RAM                                 int
	Created                                    time.Time
}

func newCloud(logf func(string, ...any)) *cloud {
	return &cloud{logf: logf, lbs: map[string]*loadBalancer{}, servers: map[string]*server{}, sessions: map[string]*osSession{}}
}

// osSession is a Keystone token with its catalog.
type osSession struct {
	token, project string
	endpoints      map[string]string // service type -> public URL
	expires        time.Time
}

// login authenticates with the clouds.yaml the identity secret holds.
func (cl *cloud) login(ctx context.Context, cloudsYAML []byte) (*osSession, error) {
	var cfg struct {
		Clouds map[string]struct {
			RegionName string `yaml:"region_name"`
			Auth       struct {
				AuthURL string `yaml:"auth_url"`
				ID      string `yaml:"application_credential_id"`
				Secret  string `yaml:"application_credential_secret"`
			} `yaml:"auth"`
		} `yaml:"clouds"`
	}
	if err := yaml.Unmarshal(cloudsYAML, &cfg); err != nil {
		return nil, fmt.Errorf("failed to parse clouds.yaml: %w", err)
	}
	def, ok := cfg.Clouds["default"]
	if !ok {
		return nil, errors.New("cloud default not found in clouds.yaml")
	}
	cl.mu.Lock()
	s := cl.sessions[def.Auth.ID]
	cl.mu.Unlock()
	if s != nil && time.Until(s.expires) > 5*time.Minute {
		return s, nil
	}
	body := map[string]any{"auth": map[string]any{"identity": map[string]any{
		"methods":                []any{"application_credential"},
		"application_credential": map[string]any{"id": def.Auth.ID, "secret": def.Auth.Secret},
	}}}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(def.Auth.AuthURL, "/")+"/auth/tokens", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to create provider client: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("failed to create provider client: Expected HTTP response code [201] when accessing [POST %s/auth/tokens], but got %d instead: %s",
			strings.TrimRight(def.Auth.AuthURL, "/"), resp.StatusCode, strings.TrimSpace(string(data)))
	}
	var tok struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
			Project   struct {
				ID string `json:"id"`
			} `json:"project"`
			Catalog []struct {
				Type      string `json:"type"`
				Endpoints []struct {
					Interface, Region, URL string
				} `json:"endpoints"`
			} `json:"catalog"`
		} `json:"token"`
	}
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, err
	}
	s = &osSession{token: resp.Header.Get("X-Subject-Token"), project: tok.Token.Project.ID, endpoints: map[string]string{}}
	s.expires, _ = time.Parse(time.RFC3339, tok.Token.ExpiresAt)
	for _, svc := range tok.Token.Catalog {
		for _, e := range svc.Endpoints {
			if e.Interface == "public" && (def.RegionName == "" || e.Region == def.RegionName) {
				s.endpoints[svc.Type] = e.URL
			}
		}
	}
	cl.mu.Lock()
	cl.sessions[def.Auth.ID] = s
	cl.mu.Unlock()
	return s, nil
}

// call is one request to a service of the catalog.
func (s *osSession) call(ctx context.Context, service, path string, out any) (int, error) {
	base, ok := s.endpoints[service]
	if !ok {
		return 0, fmt.Errorf("no %s endpoint in the catalog", service)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Auth-Token", s.token)
	req.Header.Set("Accept", "application/json")
	if service == "compute" {
		req.Header.Set("X-OpenStack-Nova-API-Version", "2.53")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

// identity reads the cloud credentials a CAPO object names in
// spec.identityRef (a Secret with clouds.yaml).
func (m *Management) identity(ctx context.Context, ns, secret string) (*osSession, error) {
	if secret == "" {
		return nil, errors.New("failed to create provider client: no identityRef")
	}
	sec, err := m.k.get(ctx, rSecret, ns, secret)
	if err != nil {
		return nil, fmt.Errorf("failed to get secret %s/%s: %w", ns, secret, err)
	}
	raw, err := base64.StdEncoding.DecodeString(sec.str("data", "clouds.yaml"))
	if err != nil {
		return nil, err
	}
	return m.os.login(ctx, raw)
}

// reconcileOpenStackCluster is CAPO's OpenStackCluster controller.
func (m *Management) reconcileOpenStackCluster(ctx context.Context, st *state, osc obj) error {
	ns := osc.namespace()
	clusterName := osc.label(labelClusterName)
	capoName := ns + "-" + clusterName
	if osc.deleting() {
		return m.deleteOpenStackCluster(ctx, osc, capoName)
	}
	if !osc.hasFinalizer(oscFinalizer) {
		osc.setFinalizers(append(osc.finalizers(), oscFinalizer))
		_, err := m.k.update(ctx, rOSC, osc)
		return err
	}
	if osc.boolean("status", "ready") {
		return nil
	}
	sess, err := m.identity(ctx, ns, osc.str("spec", "identityRef", "name"))
	if err != nil {
		return err
	}
	status := osc.m("status")
	if status == nil {
		status = map[string]any{}
		osc["status"] = status
	}
	ev := func(reason, format string, args ...any) {
		m.rec.normal(ctx, osc, rOSC, capoComponent, reason, format, args...)
	}
	// The external network, by the id the ClusterClass patched in.
	if osc.get("status", "externalNetwork") == nil {
		extID := osc.str("spec", "externalNetworkId")
		var nets struct {
			Networks []map[string]any `json:"networks"`
		}
		q := url.Values{"router:external": {"true"}}
		if extID != "" {
			q.Set("id", extID)
		}
		if _, err := sess.call(ctx, "network", "/v2.0/networks?"+q.Encode(), &nets); err != nil {
			return err
		}
		nets.Networks = slices.DeleteFunc(nets.Networks, func(n map[string]any) bool {
			return n["router:external"] != true || (extID != "" && n["id"] != extID)
		})
		if len(nets.Networks) != 1 {
			msg := "failed to reconcile external network: no external network found"
			if len(nets.Networks) > 1 {
				msg = fmt.Sprintf("failed to reconcile external network: found %d external networks, which should not happen", len(nets.Networks))
			}
			osc.set("UpdateError", "status", "failureReason")
			osc.set(msg, "status", "failureMessage")
			_, err := m.k.updateStatus(ctx, rOSC, osc)
			return err
		}
		status["externalNetwork"] = map[string]any{"id": nets.Networks[0]["id"], "name": nets.Networks[0]["name"]}
	}
	netName := "k8s-clusterapi-cluster-" + capoName
	if osc.get("status", "network") == nil {
		cidr := osc.str("spec", "nodeCidr")
		if cidr == "" {
			cidr = "10.0.0.0/24"
		}
		netID, subID := uuid.NewString(), uuid.NewString()
		ev("SuccessfulCreateNetwork", "Created network %s with id %s", netName, netID)
		ev("SuccessfulCreateSubnet", "Created subnet %s with id %s", netName, subID)
		status["network"] = map[string]any{"id": netID, "name": netName,
			"subnets": []any{map[string]any{"id": subID, "name": netName, "cidr": cidr}}}
	}
	if osc.get("status", "router") == nil {
		id := uuid.NewString()
		ev("SuccessfulCreateRouter", "Created router %s with id %s", netName, id)
		status["router"] = map[string]any{"id": id, "name": netName}
	}
	if osc.boolean("spec", "managedSecurityGroups") && osc.get("status", "controlPlaneSecurityGroup") == nil {
		for _, role := range []string{"controlplane", "worker"} {
			id, name := uuid.NewString(), fmt.Sprintf("k8s-cluster-%s-secgroup-%s", capoName, role)
			ev("SuccessfulCreateSecurityGroup", "Created security group %s with id %s", name, id)
			key := "workerSecurityGroup"
			if role == "controlplane" {
				key = "controlPlaneSecurityGroup"
			}
			status[key] = map[string]any{"id": id, "name": name}
		}
	}
	// The API server's load balancer: the workload cluster's API.
	if osc.str("spec", "controlPlaneEndpoint", "host") == "" {
		w, err := m.startWorkload(ctx, ns, clusterName)
		if err != nil {
			return err
		}
		host, port := w.hostPort()
		lbName := netName + "-kubeapi"
		lb := &loadBalancer{ID: uuid.NewString(), Name: lbName, ProjectID: sess.project, VIP: "10.0.0.5", FloatingIP: host, Status: "ACTIVE", Created: time.Now(),
			Description: "Created by cluster-api-provider-openstack cluster " + capoName}
		m.os.mu.Lock()
		m.os.lbs[lb.ID] = lb
		m.os.mu.Unlock()
		if osc.get("spec", "apiServerLoadBalancer", "enabled") == true {
			ev("SuccessfulCreateLoadBalancer", "Created load balancer %s with id %s", lbName, lb.ID)
			ev("SuccessfulCreateListener", "Created listener %s with id %s", lbName+"-"+fmt.Sprint(port), uuid.NewString())
			ev("SuccessfulCreatePool", "Created pool %s with id %s", lbName+"-"+fmt.Sprint(port), uuid.NewString())
			ev("SuccessfulCreateMonitor", "Created monitor %s with id %s", lbName+"-"+fmt.Sprint(port), uuid.NewString())
			status["apiServerLoadBalancer"] = map[string]any{"name": lbName, "id": lb.ID, "ip": host, "internalIP": lb.VIP}
		}
		if osc.get("spec", "disableAPIServerFloatingIP") != true {
			fip := uuid.NewString()
			ev("SuccessfulCreateFloatingIP", "Created floating IP %s with id %s", host, fip)
			ev("SuccessfulAssociateFloatingIP", "Associated floating IP %s with port %s", host, uuid.NewString())
		}
		osc.set(map[string]any{"host": host, "port": port}, "spec", "controlPlaneEndpoint")
		updated, err := m.k.update(ctx, rOSC, osc)
		if err != nil {
			return err
		}
		osc = updated
		osc["status"] = status
	}
	status["failureDomains"] = map[string]any{"nova": map[string]any{"controlPlane": true}}
	status["ready"] = true
	delete(status, "failureReason")
	delete(status, "failureMessage")
	_, err = m.k.updateStatus(ctx, rOSC, osc)
	m.poke()
	return err
}

func (m *Management) deleteOpenStackCluster(ctx context.Context, osc obj, capoName string) error {
	if !osc.hasFinalizer(oscFinalizer) {
		return nil
	}
	// CAPO deletes the cluster's resources once no machine of it is left.
	ev := func(reason, format string, args ...any) {
		m.rec.normal(ctx, osc, rOSC, capoComponent, reason, format, args...)
	}
	netName := "k8s-clusterapi-cluster-" + capoName
	if id := osc.str("status", "apiServerLoadBalancer", "id"); id != "" {
		ev("SuccessfulDeleteLoadBalancer", "Deleted load balancer %s with id %s", netName+"-kubeapi", id)
	}
	m.os.mu.Lock()
	for id, lb := range m.os.lbs {
		if lb.Name == netName+"-kubeapi" {
			delete(m.os.lbs, id)
		}
	}
	m.os.mu.Unlock()
	for _, key := range []string{"controlPlaneSecurityGroup", "workerSecurityGroup"} {
		if id := osc.str("status", key, "id"); id != "" {
			ev("SuccessfulDeleteSecurityGroup", "Deleted security group %s with id %s", osc.str("status", key, "name"), id)
		}
	}
	if id := osc.str("status", "router", "id"); id != "" {
		ev("SuccessfulDeleteRouter", "Deleted router %s with id %s", netName, id)
	}
	if id := osc.str("status", "network", "id"); id != "" {
		ev("SuccessfulDeleteNetwork", "Deleted network %s with id %s", netName, id)
	}
	m.stopWorkload(osc.namespace(), osc.label(labelClusterName))
	osc.setFinalizers(slices.DeleteFunc(osc.finalizers(), func(f string) bool { return f == oscFinalizer }))
	_, err := m.k.update(ctx, rOSC, osc)
	return err
}

// reconcileOpenStackMachine is CAPO's OpenStackMachine controller: it
// creates the server once the cluster's infrastructure is ready and the
// bootstrap data exists, and reports it ACTIVE after ServerBoot.
func (m *Management) reconcileOpenStackMachine(ctx context.Context, st *state, om obj) error {
	ns := om.namespace()
	machine := ownerMachine(st, om)
	if om.deleting() {
		return m.deleteOpenStackMachine(ctx, om)
	}
	if !om.hasFinalizer(osmFinalizer) {
		om.setFinalizers(append(om.finalizers(), osmFinalizer))
		_, err := m.k.update(ctx, rOSM, om)
		return err
	}
	if machine == nil || om.str("status", "failureReason") != "" {
		return nil
	}
	fresh := clone(om)
	cluster := st.find(rCluster, ns, om.label(labelClusterName))
	osc := (obj)(nil)
	if cluster != nil {
		osc = st.find(rOSC, ns, cluster.str("spec", "infrastructureRef", "name"))
	}
	if cluster == nil || !cluster.boolean("status", "infrastructureReady") || osc == nil {
		setConds(fresh, condFalse("InstanceReady", "WaitingForClusterInfrastructure", "Info", ""), condFalse("Ready", "WaitingForClusterInfrastructure", "Info", ""))
		return m.writeStatus(ctx, rOSM, om, fresh)
	}
	if machine.str("spec", "bootstrap", "dataSecretName") == "" {
		setConds(fresh, condFalse("InstanceReady", "WaitingForBootstrapData", "Info", ""), condFalse("Ready", "WaitingForBootstrapData", "Info", ""))
		return m.writeStatus(ctx, rOSM, om, fresh)
	}
	id := strings.TrimPrefix(om.str("spec", "providerID"), "openstack:///")
	m.os.mu.Lock()
	srv := m.os.servers[id]
	m.os.mu.Unlock()
	if srv == nil {
		sess, err := m.identity(ctx, ns, osc.str("spec", "identityRef", "name"))
		if err != nil {
			return err
		}
		srv, err = m.createServer(ctx, sess, om, osc)
		if err != nil {
			m.rec.warning(ctx, om, rOSM, capoComponent, "FailedCreateServer", "Failed to create server %s: %v", om.name(), err)
			setConds(fresh, condFalse("InstanceReady", "InstanceCreateFailed", "Error", "create OpenStack instance: "+err.Error()),
				condFalse("Ready", "InstanceCreateFailed", "Error", "create OpenStack instance: "+err.Error()))
			return m.writeStatus(ctx, rOSM, om, fresh)
		}
		m.rec.normal(ctx, om, rOSM, capoComponent, "SuccessfulCreateServer", "Created server %s with id %s", srv.Name, srv.ID)
		fresh.set("openstack:///"+srv.ID, "spec", "providerID")
		fresh.set(srv.ID, "spec", "instanceID")
		updated, err := m.k.update(ctx, rOSM, fresh)
		if err != nil {
			return err
		}
		om, fresh = updated, clone(updated)
	}
	state := srv.state(m.opts.ServerBoot)
	fresh.set(state, "status", "instanceState")
	switch state {
	case "ACTIVE":
		fresh.set(true, "status", "ready")
		fresh.set([]any{map[string]any{"type": "InternalIP", "address": srv.IP}}, "status", "addresses")
		setConds(fresh, condTrue("InstanceReady"), condTrue("APIServerIngressReady"), condTrue("Ready"))
	case "ERROR":
		msg := fmt.Sprintf("instance state %q is unexpected", state)
		fresh.set("UpdateError", "status", "failureReason")
		fresh.set(msg, "status", "failureMessage")
		m.rec.warning(ctx, om, rOSM, capoComponent, "FailedCreateServer", "Failed to create server %s: error creating OpenStack instance %s, status changed to error", srv.Name, srv.ID)
		setConds(fresh, condFalse("InstanceReady", "InstanceStateError", "Error", ""), condFalse("Ready", "InstanceStateError", "Error", ""))
	default:
		setConds(fresh, condFalse("InstanceReady", "InstanceNotReady", "Warning", "Instance state is not handled: "+state),
			condFalse("Ready", "InstanceNotReady", "Warning", "Instance state is not handled: "+state))
	}
	return m.writeStatus(ctx, rOSM, om, fresh)
}

// writeStatus writes fresh's status when it differs from o's.
func (m *Management) writeStatus(ctx context.Context, r resource, o, fresh obj) error {
	if jsonEqual(o.get("status"), fresh.get("status")) {
		return nil
	}
	_, err := m.k.updateStatus(ctx, r, fresh)
	if err == nil {
		m.poke()
	}
	return err
}

// state is what Nova shows for the server: BUILD until it has booted,
// then ACTIVE, or ERROR when no host could take it.
func (s *server) state(boot time.Duration) string {
	switch {
	case s.Fault != "":
		return "ERROR"
	case time.Since(s.Created) < boot:
		return "BUILD"
	}
	return "ACTIVE"
}

// createServer checks what Nova would check and records the server.
func (m *Management) createServer(ctx context.Context, sess *osSession, om, osc obj) (*server, error) {
	flavorName := om.str("spec", "flavor")
	var fl struct {
		Flavors []map[string]any `json:"flavors"`
	}
	if _, err := sess.call(ctx, "compute", "/flavors/detail", &fl); err != nil {
		return nil, fmt.Errorf("error getting flavor from flavor name %s: %v", flavorName, err)
	}
	var flavor map[string]any
	for _, f := range fl.Flavors {
		if f["name"] == flavorName {
			flavor = f
		}
	}
	if flavor == nil {
		return nil, fmt.Errorf("error getting flavor from flavor name %s: Resource not found", flavorName)
	}
	image := om.str("spec", "imageUUID")
	if image == "" {
		image = om.str("spec", "image")
	}
	if code, err := sess.call(ctx, "image", "/v2/images/"+url.PathEscape(image), nil); err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("error creating Openstack instance: Bad request with: [POST %s/servers], error message: {\"badRequest\": {\"code\": 400, \"message\": \"Image %s could not be found.\"}}",
			strings.TrimRight(sess.endpoints["compute"], "/"), image)
	}
	if key := om.str("spec", "sshKeyName"); key != "" {
		if code, err := sess.call(ctx, "compute", "/os-keypairs/"+url.PathEscape(key), nil); err != nil || code != http.StatusOK {
			return nil, fmt.Errorf("error creating Openstack instance: Bad request with: [POST %s/servers], error message: {\"badRequest\": {\"code\": 400, \"message\": \"Invalid key_name provided.\"}}",
				strings.TrimRight(sess.endpoints["compute"], "/"))
		}
	}
	srv := &server{ID: uuid.NewString(), Name: om.name(), Flavor: flavorName, Image: image, Created: time.Now(), IP: m.os.nextIP()}
	if n, ok := flavor["vcpus"].(float64); ok {
		srv.VCPUs = int(n)
	}
	if n, ok := flavor["ram"].(float64); ok {
		srv.RAM = int(n)
	}
	// Nova's scheduler: a flavor that requires a trait no hypervisor
	// has never finds a host.
	if specs, ok := asMap(flavor["extra_specs"]); ok {
		for k, v := range specs {
			if strings.HasPrefix(k, unschedulableTraitPf) && v == "required" {
				srv.Fault = noValidHost
			}
		}
	}
	m.os.mu.Lock()
	m.os.servers[srv.ID] = srv
	m.os.mu.Unlock()
	return srv, nil
}

func (cl *cloud) nextIP() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i := 10; ; i++ {
		ip := fmt.Sprintf("10.0.0.%d", i)
		if i > 250 {
			ip = fmt.Sprintf("10.0.%d.%d", i/250, i%250)
		}
		used := false
		for _, s := range cl.servers {
			used = used || s.IP == ip
		}
		if !used {
			return ip
		}
	}
}

func (m *Management) deleteOpenStackMachine(ctx context.Context, om obj) error {
	if !om.hasFinalizer(osmFinalizer) {
		return nil
	}
	id := strings.TrimPrefix(om.str("spec", "providerID"), "openstack:///")
	m.os.mu.Lock()
	srv := m.os.servers[id]
	delete(m.os.servers, id)
	m.os.mu.Unlock()
	if srv != nil {
		m.rec.normal(ctx, om, rOSM, capoComponent, "SuccessfulDeleteServer", "Deleted server %s with id %s", srv.Name, srv.ID)
	}
	om.setFinalizers(slices.DeleteFunc(om.finalizers(), func(f string) bool { return f == osmFinalizer }))
	_, err := m.k.update(ctx, rOSM, om)
	return err
}

func ownerMachine(st *state, o obj) obj {
	for _, r := range o.list("metadata", "ownerReferences") {
		if rm, ok := asMap(r); ok && rm["kind"] == "Machine" {
			name, _ := rm["name"].(string)
			return st.find(rMachine, o.namespace(), name)
		}
	}
	return nil
}

// OctaviaHandler answers the Octavia calls Magnum makes about a cluster's
// load balancers (magnum-cluster-api lists them before a delete, to remove
// those Kubernetes services made): the list of the caller's project.
func (m *Management) OctaviaHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"versions": []any{map[string]any{
			"id": "v2.0", "status": "CURRENT", "updated": "2025-03-01T00:00:00Z",
			"links": []any{map[string]any{"rel": "self", "href": "http://" + r.Host + "/v2"}},
		}}})
	})
	list := func(w http.ResponseWriter, r *http.Request) {
		project := r.URL.Query().Get("project_id")
		m.os.mu.Lock()
		out := []any{}
		for _, lb := range m.os.lbs {
			if project != "" && lb.ProjectID != project {
				continue
			}
			out = append(out, map[string]any{
				"id": lb.ID, "name": lb.Name, "description": lb.Description, "project_id": lb.ProjectID,
				"vip_address": lb.VIP, "provisioning_status": lb.Status, "operating_status": "ONLINE",
				"provider": "amphora", "admin_state_up": true, "listeners": []any{}, "pools": []any{},
				"created_at": lb.Created.UTC().Format("2006-01-02T15:04:05"),
			})
		}
		m.os.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"loadbalancers": out})
	}
	mux.HandleFunc("GET /v2/lbaas/loadbalancers", list)
	mux.HandleFunc("GET /v2.0/lbaas/loadbalancers", list)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"faultcode": "Client", "faultstring": "The stand-in serves no API at " + r.Method + " " + r.URL.Path + "."})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
