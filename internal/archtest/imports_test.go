// Package archtest holds the package map's rules as tests: DESIGN.md's
// table says, per package, what it may import, and these tests hold every
// package to its row.
package archtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const module = "github.com/magnumtf/terraform-provider-magnum"

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// rule is one row of the package map.
type rule struct {
	pkg      string   // module-relative; "." is the module's root
	internal []string // module-relative; a trailing "/..." allows the subtree
	external []string // names from the modules table
}

// designMap holds DESIGN.md's two tables.
type designMap struct {
	rules   map[string]rule
	modules map[string][]string // name → module paths
}

var (
	code    = regexp.MustCompile("`([^`]+)`")
	rowLine = regexp.MustCompile(`^\|(.*)\|\s*$`)
)

// cells splits a Markdown table row; table is false for lines outside a
// table, and the cells nil for the separator row.
func cells(line string) (c []string, table bool) {
	m := rowLine.FindStringSubmatch(line)
	if m == nil {
		return nil, false
	}
	if strings.Trim(m[1], "|-: ") == "" {
		return nil, true
	}
	c = strings.Split(m[1], "|")
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	return c, true
}

func parseDesign(b []byte) (*designMap, error) {
	d := &designMap{rules: map[string]rule{}, modules: map[string][]string{}}
	var header string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		c, table := cells(sc.Text())
		if !table {
			header = ""
			continue
		}
		if c == nil {
			continue
		}
		if header == "" {
			header = strings.Join(c, "|")
			continue
		}
		switch header {
		case "package|holds|may import":
			if len(c) != 3 {
				return nil, fmt.Errorf("package map row %q has %d cells, want 3", sc.Text(), len(c))
			}
			m := code.FindStringSubmatch(c[0])
			if m == nil || c[1] == "" {
				return nil, fmt.Errorf("package map row %q: want `package` | what it holds | may import", sc.Text())
			}
			r := rule{pkg: m[1]}
			if _, dup := d.rules[r.pkg]; dup {
				return nil, fmt.Errorf("two rows for %s", r.pkg)
			}
			if c[2] != "nothing" {
				for _, item := range strings.Split(c[2], ",") {
					item = strings.TrimSpace(item)
					if m := code.FindStringSubmatch(item); m != nil {
						r.internal = append(r.internal, m[1])
					} else {
						r.external = append(r.external, item)
					}
				}
			}
			d.rules[r.pkg] = r
		case "name|modules":
			for _, m := range code.FindAllStringSubmatch(c[1], -1) {
				d.modules[c[0]] = append(d.modules[c[0]], m[1])
			}
		}
	}
	if len(d.rules) == 0 || len(d.modules) == 0 {
		return nil, fmt.Errorf("found %d package rows and %d module names: the tables' headers must be `package | holds | may import` and `name | modules`", len(d.rules), len(d.modules))
	}
	for _, r := range d.rules {
		for _, name := range r.external {
			if d.modules[name] == nil {
				return nil, fmt.Errorf("%s may import %q, which the modules table does not define", r.pkg, name)
			}
		}
	}
	return d, nil
}

func loadDesign(t *testing.T) *designMap {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDesign(b)
	if err != nil {
		t.Fatalf("DESIGN.md: %v", err)
	}
	return d
}

// rel turns an import path of this module into the map's spelling.
func rel(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func within(path, root string) bool {
	return path == root || strings.HasPrefix(path, root+"/")
}

// allows reports whether the row lets its package import path.
func (d *designMap) allows(r rule, path string) bool {
	if p, ok := rel(path); ok {
		for _, a := range r.internal {
			if sub, ok := strings.CutSuffix(a, "/..."); ok {
				if within(p, sub) {
					return true
				}
			} else if p == a {
				return true
			}
		}
		return false
	}
	for _, name := range r.external {
		for _, m := range d.modules[name] {
			if within(path, m) {
				return true
			}
		}
	}
	return false
}

// goList returns every package of the module with its non-test imports.
func goList(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, args...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	pkgs := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		pkgs[f[0]] = f[1:]
	}
	return pkgs
}

