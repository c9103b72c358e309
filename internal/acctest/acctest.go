// Package acctest holds what the acceptance tests share: an in-process
// simulator per test and the provider configuration that points at it.
//
// Each test gets its own simulator so request counters, CheckDestroy and
// failure injection never leak between tests that run in parallel.
package acctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// PreCheck skips acceptance tests when no terraform binary can be found,
// rather than letting terraform-plugin-testing try to download one.
func PreCheck(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		return // resource.Test skips on its own
	}
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("TF_ACC_TERRAFORM_PATH=%s: %v", p, err)
		}
		return
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("no terraform binary: set TF_ACC_TERRAFORM_PATH")
	}
}

// StartSim starts a simulator for one test and stops it when the test ends.
// With MAGNUM_ACC_TARGET=real it returns a relay to the real cloud instead
// (see real.go), or skips the test when opts ask for what only the
// simulator can do.
func StartSim(t testing.TB, opts sim.Options) *sim.Sim {
	t.Helper()
	if RealTarget() {
		return startReal(t, opts)
	}
	if opts.Logf == nil && os.Getenv("MAGNUM_SIM_LOG") != "" {
		opts.Logf = t.Logf
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatalf("starting the Magnum simulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ProviderBlock renders a provider block that authenticates to the simulator
// as the given project's user with a password.
func ProviderBlock(s *sim.Sim, project string, extra ...string) string {
	c := s.Credentials(project)
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"magnum\" {\n")
	fmt.Fprintf(&b, "  auth_url            = %q\n", c.AuthURL)
	fmt.Fprintf(&b, "  region              = %q\n", c.Region)
	fmt.Fprintf(&b, "  user_name           = %q\n", c.UserName)
	fmt.Fprintf(&b, "  password            = %q\n", c.Password)
	fmt.Fprintf(&b, "  user_domain_name    = %q\n", c.UserDomainName)
	fmt.Fprintf(&b, "  project_name        = %q\n", c.ProjectName)
	fmt.Fprintf(&b, "  project_domain_name = %q\n", c.ProjectDomainName)
	for _, e := range extra {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	b.WriteString("}\n")
	return b.String()
}

// MagnumClient is an API client for the simulator as another tool would
// use it (the openstack CLI, a colleague's script): tests use it to change
// or delete things behind Terraform's back.
func MagnumClient(t testing.TB, s *sim.Sim, project string) *magnum.Client {
	t.Helper()
	c := s.Credentials(project)
	ctx := context.Background()
	pc, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: c.AuthURL,
		Username:         c.UserName,
		Password:         c.Password,
		DomainName:       c.UserDomainName,
		TenantName:       c.ProjectName,
		AllowReauth:      true,
		Scope:            &gophercloud.AuthScope{ProjectName: c.ProjectName, DomainName: c.ProjectDomainName},
	})
	if err != nil {
		t.Fatalf("authenticating to the simulator as %s: %v", project, err)
	}
	mc, err := magnum.NewClient(ctx, magnum.Config{ProviderClient: pc, Region: c.Region, Availability: gophercloud.AvailabilityPublic})
	if err != nil {
		t.Fatalf("magnum client: %v", err)
	}
	return mc
}
