// Package peercheck drives the simulator with a client nobody here wrote:
// HashiCorp's terraform-provider-openstack (the peer), built from its Go
// module by scripts/peer.sh. A simulator that only fools this project's own
// provider proves little; one the peer can create, resize and destroy a
// cluster on, as it does on real Magnum, is closer to the real thing.
package peercheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// ProviderDirEnv names the directory holding the peer's binary,
// terraform-provider-openstack; `make peer-check` sets it.
const ProviderDirEnv = "MAGNUM_PEER_PROVIDER_DIR"

const peerConfig = `
terraform {
  required_providers {
    openstack = { source = "terraform-provider-openstack/openstack" }
  }
}

variable "nodes" {
  type = number
}

provider "openstack" {}

resource "openstack_containerinfra_clustertemplate_v1" "peer" {
  name                = "peer-template"
  coe                 = "kubernetes"
  image               = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor              = "m1.small"
  master_flavor       = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
  labels = {
    kube_tag = "v1.23.3-rancher1"
  }
}

resource "openstack_containerinfra_cluster_v1" "peer" {
  name                = "peer-cluster"
  cluster_template_id = openstack_containerinfra_clustertemplate_v1.peer.id
  master_count        = 1
  node_count          = var.nodes
}

output "template_id" {
  value = openstack_containerinfra_clustertemplate_v1.peer.id
}
`

// TestPeerLifecycle: the peer creates a cluster template and a cluster,
// finds nothing to change, resizes the cluster, finds nothing to change
// again, and destroys both, without an error; the simulator (or, with
// MAGNUM_ACC_TARGET=real, the real cloud behind the relay) then holds
// nothing of it.
func TestPeerLifecycle(t *testing.T) {
	dir := os.Getenv(ProviderDirEnv)
	if dir == "" {
		t.Skipf("%s is not set: `make peer-check` builds the peer (terraform-provider-openstack) and runs this test", ProviderDirEnv)
	}
	if _, err := os.Stat(filepath.Join(dir, "terraform-provider-openstack")); err != nil {
		t.Fatalf("%s=%s: %v", ProviderDirEnv, dir, err)
	}
	tfBin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfBin == "" {
		var err error
		if tfBin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary: set TF_ACC_TERRAFORM_PATH")
		}
	}
	// magnum-sim's defaults for the zed profile, the transient 400 of a
	// delete's last moments included.
	s := acctest.StartSim(t, sim.Options{
		HeatCreateDuration: 3 * time.Second, HeatUpdateDuration: 2 * time.Second, HeatDeleteDuration: time.Second,
		TransientDeleteError: true,
	})
	work := t.TempDir()
	write(t, filepath.Join(work, "main.tf"), peerConfig)
	rc := filepath.Join(work, "terraformrc")
	write(t, rc, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		"terraform-provider-openstack/openstack", dir))
	c := s.Credentials("demo")
	env := []string{
		"TF_CLI_CONFIG_FILE=" + rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "HOME=" + work,
		"PATH=" + os.Getenv("PATH"),
		"OS_AUTH_URL=" + c.AuthURL, "OS_REGION_NAME=" + c.Region, "OS_USERNAME=" + c.UserName, "OS_PASSWORD=" + c.Password,
		"OS_USER_DOMAIN_NAME=" + c.UserDomainName, "OS_PROJECT_NAME=" + c.ProjectName,
		"OS_PROJECT_DOMAIN_NAME=" + c.ProjectDomainName, "OS_INTERFACE=public", "OS_IDENTITY_API_VERSION=3",
	}
	run := func(wantExit int, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		full := append(args, "-no-color")
		if args[0] != "output" {
			full = append(full, "-input=false")
		}
		cmd := exec.CommandContext(ctx, tfBin, full...)
		cmd.Dir, cmd.Env = work, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		code := 0
		if err != nil {
			code = -1
			if cmd.ProcessState != nil {
				code = cmd.ProcessState.ExitCode()
			}
		}
		t.Logf("terraform %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Second))
		if code != wantExit {
			t.Fatalf("terraform %s: exit %d (%v), want %d\n%s", strings.Join(args, " "), code, err, wantExit, out.String())
		}
		return out.String()
	}
	t.Cleanup(func() { logRoutes(t, s) })

	run(0, "apply", "-auto-approve", "-var", "nodes=1")
	templateID := strings.TrimSpace(run(0, "output", "-raw", "template_id"))
	wantCluster(t, s, "CREATE_COMPLETE", 1)
	run(0, "plan", "-detailed-exitcode", "-var", "nodes=1")

	run(0, "apply", "-auto-approve", "-var", "nodes=2")
	wantCluster(t, s, "UPDATE_COMPLETE", 2)
	run(0, "plan", "-detailed-exitcode", "-var", "nodes=2")

	run(0, "destroy", "-auto-approve", "-var", "nodes=2")
	if cs := s.Clusters(); len(cs) != 0 {
		t.Errorf("after destroy the cloud still holds %d clusters, first %s (%s)", len(cs), cs[0].Name, cs[0].Status)
	}
	if s.TemplateExists(templateID) {
		t.Errorf("after destroy the cloud still holds the cluster template %s", templateID)
	}
}

func wantCluster(t *testing.T, s *sim.Sim, status string, nodes int) {
	t.Helper()
	cs := s.Clusters()
	if len(cs) != 1 || cs[0].Name != "peer-cluster" || cs[0].Status != status || cs[0].NodeCount != nodes {
		t.Fatalf("the cloud holds %+v, want one peer-cluster, %s with %d nodes", cs, status, nodes)
	}
}

// logRoutes lists the requests the peer made, by route and status: what a
// client nobody here wrote asks of Magnum.
func logRoutes(t *testing.T, s *sim.Sim) {
	counts := map[string]int{}
	for _, r := range s.Requests() {
		route := r.Route
		if route == "" {
			route = r.Method + " " + r.Path
		}
		counts[fmt.Sprintf("%s → %d", route, r.Status)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %4d  %s\n", counts[k], k)
	}
	t.Logf("requests the peer made:\n%s", b.String())
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
