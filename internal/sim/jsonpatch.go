package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// JSON-patch as Magnum implements it: WSME's JsonPatchType checks each
// operation, Magnum's apply_jsonpatch adds its own rules for the top level
// and for "/labels", and the python jsonpatch library applies the result.

type patchOp struct {
	op, path string
	value    any
	hasValue bool
}

var patchPathRE = regexp.MustCompile(`^(/[A-Za-z0-9_-]+)+$`)

// patchInternalAttrs can never be patched (JsonPatchType.internal_attrs).
var patchInternalAttrs = map[string]bool{
	"/created_at": true, "/id": true, "/links": true, "/updated_at": true,
	"/uuid": true, "/project_id": true, "/user_id": true,
}

// templateNonRemovable is ClusterTemplatePatchType's extra list; the
// mandatory attributes of the API type are added per kind.
var templateNonRemovable = map[string]bool{
	"/network_driver": true, "/external_network_id": true, "/tls_disabled": true,
	"/public": true, "/server_type": true, "/coe": true, "/registry_enabled": true,
	"/cluster_distro": true, "/hidden": true,
}

// parsePatch validates the request body as a list of JsonPatchType.
func parsePatch(body any, nonRemovable func(path string) bool) ([]patchOp, *apiError) {
	list, ok := body.(pyList)
	if !ok {
		if body == nil {
			return nil, invalidInput("patch", nil, "Mandatory field missing.")
		}
		return nil, invalidInput("patch", body, "Value not a valid list: "+pyStr(body))
	}
	ops := make([]patchOp, 0, len(list))
	for _, item := range list {
		d, ok := item.(*pyDict)
		if !ok {
			return nil, invalidInput("patch", body, "Value not a valid dict: "+pyStr(item))
		}
		var unknown []string
		for _, k := range d.Keys() {
			if ks, _ := k.(string); ks != "op" && ks != "path" && ks != "value" {
				unknown = append(unknown, pyStr(k))
			}
		}
		if len(unknown) > 0 {
			return nil, errf(http.StatusBadRequest, "Unknown attribute for argument patch: %s", strings.Join(unknown, ", "))
		}
		var op patchOp
		path, ok := d.Get("path")
		if !ok || path == nil {
			return nil, invalidInput("path", nil, "Mandatory field missing.")
		}
		if op.path, ok = path.(string); !ok {
			return nil, invalidInput("path", path, "Value should be string")
		}
		if !patchPathRE.MatchString(op.path) {
			return nil, invalidInput("path", path, `Value should match the pattern ^(/[\w-]+)+$`)
		}
		opv, ok := d.Get("op")
		if !ok || opv == nil {
			return nil, invalidInput("op", nil, "Mandatory field missing.")
		}
		op.op, _ = opv.(string)
		if op.op != "add" && op.op != "replace" && op.op != "remove" {
			return nil, invalidInput("op", opv, "Value should be one of: add, replace, remove")
		}
		op.value, op.hasValue = d.Get("value")
		switch op.value.(type) {
		case nil, string, int64, bool:
		default:
			return nil, invalidInput("value", op.value,
				fmt.Sprintf("Wrong type. Expected '(<class 'str'>, <class 'int'>)', got '%s'", pyTypeName(op.value)))
		}
		if patchInternalAttrs[op.path] {
			return nil, errf(http.StatusBadRequest, "'%s' is an internal attribute and can not be updated", op.path)
		}
		if op.op == "remove" && nonRemovable(op.path) {
			return nil, errf(http.StatusBadRequest, "'%s' is a mandatory attribute and can not be removed", op.path)
		}
		if op.op != "remove" && !op.hasValue {
			return nil, errf(http.StatusBadRequest, "'add' and 'replace' operations needs value")
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// patchRepr renders the patch as Magnum's PatchError quotes it: each
// operation as a Python dict with keys in path, op, value order.
func patchRepr(ops []patchOp) string {
	l := make(pyList, len(ops))
	for i, op := range ops {
		d := newPyDict()
		d.Set("path", op.path)
		d.Set("op", op.op)
		if op.hasValue {
			d.Set("value", op.value)
		}
		l[i] = d
	}
	return pyRepr(l)
}

func patchError(ops []patchOp, reason string) *apiError {
	return errf(http.StatusBadRequest, "Couldn't apply patch '%s'. Reason: %s", patchRepr(ops), reason)
}

// applyPatch applies ops to doc in place. doc's top-level keys are the
// resource's fields; "/labels" may be replaced by a Python dict literal
// string, which is what magnumclient sends.
func applyPatch(doc *pyDict, ops []patchOp) *apiError {
	for i := range ops {
		op := &ops[i]
		parts := strings.Split(op.path[1:], "/")
		if op.op == "add" && len(parts) == 1 {
			cur, exists := doc.Get(parts[0])
			if !exists {
				return errf(http.StatusBadRequest, "Adding a new attribute %s to the root of the resource is not allowed.", op.path)
			}
			if cur != nil {
				return errf(http.StatusBadRequest, "The attribute %s has existed, please use 'replace' operation instead.", op.path)
			}
		}
		if op.op == "replace" && (op.path == "/labels" || op.path == "/health_status_reason") {
			if _, isDict := op.value.(*pyDict); !isDict {
				src, isStr := op.value.(string)
				if !isStr {
					return patchError(ops, "malformed node or string: "+pyRepr(op.value))
				}
				v, err := pyLiteralEval(src)
				if err != nil {
					return patchError(ops, err.Error())
				}
				op.value = v
			}
		}
	}
	for _, op := range ops {
		if reason := applyOne(doc, op); reason != "" {
			return patchError(ops, reason)
		}
	}
	return nil
}

// applyOne is python-jsonpatch's add/replace/remove; it returns the
// exception text on failure.
func applyOne(doc *pyDict, op patchOp) string {
	parts := strings.Split(op.path[1:], "/")
	var parent any = doc
	for _, part := range parts[:len(parts)-1] {
		switch p := parent.(type) {
		case *pyDict:
			next, ok := p.Get(part)
			if !ok {
				return fmt.Sprintf("member '%s' not found in %s", part, pyRepr(p))
			}
			parent = next
		case pyList:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(p) {
				return fmt.Sprintf("index '%s' is out of bounds", part)
			}
			parent = p[i]
		default:
			return fmt.Sprintf("unable to fully resolve json pointer %s, part %s", op.path, part)
		}
	}
	last := parts[len(parts)-1]
	d, ok := parent.(*pyDict)
	if !ok {
		// Lists only occur under internal attributes, which never get here.
		return fmt.Sprintf("unable to fully resolve json pointer %s, part %s", op.path, last)
	}
	_, exists := d.Get(last)
	switch op.op {
	case "add":
		d.Set(last, op.value)
	case "replace":
		if !exists {
			return fmt.Sprintf("can't replace a non-existent object '%s'", last)
		}
		d.Set(last, op.value)
	case "remove":
		if !exists {
			return fmt.Sprintf("can't remove a non-existent object '%s'", last)
		}
		d.Delete(last)
	}
	return ""
}
