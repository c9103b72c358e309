package sim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cluster templates (/v1/clustertemplates) and, in the zed profile,
// baymodels (/v1/baymodels): two API faces of one table.

const (
	magnumTime      = "2006-01-02T15:04:05-07:00"
	magnumTimeMicro = "2006-01-02T15:04:05.000000-07:00"
)

func (s *magnumService) templateLink(k *templateKind, base, id string) string {
	return base + magnumPrefix + "/v1/" + k.collection + "/" + id
}

// templateView renders a row the way this kind's API type serialises it.
func (s *magnumService) templateView(k *templateKind, t *template, base string) *pyDict {
	out := newPyDict()
	for _, f := range k.fields(s.profile) {
		switch f.name {
		case "uuid":
			out.Set("uuid", t.uuid)
		case "links":
			out.Set("links", pyList{
				map[string]any{"href": s.templateLink(k, base, t.uuid), "rel": "self"},
				map[string]any{"href": base + magnumPrefix + "/" + k.collection + "/" + t.uuid, "rel": "bookmark"},
			})
		case "project_id":
			out.Set("project_id", t.projectID)
		case "user_id":
			out.Set("user_id", t.userID)
		case "created_at":
			out.Set("created_at", s.fmtTime(t.createdAt))
		case "updated_at":
			if t.updatedAt == nil {
				out.Set("updated_at", nil)
			} else {
				out.Set("updated_at", s.fmtTime(*t.updatedAt))
			}
		case "labels":
			l, _ := t.v["labels"].(*pyDict)
			if l == nil {
				l = newPyDict()
			}
			out.Set("labels", l)
		default:
			out.Set(f.name, t.v[f.name])
		}
	}
	return out
}

var greekWords = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
	"kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}

// generateName mimics Magnum's name generator: a Greek letter and a number.
func generateName(suffix string) string {
	return fmt.Sprintf("%s-%d-%s", greekWords[rand.IntN(len(greekWords))], 10+rand.IntN(90), suffix)
}

func (s *magnumService) createTemplate(k *templateKind) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		body, aerr := readJSONBody(r)
		if aerr == nil {
			var t *template
			if t, aerr = s.buildTemplate(k, c, body); aerr == nil {
				s.st.mu.Lock()
				if _, dup := s.st.templates[t.uuid]; dup {
					aerr = errf(http.StatusConflict, "A ClusterTemplate with UUID %s already exists.", t.uuid)
				} else {
					t.id = s.st.newID()
					s.st.templates[t.uuid] = t
				}
				s.st.mu.Unlock()
				if aerr == nil {
					w.Header().Set("Location", s.templateLink(k, c.base, t.uuid))
					writeMagnumJSON(w, http.StatusCreated, s.templateView(k, t, c.base))
					return
				}
			}
		}
		writeMagnumError(w, aerr)
	}
}

