package difftest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// step is one request of the script, modelled on the captures'
// capture.py: the same calls, users and microversions. Paths and bodies may
// name variables as {name}, filled from earlier answers (save) or set up
// by the runner ({project:demo}).
type step struct {
	name    string
	who     string // account; "" no token; "bogus" an invalid token
	method  string
	path    string
	version string // "1.10" when empty; "-" sends no header
	body    any    // JSON-encoded; a string is sent as it is
	ctype   string
	// save stores a field of a 2xx answer (e.g. "uuid") as a variable.
	save string
	as   string
	// until makes the step a poll: GET path until the answer satisfies it.
	until func(status int, body any) bool
	// failing names a cluster that must fail to build (see
	// target.beforeFailingCreate).
	failing string
	// timeout bounds a poll step; the runner's when zero.
	timeout time.Duration
	// needs names a variable an earlier step saved: without it (that step
	// was refused) the step is recorded as skipped, not sent.
	needs string
	// onTemplate makes a poll step wait, too, until the cluster's
	// cluster_template_id is this (expanded) template.
	onTemplate string
	// untilFresh, in place of until, makes a new condition for each run of
	// the step, for conditions that remember earlier polls (both targets
	// run the same steps at once).
	untilFresh func() func(status int, body any) bool
}

// untilStatus is satisfied by any of the statuses, or by an answer that
// says there is nothing to wait for: a 404 (the object, or on 2025.1 the
// whole bay API, is gone) or a 405.
func untilStatus(statuses ...string) func(int, any) bool {
	return func(code int, body any) bool {
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			return true
		}
		m, _ := body.(map[string]any)
		st, _ := m["status"].(string)
		for _, s := range statuses {
			if st == s {
				return true
			}
		}
		return false
	}
}

func untilGone(code int, _ any) bool { return code == http.StatusNotFound }

// createNotFoundGrace is how long the wait right after a create takes a 404
// for "not yet". Zed's conductor, not its API, inserts a new cluster's row,
// so a GET sent right after the POST can miss it while the conductor has
// not taken the cast: in a clean-clone CI run at load 24 the
// application-credential cluster's first GET did, and the wait ended there
// while the simulator's answered 200.
const createNotFoundGrace = 30 * time.Second

// untilCreated is untilStatus for the wait after a create, with a 404 taken
// for "not yet" during createNotFoundGrace from the first poll.
func untilCreated(statuses ...string) func() func(int, any) bool {
	return func() func(int, any) bool {
		var first time.Time
		done := untilStatus(statuses...)
		return func(code int, body any) bool {
			if first.IsZero() {
				first = time.Now()
			}
			if code == http.StatusNotFound && time.Since(first) < createNotFoundGrace {
				return false
			}
			return done(code, body)
		}
	}
}

