package difftest

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Values that differ between any two runs, let alone two clouds, and so
// are compared only for presence and nullness: identifiers, times, links,
// certificates.
var volatileKeys = map[string]bool{
	"uuid": true, "id": true, "created_at": true, "updated_at": true, "links": true,
	"stack_id": true, "discovery_url": true, "project_id": true, "user_id": true,
	"cluster_uuid": true, "bay_uuid": true, "cluster_template_id": true, "baymodel_id": true,
	"cluster_id": true, "pem": true, "csr": true, "request_id": true, "next": true,
	"trustee_user_id": true, "trust_id": true,
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hexRE  = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	// 127.0.0.1 with any port: the simulator's listeners are ephemeral.
	urlRE  = regexp.MustCompile(`(https?|tcp)://127\.0\.0\.1(:\d+)?`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?`)
	// Magnum's generated names (FINDINGS 2, #30): a word, two digits, kind.
	genNameRE = regexp.MustCompile(`^[a-z]+-\d+-(template|model|cluster|bay)$`)
	// Python sets print in hash order (FINDINGS #76).
	oneOfRE = regexp.MustCompile(`(one of: )([a-z\-]+(, [a-z\-]+)+)`)
	// RPC message ids of "Timed out waiting for a reply to message ID".
	msgIDRE = regexp.MustCompile(`message ID [0-9a-f]+`)
	// Cluster API drivers' Cluster names, kube- and five random
	// characters (capi-driver.md), in status reasons.
	capiNameRE = regexp.MustCompile(`\bkube-[a-z0-9]{5}\b`)
)

func normString(s string) string {
	s = uuidRE.ReplaceAllString(s, "<uuid>")
	s = hexRE.ReplaceAllString(s, "<hex>")
	s = urlRE.ReplaceAllString(s, "$1://<host>")
	// The simulator serves Magnum under /container-infra on a shared
	// listener; real Magnum has a port of its own.
	s = strings.ReplaceAll(s, "://<host>/container-infra", "://<host>")
	s = timeRE.ReplaceAllString(s, "<time>")
	s = msgIDRE.ReplaceAllString(s, "message ID <hex>")
	s = capiNameRE.ReplaceAllString(s, "kube-<name>")
	s = oneOfRE.ReplaceAllStringFunc(s, func(m string) string {
		parts := oneOfRE.FindStringSubmatch(m)
		items := strings.Split(parts[2], ", ")
		sort.Strings(items)
		return parts[1] + strings.Join(items, ", ")
	})
	if genNameRE.MatchString(s) {
		return "<generated-name>"
	}
	return s
}

// collections are list answers; only the items of this run are kept, as
// the real cloud holds whatever earlier runs and other tests left.
var collections = map[string]bool{
	"clustertemplates": true, "baymodels": true, "clusters": true, "bays": true, "quotas": true,
}

// normalize returns a copy of an answer fit for comparison.
func normalize(v any, run string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			switch {
			case volatileKeys[k] && val == nil:
				// null against a value is a difference worth seeing
				// (an updated_at Magnum leaves stale, a stack_id not
				// saved yet).
				out[k] = nil
			case volatileKeys[k]:
				out[k] = "<volatile>"
				// A timestamp keeps its shape: with microseconds or without
				// (PostgreSQL keeps them, MySQL does not; clients must read
				// both).
				if ts, ok := val.(string); ok && timeRE.MatchString(ts) {
					out[k] = "<time>"
					if strings.Contains(ts, ".") {
						out[k] = "<time.microseconds>"
					}
				}
			case collections[k]:
				items, _ := val.([]any)
				kept := []any{}
				for _, it := range items {
					m, _ := it.(map[string]any)
					if name, _ := m["name"].(string); strings.Contains(name, run) {
						kept = append(kept, normalize(it, run))
					}
				}
				// By name: Magnum lists by id, and real Magnum 15's
				// conductor, not its API, inserts a new cluster's row, so
				// clusters created a moment apart get their ids in whatever
				// order the conductor's threads reach the insert (measured:
				// a create sent after two others listed before them).
				sort.SliceStable(kept, func(i, j int) bool { return itemName(kept[i]) < itemName(kept[j]) })
				out[k] = kept
			default:
				out[k] = normalize(val, run)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, it := range t {
			out[i] = normalize(it, run)
		}
		return out
	case string:
		return normString(t)
	}
	return v
}

// difference is one way an answer of the simulator differs from real
// Magnum's. path is "status" or a JSON path into the body ("body",
// "body.errors[0].detail", "body.node_addresses").
type difference struct {
	step, path, real, sim string
}

func (d difference) String() string {
	return fmt.Sprintf("%s %s: real %s, simulator %s", d.step, d.path, d.real, d.sim)
}

func compare(stepName string, real, sim exchange, run string) []difference {
	var out []difference
	if real.Status != sim.Status {
		out = append(out, difference{stepName, "status", fmt.Sprint(real.Status), fmt.Sprint(sim.Status)})
	}
	diffValues(stepName, "body", normalize(real.Body, run), normalize(sim.Body, run), &out)
	return out
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if m, ok := v.(string); ok {
		s = fmt.Sprintf("%q", m)
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func diffValues(step, path string, a, b any, out *[]difference) {
	switch at := a.(type) {
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, difference{step, path, short(a), short(b)})
			return
		}
		keys := map[string]bool{}
		for k := range at {
			keys[k] = true
		}
		for k := range bt {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			av, aok := at[k]
			bv, bok := bt[k]
			switch {
			case !bok:
				*out = append(*out, difference{step, path + "." + k, short(av), "(no field)"})
			case !aok:
				*out = append(*out, difference{step, path + "." + k, "(no field)", short(bv)})
			default:
				diffValues(step, path+"."+k, av, bv, out)
			}
		}
	case []any:
		bt, ok := b.([]any)
		if !ok || len(at) != len(bt) {
			*out = append(*out, difference{step, path, short(a), short(b)})
			return
		}
		for i := range at {
			diffValues(step, fmt.Sprintf("%s[%d]", path, i), at[i], bt[i], out)
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
			*out = append(*out, difference{step, path, short(a), short(b)})
		}
	}
}

// knownDifference explains a difference that stays: what real Magnum
// does that the simulator deliberately does not, or cannot. Each is one
// field of the named steps, never a whole step or a whole body, so a new
// difference in the same step still fails the comparison.
type knownDifference struct {
	// Steps names the script's steps the field differs in.
	Steps []string `yaml:"steps"`
	// Path is one field: "status" (the HTTP status) or a body path such as
	// "body.errors[0].detail"; "*.key" is that key at any depth (in list
	// items too). It matches the difference's path exactly.
	Path   string `yaml:"path"`
	Reason string `yaml:"reason"`
	// Releases limits the entry to comparisons with these real releases
	// (zed, 2025.1, capi); empty is every release.
	Releases []string `yaml:"releases"`
}

func (k knownDifference) matches(release string, d difference) bool {
	if len(k.Releases) > 0 && !slices.Contains(k.Releases, release) {
		return false
	}
	if !slices.Contains(k.Steps, d.step) {
		return false
	}
	if rest, ok := strings.CutPrefix(k.Path, "*"); ok {
		return strings.HasSuffix(d.path, rest)
	}
	return d.path == k.Path
}

// validKnownPath reports whether p names one field: "status", a path below
// "body", or "*.key".
func validKnownPath(p string) bool {
	if p == "status" {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		return rest != "" && !strings.ContainsAny(rest, "*.[")
	}
	rest, ok := strings.CutPrefix(p, "body")
	return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "[")) && len(rest) > 1 && !strings.Contains(rest, "*")
}

// loadKnown reads the known differences; stepNames are the script's steps,
// so an entry naming a step that does not exist (a typo, a renamed step)
// is an error rather than an entry that silently explains nothing.
func loadKnown(path string, stepNames map[string]bool) ([]knownDifference, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var known []knownDifference
	if err := yaml.Unmarshal(raw, &known); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, k := range known {
		if len(k.Steps) == 0 || strings.TrimSpace(k.Reason) == "" {
			return nil, fmt.Errorf("%s: entry %d needs steps and a reason", path, i+1)
		}
		if !validKnownPath(k.Path) {
			return nil, fmt.Errorf("%s: entry %d: path %q is not one field (want status, body.<field> or *.<key>)", path, i+1, k.Path)
		}
		for _, st := range k.Steps {
			if !stepNames[st] {
				return nil, fmt.Errorf("%s: entry %d names step %q, which the script does not have", path, i+1, st)
			}
		}
		for _, r := range k.Releases {
			if _, ok := releases[r]; !ok {
				return nil, fmt.Errorf("%s: entry %d names release %q (want one of zed, 2025.1, capi)", path, i+1, r)
			}
		}
	}
	return known, nil
}

// scriptSteps is every step name of the script, over all releases.
func scriptSteps() map[string]bool {
	names := map[string]bool{}
	for _, rel := range releases {
		for _, st := range rel.steps("000000") {
			names[st.name] = true
		}
	}
	return names
}

func itemName(v any) string {
	m, _ := v.(map[string]any)
	name, _ := m["name"].(string)
	return name
}
