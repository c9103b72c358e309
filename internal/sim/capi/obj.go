package capi

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
)

// obj is an unstructured Kubernetes object, as JSON decodes it.
type obj map[string]any

func (o obj) get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := asMap(cur)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case obj:
		return m, true
	}
	return nil, false
}

func (o obj) str(path ...string) string {
	s, _ := o.get(path...).(string)
	return s
}

// num reads an integer field; JSON numbers decode as float64.
func (o obj) num(path ...string) (int64, bool) {
	switch n := o.get(path...).(type) {
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func (o obj) boolean(path ...string) bool {
	b, _ := o.get(path...).(bool)
	return b
}

func (o obj) m(path ...string) map[string]any {
	m, _ := asMap(o.get(path...))
	return m
}

func (o obj) list(path ...string) []any {
	l, _ := o.get(path...).([]any)
	return l
}

// set writes v at path, making the maps on the way.
func (o obj) set(v any, path ...string) {
	cur := map[string]any(o)
	for _, p := range path[:len(path)-1] {
		next, ok := asMap(cur[p])
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

func (o obj) del(path ...string) {
	if m := o.m(path[:len(path)-1]...); m != nil {
		delete(m, path[len(path)-1])
	}
}

func (o obj) name() string      { return o.str("metadata", "name") }
func (o obj) namespace() string { return o.str("metadata", "namespace") }
func (o obj) uid() string       { return o.str("metadata", "uid") }
func (o obj) deleting() bool    { return o.str("metadata", "deletionTimestamp") != "" }
func (o obj) label(k string) string {
	s, _ := o.m("metadata", "labels")[k].(string)
	return s
}

func (o obj) generation() int64 {
	g, _ := o.num("metadata", "generation")
	return g
}

func (o obj) strMap(path ...string) map[string]string {
	out := map[string]string{}
	for k, v := range o.m(path...) {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (o obj) finalizers() []string {
	var out []string
	for _, f := range o.list("metadata", "finalizers") {
		if s, ok := f.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (o obj) hasFinalizer(f string) bool { return slices.Contains(o.finalizers(), f) }

func (o obj) setFinalizers(fs []string) {
	l := make([]any, len(fs))
	for i, f := range fs {
		l[i] = f
	}
	o.set(l, "metadata", "finalizers")
}

// ownedBy reports whether o has an owner reference to owner.
func (o obj) ownedBy(owner obj) bool {
	for _, r := range o.list("metadata", "ownerReferences") {
		if m, ok := asMap(r); ok && m["uid"] == owner.uid() {
			return true
		}
	}
	return false
}

func ownerRef(owner obj, r resource, controller bool) map[string]any {
	ref := map[string]any{"apiVersion": r.apiVersion(), "kind": r.kind, "name": owner.name(), "uid": owner.uid()}
	if controller {
		ref["controller"], ref["blockOwnerDeletion"] = true, true
	}
	return ref
}

func ref(r resource, o obj) map[string]any {
	return map[string]any{"apiVersion": r.apiVersion(), "kind": r.kind, "name": o.name(), "namespace": o.namespace()}
}

// clone deep-copies a JSON value.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// jsonEqual compares two JSON values by their encoding, so int and float64
// of the same number are equal.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var xv, yv any
	_ = json.Unmarshal(x, &xv)
	_ = json.Unmarshal(y, &yv)
	xb, _ := json.Marshal(xv)
	yb, _ := json.Marshal(yv)
	return string(xb) == string(yb)
}

// selector renders matchLabels as a label selector string.
func selector(labels map[string]string) string {
	keys := slices.Sorted(maps.Keys(labels))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

// byCreation sorts objects oldest first, by name when they tie.
func byCreation(l []obj) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].str("metadata", "creationTimestamp"), l[j].str("metadata", "creationTimestamp")
		if a != b {
			return a < b
		}
		return l[i].name() < l[j].name()
	})
}

// subset reports whether every field of want is in have with the same
// value: objects an API server stored may carry defaults that were not
// asked for.
func subset(want, have any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := asMap(have)
		if !ok {
			return len(w) == 0 && have == nil
		}
		for k, v := range w {
			if !subset(v, h[k]) {
				return false
			}
		}
		return true
	case obj:
		return subset(map[string]any(w), have)
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return len(w) == 0 && have == nil
		}
		for i := range w {
			if !subset(w[i], h[i]) {
				return false
			}
		}
		return true
	case nil:
		return true
	}
	return jsonEqual(want, have)
}