// ctBody is the template of capture.py's ct_body.
func ctBody(name string, over map[string]any) map[string]any {
	b := map[string]any{
		"coe": "kubernetes", "image_id": "fedora-coreos-35", "keypair_id": "testkey",
		"external_network_id": "public", "flavor_id": "m1.small", "master_flavor_id": "m1.small",
		"docker_volume_size": 5, "network_driver": "flannel",
		"labels": map[string]any{"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": true, "max_node_count": 5},
	}
	if name != "" {
		b["name"] = name
	}
	for k, v := range over {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

func patch(op, path string, value any) []any {
	p := map[string]any{"op": op, "path": path}
	if value != nil {
		p["value"] = value
	}
	return []any{p}
}

// csrPEM is a plain CSR, subject only, as magnumclient sends.
func csrPEM() string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
	}, key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// script is the whole sequence for one run id. Clusters and bays are
// started early and waited for late, so their ten-second conductor polls
// overlap the quick steps.
func script(run string, rel release) []step {
	ct, bm := "dt-ct-"+run, "dt-bm-"+run
	ct2 := "dt-ct2-" + run
	c, bay, baynl, cf := "dt-c-"+run, "dt-bay-"+run, "dt-baynl-"+run, "dt-fail-"+run
	cfn := "dt-fail-byname-" + run
	acbay := "dt-acbay-" + run
	csr := csrPEM()
	V := ""
	return []step{
		// 1. versions and the gate in front of every call
		{name: "root", who: "", method: "GET", path: "/", version: "-"},
		{name: "v1", who: "", method: "GET", path: "/v1/", version: "-"},
		{name: "v1-latest", who: "", method: "GET", path: "/v1/", version: "latest"},
		{name: "mv-max", who: "demo", method: "GET", path: "/v1/clustertemplates", version: rel.maxVersion},
		{name: "mv-too-high", who: "demo", method: "GET", path: "/v1/clustertemplates", version: rel.tooHigh},
		{name: "mv-too-low", who: "demo", method: "GET", path: "/v1/clustertemplates", version: "1.0"},
		{name: "mv-malformed", who: "demo", method: "GET", path: "/v1/clustertemplates", version: "container-infra 1"},
		{name: "mv-other-service", who: "demo", method: "GET", path: "/v1/clustertemplates", version: "foo 1.1"},
		{name: "no-token", who: "", method: "GET", path: "/v1/clusters"},
		{name: "bad-token", who: "bogus", method: "GET", path: "/v1/clusters"},
		{name: "unknown-path", who: "demo", method: "GET", path: "/v1/nosuch"},
		{name: "unknown-path-post", who: "demo", method: "POST", path: "/v1/nosuch", body: map[string]any{}},
		{name: "unknown-path-delete", who: "demo", method: "DELETE", path: "/v1/nosuch/x"},
		{name: "put-cluster", who: "demo", method: "PUT", path: "/v1/clusters/x", body: map[string]any{}},
		{name: "mservices-non-admin", who: "demo", method: "GET", path: "/v1/mservices"},
		{name: "stats-other-project", who: "demo", method: "GET", path: "/v1/stats?project_id={project:alt}", version: "-"},
		{name: "stats-bad-type", who: "demo", method: "GET", path: "/v1/stats?type=node", version: "-"},

		// 2. cluster templates
		{name: "ct-create", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody(ct, nil), save: "uuid", as: "ct"},
		{name: "ct-create-default-name", who: "demo", method: "POST", path: "/v1/clustertemplates", version: "1.1",
			body: ctBody("", map[string]any{"labels": map[string]any{}, "docker_volume_size": nil}), save: "uuid", as: "ctdef"},
		{name: "ct-get", who: "demo", method: "GET", path: "/v1/clustertemplates/{ct}"},
		{name: "ct-get-by-name", who: "demo", method: "GET", path: "/v1/clustertemplates/" + ct},
		{name: "ct-list", who: "demo", method: "GET", path: "/v1/clustertemplates"},
		{name: "ct-detail", who: "demo", method: "GET", path: "/v1/clustertemplates/detail"},
		{name: "ct-limit-0", who: "demo", method: "GET", path: "/v1/clustertemplates?limit=0"},
		{name: "ct-sort-dir-bad", who: "demo", method: "GET", path: "/v1/clustertemplates?sort_dir=up"},
		{name: "ct-sort-key-bad", who: "demo", method: "GET", path: "/v1/clustertemplates?sort_key=nosuchkey"},
		{name: "ct-get-missing-uuid", who: "demo", method: "GET", path: "/v1/clustertemplates/00000000-0000-0000-0000-000000000000"},
		{name: "ct-get-missing-name", who: "demo", method: "GET", path: "/v1/clustertemplates/no-such-template"},
		{name: "ct-create-duplicate", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody(ct, nil), save: "uuid", as: "ctdup"},
		{name: "ct-get-ambiguous", who: "demo", method: "GET", path: "/v1/clustertemplates/" + ct},
		{name: "ct-delete-duplicate", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctdup}"},
		{name: "ct-patch-volume", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", 10)},
		{name: "ct-patch-volume-again", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", 11)},
		{name: "ct-patch-labels-string", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}",
			body: patch("replace", "/labels", "{'kube_tag': 'v1.23.3-rancher1', 'auto_healing_enabled': True, 'max_node_count': 5, 'foo': 'bar'}")},
		{name: "ct-patch-value-dict", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/labels", map[string]any{"a": "b"})},
		{name: "ct-patch-labels-not-literal", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/labels", "not a dict")},
		{name: "ct-patch-master-lb-bool", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/master_lb_enabled", false)},
		{name: "ct-patch-volume-string", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", "12")},
		{name: "ct-patch-remove-mandatory", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("remove", "/network_driver", nil)},
		{name: "ct-patch-remove-null", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("remove", "/http_proxy", nil)},
		{name: "ct-patch-add-existing", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("add", "/name", "x")},
		{name: "ct-patch-unknown-path", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/nosuchfield", "x")},
		{name: "ct-patch-uuid", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/uuid", "x")},
		{name: "ct-patch-no-value", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: []any{map[string]any{"op": "replace", "path": "/name"}}},
		{name: "ct-patch-move", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: []any{map[string]any{"op": "move", "path": "/name", "from": "/coe"}}},
		{name: "ct-patch-not-a-list", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: map[string]any{"op": "replace", "path": "/name", "value": "x"}},
		{name: "ct-patch-bad-json", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: "[{"},
		{name: "ct-patch-json-patch-type", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}",
			body: patch("replace", "/docker_volume_size", 10), ctype: "application/json-patch+json"},
		{name: "ct-patch-missing-image", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/image_id", "no-such-image")},
		{name: "ct-create-text-plain", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, nil), ctype: "text/plain"},
		{name: "ct-create-bad-coe", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"coe": "nomad"})},
		{name: "ct-create-no-coe", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"coe": nil})},
		{name: "ct-create-mesos", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"coe": "mesos"})},
		{name: "ct-create-no-image", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"image_id": nil})},
		{name: "ct-create-unknown-image", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"image_id": "no-such-image"})},
		{name: "ct-create-image-without-distro", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"image_id": "no-distro-image"})},
		{name: "ct-create-distro-without-os-distro", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-x-"+run, map[string]any{"image_id": "no-distro-image", "cluster_distro": "fedora-coreos"})},
		{name: "ct-create-swarm-on-coreos", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"coe": "swarm"})},
		{name: "ct-create-unknown-flavor", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"flavor_id": "m1.nope"})},
		{name: "ct-create-unknown-network", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"external_network_id": "nonet"})},
		{name: "ct-create-bad-network-driver", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"network_driver": "weave"})},
		{name: "ct-create-bad-volume-driver", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"volume_driver": "rexray"})},
		{name: "ct-create-bad-server-type", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"server_type": "container"})},
		{name: "ct-create-volume-zero", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"docker_volume_size": 0})},
		{name: "ct-create-devicemapper-small", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-x-"+run, map[string]any{"docker_volume_size": 2, "docker_storage_driver": "devicemapper"})},
		{name: "ct-create-port-low", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"apiserver_port": 80})},
		{name: "ct-create-bad-dns", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"dns_nameserver": "not-an-ip"})},
		{name: "ct-create-unknown-field", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"nosuchfield": 1})},
		{name: "ct-create-read-only", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"created_at": "2020-01-01T00:00:00"})},
		{name: "ct-create-label-null", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"labels": map[string]any{"a": nil}})},
		{name: "ct-create-label-list", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"labels": map[string]any{"a": []any{1}}})},
		{name: "ct-create-public-non-admin", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"public": true})},
		{name: "ct-create-name-too-long", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody(strings.Repeat("x", 256), nil)},
		// Images with a magnum_driver property (Magnum 18 on reads it).
		{name: "ct-create-magnum-driver", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-drv-"+run, map[string]any{"image_id": "fedora-coreos-35-heat"}), save: "uuid", as: "ctdrv"},
		{name: "ct-delete-magnum-driver", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctdrv}", needs: "ctdrv"},
		{name: "ct-create-unknown-magnum-driver", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-x-"+run, map[string]any{"image_id": "no-such-driver-image"})},
		{name: "ct-create-driver-in-request", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-rd-"+run, map[string]any{"driver": "k8s_capi_helm_v1"}), save: "uuid", as: "ctrd"},
		{name: "ct-delete-driver-in-request", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctrd}", needs: "ctrd"},
		{name: "ct-create-cilium", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"network_driver": "cilium"})},
		{name: "ct-create-label-dict", who: "demo", method: "POST", path: "/v1/clustertemplates", body: ctBody("dt-x-"+run, map[string]any{"labels": map[string]any{"a": map[string]any{"b": 1}}})},
		{name: "ct2-create", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody(ct2, map[string]any{"labels": map[string]any{"kube_tag": "v1.24.16-rancher1"}}), save: "uuid", as: "ct2"},
		{name: "ct-create-missing-keypair", who: "demo", method: "POST", path: "/v1/clustertemplates",
			body: ctBody("dt-kp-"+run, map[string]any{"keypair_id": "missingkp"}), save: "uuid", as: "ctkp"},
		{name: "ct-delete-missing-keypair", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctkp}"},

		// 3. baymodels: the same table through the old API
		{name: "bm-create", who: "demo", method: "POST", path: "/v1/baymodels", version: V,
			body: ctBody(bm, map[string]any{"labels": map[string]any{"kube_tag": "v1.23.3-rancher1"}}), save: "uuid", as: "bm"},
		{name: "bm-get", who: "demo", method: "GET", path: "/v1/baymodels/{bm}"},
		{name: "bm-list", who: "demo", method: "GET", path: "/v1/baymodels"},
		{name: "bm-as-template", who: "demo", method: "GET", path: "/v1/clustertemplates/{bm}"},
		{name: "ct-as-baymodel", who: "demo", method: "GET", path: "/v1/baymodels/{ct}"},
		{name: "bm-patch-name", who: "demo", method: "PATCH", path: "/v1/baymodels/{bm}", body: patch("replace", "/name", bm+"-r")},
		{name: "bm-label-bool", who: "demo", method: "POST", path: "/v1/baymodels", body: ctBody("dt-x-"+run, map[string]any{"labels": map[string]any{"a": true}})},
		{name: "bm-dns-list", who: "demo", method: "POST", path: "/v1/baymodels", body: ctBody("dt-x-"+run, map[string]any{"dns_nameserver": "8.8.8.8,1.1.1.1"})},
		{name: "bm-no-keypair", who: "demo", method: "POST", path: "/v1/baymodels", body: ctBody("dt-x-"+run, map[string]any{"keypair_id": nil})},

		// 4. clusters and bays, started together
		{name: "c-create", who: "demo", method: "POST", path: "/v1/clusters",
			body: map[string]any{"name": c, "cluster_template_id": "{ct}", "node_count": 1}, save: "uuid", as: "c"},
		{name: "bay-create", who: "demo", method: "POST", path: "/v1/bays", version: "1.2",
			body: map[string]any{"name": bay, "baymodel_id": "{bm}", "node_count": 1, "master_count": 1, "bay_create_timeout": 60, "labels": map[string]any{}}, save: "uuid", as: "bay"},
		{name: "bay-create-without-labels", who: "demo", method: "POST", path: "/v1/bays", version: "1.2",
			body: map[string]any{"name": baynl, "baymodel_id": "{bm}", "node_count": 1, "master_count": 1, "bay_create_timeout": 60}, save: "uuid", as: "baynl"},
		{name: "c-create-failing", who: "demo", method: "POST", path: "/v1/clusters", failing: cf,
			body: map[string]any{"name": cf, "cluster_template_id": "{ct}", "node_count": 1}, save: "uuid", as: "cf"},
		// The template by name: Magnum 18 to 21 look it up by UUID in the
		// master-size check (fixed in 22.0 by a950ce71). Where that works,
		// the cluster fails in Heat and is deleted with the others.
		{name: "c-create-template-by-name", who: "demo", method: "POST", path: "/v1/clusters", failing: cfn,
			body: map[string]any{"name": cfn, "cluster_template_id": ct, "node_count": 1}, save: "uuid", as: "cfn"},
		{name: "c-create-template-by-name-1.9", who: "demo", method: "POST", path: "/v1/clusters", version: "1.9",
			body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": ct, "master_count": 2}},
		{name: "c-create-no-template", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run}},
		{name: "c-create-unknown-template", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "nosuch"}},
		{name: "c-create-unknown-template-1.9", who: "demo", method: "POST", path: "/v1/clusters", version: "1.9", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "nosuch"}},
		{name: "c-create-masters-without-lb", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "master_count": 2}},
		{name: "c-create-three-masters-without-lb", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "master_count": 3}},
		{name: "c-create-bad-name", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "1bad", "cluster_template_id": "{ct}"}},
		{name: "c-create-negative-nodes", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "node_count": -1}},
		{name: "c-create-negative-timeout", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "create_timeout": -1}},
		{name: "c-create-labels-string", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "labels": "a=b"}},
		{name: "c-create-unknown-field", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "foo": 1}},
		{name: "c-create-missing-keypair", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}", "keypair": "missingkp"}},
		{name: "bay-create-zero-nodes", who: "demo", method: "POST", path: "/v1/bays", version: "1.2", body: map[string]any{"name": "dt-x-" + run, "baymodel_id": "{bm}", "node_count": 0, "labels": map[string]any{}}},
		{name: "bay-create-unknown-baymodel", who: "demo", method: "POST", path: "/v1/bays", version: "1.2", body: map[string]any{"name": "dt-x-" + run, "baymodel_id": "no-such-bm", "labels": map[string]any{}}},
		{name: "bay-create-cluster-field", who: "demo", method: "POST", path: "/v1/bays", version: "1.2", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{bm}", "labels": map[string]any{}}},
		{name: "bay-create-two-masters", who: "demo", method: "POST", path: "/v1/bays", version: "1.2", body: map[string]any{"name": "dt-x-" + run, "baymodel_id": "{bm}", "master_count": 2, "labels": map[string]any{}}},

		{name: "c-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", untilFresh: untilCreated("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "c-get-by-name", who: "demo", method: "GET", path: "/v1/clusters/" + c},
		{name: "c-get-1.1", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: "1.1"},
		{name: "c-patch-name", who: "demo", method: "PATCH", path: "/v1/clusters/{c}", body: patch("replace", "/name", "x")},
		{name: "c-patch-api-address", who: "demo", method: "PATCH", path: "/v1/clusters/{c}", body: patch("replace", "/api_address", "x")},
		{name: "ct-delete-referenced", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ct}"},
		{name: "ct-patch-referenced", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", 9)},
		{name: "ct-rename-referenced", who: "demo", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/name", ct+"-renamed")},
		{name: "c-resize-1.6", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", version: "1.6", body: map[string]any{"node_count": 2}},
		{name: "c-resize-master", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{"node_count": 2, "nodegroup": "default-master"}},
		{name: "c-resize-unknown-nodegroup", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{"node_count": 2, "nodegroup": "nosuchng"}},
		{name: "c-resize-no-count", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{}},
		{name: "c-upgrade-1.7", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/upgrade", version: "1.7", body: map[string]any{"cluster_template": "{ct}"}},
		{name: "c-resize", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{"node_count": 2}},
		{name: "c-resize-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED")},
		// Upgrades: Magnum 15's Heat driver runs them, Magnum 18 and later
		// refuse them (2fd3059f).
		{name: "c-upgrade-no-batch", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/upgrade", body: map[string]any{"cluster_template": "{ct2}"}},
		{name: "c-upgrade", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/upgrade",
			body: map[string]any{"cluster_template": "{ct2}", "max_batch_size": 1}, save: "uuid", as: "upgraded"},
		{name: "c-upgrade-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", needs: "upgraded", onTemplate: "{ct2}",
			until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED")},

		// 6. certificates
		{name: "cert-get", who: "demo", method: "GET", path: "/v1/certificates/{c}"},
		{name: "cert-get-etcd", who: "demo", method: "GET", path: "/v1/certificates/{c}?ca_cert_type=etcd"},
		{name: "cert-sign", who: "demo", method: "POST", path: "/v1/certificates", body: map[string]any{"cluster_uuid": "{c}", "csr": csr}},
		{name: "cert-sign-garbage", who: "demo", method: "POST", path: "/v1/certificates", body: map[string]any{"cluster_uuid": "{c}", "csr": "garbage"}},
		{name: "cert-sign-unknown-cluster", who: "demo", method: "POST", path: "/v1/certificates", body: map[string]any{"cluster_uuid": "00000000-0000-0000-0000-000000000000", "csr": csr}},
		{name: "cert-get-demo2", who: "demo2", method: "GET", path: "/v1/certificates/{c}"},
		{name: "cert-sign-demo2", who: "demo2", method: "POST", path: "/v1/certificates", body: map[string]any{"cluster_uuid": "{c}", "csr": csr}},
		{name: "cert-get-alt", who: "alt", method: "GET", path: "/v1/certificates/{c}"},
		{name: "cert-get-admin", who: "admin", method: "GET", path: "/v1/certificates/{c}"},
		{name: "cert-sign-bay-uuid", who: "demo", method: "POST", path: "/v1/certificates", body: map[string]any{"bay_uuid": "{c}", "csr": csr}},
		{name: "cert-sign-no-cluster", who: "demo", method: "POST", path: "/v1/certificates", body: map[string]any{"csr": csr}},

		// 9. nodegroups
		{name: "ng-list-1.8", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups", version: "1.8"},
		{name: "ng-list", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups", version: "1.9"},
		{name: "ng-list-masters", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups?role=master", version: "1.9"},
		{name: "ng-get-worker", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-worker", version: "1.9"},
		{name: "ng-get-master", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-master", version: "1.9"},
		{name: "ng-get-missing", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/nosuchng", version: "1.9"},
		{name: "ng-create-master", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", body: map[string]any{"name": "ngm", "role": "master"}},
		{name: "ng-create-min-above-max", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", body: map[string]any{"name": "ngx", "min_node_count": 3, "max_node_count": 2}},
		{name: "ng-create-count-above-max", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", body: map[string]any{"name": "ngx", "node_count": 5, "max_node_count": 2}},
		{name: "ng-create-unknown-field", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", body: map[string]any{"name": "ngx", "foo": 1}},
		{name: "ng-create-duplicate", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", body: map[string]any{"name": "default-worker"}},
		{name: "ng-patch-node-count", who: "demo", method: "PATCH", path: "/v1/clusters/{c}/nodegroups/default-worker", version: "1.9", body: patch("replace", "/node_count", 2)},
		{name: "ng-delete-default", who: "demo", method: "DELETE", path: "/v1/clusters/{c}/nodegroups/default-worker", version: "1.9"},
		{name: "ng-list-alt", who: "alt", method: "GET", path: "/v1/clusters/{c}/nodegroups", version: "1.9"},
		{name: "ng-create", who: "demo", method: "POST", path: "/v1/clusters/{c}/nodegroups", version: "1.9", save: "uuid", as: "ng",
			body: map[string]any{"name": "dt-ng-" + run, "node_count": 1, "flavor_id": "m1.small", "min_node_count": 1, "max_node_count": 3, "labels": map[string]any{"ng_label": "1"}}},
		{name: "ng-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/{ng}", version: "1.9", until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "ng-cluster-after-create", who: "demo", method: "GET", path: "/v1/clusters/{c}", until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED")},
		{name: "ng-patch-min-max", who: "demo", method: "PATCH", path: "/v1/clusters/{c}/nodegroups/{ng}", version: "1.9",
			body: []any{map[string]any{"op": "replace", "path": "/max_node_count", "value": 5}, map[string]any{"op": "replace", "path": "/min_node_count", "value": 0}}},
		{name: "ng-patch-min-above-max", who: "demo", method: "PATCH", path: "/v1/clusters/{c}/nodegroups/{ng}", version: "1.9", body: patch("replace", "/min_node_count", 9)},
		{name: "ng-resize-out-of-range", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{"node_count": 9, "nodegroup": "dt-ng-" + run}},
		// The min/max PATCH above updates the nodegroup's stack; the steps
		// below must not depend on how fast that was.
		{name: "c-after-ng-patch-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED")},

		// 7. another project's resources
		{name: "alt-get-cluster", who: "alt", method: "GET", path: "/v1/clusters/{c}"},
		{name: "alt-get-cluster-by-name", who: "alt", method: "GET", path: "/v1/clusters/" + c},
		{name: "alt-patch-cluster", who: "alt", method: "PATCH", path: "/v1/clusters/{c}", body: patch("replace", "/node_count", 1)},
		{name: "alt-delete-cluster", who: "alt", method: "DELETE", path: "/v1/clusters/{c}"},
		{name: "alt-resize-cluster", who: "alt", method: "POST", path: "/v1/clusters/{c}/actions/resize", body: map[string]any{"node_count": 1}},
		{name: "alt-get-template", who: "alt", method: "GET", path: "/v1/clustertemplates/{ct}"},
		{name: "alt-patch-template", who: "alt", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", 9)},
		{name: "alt-delete-template", who: "alt", method: "DELETE", path: "/v1/clustertemplates/{ct}"},
		{name: "alt-cluster-from-private-template", who: "alt", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-x-" + run, "cluster_template_id": "{ct}"}},
		{name: "alt-list-clusters", who: "alt", method: "GET", path: "/v1/clusters"},
		{name: "all-tenants", who: "demo", method: "GET", path: "/v1/clusters?all_tenants=true"},
		{name: "admin-get-cluster", who: "admin", method: "GET", path: "/v1/clusters/{c}"},
		{name: "admin-patch-template", who: "admin", method: "PATCH", path: "/v1/clustertemplates/{ct}", body: patch("replace", "/docker_volume_size", 9)},

		// 5. bays
		{name: "bay-wait", who: "demo", method: "GET", path: "/v1/bays/{bay}", version: "1.2", until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "bay-list", who: "demo", method: "GET", path: "/v1/bays", version: "1.2"},
		{name: "bay-detail", who: "demo", method: "GET", path: "/v1/bays/detail", version: "1.2"},
		{name: "bay-as-cluster", who: "demo", method: "GET", path: "/v1/clusters/{bay}"},
		{name: "bay-patch-node-count", who: "demo", method: "PATCH", path: "/v1/bays/{bay}", version: "1.2", body: patch("replace", "/node_count", 2)},
		{name: "bay-patch-node-count-1.1", who: "demo", method: "PATCH", path: "/v1/bays/{bay}", version: "-", body: patch("replace", "/node_count", 2)},
		{name: "bay-patch-zero", who: "demo", method: "PATCH", path: "/v1/bays/{bay}", version: "1.2", body: patch("replace", "/node_count", 0)},
		{name: "bay-patch-name", who: "demo", method: "PATCH", path: "/v1/bays/{bay}", version: "1.2", body: patch("replace", "/name", "x")},
		{name: "bay-without-labels-wait", who: "demo", method: "GET", path: "/v1/bays/{baynl}", version: "1.2", until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED")},

		// 10. a failed cluster
		{name: "c-failing-wait", who: "demo", method: "GET", path: "/v1/clusters/{cf}", untilFresh: untilCreated("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "c-list", who: "demo", method: "GET", path: "/v1/clusters"},
		{name: "c-detail", who: "demo", method: "GET", path: "/v1/clusters/detail"},
		{name: "c-failing-get-1.1", who: "demo", method: "GET", path: "/v1/clusters/{cf}", version: "1.1"},
		{name: "c-failing-nodegroups", who: "demo", method: "GET", path: "/v1/clusters/{cf}/nodegroups", version: "1.9"},
		{name: "c-failing-resize", who: "demo", method: "POST", path: "/v1/clusters/{cf}/actions/resize", body: map[string]any{"node_count": 2}},
		{name: "c-failing-as-bay", who: "demo", method: "GET", path: "/v1/bays/{cf}", version: "1.2"},

		// 8. quotas
		{name: "q-get-default", who: "admin", method: "GET", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-create-non-admin", who: "demo", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "{project:demo}", "resource": "Cluster", "hard_limit": 5}},
		{name: "q-create", who: "admin", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "{project:demo}", "resource": "Cluster", "hard_limit": 1}},
		{name: "q-create-duplicate", who: "admin", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "{project:demo}", "resource": "Cluster", "hard_limit": 1}},
		{name: "q-create-unknown-project", who: "admin", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "nosuchproject", "resource": "Cluster", "hard_limit": 1}},
		{name: "q-create-unknown-resource", who: "admin", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "{project:demo}", "resource": "Node", "hard_limit": 1}},
		{name: "q-create-negative", who: "admin", method: "POST", path: "/v1/quotas", version: "-", body: map[string]any{"project_id": "{project:demo}", "resource": "Cluster", "hard_limit": -1}},
		{name: "q-get", who: "admin", method: "GET", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-get-own", who: "demo", method: "GET", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-get-other", who: "demo", method: "GET", path: "/v1/quotas/{project:alt}/Cluster", version: "-"},
		{name: "q-list-non-admin", who: "demo", method: "GET", path: "/v1/quotas", version: "-"},
		{name: "c-over-quota", who: "demo", method: "POST", path: "/v1/clusters", body: map[string]any{"name": "dt-over-" + run, "cluster_template_id": "{ct}"}},
		{name: "q-patch-json-patch", who: "admin", method: "PATCH", path: "/v1/quotas/{project:demo}/Cluster", version: "-", body: patch("replace", "/hard_limit", 3)},
		{name: "q-patch", who: "admin", method: "PATCH", path: "/v1/quotas/{project:demo}/Cluster", version: "-", body: map[string]any{"hard_limit": 3}},
		{name: "q-patch-non-admin", who: "demo", method: "PATCH", path: "/v1/quotas/{project:demo}/Cluster", version: "-", body: map[string]any{"hard_limit": 9}},
		{name: "q-delete-non-admin", who: "demo", method: "DELETE", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-delete", who: "admin", method: "DELETE", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-delete-again", who: "admin", method: "DELETE", path: "/v1/quotas/{project:demo}/Cluster", version: "-"},
		{name: "q-get-unknown-resource", who: "admin", method: "GET", path: "/v1/quotas/{project:demo}/Nodes", version: "-"},

		// 11. an application credential: Keystone refuses it the trust
		// Magnum's conductor makes for a new cluster; templates need none.
		{name: "ac-template-get", who: "demo-ac", method: "GET", path: "/v1/clustertemplates/{ct}"},
		{name: "ac-cluster-create", who: "demo-ac", method: "POST", path: "/v1/clusters", save: "uuid", as: "cac",
			body: map[string]any{"name": "dt-ac-" + run, "cluster_template_id": "{ct}", "master_count": 1, "node_count": 1}},
		{name: "ac-cluster-wait", who: "demo-ac", method: "GET", path: "/v1/clusters/{cac}", untilFresh: untilCreated("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "ac-cluster-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cac}"},
		{name: "ac-cluster-gone", who: "demo", method: "GET", path: "/v1/clusters/{cac}", until: untilGone},
		// A 1.1 bay POST waits for the conductor, so its error is the answer.
		{name: "ac-bay-create-1.1", who: "demo-ac", method: "POST", path: "/v1/bays", version: "-",
			body: map[string]any{"name": acbay, "baymodel_id": "{bm}", "labels": map[string]any{}}},
		{name: "ac-bay-1.1-get", who: "demo", method: "GET", path: "/v1/bays/" + acbay, version: "1.2"},
		{name: "ac-bay-1.1-delete", who: "demo", method: "DELETE", path: "/v1/bays/" + acbay, version: "1.2"},
		{name: "ac-bay-1.1-gone", who: "demo", method: "GET", path: "/v1/bays/" + acbay, version: "1.2", until: untilGone},

		// 4z. deletes
		{name: "ng-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{c}/nodegroups/{ng}", version: "1.9"},
		{name: "ng-after-delete", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/{ng}", version: "1.9", until: untilGone, timeout: 25 * time.Second},
		{name: "c-failing-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cf}"},
		{name: "c-by-name-wait", who: "demo", method: "GET", path: "/v1/clusters/{cfn}", needs: "cfn", untilFresh: untilCreated("CREATE_COMPLETE", "CREATE_FAILED")},
		{name: "c-by-name-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cfn}", needs: "cfn"},
		{name: "bay-without-labels-delete", who: "demo", method: "DELETE", path: "/v1/bays/{baynl}", version: "1.2"},
		{name: "bay-delete", who: "demo", method: "DELETE", path: "/v1/bays/{bay}", version: "1.2"},
		{name: "c-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{c}"},
		{name: "c-delete-again", who: "demo", method: "DELETE", path: "/v1/clusters/{c}"},
		{name: "c-gone", who: "demo", method: "GET", path: "/v1/clusters/{c}", until: untilGone},
		{name: "c-delete-gone", who: "demo", method: "DELETE", path: "/v1/clusters/{c}"},
		{name: "bay-gone", who: "demo", method: "GET", path: "/v1/bays/{bay}", version: "1.2", until: untilGone},
		{name: "bay-without-labels-gone", who: "demo", method: "GET", path: "/v1/bays/{baynl}", version: "1.2", until: untilGone},
		{name: "c-failing-gone", who: "demo", method: "GET", path: "/v1/clusters/{cf}", until: untilGone},
		{name: "c-by-name-gone", who: "demo", method: "GET", path: "/v1/clusters/{cfn}", needs: "cfn", until: untilGone},
		{name: "ct-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ct}"},
		{name: "bm-delete", who: "demo", method: "DELETE", path: "/v1/baymodels/{bm}"},
		{name: "ct-delete-default-name", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctdef}"},
		{name: "ct2-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ct2}"},
		{name: "ct-get-deleted", who: "demo", method: "GET", path: "/v1/clustertemplates/{ct}"},
	}
}

// runner plays a script against one target.
type runner struct {
	t       *target
	vars    map[string]string
	timeout time.Duration // per poll step
	logf    func(format string, args ...any)
}

func (r *runner) expand(s string) string {
	for k, v := range r.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func (r *runner) run(ctx context.Context, steps []step) ([]exchange, error) {
	out := make([]exchange, 0, len(steps))
	for _, st := range steps {
		ex, err := r.one(ctx, st)
		if err != nil {
			return out, fmt.Errorf("%s: step %s: %w", r.t.name, st.name, err)
		}
		out = append(out, ex)
	}
	return out, nil
}

func (r *runner) one(ctx context.Context, st step) (exchange, error) {
	path := r.expand(st.path)
	var body []byte
	switch b := st.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return exchange{}, err
		}
		body = []byte(r.expand(string(raw)))
	}
	version := st.version
	switch version {
	case "":
		version = "1.10"
	case "-":
		version = ""
	}
	if st.needs != "" && r.vars[st.needs] == "" {
		return exchange{Step: st.name, Method: st.method, Path: st.path, Body: "skipped: " + st.needs + " was not saved"}, nil
	}
	until := st.until
	if st.untilFresh != nil {
		until = st.untilFresh()
	}
	if st.onTemplate != "" && until != nil {
		want, base := r.expand(st.onTemplate), until
		until = func(code int, body any) bool {
			m, _ := body.(map[string]any)
			return base(code, body) && (code != http.StatusOK || m["cluster_template_id"] == want)
		}
	}
	if st.failing != "" && r.t.beforeFailingCreate != nil {
		r.t.beforeFailingCreate(st.failing)
	}
	start := time.Now()
	ex := exchange{Step: st.name, Method: st.method, Path: st.path}
	timeout := r.timeout
	if st.timeout > 0 {
		timeout = st.timeout
	}
	deadline := start.Add(timeout)
	for {
		code, v, err := r.t.do(ctx, st.who, st.method, path, version, body, st.ctype)
		if err != nil {
			return ex, err
		}
		ex.Status, ex.Body = code, v
		ex.Polls++
		if until == nil || until(code, v) {
			break
		}
		if time.Now().After(deadline) {
			// Recorded as it stands: the comparison shows the state that
			// never arrived.
			r.logf("%s: %s still not there after %s (HTTP %d)", r.t.name, st.name, timeout, code)
			break
		}
		select {
		case <-ctx.Done():
			return ex, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	ex.Elapsed = time.Since(start).Round(time.Millisecond).String()
	if st.save != "" && ex.Status < 300 {
		if m, ok := ex.Body.(map[string]any); ok {
			if v, ok := m[st.save].(string); ok {
				r.vars[st.as] = v
			}
		}
	}
	return ex, nil
}
