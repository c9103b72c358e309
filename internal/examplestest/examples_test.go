// Package examplestest checks that every example under examples/ is
// formatted and valid with this provider, runs the shipped modules'
// `terraform test` files against the simulator, and applies the
// multi-tenant example against the simulator with the real terraform
// binary, one provider process per tenant as in production.
package examplestest

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// harness is a terraform binary wired to a freshly built provider through
// dev_overrides.
type harness struct {
	terraform string
	env       []string
}

func terraformPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run terraform against the examples")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary")
		}
	}
	return tf
}

func buildProvider(t *testing.T, path string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", path, ".")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	tf := terraformPath(t)
	bin := t.TempDir()
	buildProvider(t, filepath.Join(bin, "terraform-provider-magnum"))
	rc := filepath.Join(t.TempDir(), "terraformrc")
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/magnumtf/magnum\" = %q\n  }\n  direct {}\n}\n", bin)
	if err := os.WriteFile(rc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"),
		// Each test starts a simulator of its own: no conductor grid is
		// kept between them (see internal/phasecache).
		"MAGNUM_PHASE_CACHE=off"}
	return &harness{terraform: tf, env: env}
}

// newMirrorHarness installs this provider, HashiCorp's kubernetes and helm
// providers from filesystem mirrors, as `terraform init` would from the
// registry, for examples that use those providers too. It skips (or fails,
// see acctest.RequireKube) when the kubernetes and helm builds are missing.
func newMirrorHarness(t *testing.T) *harness {
	t.Helper()
	tf := terraformPath(t)
	acctest.RequireKube(t)
	mirror := t.TempDir()
	buildProvider(t, filepath.Join(mirror, "registry.terraform.io", "magnumtf", "magnum", "0.0.1",
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-magnum_v0.0.1"))
	rc := acctest.HandoffCLIConfig(t, mirror, "registry.terraform.io/magnumtf/magnum")
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"),
		// Each test starts a simulator of its own: no conductor grid is
		// kept between them (see internal/phasecache).
		"MAGNUM_PHASE_CACHE=off"}
	return &harness{terraform: tf, env: env}
}

func (h *harness) run(t *testing.T, dir string, extraEnv []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.terraform, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// exampleDirs lists every directory under examples/ holding .tf files.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join(repoRoot(t), "examples")
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".tf") && !seen[filepath.Dir(p)] {
			seen[filepath.Dir(p)] = true
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestExamplesAreFormattedAndValid(t *testing.T) {
	h := newHarness(t)
	root := filepath.Join(repoRoot(t), "examples")
	out := h.run(t, root, nil, "fmt", "-check", "-recursive", "-diff")
	if strings.TrimSpace(out) != "" && !strings.Contains(out, "Warning") {
		t.Fatalf("examples are not formatted:\n%s", out)
	}
	dirs := exampleDirs(t)
	if len(dirs) < 8 {
		t.Fatalf("found only %d example directories", len(dirs))
	}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) {
			hh := h
			if others := otherProviders(t, dir); len(others) > 0 {
				if !onlyHandoffProviders(others) {
					// Only formatting can be checked: those providers
					// cannot be installed on a machine without registry
					// access.
					t.Skipf("uses the %s provider(s), which cannot be installed here; checked for formatting only", strings.Join(others, ", "))
				}
				// The kubernetes and helm providers come from the
				// mirror `make handoff-providers` fills.
				hh = newMirrorHarness(t)
			}
			work := copyExamples(t)
			d := filepath.Join(work, rel)
			// Examples that are snippets for the registry have no
			// required_providers block; give them one, as a user's root
			// module would.
			if !hasRequiredProviders(t, d) {
				writeFile(t, filepath.Join(d, "zz_providers.tf"), "terraform {\n  required_providers {\n    magnum = { source = \"magnumtf/magnum\" }\n  }\n}\n")
			}
			if hh != h {
				hh.run(t, d, nil, "init", "-backend=false", "-no-color")
			} else {
				hh.run(t, d, nil, "get", "-no-color")
			}
			hh.run(t, d, nil, "validate", "-no-color")
		})
	}
}

