package sim

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

//go:embed fixtures/default.json
var defaultFixtures []byte

// fixtures are the Nova, Glance and Neutron objects the simulator serves and
// that its Magnum consults during validation, exactly as real Magnum asks
// those services. Entries stay generic JSON objects so a fixtures file can
// carry any extra field a client wants to read back.
type fixtures struct {
	Images   []map[string]any `json:"images"`
	Flavors  []map[string]any `json:"flavors"`
	Keypairs []map[string]any `json:"keypairs"`
	Networks []map[string]any `json:"networks"`
	Subnets  []map[string]any `json:"subnets"`
}

func loadFixtures(path string) (*fixtures, error) {
	data := defaultFixtures
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("reading fixtures: %w", err)
		}
	}
	var fx fixtures
	if err := json.Unmarshal(data, &fx); err != nil {
		return nil, fmt.Errorf("parsing fixtures %s: %w", path, err)
	}
	for _, set := range [][]map[string]any{fx.Images, fx.Flavors, fx.Networks, fx.Subnets} {
		for i, o := range set {
			if str(o, "id") == "" {
				return nil, fmt.Errorf("fixtures %s: entry %d (%v) has no id", path, i, o["name"])
			}
		}
	}
	return &fx, nil
}

func str(o map[string]any, key string) string {
	s, _ := o[key].(string)
	return s
}

// image resolves a Glance image the way Magnum's get_openstack_resource
// does: by id when the reference looks like a UUID, by exact name
// otherwise. It returns the matches, so callers can tell none from several.
func (fx *fixtures) image(ref string) []map[string]any {
	var out []map[string]any
	byID := isUUIDLike(ref)
	for _, img := range fx.Images {
		if (byID && str(img, "id") == ref) || (!byID && str(img, "name") == ref) {
			out = append(out, img)
		}
	}
	return out
}

// flavorExists matches on name or id, like Magnum's validate_flavor, which
// walks Nova's full flavor list.
func (fx *fixtures) flavorExists(ref string) bool {
	for _, f := range fx.Flavors {
		if str(f, "name") == ref || str(f, "id") == ref {
			return true
		}
	}
	return false
}

// fixedNetwork reports whether a tenant (not router:external) network has
// the id ref: what Magnum's get_fixed_network_name looks for when a
// cluster's fixed_network is a UUID.
func (fx *fixtures) fixedNetwork(id string) bool {
	for _, net := range fx.Networks {
		if ext, _ := net["router:external"].(bool); !ext && str(net, "id") == id {
			return true
		}
	}
	return false
}

// subnet counts the subnets whose name (or, for a UUID, id) is ref, as
// Magnum's get_subnet filters Neutron's list.
func (fx *fixtures) subnet(ref string) int {
	key := "name"
	if isUUIDLike(ref) {
		key = "id"
	}
	n := 0
	for _, sn := range fx.Subnets {
		if str(sn, key) == ref {
			n++
		}
	}
	return n
}

// externalNetworks lists router:external networks whose name or id is ref.
func (fx *fixtures) externalNetworks(ref string) int {
	n := 0
	for _, net := range fx.Networks {
		if ext, _ := net["router:external"].(bool); ext && (str(net, "name") == ref || str(net, "id") == ref) {
			n++
		}
	}
	return n
}

// keypair looks the named keypair up among the fixtures' keypairs, as Nova
// looks it up among the user's: a name Nova does not have is not found.
func (fx *fixtures) keypair(name string) (map[string]any, bool) {
	for _, kp := range fx.Keypairs {
		if str(kp, "name") == name {
			return kp, true
		}
	}
	return nil, false
}

// keypairExists reports whether Nova would find the keypair; cluster create
// checks it, template create does not.
func (fx *fixtures) keypairExists(name string) bool {
	_, ok := fx.keypair(name)
	return ok
}

// openstackAPI serves the fixtures as Nova, Glance and Neutron do. The
// fixtures never change once loaded, so it needs no lock. The simulator
// mounts it under /compute, /image and /network behind Keystone; the
// stand-ins (external.go) serve the same handlers on ports of their own.
type openstackAPI struct{ fx *fixtures }

// principalHandler is an API handler behind keystonemiddleware.
type principalHandler func(w http.ResponseWriter, r *http.Request, p *principal)

// authWrapper puts keystonemiddleware (or the stand-ins' stand-in for it)
// in front of a handler.
type authWrapper func(principalHandler) http.HandlerFunc

