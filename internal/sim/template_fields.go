package sim

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The cluster template API type, as WSME declares it in Magnum's
// api/controllers/v1/cluster_template.py (and baymodel.py). The order is
// the order of the response body in the captures.

type fieldKind int

const (
	kindStr fieldKind = iota
	kindInt
	kindBool
	kindEnum
	kindLabels
	kindDNSList // comma-separated IPs (cluster templates)
	kindIPv4    // a single IPv4 address (baymodels)
	kindUUID
	kindReadOnly
)

type fieldSpec struct {
	name      string
	kind      fieldKind
	min, max  int64 // string length or integer bounds; max 0 means none
	hasMin    bool
	mandatory bool
	def       any // value on create when absent
}

func strField(name string) fieldSpec {
	return fieldSpec{name: name, kind: kindStr, min: 1, max: 255, hasMin: true}
}

func boolField(name string, def bool) fieldSpec {
	return fieldSpec{name: name, kind: kindBool, def: def}
}

// templateKind distinguishes the two faces of the cluster_template table.
type templateKind struct {
	argName    string // WSME argument name in messages
	collection string // URL segment and list key
	nameSuffix string // generated names: <word>-<NN>-<suffix>
	policy     string // policy prefix in 403 messages
	bay        bool
}

var (
	clusterTemplateKind = &templateKind{argName: "cluster_template", collection: "clustertemplates", nameSuffix: "template", policy: "clustertemplate"}
	baymodelKind        = &templateKind{argName: "baymodel", collection: "baymodels", nameSuffix: "model", policy: "baymodel", bay: true}
)

// fields returns the API attributes of this kind of template under the
// given profile.
func (k *templateKind) fields(p *profile) []fieldSpec {
	dns := fieldSpec{name: "dns_nameserver", kind: kindDNSList}
	keypair := strField("keypair_id")
	if k.bay {
		dns.kind = kindIPv4
		keypair.mandatory = true
	}
	image := strField("image_id")
	image.mandatory = true
	fs := []fieldSpec{
		{name: "uuid", kind: kindUUID},
		strField("name"),
		{name: "coe", kind: kindEnum},
		image,
		strField("flavor_id"),
		strField("master_flavor_id"),
		dns,
		keypair,
		strField("external_network_id"),
		strField("fixed_network"),
		strField("fixed_subnet"),
		strField("network_driver"),
		{name: "apiserver_port", kind: kindInt, min: 1024, max: 65535, hasMin: true},
		{name: "docker_volume_size", kind: kindInt, min: 1, hasMin: true},
		strField("cluster_distro"),
		{name: "links", kind: kindReadOnly},
		strField("http_proxy"),
		strField("https_proxy"),
		strField("no_proxy"),
		strField("volume_driver"),
		boolField("registry_enabled", false),
		{name: "labels", kind: kindLabels},
		boolField("tls_disabled", false),
		boolField("public", false),
		{name: "server_type", kind: kindEnum, def: "vm"},
		strField("insecure_registry"),
		strField("docker_storage_driver"),
		boolField("master_lb_enabled", false),
		boolField("floating_ip_enabled", true),
	}
	if !k.bay {
		fs = append(fs, fieldSpec{name: "project_id", kind: kindReadOnly}, fieldSpec{name: "user_id", kind: kindReadOnly})
	}
	fs = append(fs, boolField("hidden", false), fieldSpec{name: "tags", kind: kindStr, max: 255})
	if p.templateDriver && !k.bay {
		fs = append(fs, strField("driver"))
	}
	return append(fs,
		fieldSpec{name: "created_at", kind: kindReadOnly},
		fieldSpec{name: "updated_at", kind: kindReadOnly})
}

func enumValues(p *profile, field string) []string {
	if field == "coe" {
		return p.coeEnum
	}
	return []string{"bm", "vm"}
}

// invalidInput is WSME's InvalidInput.
func invalidInput(field string, value any, msg string) *apiError {
	return errf(http.StatusBadRequest, "Invalid input for field/attribute %s. Value: '%s'. %s", field, pyStr(value), msg)
}

