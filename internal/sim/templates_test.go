package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The field set of a cluster template POST response in the captures (#29).
var capturedTemplateFields = strings.Fields(`uuid name coe image_id flavor_id master_flavor_id dns_nameserver
	keypair_id external_network_id fixed_network fixed_subnet network_driver apiserver_port docker_volume_size
	cluster_distro links http_proxy https_proxy no_proxy volume_driver registry_enabled labels tls_disabled public
	server_type insecure_registry docker_storage_driver master_lb_enabled floating_ip_enabled project_id user_id
	hidden tags created_at updated_at`)

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestTemplateCreate(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	demo := s.Credentials("demo")

	r := m.do("POST", "/v1/clustertemplates", validTemplate("ct-1"))
	if r.status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.status, r.raw)
	}
	ct := r.body
	if got, want := keysOf(ct), sortedCopy(capturedTemplateFields); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	id := ct["uuid"].(string)
	if loc := r.header.Get("Location"); loc != s.URL()+"/container-infra/v1/clustertemplates/"+id {
		t.Errorf("Location = %q", loc)
	}
	labels := ct["labels"].(map[string]any)
	if labels["auto_healing_enabled"] != "True" || labels["max_node_count"] != "5" || labels["kube_tag"] != "v1.23.3-rancher1" {
		t.Errorf("labels not stored as Python strings: %v", labels)
	}
	for k, want := range map[string]any{
		"cluster_distro": "fedora-coreos", "project_id": demo.ProjectID, "user_id": demo.UserID,
		"floating_ip_enabled": true, "server_type": "vm", "public": false, "hidden": false, "tls_disabled": false,
		"updated_at": nil, "docker_volume_size": float64(5), "dns_nameserver": nil, "tags": nil,
	} {
		if ct[k] != want {
			t.Errorf("%s = %#v, want %#v", k, ct[k], want)
		}
	}
	// Python's isoformat, with microseconds unless they are zero.
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`).MatchString(ct["created_at"].(string)) {
		t.Errorf("created_at = %v", ct["created_at"])
	}
	links := ct["links"].([]any)
	if links[0].(map[string]any)["href"] != s.URL()+"/container-infra/v1/clustertemplates/"+id ||
		links[1].(map[string]any)["href"] != s.URL()+"/container-infra/clustertemplates/"+id {
		t.Errorf("links = %v", links)
	}
	if !s.TemplateExists(id) || s.TemplateExists("00000000-0000-0000-0000-000000000000") {
		t.Error("TemplateExists disagrees with the API")
	}
	got := m.do("GET", "/v1/clustertemplates/"+id, nil)
	if got.status != 200 || got.body["name"] != "ct-1" {
		t.Errorf("GET by uuid: %d %s", got.status, got.raw)
	}

	for _, tc := range []struct {
		name  string
		body  map[string]any
		check func(t *testing.T, ct map[string]any)
	}{
		{"defaults and generated name", map[string]any{"coe": "kubernetes", "image_id": "fedora-21-atomic-5"}, func(t *testing.T, ct map[string]any) {
			if !regexp.MustCompile(`^[a-z]+-\d\d-template$`).MatchString(ct["name"].(string)) {
				t.Errorf("generated name %q", ct["name"])
			}
			if ct["network_driver"] != "flannel" || ct["cluster_distro"] != "fedora-atomic" || len(ct["labels"].(map[string]any)) != 0 {
				t.Errorf("defaults: %v", ct)
			}
		}},
		{"uuid is accepted", with(validTemplate("ct-uuid"), "uuid", "11111111-2222-3333-4444-555555555555"), func(t *testing.T, ct map[string]any) {
			if ct["uuid"] != "11111111-2222-3333-4444-555555555555" {
				t.Errorf("uuid = %v", ct["uuid"])
			}
		}},
		{"string integer is coerced", with(validTemplate("ct-str"), "docker_volume_size", "5"), func(t *testing.T, ct map[string]any) {
			if ct["docker_volume_size"] != float64(5) {
				t.Errorf("docker_volume_size = %#v", ct["docker_volume_size"])
			}
		}},
		{"body cluster_distro is overwritten", with(validTemplate("ct-distro"), "cluster_distro", "coreos"), func(t *testing.T, ct map[string]any) {
			if ct["cluster_distro"] != "fedora-coreos" {
				t.Errorf("cluster_distro = %v", ct["cluster_distro"])
			}
		}},
		{"keypair is not checked", with(validTemplate("ct-kp"), "keypair_id", "missingkp"), func(t *testing.T, ct map[string]any) {}},
		{"image and flavor by id", with(validTemplate("ct-ids"), "image_id", "1a2b3c4d-0002-4000-8000-000000000035", "flavor_id", "2",
			"external_network_id", "5c1f8a3e-0001-4000-8000-0000000000aa"), func(t *testing.T, ct map[string]any) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, m.create("/v1/clustertemplates", tc.body))
		})
	}
}

// Every message below is the detail a running Magnum 15 returned
// (FINDINGS.md, transcripts.jsonl step 2).
func TestTemplateCreateErrors(t *testing.T) {
	s := startSim(t, Options{})
	base := validTemplate("ct-bad")
	long := strings.Repeat("x", 256)
	tests := []struct {
		name   string
		body   any
		status int
		detail string
	}{
		{"unknown field", with(base, "nosuchfield", 1), 400, "Unknown attribute for argument cluster_template: nosuchfield"},
		{"read-only field", with(base, "created_at", "2020-01-01T00:00:00"), 400, "Invalid input for field/attribute created_at. Value: '2020-01-01 00:00:00'. Cannot set read only field."},
		{"read-only project", with(base, "project_id", "x"), 400, "Invalid input for field/attribute project_id. Value: 'x'. Cannot set read only field."},
		{"no image", with(base, "image_id", deleteKey), 400, "Invalid input for field/attribute image_id. Value: 'None'. Mandatory field missing."},
		{"no coe", with(base, "coe", deleteKey), 400, "Requested COE type Unset is not supported."},
		{"coe outside enum", with(base, "coe", "nomad"), 400, "Invalid input for field/attribute coe. Value: 'nomad'. Value should be one of: swarm-mode, mesos, dcos, kubernetes, swarm"},
		{"coe mesos", with(base, "coe", "mesos"), 400, "Requested COE type mesos is not supported."},
		{"swarm on a k8s image", with(base, "coe", "swarm", "network_driver", "docker"), 400, "Cluster type (vm, fedora-coreos, swarm) not supported."},
		{"network driver", with(base, "network_driver", "weave"), 400, "Network driver type weave is not supported, expecting a flannel/calico/unspecified network driver."},
		{"swarm network driver", with(base, "coe", "swarm", "network_driver", "calico"), 400, "Network driver type calico is not supported, expecting a docker/flannel/unspecified network driver."},
		{"volume driver", with(base, "volume_driver", "rexray"), 400, "Volume driver type rexray is not supported, expecting a cinder/unspecified volume driver."},
		{"server type", with(base, "server_type", "container"), 400, "Invalid input for field/attribute server_type. Value: 'container'. Value should be one of: bm, vm"},
		{"image not in glance", with(base, "image_id", "no-such-image"), 400, "Cluster type (vm, Unset, kubernetes) not supported."},
		{"image without os_distro", with(base, "image_id", "no-distro-image"), 400, "Cluster type (vm, None, kubernetes) not supported."},
		{"image without os_distro, distro given", with(base, "image_id", "no-distro-image", "cluster_distro", "fedora-coreos"), 400, "Image no-distro-image doesn't contain os_distro field."},
		{"flavor", with(base, "flavor_id", "m1.nope"), 400, "Unable to find flavor m1.nope."},
		{"master flavor", with(base, "master_flavor_id", "m1.nope"), 400, "Unable to find flavor m1.nope."},
		{"external network", with(base, "external_network_id", "nonet"), 400, "Unable to find external network nonet."},
		{"network that is not external", with(base, "external_network_id", "private"), 400, "Unable to find external network private."},
		{"volume size", with(base, "docker_volume_size", 0), 400, "Invalid input for field/attribute docker_volume_size. Value: '0'. Value should be greater or equal to 1"},
		{"volume size not a number", with(base, "docker_volume_size", "big"), 400, "Invalid input for field/attribute docker_volume_size. Value: 'big'. invalid literal for int() with base 10: 'big'"},
		{"devicemapper", with(base, "docker_storage_driver", "devicemapper", "docker_volume_size", 2), 400, "docker volume size 2 GB is not valid, expecting minimum value 3GB for devicemapper storage driver."},
		{"label list", with(base, "labels", map[string]any{"a": []int{1}}), 400, "Invalid input for field/attribute labels. Value: '{'a': [1]}'. Wrong type. Expected '(<class 'str'>, (<class 'int'>,), <class 'bool'>, <class 'float'>)', got '<class 'list'>'"},
		{"label null", with(base, "labels", map[string]any{"a": nil}), 500, "Field `labels[a]' cannot be None"},
		{"labels not a dict", map[string]any{"coe": "kubernetes", "image_id": "fedora-coreos-35", "labels": "a=b"}, 400, "Invalid input for field/attribute cluster_template. Value: '{'coe': 'kubernetes', 'image_id': 'fedora-coreos-35', 'labels': 'a=b'}'. Value not a valid dict: a=b"},
		{"apiserver port", with(base, "apiserver_port", 80), 400, "Invalid input for field/attribute apiserver_port. Value: '80'. Value should be greater or equal to 1024"},
		{"dns", with(base, "dns_nameserver", "not-an-ip"), 400, "Expected a single dns address or comma separated dns list, but received not-an-ip."},
		{"name too long", with(base, "name", long), 400, "Invalid input for field/attribute name. Value: '" + long + "'. Value should have a maximum character requirement of 255"},
		{"name not a string", with(base, "name", 5), 400, "Invalid input for field/attribute name. Value: '5'. Value should be string"},
		{"public needs admin", with(base, "public", true), 403, "Not authorized to set public or hidden flag for cluster template."},
		{"hidden needs admin", with(base, "hidden", true), 403, "Not authorized to set public or hidden flag for cluster template."},
		{"ambiguous boolean", with(base, "tls_disabled", "maybe"), 400, "Invalid input for field/attribute tls_disabled. Value: 'maybe'. Value not an unambiguous boolean: maybe"},
		{"bad uuid", with(base, "uuid", "nope"), 400, "Expected a uuid but received nope."},
		{"bad json", "{bad json", 400, "Request is not in valid JSON format"},
	}
	m := newMagnum(t, s, "demo")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantMagnumError(t, m.do("POST", "/v1/clustertemplates", tc.body), tc.status, tc.detail)
		})
	}
	t.Run("content type", func(t *testing.T) {
		r := m.do("POST", "/v1/clustertemplates", base, "Content-Type", "text/plain")
		wantMagnumError(t, r, 415, "Unknown mimetype: text/plain")
	})
	t.Run("duplicate uuid", func(t *testing.T) {
		body := with(base, "uuid", "11111111-2222-3333-4444-555555555555")
		m.create("/v1/clustertemplates", body)
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", body), 409, "A ClusterTemplate with UUID 11111111-2222-3333-4444-555555555555 already exists.")
	})
	if n := len(s.services().magnum.st.templates); n != 1 {
		t.Errorf("%d templates stored after failed creates, want 1", n)
	}
}