func (o *openstackAPI) register(mux *http.ServeMux, auth authWrapper) {
	// Nova
	mux.HandleFunc("GET /compute/v2.1", auth(o.novaVersion))
	mux.HandleFunc("GET /compute/v2.1/flavors", auth(o.novaFlavors))
	mux.HandleFunc("GET /compute/v2.1/flavors/detail", auth(o.novaFlavors))
	mux.HandleFunc("GET /compute/v2.1/flavors/{id}", auth(o.novaFlavor))
	mux.HandleFunc("GET /compute/v2.1/os-keypairs", auth(o.novaKeypairs))
	mux.HandleFunc("GET /compute/v2.1/os-keypairs/{name}", auth(o.novaKeypair))
	// Glance
	mux.HandleFunc("GET /image", o.glanceVersions)
	mux.HandleFunc("GET /image/v2/images", auth(o.glanceImages))
	mux.HandleFunc("GET /image/v2/images/{id}", auth(o.glanceImage))
	mux.HandleFunc("GET /image/v2/schemas/image", auth(o.glanceSchema))
	// Neutron
	mux.HandleFunc("GET /network", o.neutronVersions)
	mux.HandleFunc("GET /network/v2.0/networks", auth(o.neutronList("networks", o.networks)))
	mux.HandleFunc("GET /network/v2.0/networks/{id}", auth(o.neutronShow("network", "Network", o.networks)))
	mux.HandleFunc("GET /network/v2.0/subnets", auth(o.neutronList("subnets", o.subnets)))
	mux.HandleFunc("GET /network/v2.0/subnets/{id}", auth(o.neutronShow("subnet", "Subnet", o.subnets)))
}

func (o *openstackAPI) networks() []map[string]any { return o.fx.Networks }
func (o *openstackAPI) subnets() []map[string]any  { return o.fx.Subnets }

func (o *openstackAPI) novaVersion(w http.ResponseWriter, r *http.Request, _ *principal) {
	writeJSON(w, http.StatusOK, map[string]any{"version": map[string]any{
		"id": "v2.1", "status": "CURRENT", "version": "2.90", "min_version": "2.1",
		"updated": "2013-07-23T11:33:21Z",
		"links":   []any{map[string]any{"rel": "self", "href": baseURL(r) + "/compute/v2.1/"}},
	}})
}

func (o *openstackAPI) novaFlavorView(r *http.Request, f map[string]any) map[string]any {
	out := map[string]any{
		"OS-FLV-DISABLED:disabled":   false,
		"OS-FLV-EXT-DATA:ephemeral":  0,
		"os-flavor-access:is_public": true,
		"swap":                       0,
		"rxtx_factor":                1.0,
		"description":                nil,
		"extra_specs":                map[string]any{},
		"links": []any{
			map[string]any{"rel": "self", "href": baseURL(r) + "/compute/v2.1/flavors/" + str(f, "id")},
			map[string]any{"rel": "bookmark", "href": baseURL(r) + "/compute/flavors/" + str(f, "id")},
		},
	}
	for k, v := range f {
		out[k] = v
	}
	return out
}

func (o *openstackAPI) novaFlavors(w http.ResponseWriter, r *http.Request, _ *principal) {
	list := make([]any, 0, len(o.fx.Flavors))
	for _, f := range o.fx.Flavors {
		list = append(list, o.novaFlavorView(r, f))
	}
	writeJSON(w, http.StatusOK, map[string]any{"flavors": list})
}

func (o *openstackAPI) novaFlavor(w http.ResponseWriter, r *http.Request, _ *principal) {
	id := r.PathValue("id")
	for _, f := range o.fx.Flavors {
		if str(f, "id") == id {
			writeJSON(w, http.StatusOK, map[string]any{"flavor": o.novaFlavorView(r, f)})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"itemNotFound": map[string]any{
		"code": 404, "message": fmt.Sprintf("Flavor %s could not be found.", id)}})
}

func (o *openstackAPI) novaKeypairView(kp map[string]any, p *principal) map[string]any {
	out := map[string]any{"user_id": p.user.id, "deleted": false, "created_at": "2026-01-01T00:00:00.000000", "id": 1}
	for k, v := range kp {
		out[k] = v
	}
	return out
}

