package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// workspace holds the binaries and CLI configurations of one bench run.
type workspace struct {
	dir       string
	terraform string
	// wrappedRC points Terraform at the RSS-reporting wrapper, plainRC at
	// the provider binary itself (for start-up timings without the
	// wrapper's own exec).
	wrappedRC, plainRC string
	provider           string
	seq                int
}

// newWorkspace builds the provider and lays out both plugin directories.
func newWorkspace(ctx context.Context, repo, terraform, self string) (*workspace, error) {
	dir, err := os.MkdirTemp("", "magnum-bench-")
	if err != nil {
		return nil, err
	}
	w := &workspace{dir: dir, terraform: terraform}
	plain := filepath.Join(dir, "plain")
	wrapped := filepath.Join(dir, "wrapped")
	for _, d := range []string{plain, wrapped} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	w.provider = filepath.Join(plain, "terraform-provider-magnum")
	build := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.version=bench", "-o", w.provider, ".")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %v\n%s", err, out)
	}
	if err := os.Symlink(self, filepath.Join(wrapped, "terraform-provider-magnum")); err != nil {
		return nil, err
	}
	for rc, pluginDir := range map[*string]string{&w.plainRC: plain, &w.wrappedRC: wrapped} {
		*rc = filepath.Join(dir, filepath.Base(pluginDir)+".tfrc")
		body := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/magnumtf/magnum\" = %q\n  }\n  direct {}\n}\n", pluginDir)
		if err := os.WriteFile(*rc, []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *workspace) close() { _ = os.RemoveAll(w.dir) }

// config writes a Terraform configuration into a fresh directory.
func (w *workspace) config(name, body string) (string, error) {
	w.seq++
	d := filepath.Join(w.dir, fmt.Sprintf("%02d-%s", w.seq, name))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	return d, os.WriteFile(filepath.Join(d, "main.tf"), []byte(body), 0o644)
}

// tfResult is one Terraform command.
type tfResult struct {
	wall    time.Duration
	procs   int
	peakKiB int64
	output  string
	code    int
}

// run runs one Terraform command in dir against s (nil: no cloud). With
// wrapped, the provider's peak RSS is collected.
func (w *workspace) run(ctx context.Context, s *sim.Sim, dir string, wrapped bool, args ...string) (tfResult, error) {
	rc := w.plainRC
	if wrapped {
		rc = w.wrappedRC
	}
	return w.runWith(ctx, s, dir, rc, nil, args...)
}

// runWith runs one Terraform command with the CLI configuration rc and
// extra environment variables.
func (w *workspace) runWith(ctx context.Context, s *sim.Sim, dir, rc string, extraEnv []string, args ...string) (tfResult, error) {
	rssLog := filepath.Join(dir, fmt.Sprintf("rss-%d.log", time.Now().UnixNano()))
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		WrapEnv + "=" + w.provider, RSSLogEnv + "=" + rssLog}
	for _, kv := range os.Environ() {
		// The cloud comes from the simulator only, and Terraform's own
		// settings from the bench.
		if !strings.HasPrefix(kv, "OS_") && !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, WrapEnv) && !strings.HasPrefix(kv, RSSLogEnv) {
			env = append(env, kv)
		}
	}
	if s != nil {
		c := s.Credentials("demo")
		env = append(env, "OS_AUTH_URL="+c.AuthURL, "OS_USERNAME="+c.UserName, "OS_PASSWORD="+c.Password,
			"OS_PROJECT_NAME="+c.ProjectName, "OS_USER_DOMAIN_NAME="+c.UserDomainName,
			"OS_PROJECT_DOMAIN_NAME="+c.ProjectDomainName, "OS_REGION_NAME="+c.Region)
	}
	// The conductor grids the provider keeps between commands start empty
	// in every bench run and are shared by its commands, as a user's
	// successive commands on one cloud share them.
	env = append(env, phasecache.EnvVar+"="+filepath.Join(w.dir, "phase-cache"))
	env = append(env, extraEnv...)
	cmd := exec.CommandContext(ctx, w.terraform, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = env
	// Stopped, Terraform is interrupted as by Ctrl-C, so it saves what it
	// created in the state, and the bench's destroy can find it.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 2 * time.Minute
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := tfResult{wall: time.Since(start), output: out.String()}
	if cmd.ProcessState != nil {
		res.code = cmd.ProcessState.ExitCode()
	}
	procs, peak, rerr := readRSSLog(rssLog)
	res.procs, res.peakKiB = procs, peak
	if err != nil && !(res.code == 2 && containsArg(args, "-detailed-exitcode")) {
		return res, fmt.Errorf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, tail(res.output, 40))
	}
	return res, rerr
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// baysConfig is a baymodel and n bays built from it.
func baysConfig(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(`terraform {
  required_providers {
    magnum = { source = "magnumtf/magnum" }
  }
}

provider "magnum" {}

resource "magnum_baymodel" "k8s" {
  name                = "` + prefix + `-bm"
  coe                 = "kubernetes"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
}
`)
	if n > 0 {
		fmt.Fprintf(&b, `
resource "magnum_bay" "b" {
  count       = %d
  name        = "%s-${count.index}"
  baymodel_id = magnum_baymodel.k8s.id
}
`, n, prefix)
	}
	return b.String()
}