// TestMultiTenantExampleAppliesPerProject applies examples/multi-tenant:
// the tenant-bay module twice, for two projects, each time a bay with the
// tenant's namespace and admin access to it on the bay's real Kubernetes
// API, through HashiCorp's kubernetes provider configured from the
// module's outputs.
func TestMultiTenantExampleAppliesPerProject(t *testing.T) {
	h := newMirrorHarness(t)
	s := acctest.StartSim(t, sim.Options{HeatCreateDuration: time.Second, HeatUpdateDuration: time.Second, HeatDeleteDuration: 500 * time.Millisecond,
		KubeAPI: kubeapi.ModeReal})
	a, b := s.Credentials("demo"), s.Credentials("alt")
	work := copyExamples(t)
	dir := filepath.Join(work, "multi-tenant")

	// Team A authenticates from clouds.yaml, team B from explicit settings.
	clouds := filepath.Join(t.TempDir(), "clouds.yaml")
	writeFile(t, clouds, fmt.Sprintf("clouds:\n  team-a:\n    auth:\n      auth_url: %s\n      username: %s\n      password: %s\n      project_name: %s\n      user_domain_name: %s\n      project_domain_name: %s\n    region_name: %s\n",
		a.AuthURL, a.UserName, a.Password, a.ProjectName, a.UserDomainName, a.ProjectDomainName, a.Region))
	// The example is written for kubernetes provider 2.x; 1.13.4, the one
	// built here, needs its kubeconfig file loading turned off.
	env := []string{"OS_CLIENT_CONFIG_FILE=" + clouds, "KUBE_LOAD_CONFIG_FILE=false"}
	vars := []string{
		"-var", "team_a_cloud=team-a",
		"-var", "auth_url=" + b.AuthURL,
		"-var", "team_b_user=" + b.UserName, "-var", "team_b_password=" + b.Password, "-var", "team_b_project=" + b.ProjectName,
	}
	h.run(t, dir, env, "init", "-no-color")
	h.run(t, dir, env, append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, vars...)...)

	projects, bays := map[string]string{}, map[string]string{}
	for _, c := range s.Clusters() {
		projects[c.Name], bays[c.Name] = c.Project, c.UUID
	}
	if projects["team-a"] != a.ProjectID || projects["team-b"] != b.ProjectID {
		t.Fatalf("bays landed in the wrong projects: %v (want team-a in %s, team-b in %s)", projects, a.ProjectID, b.ProjectID)
	}
	for _, f := range []string{"team-a.kubeconfig", "team-b.kubeconfig"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("the module did not write %s: %v", f, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
		if kubectl, err := exec.LookPath("kubectl"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", filepath.Join(dir, f), "--request-timeout=20s", "get", "namespaces").CombinedOutput()
			cancel()
			if err != nil || !strings.Contains(string(out), strings.TrimSuffix(f, ".kubeconfig")) {
				t.Errorf("kubectl with %s does not list the tenant's namespace: %v\n%s", f, err, out)
			}
		}
	}
	var outputs map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(h.run(t, dir, env, "output", "-json")), &outputs); err != nil {
		t.Fatal(err)
	}
	if outputs["team_a_host"].Value == outputs["team_b_host"].Value {
		t.Errorf("both tenants got the same API endpoint %v", outputs["team_a_host"].Value)
	}
	if outputs["team_a_namespace"].Value != "team-a" || outputs["team_b_namespace"].Value != "team-b" {
		t.Errorf("namespaces %v and %v", outputs["team_a_namespace"].Value, outputs["team_b_namespace"].Value)
	}

	// Each tenant's users, with a certificate their bay's Magnum CA signed
	// for their group, administer their namespace and nothing else; the
	// other tenant's bay does not know them.
	for _, tc := range []struct{ tenant, project, other string }{{"team-a", "demo", "team-b"}, {"team-b", "alt", "team-a"}} {
		mc := acctest.MagnumClient(t, s, tc.project)
		user := acctest.BayKubeClient(t, mc, bays[tc.tenant], "dev-"+tc.tenant, tc.tenant)
		for path, want := range map[string]int{
			"/api/v1/namespaces/" + tc.tenant + "/pods":              200,
			"/apis/apps/v1/namespaces/" + tc.tenant + "/deployments": 200,
			"/api/v1/namespaces/kube-system/pods":                    403,
			"/api/v1/namespaces":                                     403,
			"/api/v1/nodes":                                          403,
		} {
			if code, body, err := user.Get(path); err != nil || code != want {
				t.Errorf("%s user GET %s: %d %v %v, want %d", tc.tenant, path, code, body["message"], err, want)
			}
		}
		admin := acctest.BayKubeClient(t, mc, bays[tc.tenant], "admin", "system:masters")
		if code, _, err := admin.Get("/api/v1/namespaces/" + tc.other); err != nil || code != 404 {
			t.Errorf("%s's bay has a namespace %s: %d %v", tc.tenant, tc.other, code, err)
		}
	}

	plan := exec.Command(h.terraform, append([]string{"-chdir=" + dir, "plan", "-detailed-exitcode", "-input=false", "-no-color"}, vars...)...)
	plan.Env = append(append([]string{}, h.env...), env...)
	if out, err := plan.CombinedOutput(); err != nil {
		t.Fatalf("plan after apply is not empty: %v\n%s", err, out)
	}
	h.run(t, dir, env, append([]string{"destroy", "-auto-approve", "-input=false", "-no-color"}, vars...)...)
	if n := len(s.Clusters()); n != 0 {
		t.Fatalf("%d bays left after destroy", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.KubeAPIsRunning() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d bay Kubernetes APIs still running after the destroy", s.KubeAPIsRunning())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// copyExamples copies examples/ into a scratch directory so init and apply
// never write into the source tree.
func copyExamples(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "examples")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, ".tfstate") || strings.HasSuffix(p, ".lock.hcl") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

var (
	providerBlock  = regexp.MustCompile(`(?m)^provider "([a-z0-9_-]+)"`)
	providerSource = regexp.MustCompile(`source\s*=\s*"(?:[a-z0-9-][a-z0-9.-]*/)?[a-z0-9-]+/([a-z0-9-]+)"`)
)

// onlyHandoffProviders reports whether the kubernetes and helm providers,
// which the hand-off tests build, are the only others.
func onlyHandoffProviders(others []string) bool {
	for _, p := range others {
		if p != "kubernetes" && p != "helm" {
			return false
		}
	}
	return true
}

// otherProviders lists the providers besides this one that an example
// configures or requires.
func otherProviders(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range append(providerBlock.FindAllStringSubmatch(string(b), -1), providerSource.FindAllStringSubmatch(string(b), -1)...) {
			if m[1] != "magnum" && !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	return out
}

func hasRequiredProviders(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "required_providers") {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