func TestTemplateProjectIsolation(t *testing.T) {
	s := startSim(t, Options{})
	demo, demo2, alt, admin := newMagnum(t, s, "demo"), newMagnum(t, s, "demo2"), newMagnum(t, s, "alt"), newMagnum(t, s, "admin")
	private := demo.create("/v1/clustertemplates", validTemplate("ct-private"))["uuid"].(string)
	public := admin.create("/v1/clustertemplates", with(validTemplate("ct-public"), "public", true))["uuid"].(string)
	hidden := admin.create("/v1/clustertemplates", with(validTemplate("ct-hidden"), "public", true, "hidden", true))["uuid"].(string)

	names := func(m *magnum) string {
		r := m.do("GET", "/v1/clustertemplates", nil)
		var out []string
		for _, ct := range r.body["clustertemplates"].([]any) {
			out = append(out, ct.(map[string]any)["name"].(string))
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		who  *magnum
		want string
	}{
		{demo, "ct-private ct-public"},
		{demo2, "ct-private ct-public"},
		{alt, "ct-public"},
		{admin, "ct-hidden ct-private ct-public"},
	} {
		if got := names(tc.who); got != tc.want {
			t.Errorf("list = %q, want %q", got, tc.want)
		}
	}

	nf := func(id string) string { return "ClusterTemplate " + id + " could not be found." }
	patch := `[{"op":"replace","path":"/docker_volume_size","value":9}]`
	for _, tc := range []struct {
		name         string
		m            *magnum
		method, path string
		body         any
		status       int
		detail       string
	}{
		{"other project's private by uuid", alt, "GET", private, nil, 404, nf(private)},
		{"other project's private by name", alt, "GET", "ct-private", nil, 404, nf("ct-private")},
		{"other project's private PATCH", alt, "PATCH", private, patch, 404, nf(private)},
		{"other project's private DELETE", alt, "DELETE", private, nil, 404, nf(private)},
		{"same project, other user", demo2, "GET", private, nil, 200, ""},
		{"public by uuid", alt, "GET", public, nil, 200, ""},
		{"public by name", alt, "GET", "ct-public", nil, 200, ""},
		{"public hidden by uuid", alt, "GET", hidden, nil, 200, ""},
		{"non-owner PATCH of public", alt, "PATCH", public, patch, 403, "Policy doesn't allow clustertemplate:update to be performed."},
		{"non-owner DELETE of public", alt, "DELETE", public, nil, 403, "Policy doesn't allow clustertemplate:delete to be performed."},
		{"admin GET of another's", admin, "GET", private, nil, 200, ""},
		{"admin PATCH of another's", admin, "PATCH", private, `[{"op":"replace","path":"/public","value":true}]`, 404, nf(private)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.m.do(tc.method, "/v1/clustertemplates/"+tc.path, tc.body)
			if tc.status == 200 {
				if r.status != 200 {
					t.Errorf("%d %s", r.status, r.raw)
				}
				return
			}
			wantMagnumError(t, r, tc.status, tc.detail)
		})
	}
}

