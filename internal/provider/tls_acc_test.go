package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// TestAccTLS runs the provider against a simulator serving HTTPS with its
// own CA: verification is on unless turned off, cacert_file makes it work,
// and a CA that did not sign the certificate fails with a message naming
// the setting that fixes it.
func TestAccTLS(t *testing.T) {
	s := acctest.StartSim(t, sim.Options{TLS: true})
	other := acctest.StartSim(t, sim.Options{TLS: true})
	dir := t.TempDir()
	writePEM := func(name, pem string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pem), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rightCA := writePEM("right.pem", s.CACertPEM())
	wrongCA := writePEM("wrong.pem", other.CACertPEM())
	untrusted := errRegexp("OpenStack authentication failed", "Could not reach Keystone at "+s.AuthURL(),
		"certificate signed by unknown authority", "Set cacert_file (OS_CACERT)")

	cases := []struct {
		name  string
		extra []string
		want  string // "" means the baymodel is created
	}{
		{"verification is on by default", nil, "untrusted"},
		{"cacert_file with the cloud's CA", []string{`cacert_file = "` + rightCA + `"`}, ""},
		{"cacert_file with another CA", []string{`cacert_file = "` + wrongCA + `"`}, "untrusted"},
		{"insecure", []string{"insecure = true"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step := resource.TestStep{Config: acctest.ProviderBlock(s, "demo", tc.extra...) + testAccBaymodelOnly("tls-"+strings.ReplaceAll(tc.name, " ", "-"))}
			if tc.want != "" {
				step.ExpectError = untrusted
			} else {
				step.ConfigStateChecks = []statecheck.StateCheck{expectProjectOwns(s, "demo")}
				step.Check = checkMagnumCallers(s, "demo", "demo")
			}
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkBaymodelsDestroyed(s),
				Steps:                    []resource.TestStep{step},
			})
		})
	}

	// The warning for insecure is only visible on the provider server.
	t.Run("insecure warns", func(t *testing.T) {
		c := s.Credentials("demo")
		ctx := context.Background()
		server := providerserver.NewProtocol6(newTestProvider())()
		cfg, _ := protoConfig(t, map[string]any{
			"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password, "user_domain_name": c.UserDomainName,
			"project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName, "insecure": true,
		})
		if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
			t.Fatal(err)
		}
		resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		var warned bool
		for _, d := range resp.Diagnostics {
			if d.Severity == tfprotov6.DiagnosticSeverityError {
				t.Fatalf("insecure = true failed against HTTPS: %s: %s", d.Summary, d.Detail)
			}
			warned = warned || d.Summary == "TLS certificate verification is disabled"
		}
		if !warned {
			t.Fatalf("no warning about disabled certificate checks: %v", protoDiags(resp.Diagnostics))
		}
	})
}

// TestAccProvider_insecure warns that certificate checks are off, and
// still works against a plain-http cloud.
func TestAccProvider_insecure(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("demo")

	// Terraform prints warnings but the test framework does not expose
	// them, so the warning is checked on the provider server directly.
	ctx := context.Background()
	server := providerserver.NewProtocol6(newTestProvider())()
	cfg, _ := protoConfig(t, map[string]any{
		"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password, "user_domain_name": c.UserDomainName,
		"project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName, "insecure": true,
	})
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("insecure = true failed over http: %s: %s", d.Summary, d.Detail)
		}
		warned = warned || (d.Severity == tfprotov6.DiagnosticSeverityWarning &&
			d.Summary == "TLS certificate verification is disabled" && strings.Contains(d.Detail, "cacert_file"))
	}
	if !warned {
		t.Fatalf("no warning about disabled certificate checks: %v", protoDiags(resp.Diagnostics))
	}

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkBaymodelsDestroyed(s),
		Steps: []resource.TestStep{{
			Config:            acctest.ProviderBlock(s, "demo", "insecure = true") + testAccBaymodelOnly("insecure"),
			ConfigStateChecks: []statecheck.StateCheck{expectProjectOwns(s, "demo")},
			Check:             checkMagnumCallers(s, "demo", "demo"),
		}},
	})
}