// buildTemplate runs a POST body through the checks Magnum makes, in
// Magnum's order: WSME (unknown keys, types, read-only and mandatory
// fields), then the controller decorators (COE and network driver, volume
// driver, devicemapper size, driver tuple), the publish policy, and the
// OpenStack resource lookups.
func (s *magnumService) buildTemplate(k *templateKind, c *magnumCall, body any) (*template, *apiError) {
	fields := k.fields(s.profile)
	in, ok := body.(*pyDict)
	if !ok {
		if body == nil {
			return nil, invalidInput(k.argName, nil, "Mandatory field missing.")
		}
		return nil, invalidInput(k.argName, body, "Value not a valid dict: "+pyStr(body))
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
	}
	var unknown []string
	for _, key := range in.Keys() {
		if ks, _ := key.(string); !known[ks] {
			unknown = append(unknown, pyStr(key))
		}
	}
	if len(unknown) > 0 {
		return nil, errf(http.StatusBadRequest, "Unknown attribute for argument %s: %s", k.argName, strings.Join(unknown, ", "))
	}
	if l, ok := in.Get("labels"); ok && l != nil {
		if _, isDict := l.(*pyDict); !isDict {
			return nil, invalidInput(k.argName, in, "Value not a valid dict: "+pyStr(l))
		}
	}

	v := map[string]any{}
	set := map[string]bool{}
	for _, f := range fields {
		raw, present := in.Get(f.name)
		if !present || raw == nil {
			if f.mandatory {
				return nil, invalidInput(f.name, nil, "Mandatory field missing.")
			}
			v[f.name] = f.def
			continue
		}
		val, aerr := s.convertCreate(k, f, raw)
		if aerr != nil {
			return nil, aerr
		}
		v[f.name], set[f.name] = val, true
	}
	if v["labels"] == nil {
		v["labels"] = newPyDict()
	}

	coe := "Unset"
	if set["coe"] {
		coe = v["coe"].(string)
	}
	if v["network_driver"] == nil {
		v["network_driver"] = defaultNetworkDriver(coe)
	}
	if aerr := s.checkDrivers(coe, v["network_driver"], v["volume_driver"]); aerr != nil {
		return nil, aerr
	}
	if aerr := checkStorageSize(v); aerr != nil {
		return nil, aerr
	}
	serverType, _ := v["server_type"].(string)
	image, _ := v["image_id"].(string)
	// enforce_driver_supported looks the image up itself and swallows
	// every Glance error, hence "Unset" (no image) and "None" (no
	// os_distro) in the message. From Magnum 18 it also reads the image's
	// magnum_driver, so it looks the image up unless the request named a
	// driver, and the image's os_distro replaces the request's
	// cluster_distro.
	distro, driverName := "Unset", ""
	if rd, _ := v["driver"].(string); s.profile.templateDriver && rd != "" {
		driverName = rd
	}
	cd, _ := v["cluster_distro"].(string)
	if cd != "" {
		distro = cd
	}
	if cd == "" || (s.profile.templateDriver && driverName == "") {
		if imgs := s.fx.image(image); len(imgs) == 1 {
			distro = "None"
			if od := str(imgs[0], "os_distro"); od != "" {
				distro = od
			}
			if s.profile.templateDriver {
				driverName = str(imgs[0], "magnum_driver")
			}
		}
	}
	if driverName != "" {
		if !contains(s.profile.entryPoints, driverName) {
			return nil, errf(http.StatusBadRequest, "Cluster driver (%s) not supported.", driverName)
		}
	} else if !s.profile.driverSupported(serverType, distro, coe) {
		return nil, errf(http.StatusBadRequest, "Cluster type (%s, %s, %s) not supported.", serverType, distro, coe)
	}
	if (v["public"] == true || v["hidden"] == true) && !c.p.isAdmin() {
		return nil, errf(http.StatusForbidden, "Not authorized to set public or hidden flag for cluster template.")
	}
	img, aerr := s.validateOSResources(v)
	if aerr != nil {
		return nil, aerr
	}
	// The image's os_distro wins over whatever the body said.
	v["cluster_distro"] = str(img, "os_distro")
	if s.profile.templateDriver && !k.bay && (v["driver"] == nil || !s.profile.requestDriver) {
		v["driver"] = s.profile.templateDriverFor(img)
	}
	if v["name"] == nil {
		v["name"] = generateName(k.nameSuffix)
	}
	labels, aerr := storeLabels(v["labels"].(*pyDict))
	if aerr != nil {
		return nil, aerr
	}
	v["labels"] = labels

	t := &template{
		uuid:      uuid.NewString(),
		projectID: c.p.project.id,
		userID:    c.p.user.id,
		createdAt: s.now().UTC().Truncate(time.Microsecond),
		v:         map[string]any{},
	}
	if id, ok := v["uuid"].(string); ok {
		t.uuid = id
	}
	for _, f := range fields {
		if f.kind != kindReadOnly && f.name != "uuid" {
			t.v[f.name] = v[f.name]
		}
	}
	return t, nil
}

// checkDrivers is Magnum's per-COE validator: it refuses unknown COEs, and
// network and volume drivers the COE does not support.
func (s *magnumService) checkDrivers(coe string, networkDriver, volumeDriver any) *apiError {
	nets, ok := s.profile.networkDrivers[coe]
	if !ok {
		return errf(http.StatusBadRequest, "Requested COE type %s is not supported.", coe)
	}
	known := s.profile.knownNetworkDrivers[coe]
	if known == nil {
		known = nets
	}
	if nd, isStr := networkDriver.(string); isStr && !contains(known, nd) {
		return errf(http.StatusBadRequest, "Network driver type %s is not supported, expecting a %s/unspecified network driver.",
			nd, strings.Join(known, "/"))
	} else if isStr && !contains(nets, nd) {
		// [cluster_template] kubernetes_allowed_network_drivers; Magnum's
		// message ends in a space.
		return errf(http.StatusBadRequest, "Network driver type %s is not allowed, expecting a %s/unspecified network driver. ",
			nd, strings.Join(nets, "/"))
	}
	if vd, isStr := volumeDriver.(string); isStr && !contains(s.profile.volumeDrivers[coe], vd) {
		return errf(http.StatusBadRequest, "Volume driver type %s is not supported, expecting a %s/unspecified volume driver.",
			vd, strings.Join(s.profile.volumeDrivers[coe], "/"))
	}
	return nil
}