func (o *openstackAPI) novaKeypairs(w http.ResponseWriter, _ *http.Request, p *principal) {
	list := make([]any, 0, len(o.fx.Keypairs))
	for _, kp := range o.fx.Keypairs {
		v := map[string]any{}
		for k, val := range kp {
			v[k] = val
		}
		list = append(list, map[string]any{"keypair": v})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keypairs": list})
}

func (o *openstackAPI) novaKeypair(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	kp, ok := o.fx.keypair(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"itemNotFound": map[string]any{
			"code": 404, "message": fmt.Sprintf("Keypair %s not found for user %s", name, p.user.id)}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keypair": o.novaKeypairView(kp, p)})
}

func (o *openstackAPI) glanceVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMultipleChoices, map[string]any{"versions": []any{map[string]any{
		"id": "v2.16", "status": "CURRENT",
		"links": []any{map[string]any{"rel": "self", "href": baseURL(r) + "/image/v2/"}},
	}}})
}

func glanceImageView(img map[string]any) map[string]any {
	id := str(img, "id")
	out := map[string]any{
		"self": "/v2/images/" + id, "file": "/v2/images/" + id + "/file", "schema": "/v2/schemas/image",
		"tags": []any{}, "protected": false, "os_hidden": false, "owner": "00000000000000000000000000000000",
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"checksum": nil, "virtual_size": nil,
	}
	for k, v := range img {
		out[k] = v
	}
	return out
}

// glanceImages filters on any image property, as Glance v2 does
// (name=..., os_distro=..., status=...).
func (o *openstackAPI) glanceImages(w http.ResponseWriter, r *http.Request, _ *principal) {
	list := []any{}
	for _, img := range o.fx.Images {
		if matchesQuery(img, r.URL.Query(), "limit", "marker", "sort", "sort_key", "sort_dir", "member_status") {
			list = append(list, glanceImageView(img))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": list, "first": "/v2/images", "schema": "/v2/schemas/images"})
}

func (o *openstackAPI) glanceImage(w http.ResponseWriter, r *http.Request, _ *principal) {
	id := r.PathValue("id")
	for _, img := range o.fx.Images {
		if str(img, "id") == id {
			writeJSON(w, http.StatusOK, glanceImageView(img))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "404 Not Found\n\nNo image found with ID %s\n\n   ", id)
}

// glanceSchema is permissive on purpose: glanceclient builds its image model
// from it and rejects properties the schema does not allow.
func (o *openstackAPI) glanceSchema(w http.ResponseWriter, _ *http.Request, _ *principal) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "image",
		"properties": map[string]any{
			"id":         map[string]any{"type": "string"},
			"name":       map[string]any{"type": []any{"null", "string"}},
			"status":     map[string]any{"type": "string"},
			"visibility": map[string]any{"type": "string"},
			"os_distro":  map[string]any{"type": "string"},
			"tags":       map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		},
		"additionalProperties": map[string]any{"type": "string"},
		"links":                []any{},
	})
}

func (o *openstackAPI) neutronVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"versions": []any{map[string]any{
		"id": "v2.0", "status": "CURRENT",
		"links": []any{map[string]any{"rel": "self", "href": baseURL(r) + "/network/v2.0/"}},
	}}})
}

func (o *openstackAPI) neutronList(key string, items func() []map[string]any) principalHandler {
	return func(w http.ResponseWriter, r *http.Request, _ *principal) {
		list := []any{}
		for _, it := range items() {
			if matchesQuery(it, r.URL.Query(), "fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse") {
				list = append(list, it)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{key: list})
	}
}

func (o *openstackAPI) neutronShow(key, kind string, items func() []map[string]any) principalHandler {
	return func(w http.ResponseWriter, r *http.Request, _ *principal) {
		id := r.PathValue("id")
		for _, it := range items() {
			if str(it, "id") == id {
				writeJSON(w, http.StatusOK, map[string]any{key: it})
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"NeutronError": map[string]any{
			"type": kind + "NotFound", "message": fmt.Sprintf("%s %s could not be found.", kind, id), "detail": ""}})
	}
}

// matchesQuery applies OpenStack-style equality filters; a repeated key
// matches any of its values. Booleans compare case-insensitively, so
// router:external=True and =true both work, as in Neutron.
func matchesQuery(obj map[string]any, q url.Values, ignore ...string) bool {
outer:
	for key, want := range q {
		for _, ig := range ignore {
			if key == ig {
				continue outer
			}
		}
		got, ok := obj[key]
		if !ok {
			return false
		}
		matched := false
		for _, wv := range want {
			switch g := got.(type) {
			case bool:
				matched = matched || strings.EqualFold(wv, fmt.Sprint(g))
			default:
				matched = matched || fmt.Sprint(g) == wv
			}
		}
		if !matched {
			return false
		}
	}
	return true
}
