package examplestest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// TestModulesPassTheirTerraformTests runs `terraform test` in every module
// under examples/modules, against the simulator, with this provider
// installed as `terraform init` installs a registry provider. Every module
// must ship tests; their assertions are in the module's .tftest.hcl files.
func TestModulesPassTheirTerraformTests(t *testing.T) {
	tf := terraformPath(t)
	acctest.SkipUnlessSimulator(t, "the modules' tests count the simulator's bays")
	root := filepath.Join(repoRoot(t), "examples", "modules")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	built := false
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			src := filepath.Join(root, e.Name())
			if files := testFiles(src); len(files) == 0 {
				t.Fatalf("examples/modules/%s ships no terraform test files (*.tftest.hcl in the module or its tests/)", e.Name())
			}
			requireMirrored(t, otherProviders(t, src))
			if !built {
				buildProvider(t, filepath.Join(mirror, "registry.terraform.io", "magnumtf", "magnum", "0.0.1",
					runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-magnum_v0.0.1"))
				built = true
			}
			s := acctest.StartSim(t, sim.Options{HeatCreateDuration: time.Second, HeatUpdateDuration: time.Second, HeatDeleteDuration: 500 * time.Millisecond})
			c := s.Credentials("demo")
			env := []string{
				"TF_CLI_CONFIG_FILE=" + acctest.HandoffCLIConfig(t, mirror, "registry.terraform.io/magnumtf/magnum"),
				"TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH"),
				// Each test starts a simulator of its own: no conductor grid is
				// kept between them (see internal/phasecache).
				"MAGNUM_PHASE_CACHE=off",
				"OS_AUTH_URL=" + c.AuthURL, "OS_REGION_NAME=" + c.Region,
				"OS_USERNAME=" + c.UserName, "OS_PASSWORD=" + c.Password, "OS_USER_DOMAIN_NAME=" + c.UserDomainName,
				"OS_PROJECT_NAME=" + c.ProjectName, "OS_PROJECT_DOMAIN_NAME=" + c.ProjectDomainName,
			}
			dir := filepath.Join(copyExamples(t), "modules", e.Name())
			runTF(t, tf, dir, env, 3*time.Minute, "init", "-backend=false", "-input=false", "-no-color")
			out := runTF(t, tf, dir, env, 8*time.Minute, "test", "-no-color")
			t.Logf("terraform test in examples/modules/%s:\n%s", e.Name(), out)
			if !strings.Contains(out, " passed, 0 failed") {
				t.Fatalf("terraform test did not report its runs as passed:\n%s", out)
			}
			// terraform test destroys what its runs created; a module
			// whose destroy leaves a bay behind fails here.
			if left := s.Clusters(); len(left) != 0 {
				t.Errorf("%d bays left after terraform test: %v", len(left), left)
			}
		})
	}
}

func testFiles(dir string) []string {
	a, _ := filepath.Glob(filepath.Join(dir, "*.tftest.hcl"))
	b, _ := filepath.Glob(filepath.Join(dir, "tests", "*.tftest.hcl"))
	return append(a, b...)
}

// requireMirrored skips unless every other provider the module requires is
// in the hand-off mirror. A module's tests may mock those providers, but
// `terraform init` still installs them: a mock takes the real provider's
// schema.
func requireMirrored(t *testing.T, providers []string) {
	t.Helper()
	versions := map[string]string{"kubernetes": acctest.KubernetesProviderVersion, "helm": acctest.HelmProviderVersion}
	for _, p := range providers {
		v, ok := versions[p]
		if !ok {
			t.Skipf("the module requires the %s provider, which cannot be installed here", p)
		}
		bin := filepath.Join(acctest.HandoffMirror(), "registry.terraform.io", "hashicorp", p, v,
			runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-"+p+"_v"+v)
		if _, err := os.Stat(bin); err != nil {
			msg := fmt.Sprintf("terraform init needs terraform-provider-%s %s even where the tests mock it (for its schema), and it is not in %s: run `make handoff-providers`", p, v, acctest.HandoffMirror())
			if os.Getenv(acctest.RequireKubeEnv) != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

func runTF(t *testing.T, tf, dir string, env []string, limit time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}