// checkStorageSize is enforce_volume_storage_size: devicemapper needs at
// least 3 GB of Docker volume.
func checkStorageSize(v map[string]any) *apiError {
	size, _ := v["docker_volume_size"].(int64)
	if size != 0 && v["docker_storage_driver"] == "devicemapper" && size < 3 {
		return errf(http.StatusBadRequest, "docker volume size %d GB is not valid, expecting minimum value 3GB for devicemapper storage driver.", size)
	}
	return nil
}

// validateOSResources is Magnum's validate_os_resources plus validate_image:
// Glance for the image, Nova for both flavors, Neutron for the external
// network. The keypair is deliberately not checked for templates.
func (s *magnumService) validateOSResources(v map[string]any) (map[string]any, *apiError) {
	image, _ := v["image_id"].(string)
	imgs := s.fx.image(image)
	switch {
	case len(imgs) == 0:
		return nil, errf(http.StatusBadRequest, "Image %s could not be found.", image)
	case len(imgs) > 1:
		return nil, errf(http.StatusConflict, "Multiple images exist with same name. Please use the image id instead.")
	case str(imgs[0], "os_distro") == "":
		return nil, errf(http.StatusBadRequest, "Image %s doesn't contain os_distro field.", image)
	}
	for _, key := range []string{"flavor_id", "master_flavor_id"} {
		if f, ok := v[key].(string); ok && !s.fx.flavorExists(f) {
			return nil, errf(http.StatusBadRequest, "Unable to find flavor %s.", f)
		}
	}
	if n, ok := v["external_network_id"].(string); ok {
		switch s.fx.externalNetworks(n) {
		case 0:
			return nil, errf(http.StatusBadRequest, "Unable to find external network %s.", n)
		case 1:
		default:
			return nil, errf(http.StatusConflict, "Multiple external networks exist with same name. Please use the external network ID instead.")
		}
	}
	return imgs[0], nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *magnumService) getTemplate(k *templateKind) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		s.st.mu.Lock()
		t, aerr := s.st.findTemplate(c.p, r.PathValue("id"), scopeAdminAll)
		var view *pyDict
		if aerr == nil {
			view = s.templateView(k, t, c.base)
		}
		s.st.mu.Unlock()
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		writeMagnumJSON(w, http.StatusOK, view)
	}
}

func (s *magnumService) deleteTemplate(k *templateKind) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		t, aerr := s.st.findTemplate(c.p, r.PathValue("id"), scopeAdminAll)
		switch {
		case aerr != nil:
		case t.projectID != c.p.project.id && !c.p.isAdmin():
			aerr = errf(http.StatusForbidden, "Policy doesn't allow %s:delete to be performed.", k.policy)
		case s.st.templateReferenced(t.uuid):
			aerr = errf(http.StatusBadRequest, "ClusterTemplate %s is referenced by one or multiple clusters.", t.uuid)
		}
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		delete(s.st.templates, t.uuid)
		w.WriteHeader(http.StatusNoContent)
	}
}

// templateDoc is the object's as_dict(), the document a JSON patch is
// applied to.
func (s *magnumService) templateDoc(k *templateKind, t *template) *pyDict {
	doc := newPyDict()
	doc.Set("id", int64(t.id))
	for _, f := range k.fields(s.profile) {
		switch f.name {
		case "uuid":
			doc.Set("uuid", t.uuid)
		case "links":
		case "project_id":
			doc.Set("project_id", t.projectID)
		case "user_id":
			doc.Set("user_id", t.userID)
		case "created_at", "updated_at":
			doc.Set(f.name, nil)
		case "labels":
			l, _ := t.v["labels"].(*pyDict)
			doc.Set("labels", l.Clone())
		default:
			doc.Set(f.name, t.v[f.name])
		}
	}
	return doc
}

