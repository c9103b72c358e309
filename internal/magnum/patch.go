package magnum

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// PatchOp is one JSON-patch operation as Magnum accepts it: Value must be a
// string, an integer or a boolean (Magnum rejects objects and lists).
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Replace sets path to v. Replace works on attributes whose value is null
// too, where "add" would fail once they are set.
func Replace(path string, v any) PatchOp { return PatchOp{Op: "replace", Path: path, Value: v} }

// Remove resets path to Magnum's default (null for optional attributes).
func Remove(path string) PatchOp { return PatchOp{Op: "remove", Path: path} }

// ReplaceLabels sets /labels. Magnum evaluates the value with Python's
// ast.literal_eval, so it must be a dict literal string, not a JSON object.
func ReplaceLabels(labels map[string]string) PatchOp {
	return Replace("/labels", PythonDict(labels))
}

// PythonDict renders labels as a Python dict literal with sorted keys, e.g.
// {'kube_tag': 'v1.23.3', 'note': 'it\'s'}.
func PythonDict(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pythonQuote(k))
		b.WriteString(": ")
		b.WriteString(pythonQuote(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// pythonQuote writes a single-quoted Python 3 string literal that
// ast.literal_eval reads back as s.
func pythonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// nonRemovable lists template attributes Magnum refuses to remove (400
// "... is a mandatory attribute and can not be removed").
var nonRemovable = map[string]bool{
	"coe": true, "image_id": true, "network_driver": true, "external_network_id": true,
	"tls_disabled": true, "public": true, "server_type": true, "registry_enabled": true,
	"cluster_distro": true, "hidden": true,
}

// DiffClusterTemplate returns the ops that turn from into to. A field set
// in from and nil in to is removed, except for attributes Magnum cannot
// remove, which are left as they are; emptied labels are replaced by {}.
// Only replace and remove are produced, so the PATCH can be repeated.
func DiffClusterTemplate(from, to ClusterTemplateCreate) []PatchOp {
	var ops []PatchOp
	ov, nv := reflect.ValueOf(from), reflect.ValueOf(to)
	t := ov.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := "/" + name
		a, b := ov.Field(i), nv.Field(i)
		switch a.Kind() {
		case reflect.Map:
			am, bm := a.Interface().(map[string]string), b.Interface().(map[string]string)
			if !maps.Equal(am, bm) {
				ops = append(ops, ReplaceLabels(bm))
			}
		case reflect.Pointer:
			switch {
			case b.IsNil() && a.IsNil():
			case b.IsNil():
				if !nonRemovable[name] {
					ops = append(ops, Remove(path))
				}
			case a.IsNil() || !reflect.DeepEqual(a.Elem().Interface(), b.Elem().Interface()):
				ops = append(ops, Replace(path, b.Elem().Interface()))
			}
		default:
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				ops = append(ops, Replace(path, b.Interface()))
			}
		}
	}
	return ops
}

// patchSafety classifies a PATCH: replace and remove set absolute values
// and may be repeated; add on a list or map path would not be.
func patchSafety(ops []PatchOp) safety {
	for _, op := range ops {
		if op.Op != "replace" && op.Op != "remove" {
			return unsafe
		}
	}
	return idempotent
}