// Labels accept str, int, bool and float on cluster templates; WSME prints
// the accepted types as profile.labelTypes when it refuses one, and bay
// labels only str.
const (
	labelTypesBay = "<class 'str'>"
)

// convertCreate turns a POSTed JSON value into the field's Python value the
// way WSME's fromjson does, including its coercions ("5" becomes 5 for an
// integer, "yes" true for a boolean).
func (s *magnumService) convertCreate(k *templateKind, f fieldSpec, raw any) (any, *apiError) {
	if raw == nil {
		return nil, nil
	}
	switch f.kind {
	case kindInt:
		var n int64
		switch t := raw.(type) {
		case int64:
			n = t
		case bool:
			if t {
				n = 1
			}
		case float64:
			n = int64(t)
		case string:
			v, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
			if err != nil {
				return nil, invalidInput(f.name, raw, fmt.Sprintf("invalid literal for int() with base 10: %s", pyRepr(t)))
			}
			n = v
		default:
			return nil, invalidInput(f.name, raw, fmt.Sprintf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyTypeShort(raw)))
		}
		return n, checkIntBounds(f, n)
	case kindBool:
		switch t := raw.(type) {
		case bool:
			return t, nil
		case int64:
			return t != 0, nil
		case string:
			switch t {
			case "true", "t", "yes", "y", "on", "1":
				return true, nil
			case "false", "f", "no", "n", "off", "0":
				return false, nil
			}
		}
		return nil, invalidInput(f.name, raw, "Value not an unambiguous boolean: "+pyStr(raw))
	case kindLabels:
		return s.convertLabels(k, raw)
	case kindReadOnly:
		v := raw
		if str, ok := raw.(string); ok && (f.name == "created_at" || f.name == "updated_at") {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
				if ts, err := time.Parse(layout, str); err == nil {
					v = ts.Format("2006-01-02 15:04:05")
					break
				}
			}
		}
		return nil, invalidInput(f.name, v, "Cannot set read only field.")
	}
	return s.validateValue(k, f, raw)
}

// validateValue is WSME's validate_value: what happens when an attribute is
// assigned, which is all a PATCH goes through (no coercion).
func (s *magnumService) validateValue(k *templateKind, f fieldSpec, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	switch f.kind {
	case kindStr:
		str, ok := v.(string)
		if !ok {
			return nil, invalidInput(f.name, v, "Value should be string")
		}
		if f.hasMin && int64(len([]rune(str))) < f.min {
			return nil, invalidInput(f.name, v, fmt.Sprintf("Value should have a minimum character requirement of %d", f.min))
		}
		if f.max > 0 && int64(len([]rune(str))) > f.max {
			return nil, invalidInput(f.name, v, fmt.Sprintf("Value should have a maximum character requirement of %d", f.max))
		}
		return str, nil
	case kindInt:
		switch t := v.(type) {
		case int64:
			return t, checkIntBounds(f, t)
		case bool:
			n := int64(0)
			if t {
				n = 1
			}
			return n, checkIntBounds(f, n)
		}
		// IntegerType.validate compares before it checks the type.
		return nil, invalidInput(f.name, v, fmt.Sprintf("'<' not supported between instances of '%s' and 'int'", pyTypeShort(v)))
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, invalidInput(f.name, v, fmt.Sprintf("Wrong type. Expected '<class 'bool'>', got '%s'", pyTypeName(v)))
		}
		return b, nil
	case kindEnum:
		vals := enumValues(s.profile, f.name)
		if str, ok := v.(string); ok {
			for _, e := range vals {
				if e == str {
					return str, nil
				}
			}
		}
		return nil, invalidInput(f.name, v, "Value should be one of: "+strings.Join(vals, ", "))
	case kindLabels:
		d, ok := v.(*pyDict)
		if !ok {
			return nil, invalidInput(f.name, v, fmt.Sprintf("Wrong type. Expected '<class 'dict'>', got '%s'", pyTypeName(v)))
		}
		return d, checkLabelValues(s.profile, k, d)
	case kindDNSList:
		str, ok := v.(string)
		if !ok || !validDNSList(str) {
			return nil, errf(http.StatusBadRequest, "Expected a single dns address or comma separated dns list, but received %s.", pyStr(v))
		}
		return str, nil
	case kindIPv4:
		str, ok := v.(string)
		if ip := net.ParseIP(str); !ok || ip == nil || ip.To4() == nil || strings.Contains(str, ":") {
			return nil, invalidInput(f.name, v, "Value should be IPv4 format")
		}
		return str, nil
	case kindUUID:
		str, ok := v.(string)
		if !ok || !isUUIDLike(str) {
			return nil, errf(http.StatusBadRequest, "Expected a uuid but received %s.", pyStr(v))
		}
		return canonicalUUID(str), nil
	}
	return v, nil
}