func TestTemplateNameLookup(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	m.create("/v1/clustertemplates", validTemplate("twin"))
	id := m.create("/v1/clustertemplates", validTemplate("twin"))["uuid"].(string)
	conflict := "Multiple ClusterTemplates exist with same name. Please use the ClusterTemplate uuid instead."
	wantMagnumError(t, m.do("GET", "/v1/clustertemplates/twin", nil), 409, conflict)
	wantMagnumError(t, m.do("PATCH", "/v1/clustertemplates/twin", `[{"op":"replace","path":"/name","value":"x"}]`), 409, conflict)
	wantMagnumError(t, m.do("GET", "/v1/clustertemplates/00000000-0000-0000-0000-000000000000", nil), 404,
		"ClusterTemplate 00000000-0000-0000-0000-000000000000 could not be found.")
	if r := m.do("DELETE", "/v1/clustertemplates/"+id, nil); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	if r := m.do("GET", "/v1/clustertemplates/twin", nil); r.status != 200 {
		t.Errorf("name lookup once unique: %d", r.status)
	}
}

func TestTemplatePaging(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	var ids []string
	for _, n := range []string{"c", "a", "b"} {
		ids = append(ids, m.create("/v1/clustertemplates", validTemplate(n))["uuid"].(string))
	}
	list := func(query string) (string, string) {
		t.Helper()
		r := m.do("GET", "/v1/clustertemplates"+query, nil)
		if r.status != 200 {
			t.Fatalf("GET ?%s: %d %s", query, r.status, r.raw)
		}
		var names []string
		for _, ct := range r.body["clustertemplates"].([]any) {
			names = append(names, ct.(map[string]any)["name"].(string))
		}
		next, _ := r.body["next"].(string)
		return strings.Join(names, ","), next
	}
	names, next := list("?limit=2")
	if names != "c,a" || next != s.URL()+"/container-infra/v1/clustertemplates?sort_key=id&sort_dir=asc&limit=2&marker="+ids[1] {
		t.Errorf("page 1 = %q next %q", names, next)
	}
	if names, next = list("?limit=2&marker=" + ids[1]); names != "b" || next != "" {
		t.Errorf("page 2 = %q next %q", names, next)
	}
	if names, _ = list("?sort_key=name&sort_dir=desc"); names != "c,b,a" {
		t.Errorf("sort by name desc = %q", names)
	}
	if names, _ = list("/detail?sort_key=name"); names != "a,b,c" {
		t.Errorf("detail sorted by name = %q", names)
	}
	if _, next = list(""); next != "" {
		t.Errorf("a short default page has next %q", next)
	}
	for _, tc := range []struct {
		query  string
		status int
		detail string
	}{
		{"?limit=0", 400, "Limit must be positive"},
		{"?limit=-3", 400, "Limit must be positive"},
		{"?limit=abc", 400, "Invalid input for field/attribute limit. Value: 'abc'. unable to convert to int"},
		{"?sort_dir=up", 400, "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'"},
		{"?sort_key=nosuchkey", 400, `The sort_key value "nosuchkey" is an invalid field for sorting`},
		{"?marker=00000000-0000-0000-0000-000000000000", 404, "ClusterTemplate 00000000-0000-0000-0000-000000000000 could not be found."},
		{"?all_tenants=true", 400, `Unknown argument: "all_tenants"`},
	} {
		wantMagnumError(t, m.do("GET", "/v1/clustertemplates"+tc.query, nil), tc.status, tc.detail)
	}
}