func (s *magnumService) patchTemplate(k *templateKind) magnumHandler {
	return func(w http.ResponseWriter, r *http.Request, c *magnumCall) {
		body, aerr := readJSONBody(r)
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		mandatory := map[string]bool{}
		for _, f := range k.fields(s.profile) {
			if f.mandatory {
				mandatory["/"+f.name] = true
			}
		}
		ops, aerr := parsePatch(body, func(p string) bool { return mandatory[p] || templateNonRemovable[p] })
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		t, aerr := s.st.findTemplate(c.p, r.PathValue("id"), scopeOwnOrPublic)
		var loaded *time.Time
		if aerr == nil {
			loaded = t.updatedAt
			aerr = s.applyTemplatePatch(k, c, t, ops)
		}
		if aerr != nil {
			writeMagnumError(w, aerr)
			return
		}
		// Magnum answers with the object it loaded and changed: save() does
		// not read back the updated_at the database sets, so the answer
		// carries the one from before (null after the first change; seen
		// against real Magnum 15, FINDINGS #45 and #117).
		saved := t.updatedAt
		t.updatedAt = loaded
		view := s.templateView(k, t, c.base)
		t.updatedAt = saved
		writeMagnumJSON(w, http.StatusOK, view)
	}
}

// applyTemplatePatch follows ClusterTemplatesController.patch: driver
// checks on the patched document, update policy, WSME type checks, resource
// lookups, publish policy, then the referenced-template rule at save time.
// Callers hold st.mu.
func (s *magnumService) applyTemplatePatch(k *templateKind, c *magnumCall, t *template, ops []patchOp) *apiError {
	doc := s.templateDoc(k, t)
	if aerr := applyPatch(doc, ops); aerr != nil {
		return aerr
	}
	coe, _ := doc.Get("coe")
	coeName := pyStr(coe)
	nd, _ := doc.Get("network_driver")
	if nd == nil {
		nd = defaultNetworkDriver(coeName)
	}
	vd, _ := doc.Get("volume_driver")
	if aerr := s.checkDrivers(coeName, nd, vd); aerr != nil {
		return aerr
	}
	if t.projectID != c.p.project.id && !c.p.isAdmin() {
		return errf(http.StatusForbidden, "Policy doesn't allow %s:update to be performed.", k.policy)
	}
	next := map[string]any{}
	for _, f := range k.fields(s.profile) {
		if f.kind == kindReadOnly || f.name == "uuid" {
			continue
		}
		raw, _ := doc.Get(f.name)
		val, aerr := s.validateValue(k, f, raw)
		if aerr != nil {
			return aerr
		}
		next[f.name] = val
	}
	if _, aerr := s.validateOSResources(next); aerr != nil {
		return aerr
	}
	if (next["public"] != t.v["public"] || next["hidden"] != t.v["hidden"]) && !c.p.isAdmin() {
		return errf(http.StatusForbidden, "Not authorized to set public or hidden flag for cluster template.")
	}
	changes := map[string]any{}
	for name, val := range next {
		if name == "labels" {
			l, _ := val.(*pyDict)
			if l == nil {
				l = newPyDict()
			}
			stored, aerr := storeLabels(l)
			if aerr != nil {
				return aerr
			}
			val = stored
		}
		if !pyEqual(val, t.v[name]) {
			changes[name] = val
		}
	}
	if s.st.templateReferenced(t.uuid) && !referencedUpdateAllowed(changes) {
		return errf(http.StatusBadRequest, "ClusterTemplate %s is referenced by one or multiple clusters.", t.uuid)
	}
	if len(changes) > 0 {
		for name, val := range changes {
			t.v[name] = val
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		t.updatedAt = &now
	}
	return nil
}

// pyEqual is Python's ==, for the value kinds fields hold: dicts compare
// without regard to key order.
func pyEqual(a, b any) bool {
	da, aDict := a.(*pyDict)
	db, bDict := b.(*pyDict)
	if aDict || bDict {
		if !aDict || !bDict || da.Len() != db.Len() {
			return false
		}
		for _, it := range da.entries() {
			other, ok := db.Get(it.Key)
			if !ok || !pyEqual(it.Val, other) {
				return false
			}
		}
		return true
	}
	return a == b
}
