package sim

import (
	"fmt"
	"strings"
	"testing"
)

// PATCH of cluster templates, and the rules for templates that clusters
// use.

func TestTemplatePatch(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	tests := []struct {
		name   string
		patch  any
		ctype  string
		status int
		detail string                                           // for errors
		check  func(t *testing.T, before, after map[string]any) // for 200
	}{
		{name: "replace int", patch: `[{"op":"replace","path":"/docker_volume_size","value":10}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) { wantField(t, ct, "docker_volume_size", float64(10)) }},
		{name: "replace labels with a dict literal", status: 200,
			patch: `[{"op":"replace","path":"/labels","value":"{'kube_tag': 'v1.24', 'auto_healing_enabled': True, 'n': 5, 'f': 1.5}"}]`,
			check: func(t *testing.T, _, ct map[string]any) {
				wantField(t, ct, "labels", map[string]any{"kube_tag": "v1.24", "auto_healing_enabled": "True", "n": "5", "f": "1.5"})
			}},
		{name: "add a label", patch: `[{"op":"add","path":"/labels/extra_key","value":"x"}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) { wantField(t, ct, "labels", "extra_key", "x") }},
		{name: "remove a label", patch: `[{"op":"remove","path":"/labels/kube_tag"}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) {
				if _, ok := ct["labels"].(map[string]any)["kube_tag"]; ok {
					t.Error("kube_tag still there")
				}
			}},
		{name: "boolean true", patch: `[{"op":"replace","path":"/master_lb_enabled","value":true}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) { wantField(t, ct, "master_lb_enabled", true) }},
		{name: "remove null removable", patch: `[{"op":"remove","path":"/http_proxy"}]`, status: 200,
			check: func(t *testing.T, before, ct map[string]any) {
				if ct["updated_at"] != nil {
					t.Error("a no-op patch set updated_at")
				}
			}},
		{name: "add to null attribute", patch: `[{"op":"add","path":"/http_proxy","value":"http://proxy:3128"}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) {
				wantField(t, ct, "http_proxy", "http://proxy:3128")
				// Real Magnum answers a PATCH with the updated_at it loaded,
				// not the one it wrote (FINDINGS #45, #117).
				if ct["updated_at"] != nil {
					t.Errorf("the first PATCH answered updated_at %v, want the stored null", ct["updated_at"])
				}
			}},
		{name: "rename", patch: `[{"op":"replace","path":"/name","value":"renamed"}]`, status: 200,
			check: func(t *testing.T, _, ct map[string]any) { wantField(t, ct, "name", "renamed") }},
		{name: "json-patch media type", patch: `[]`, ctype: "application/json-patch+json", status: 415, detail: "Unknown mimetype: application/json-patch+json"},
		{name: "object value", patch: `[{"op":"replace","path":"/labels","value":{"a":"b"}}]`, status: 400,
			detail: "Invalid input for field/attribute value. Value: '{'a': 'b'}'. Wrong type. Expected '(<class 'str'>, <class 'int'>)', got '<class 'dict'>'"},
		{name: "labels not a literal", patch: `[{"op":"replace","path":"/labels","value":"not a dict"}]`, status: 400,
			detail: "Couldn't apply patch '[{'path': '/labels', 'op': 'replace', 'value': 'not a dict'}]'. Reason: invalid syntax (<unknown>, line 1)"},
		{name: "string for int", patch: `[{"op":"replace","path":"/docker_volume_size","value":"12"}]`, status: 400,
			detail: "Invalid input for field/attribute docker_volume_size. Value: '12'. '<' not supported between instances of 'str' and 'int'"},
		{name: "int for bool", patch: `[{"op":"replace","path":"/tls_disabled","value":1}]`, status: 400,
			detail: "Invalid input for field/attribute tls_disabled. Value: '1'. Wrong type. Expected '<class 'bool'>', got '<class 'int'>'"},
		{name: "remove non-removable", patch: `[{"op":"remove","path":"/network_driver"}]`, status: 400, detail: "'/network_driver' is a mandatory attribute and can not be removed"},
		{name: "remove mandatory", patch: `[{"op":"remove","path":"/image_id"}]`, status: 400, detail: "'/image_id' is a mandatory attribute and can not be removed"},
		{name: "add existing", patch: `[{"op":"add","path":"/name","value":"x"}]`, status: 400, detail: "The attribute /name has existed, please use 'replace' operation instead."},
		{name: "add new root attribute", patch: `[{"op":"add","path":"/nosuch","value":"x"}]`, status: 400, detail: "Adding a new attribute /nosuch to the root of the resource is not allowed."},
		{name: "unknown path", patch: `[{"op":"replace","path":"/nosuchfield","value":"x"}]`, status: 400,
			detail: "Couldn't apply patch '[{'path': '/nosuchfield', 'op': 'replace', 'value': 'x'}]'. Reason: can't replace a non-existent object 'nosuchfield'"},
		{name: "internal path", patch: `[{"op":"replace","path":"/uuid","value":"x"}]`, status: 400, detail: "'/uuid' is an internal attribute and can not be updated"},
		{name: "missing image", patch: `[{"op":"replace","path":"/image_id","value":"no-such-image"}]`, status: 400, detail: "Image no-such-image could not be found."},
		{name: "bad network driver", patch: `[{"op":"replace","path":"/network_driver","value":"weave"}]`, status: 400,
			detail: "Network driver type weave is not supported, expecting a flannel/calico/unspecified network driver."},
		{name: "missing flavor", patch: `[{"op":"replace","path":"/flavor_id","value":"m1.nope"}]`, status: 400, detail: "Unable to find flavor m1.nope."},
		{name: "publish needs admin", patch: `[{"op":"replace","path":"/public","value":true}]`, status: 403, detail: "Not authorized to set public or hidden flag for cluster template."},
		{name: "not a list", patch: `{"op": "replace", "path": "/name", "value": "x"}`, status: 400,
			detail: "Invalid input for field/attribute patch. Value: '{'op': 'replace', 'path': '/name', 'value': 'x'}'. Value not a valid list: {'op': 'replace', 'path': '/name', 'value': 'x'}"},
		{name: "move", patch: `[{"op":"move","path":"/name","from":"/tags"}]`, status: 400, detail: "Unknown attribute for argument patch: from"},
		{name: "no value", patch: `[{"op":"replace","path":"/name"}]`, status: 400, detail: "'add' and 'replace' operations needs value"},
		{name: "dotted label key", patch: `[{"op":"add","path":"/labels/a.b","value":"x"}]`, status: 400,
			detail: `Invalid input for field/attribute path. Value: '/labels/a.b'. Value should match the pattern ^(/[\w-]+)+$`},
		{name: "bad json", patch: "not json", status: 400, detail: "Request is not in valid JSON format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := m.create("/v1/clustertemplates", validTemplate("ct-"+strings.ReplaceAll(tc.name, " ", "-")))
			hdr := []string{}
			if tc.ctype != "" {
				hdr = append(hdr, "Content-Type", tc.ctype)
			}
			r := m.do("PATCH", "/v1/clustertemplates/"+before["uuid"].(string), tc.patch, hdr...)
			if tc.status != 200 {
				wantMagnumError(t, r, tc.status, tc.detail)
				after := m.do("GET", "/v1/clustertemplates/"+before["uuid"].(string), nil).body
				if fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("failed PATCH changed the template:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("PATCH: %d %s", r.status, r.raw)
			}
			tc.check(t, before, r.body)
		})
	}
}

// wantField checks ct[key] == want, or with three arguments that the map
// field key contains sub = want.
func wantField(t *testing.T, ct map[string]any, key string, want ...any) {
	t.Helper()
	if len(want) == 2 {
		if got := ct[key].(map[string]any)[want[0].(string)]; got != want[1] {
			t.Errorf("%s[%v] = %#v, want %#v", key, want[0], got, want[1])
		}
		return
	}
	if fmt.Sprint(ct[key]) != fmt.Sprint(want[0]) {
		t.Errorf("%s = %#v, want %#v", key, ct[key], want[0])
	}
}

func TestReferencedTemplate(t *testing.T) {
	s := startSim(t, Options{})
	m := newMagnum(t, s, "demo")
	ct := m.create("/v1/clustertemplates", validTemplate("ct-ref"))
	id := ct["uuid"].(string)
	path := "/v1/clustertemplates/" + id
	s.services().magnum.st.insertClusterRow(&clusterRow{uuid: "c0000000-0000-0000-0000-000000000001", name: "c1", projectID: ct["project_id"].(string), templateUUID: id})

	referenced := "ClusterTemplate " + id + " is referenced by one or multiple clusters."
	wantMagnumError(t, m.do("DELETE", path, nil), 400, referenced)
	wantMagnumError(t, m.do("PATCH", path, `[{"op":"replace","path":"/docker_volume_size","value":6}]`), 400, referenced)
	wantMagnumError(t, m.do("PATCH", path, `[{"op":"replace","path":"/name","value":"r"},{"op":"replace","path":"/tags","value":"t"}]`), 400, referenced)
	// Replacing the name with itself changes nothing, which Magnum refuses
	// too.
	wantMagnumError(t, m.do("PATCH", path, `[{"op":"replace","path":"/name","value":"ct-ref"}]`), 400, referenced)
	for _, ok := range []string{
		`[{"op":"replace","path":"/name","value":"ct-ref-r"}]`,
		`[{"op":"replace","path":"/tags","value":"t1"}]`,
	} {
		if r := m.do("PATCH", path, ok); r.status != 200 {
			t.Errorf("PATCH %s on a referenced template: %d %s", ok, r.status, r.raw)
		}
	}
	// Publishing is allowed on a referenced template, but only for admins,
	// and the publish policy is checked first.
	wantMagnumError(t, m.do("PATCH", path, `[{"op":"replace","path":"/hidden","value":true}]`), 403,
		"Not authorized to set public or hidden flag for cluster template.")
	if !s.TemplateExists(id) {
		t.Fatal("referenced template was deleted")
	}
	delete(s.services().magnum.st.clusters, "c0000000-0000-0000-0000-000000000001")
	if r := m.do("DELETE", path, nil); r.status != 204 || len(r.raw) != 0 {
		t.Errorf("DELETE after the cluster went: %d %s", r.status, r.raw)
	}
	if s.TemplateExists(id) {
		t.Error("template still exists")
	}
}

func TestReferencedUpdateAllowed(t *testing.T) {
	for _, tc := range []struct {
		changes map[string]any
		want    bool
	}{
		{map[string]any{"name": "x"}, true},
		{map[string]any{"public": true}, true},
		{map[string]any{"public": false}, false},
		{map[string]any{"hidden": false}, true},
		{map[string]any{"tags": "a"}, true},
		{map[string]any{"tags": nil}, false},
		{map[string]any{"docker_volume_size": int64(3)}, false},
		{map[string]any{"name": "x", "tags": "t"}, false},
		{map[string]any{}, false},
	} {
		if got := referencedUpdateAllowed(tc.changes); got != tc.want {
			t.Errorf("referencedUpdateAllowed(%v) = %v, want %v", tc.changes, got, tc.want)
		}
	}
}