func TestBaymodels(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	m.version = "" // baymodel clients send no header: 1.1
	base := with(validTemplate("bm-1"), "labels", map[string]any{"kube_tag": "v1.23.3-rancher1"})
	bm := m.create("/v1/baymodels", base)
	wantKeys := []string{}
	for _, f := range capturedTemplateFields {
		if f != "project_id" && f != "user_id" {
			wantKeys = append(wantKeys, f)
		}
	}
	if got := keysOf(bm); strings.Join(got, " ") != strings.Join(sortedCopy(wantKeys), " ") {
		t.Errorf("baymodel fields %v", got)
	}
	id := bm["uuid"].(string)
	if got := m.do("GET", "/v1/clustertemplates/"+id, nil); got.status != 200 || got.body["project_id"] == nil {
		t.Errorf("baymodel through /clustertemplates: %d %s", got.status, got.raw)
	}
	gen := m.create("/v1/baymodels", with(base, "name", deleteKey))
	if !regexp.MustCompile(`^[a-z]+-\d\d-model$`).MatchString(gen["name"].(string)) {
		t.Errorf("generated baymodel name %q", gen["name"])
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		detail string
	}{
		{"keypair mandatory", with(base, "keypair_id", deleteKey), "Invalid input for field/attribute keypair_id. Value: 'None'. Mandatory field missing."},
		{"labels are strings", with(base, "labels", map[string]any{"a": true}), "Invalid input for field/attribute labels. Value: '{'a': True}'. Wrong type. Expected '<class 'str'>', got '<class 'bool'>'"},
		{"single IPv4 dns", with(base, "dns_nameserver", "8.8.8.8,1.1.1.1"), "Invalid input for field/attribute dns_nameserver. Value: '8.8.8.8,1.1.1.1'. Value should be IPv4 format"},
		{"no project_id", with(base, "project_id", "x"), "Unknown attribute for argument baymodel: project_id"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantMagnumError(t, m.do("POST", "/v1/baymodels", tc.body), 400, tc.detail) })
	}
	wantMagnumError(t, m.do("PATCH", "/v1/baymodels/"+id, `[{"op":"remove","path":"/keypair_id"}]`), 400,
		"'/keypair_id' is a mandatory attribute and can not be removed")
	r := m.do("PATCH", "/v1/baymodels/"+id, `[{"op":"replace","path":"/labels","value":"{'a': 'b'}"}]`)
	if r.status != 200 || fmt.Sprint(r.body["labels"]) != "map[a:b]" {
		t.Errorf("baymodel labels patch: %d %s", r.status, r.raw)
	}
	r = m.do("GET", "/v1/baymodels", nil)
	if items := r.body["baymodels"].([]any); len(items) != 2 {
		t.Errorf("baymodel list has %d items", len(items))
	}
	if r := m.do("DELETE", "/v1/baymodels/"+id, nil); r.status != 204 {
		t.Errorf("DELETE baymodel: %d", r.status)
	}
}