func checkIntBounds(f fieldSpec, n int64) *apiError {
	if f.hasMin && n < f.min {
		return invalidInput(f.name, n, fmt.Sprintf("Value should be greater or equal to %d", f.min))
	}
	if f.max > 0 && n > f.max {
		return invalidInput(f.name, n, fmt.Sprintf("Value should be lower or equal to %d", f.max))
	}
	return nil
}

// convertLabels is DictType.fromjson followed by the value-type check.
func (s *magnumService) convertLabels(k *templateKind, raw any) (any, *apiError) {
	d, ok := raw.(*pyDict)
	if !ok {
		// WSME reports this one against the whole request argument.
		return nil, nil
	}
	return d, checkLabelValues(s.profile, k, d)
}

func checkLabelValues(p *profile, k *templateKind, d *pyDict) *apiError {
	for _, it := range d.items {
		if _, ok := it.Key.(string); !ok {
			return invalidInput("labels", d, fmt.Sprintf("Wrong type. Expected '<class 'str'>', got '%s'", pyTypeName(it.Key)))
		}
		switch it.Val.(type) {
		case nil:
			// Passes the API type; the object layer refuses it later
			// with a 500 (FINDINGS #97).
		case string:
		case int64, bool, float64:
			if k.bay {
				return invalidInput("labels", d, fmt.Sprintf("Wrong type. Expected '%s', got '%s'", labelTypesBay, pyTypeName(it.Val)))
			}
		default:
			expected := p.labelTypes
			if k.bay {
				expected = labelTypesBay
			}
			return invalidInput("labels", d, fmt.Sprintf("Wrong type. Expected '%s', got '%s'", expected, pyTypeName(it.Val)))
		}
	}
	return nil
}

// storeLabels applies the object layer's DictOfStringsField: every value
// becomes its Python str(), so true is stored as "True".
func storeLabels(d *pyDict) (*pyDict, *apiError) {
	out := newPyDict()
	for _, it := range d.entries() {
		if it.Val == nil {
			return nil, errf(http.StatusInternalServerError, "Field `labels[%s]' cannot be None", pyStr(it.Key))
		}
		out.Set(pyStr(it.Key), pyStr(it.Val))
	}
	return out, nil
}

// entries tolerates a nil dict.
func (d *pyDict) entries() []pyItem {
	if d == nil {
		return nil
	}
	return d.items
}

func validDNSList(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		if net.ParseIP(strings.TrimSpace(part)) == nil {
			return false
		}
	}
	return true
}

// pyTypeShort is type(v).__name__.
func pyTypeShort(v any) string {
	n := pyTypeName(v)
	return strings.TrimSuffix(strings.TrimPrefix(n, "<class '"), "'>")
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// isUUIDLike is oslo's is_uuid_like: braces, "urn:uuid:" and hyphens are
// tolerated, case is not significant.
func isUUIDLike(v string) bool {
	c := strings.ToLower(v)
	c = strings.ReplaceAll(strings.ReplaceAll(c, "urn:", ""), "uuid:", "")
	c = strings.ReplaceAll(strings.Trim(c, "{}"), "-", "")
	return hexRE.MatchString(c)
}

func canonicalUUID(v string) string {
	c := strings.ToLower(v)
	c = strings.ReplaceAll(strings.ReplaceAll(c, "urn:", ""), "uuid:", "")
	c = strings.ReplaceAll(strings.Trim(c, "{}"), "-", "")
	if len(c) != 32 {
		return v
	}
	return c[0:8] + "-" + c[8:12] + "-" + c[12:16] + "-" + c[16:20] + "-" + c[20:]
}
