package capi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// A ClusterClass's inline patches, as Cluster API's topology controller
// applies them to the templates it clones (core/reconcilers/topology/
// cluster/patches/inline): a patch is enabled when its enabledIf template
// renders "true"; each definition whose selector matches the template adds,
// replaces or removes values (RFC 6902), given literally, from a variable
// (a dotted path such as auditLog.maxAge or builtin.cluster.name) or from a
// Go template rendered with the variables and read as YAML.

// target says which template of a topology a patch is applied to.
type target struct {
	infrastructureCluster bool
	controlPlane          bool   // the control plane template or its machines' infrastructure template
	mdClass               string // a MachineDeployment class's bootstrap or infrastructure template
}

func matchesSelector(sel map[string]any, tmpl obj, t target) bool {
	if sel["apiVersion"] != tmpl.str("apiVersion") || sel["kind"] != tmpl.str("kind") {
		return false
	}
	mr, _ := asMap(sel["matchResources"])
	if t.infrastructureCluster && mr["infrastructureCluster"] == true {
		return true
	}
	if t.controlPlane && mr["controlPlane"] == true {
		return true
	}
	if t.mdClass != "" {
		if mdc, ok := asMap(mr["machineDeploymentClass"]); ok {
			for _, n := range obj(mdc).list("names") {
				if n == t.mdClass {
					return true
				}
			}
		}
	}
	return false
}

// applyPatches applies the class's inline patches to tmpl in place.
func applyPatches(class obj, tmpl obj, t target, vars map[string]any) error {
	for _, p := range class.list("spec", "patches") {
		patch, ok := asMap(p)
		if !ok {
			continue
		}
		pname, _ := patch["name"].(string)
		if en, _ := patch["enabledIf"].(string); en != "" {
			out, err := render(en, vars)
			if err != nil {
				return fmt.Errorf("failed to calculate if patch %q is enabled: %w", pname, err)
			}
			if strings.TrimSpace(out) != "true" {
				continue
			}
		}
		for _, d := range obj(patch).list("definitions") {
			def, ok := asMap(d)
			if !ok {
				continue
			}
			sel, _ := asMap(def["selector"])
			if !matchesSelector(sel, tmpl, t) {
				continue
			}
			for _, jp := range obj(def).list("jsonPatches") {
				op, _ := asMap(jp)
				if err := applyJSONPatch(tmpl, op, vars); err != nil {
					return fmt.Errorf("failed to apply patch %q to %s %s: %w", pname, tmpl.str("kind"), tmpl.name(), err)
				}
			}
		}
	}
	return nil
}

func render(tpl string, vars map[string]any) (string, error) {
	t, err := template.New("tpl").Parse(tpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return "", err
	}
	return b.String(), nil
}

func patchValue(op map[string]any, vars map[string]any) (any, error) {
	vf, ok := asMap(op["valueFrom"])
	if !ok {
		return clone(op["value"]), nil
	}
	if v, ok := vf["variable"].(string); ok && v != "" {
		var cur any = vars
		for _, part := range strings.Split(v, ".") {
			m, ok := asMap(cur)
			if !ok {
				return nil, fmt.Errorf("variable %q not found", v)
			}
			if cur, ok = m[part]; !ok {
				return nil, fmt.Errorf("variable %q not found", v)
			}
		}
		return clone(cur), nil
	}
	tpl, _ := vf["template"].(string)
	out, err := render(tpl, vars)
	if err != nil {
		return nil, fmt.Errorf("failed to render template: %w", err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(out), &v); err != nil {
		return nil, fmt.Errorf("failed to unmarshal rendered template: %w", err)
	}
	return clone(v), nil
}

// applyJSONPatch is one RFC 6902 operation (add, replace, remove), with
// evanphx/json-patch's refusal to add under a missing parent.
func applyJSONPatch(doc obj, op map[string]any, vars map[string]any) error {
	kind, _ := op["op"].(string)
	path, _ := op["path"].(string)
	var value any
	if kind != "remove" {
		v, err := patchValue(op, vars)
		if err != nil {
			return err
		}
		value = v
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	var parent any = map[string]any(doc)
	for _, p := range parts[:len(parts)-1] {
		switch c := parent.(type) {
		case map[string]any:
			parent = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return fmt.Errorf("%s operation does not apply: doc is missing path: %q", kind, path)
			}
			parent = c[i]
		default:
			parent = nil
		}
		if parent == nil {
			return fmt.Errorf("%s operation does not apply: doc is missing path: %q", kind, path)
		}
	}
	last := parts[len(parts)-1]
	switch c := parent.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok && kind != "add" {
			return fmt.Errorf("%s operation does not apply: doc is missing key: %q", kind, path)
		}
		if kind == "remove" {
			delete(c, last)
		} else {
			c[last] = value
		}
		return nil
	case []any:
		// Arrays are changed through their holder, so find it again.
		return patchArray(doc, parts, kind, value, path)
	}
	return fmt.Errorf("%s operation does not apply: doc is missing path: %q", kind, path)
}

func patchArray(doc obj, parts []string, kind string, value any, path string) error {
	holder := doc.get(parts[:len(parts)-2]...)
	hm, ok := asMap(holder)
	key := parts[len(parts)-2]
	if !ok {
		return fmt.Errorf("%s operation does not apply: doc is missing path: %q", kind, path)
	}
	arr, _ := hm[key].([]any)
	last := parts[len(parts)-1]
	idx := len(arr)
	if last != "-" {
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i > len(arr) || (kind != "add" && i == len(arr)) {
			return fmt.Errorf("%s operation does not apply: index out of range in %q", kind, path)
		}
		idx = i
	} else if kind != "add" {
		return fmt.Errorf("%s operation does not apply: index out of range in %q", kind, path)
	}
	switch kind {
	case "add":
		arr = append(arr[:idx], append([]any{value}, arr[idx:]...)...)
	case "replace":
		arr[idx] = value
	case "remove":
		arr = append(arr[:idx], arr[idx+1:]...)
	default:
		return fmt.Errorf("unexpected op %q", kind)
	}
	hm[key] = arr
	return nil
}
