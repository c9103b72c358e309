package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// terraformCLI runs the real terraform binary against a provider built
// from this tree, as a user would, for what terraform-plugin-testing
// cannot do: send a signal in the middle of an apply.
type terraformCLI struct {
	t        *testing.T
	bin, dir string
	env      []string
}

// cliHead opens every configuration the terraform CLI tests write: the
// provider's address, which the CLI's development override points at the
// binary under test.
const cliHead = `terraform {
  required_providers {
    magnum = { source = "magnumtf/magnum" }
  }
}
`

func newTerraformCLI(t *testing.T) *terraformCLI {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary: set TF_ACC_TERRAFORM_PATH")
		}
	}
	pluginDir, work := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-magnum"), "../..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	rc := filepath.Join(work, "terraformrc")
	rcText := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/magnumtf/magnum" = %[1]q
    "registry.opentofu.org/magnumtf/magnum" = %[1]q
  }
  direct {}
}
`, pluginDir)
	if err := os.WriteFile(rc, []byte(rcText), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
	for _, kv := range os.Environ() {
		// Only what terraform needs to run: no OS_* of the developer's
		// shell may reach the provider.
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "HOME" || k == "TMPDIR" || k == phasecache.EnvVar {
			env = append(env, kv)
		}
	}
	return &terraformCLI{t: t, bin: bin, dir: work, env: env}
}

func (c *terraformCLI) writeConfig(cfg string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *terraformCLI) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	// Options go right after the subcommand: import takes positional
	// arguments after them.
	full := append([]string{args[0], "-no-color", "-input=false"}, args[1:]...)
	cmd := exec.CommandContext(ctx, c.bin, full...)
	cmd.Dir, cmd.Env = c.dir, c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func (c *terraformCLI) run(args ...string) string {
	c.t.Helper()
	return c.runWithin(acctest.Bound(2*time.Minute), args...)
}

// runWithin is run for a command that the test knows takes longer.
func (c *terraformCLI) runWithin(bound time.Duration, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd, out := c.command(ctx, args...)
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out.String()
}

// stateBay is the bay as terraform.tfstate records it.
type stateBay struct {
	ID, Status string
	Tainted    bool
}

func (c *terraformCLI) bayInState() (stateBay, bool) {
	c.t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.dir, "terraform.tfstate"))
	if err != nil {
		c.t.Fatalf("reading the state: %v", err)
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Status     string `json:"status"`
				Attributes struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		c.t.Fatalf("decoding the state: %v", err)
	}
	for _, r := range st.Resources {
		if r.Type == "magnum_bay" && len(r.Instances) == 1 {
			in := r.Instances[0]
			return stateBay{ID: in.Attributes.ID, Status: in.Attributes.Status, Tainted: in.Status == "tainted"}, true
		}
	}
	return stateBay{}, false
}

// TestAccBay_interruptedApply sends SIGINT to terraform while the bay is
// being created, as a user pressing Ctrl-C would. The bay must be in the
// state (tainted), not orphaned in the cloud; the next apply replaces it
// and destroy removes everything.
func TestAccBay_interruptedApply(t *testing.T) {
	cli := newTerraformCLI(t)
	s := acctest.StartSim(t, fastBays())
	// The first create hangs (until its 60-minute create_timeout), so the
	// interrupt lands while it is in progress however slow the machine;
	// the fault is used once, and the replacement builds normally. On the
	// capi target, which has no Heat to hold the create, the interrupt
	// follows the bay's first appearance by a poll, and magnum-cluster-api
	// takes 20 s or more to build one.
	if !acctest.CAPITarget() {
		s.InjectFault("ctrlc", sim.Fault{Timeout: true})
	}
	cli.writeConfig(cliHead + acctest.ProviderBlock(s, "demo") + testAccBayConfig("ctrlc", 1, ""))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, out := cli.command(ctx, "apply", "-auto-approve")
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	var creating []sim.ClusterInfo
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if creating = s.Clusters(); len(creating) > 0 {
			break
		}
	}
	if len(creating) != 1 {
		_ = apply.Process.Kill()
		_ = apply.Wait()
		t.Fatalf("no bay appeared in the simulator within a minute:\n%s", out)
	}
	if err := apply.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := apply.Wait()
	t.Logf("interrupted apply:\n%s", out)
	if err == nil {
		t.Fatalf("the interrupted apply succeeded; it should report the interrupted wait")
	}
	if !strings.Contains(out.String(), "cancelled") || !strings.Contains(out.String(), "stays in the Terraform state") {
		t.Errorf("the interrupted apply's error does not say the wait was cancelled and the bay kept:\n%s", out)
	}
	bay, ok := cli.bayInState()
	if !ok || bay.ID != creating[0].UUID || !bay.Tainted {
		t.Fatalf("state after the interrupt has bay %+v (found %v); want %s, tainted", bay, ok, creating[0].UUID)
	}

	// The next apply replaces the half-made bay; nothing is left over.
	cli.run("apply", "-auto-approve")
	bays := s.Clusters()
	if len(bays) != 1 || bays[0].Status != "CREATE_COMPLETE" || bays[0].UUID == creating[0].UUID {
		t.Fatalf("after the second apply the simulator holds %+v; want one new CREATE_COMPLETE bay", bays)
	}
	if bay, _ := cli.bayInState(); bay.ID != bays[0].UUID || bay.Tainted {
		t.Fatalf("state after the second apply: %+v, simulator %s", bay, bays[0].UUID)
	}

	cli.run("destroy", "-auto-approve")
	if n, ts, st := len(s.Clusters()), s.Templates(), s.Stacks(); n != 0 || len(ts) != 0 || st != 0 {
		t.Fatalf("after destroy: %d bays, %d baymodels, %d stacks left", n, len(ts), st)
	}
}

// TestAccBay_killedApplyIsNotDoubled kills terraform with SIGKILL (a CI
// runner lost) after Magnum accepted the bay's POST, before the bay could
// reach the state. The next apply must not create a second bay of the
// name: it stops, naming the bay and the import command, and with
// adopt_existing it adopts the bay instead.
func TestAccBay_killedApplyIsNotDoubled(t *testing.T) {
	cli := newTerraformCLI(t)
	opts := fastBays()
	opts.HeatCreateDuration = 10 * time.Second
	s := acctest.StartSim(t, opts)
	head := cliHead + acctest.ProviderBlock(s, "demo")
	full := testAccBayConfig("killed", 1, "")
	cli.writeConfig(head + strings.SplitAfter(full, "}\n}\n")[0])
	cli.run("apply", "-auto-approve")

	cli.writeConfig(head + full)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, out := cli.command(ctx, "apply", "-auto-approve")
	// Its own process group, so the kill takes the provider plugin too,
	// as losing the runner would.
	apply.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	var created []sim.ClusterInfo
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if created = s.Clusters(); len(created) > 0 {
			break
		}
	}
	if err := syscall.Kill(-apply.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = apply.Wait()
	t.Logf("killed apply:\n%s", out)
	if len(created) != 1 {
		t.Fatalf("no bay appeared in the simulator before the kill")
	}
	if bay, ok := cli.bayInState(); ok {
		t.Fatalf("the killed apply saved bay %+v; the test needs it lost", bay)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel2()
	again, out2 := cli.command(ctx2, "apply", "-auto-approve")
	if err := again.Run(); err == nil {
		t.Fatalf("the apply after the kill succeeded:\n%s", out2)
	}
	t.Logf("apply after the kill:\n%s", out2)
	text := strings.Join(strings.Fields(out2.String()), " ")
	for _, want := range []string{
		`A bay named "killed" already exists`,
		created[0].UUID + " (CREATE_",
		"terraform import <address> " + created[0].UUID,
		"adopt_existing = true",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the apply after the kill does not say %q", want)
		}
	}
	if bays := s.Clusters(); len(bays) != 1 {
		t.Fatalf("after the apply that followed the kill the simulator holds %d bays, want 1", len(bays))
	}

	cli.writeConfig(head + testAccBayConfig("killed", 1, "adopt_existing = true"))
	cli.run("apply", "-auto-approve")
	bays := s.Clusters()
	if len(bays) != 1 || bays[0].UUID != created[0].UUID || bays[0].Status != "CREATE_COMPLETE" {
		t.Fatalf("after adopting, the simulator holds %+v; want bay %s, CREATE_COMPLETE", bays, created[0].UUID)
	}
	if bay, ok := cli.bayInState(); !ok || bay.ID != created[0].UUID || bay.Tainted {
		t.Fatalf("after adopting, the state holds %+v (found %v); want %s", bay, ok, created[0].UUID)
	}

	cli.run("destroy", "-auto-approve")
	if n, ts, st := len(s.Clusters()), s.Templates(), s.Stacks(); n != 0 || len(ts) != 0 || st != 0 {
		t.Fatalf("after destroy: %d bays, %d baymodels, %d stacks left", n, len(ts), st)
	}
}