func TestTemplateProfiles(t *testing.T) {
	t.Run("master is kubernetes on Cluster API images only", func(t *testing.T) {
		s := startSim(t, Options{Profile: "master"})
		m := newMagnum(t, s, "demo")
		base := with(validTemplate("capi"), "image_id", "ubuntu-2204-kube-v1.30.2", "network_driver", "calico")
		ct := m.create("/v1/clustertemplates", base)
		// No magnum_driver on the image and none in the request: the
		// default driver, alphabetically first without [drivers]
		// default_driver (cb49cb1a).
		if ct["cluster_distro"] != "ubuntu" || ct["driver"] != "k8s_cluster_api_flatcar" {
			t.Errorf("master template = %v", ct)
		}
		if ct := m.create("/v1/clustertemplates", with(base, "name", "capi2", "driver", "k8s_capi_helm_v1")); ct["driver"] != "k8s_capi_helm_v1" {
			t.Errorf("master template with a driver = %v, want the request's driver", ct["driver"])
		}
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "coe", "swarm")), 400,
			"Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes")
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "image_id", "fedora-coreos-35")), 400,
			"Cluster type (vm, fedora-coreos, kubernetes) not supported.")
		if r := m.do("POST", "/v1/clustertemplates", with(base, "network_driver", "cilium")); r.status != 201 {
			t.Errorf("cilium on master: %d %s", r.status, r.raw)
		}
	})
	t.Run("2025.1 is kubernetes on the Heat fedora-coreos driver, named only by an image property", func(t *testing.T) {
		s := startSim(t, Options{Profile: "2025.1"})
		m := newMagnum(t, s, "demo")
		base := validTemplate("heat")
		ct := m.create("/v1/clustertemplates", base)
		if ct["cluster_distro"] != "fedora-coreos" || ct["driver"] != nil {
			t.Errorf("2025.1 template = %v, want driver null (the image has no magnum_driver)", ct)
		}
		if ct := m.create("/v1/clustertemplates", with(base, "name", "named", "image_id", "fedora-coreos-35-heat")); ct["driver"] != "k8s_fedora_coreos_v1" {
			t.Errorf("2025.1 template on an image with magnum_driver: driver = %v", ct["driver"])
		}
		if ct := m.create("/v1/clustertemplates", with(base, "name", "asked", "driver", "k8s_capi_helm_v1")); ct["driver"] != nil {
			t.Errorf("2025.1 template with a driver in the request: driver = %v, want null (Magnum 20 overwrites it)", ct["driver"])
		}
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "image_id", "no-such-driver-image")), 400,
			"Cluster driver (no_such_driver) not supported.")
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "coe", "swarm")), 400,
			"Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes")
		for _, img := range []string{"ubuntu-2204-kube-v1.30.2", "fedora-21-atomic-5"} {
			r := m.do("POST", "/v1/clustertemplates", with(base, "image_id", img))
			if r.status != 400 || !strings.Contains(string(r.raw), "Cluster type (vm, ") {
				t.Errorf("%s on 2025.1: %d %s", img, r.status, r.raw)
			}
		}
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "image_id", "no-distro-image", "cluster_distro", "fedora-coreos")), 400,
			"Cluster type (vm, None, kubernetes) not supported.")
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "network_driver", "weave")), 400,
			"Network driver type weave is not supported, expecting a flannel/calico/cilium/unspecified network driver.")
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(base, "network_driver", "cilium")), 400,
			"Network driver type cilium is not allowed, expecting a flannel/calico/unspecified network driver. ")
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`).MatchString(ct["created_at"].(string)) {
			t.Errorf("created_at = %v, want isoformat with optional microseconds", ct["created_at"])
		}
	})
	t.Run("zed knows no Cluster API driver", func(t *testing.T) {
		s := startSim(t, Options{})
		m := newMagnum(t, s, "demo")
		wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(validTemplate("x"), "image_id", "ubuntu-2204-kube-v1.30.2")), 400,
			"Cluster type (vm, ubuntu, kubernetes) not supported.")
	})
}