// TestPackagesImportOnlyWhatTheMapAllows holds every package's non-test
// imports to its row of DESIGN.md's package map, and the map to the
// packages that exist.
func TestPackagesImportOnlyWhatTheMapAllows(t *testing.T) {
	d := loadDesign(t)
	pkgs := goList(t, "./...")
	seen := map[string]bool{}
	for path, imports := range pkgs {
		p, _ := rel(path)
		seen[p] = true
		r, ok := d.rules[p]
		if !ok {
			t.Errorf("%s has no row in DESIGN.md's package map: add one saying what it holds and may import", p)
			continue
		}
		for _, imp := range imports {
			if isStd(imp) || d.allows(r, imp) {
				continue
			}
			t.Errorf("%s imports %s, which its row in DESIGN.md's package map does not allow", p, imp)
		}
	}
	for p := range d.rules {
		if !seen[p] {
			t.Errorf("DESIGN.md's package map has a row for %s, which is not a package of the module", p)
		}
	}
}

// TestProviderBinaryLinksNoTestSupport: what the provider binary links,
// transitively, holds none of the simulator, test support, benchmark or
// release tooling.
func TestProviderBinaryLinksNoTestSupport(t *testing.T) {
	forbidden := []string{
		module + "/internal/sim", module + "/internal/acctest", module + "/internal/bench",
		module + "/internal/difftest", module + "/internal/release", module + "/internal/movestub",
		"github.com/hashicorp/terraform-plugin-testing",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", ".")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, module+"/internal/provider") {
		t.Fatalf("go list -deps . does not list internal/provider: %v", deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if within(dep, f) {
				t.Errorf("the provider binary links %s", dep)
			}
		}
	}
}

// TestRulesCatchWhatTheyForbid runs the checker on a map and imports made
// up for the purpose, so a checker that allowed everything would fail.
func TestRulesCatchWhatTheyForbid(t *testing.T) {
	d, err := parseDesign([]byte("| package | holds | may import |\n|---|---|---|\n" +
		"| `internal/waiter` | polling | nothing |\n" +
		"| `internal/sim` | the simulator | `internal/sim/...`, uuid |\n" +
		"| `.` | main | `internal/provider`, framework |\n\n" +
		"| name | modules |\n|---|---|\n" +
		"| uuid | `github.com/google/uuid` |\n" +
		"| framework | `github.com/hashicorp/terraform-plugin-framework`, `github.com/hashicorp/terraform-plugin-framework-validators` |\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pkg, imp string
		want     bool
	}{
		{"internal/sim", module + "/internal/sim/heat", true},
		{"internal/sim", module + "/internal/sim/kubeapi/x", true},
		{"internal/sim", module + "/internal/simulated", false},
		{"internal/sim", module + "/internal/magnum", false},
		{"internal/sim", "github.com/google/uuid", true},
		{"internal/sim", "github.com/google/uuidx", false},
		{"internal/waiter", module + "/internal/magnum", false},
		{"internal/waiter", "github.com/hashicorp/terraform-plugin-framework/types", false},
		{".", module + "/internal/provider", true},
		{".", module + "/internal/sim", false},
		{".", "github.com/hashicorp/terraform-plugin-framework/providerserver", true},
		{".", "github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator", true},
		{".", "github.com/hashicorp/terraform-plugin-frameworks", false},
	} {
		if got := d.allows(d.rules[tc.pkg], tc.imp); got != tc.want {
			t.Errorf("%s importing %s: allowed %v, want %v", tc.pkg, tc.imp, got, tc.want)
		}
	}
	for name, bad := range map[string]string{
		"undefined module name": "| package | holds | may import |\n|---|---|---|\n| `a` | x | gorm |\n\n| name | modules |\n|---|---|\n| uuid | `u` |\n",
		"duplicate row":         "| package | holds | may import |\n|---|---|---|\n| `a` | x | nothing |\n| `a` | y | nothing |\n\n| name | modules |\n|---|---|\n| uuid | `u` |\n",
		"no tables":             "# Design\n",
		"row without holds":     "| package | holds | may import |\n|---|---|---|\n| `a` |  | nothing |\n\n| name | modules |\n|---|---|\n| uuid | `u` |\n",
	} {
		if _, err := parseDesign([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
