package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// createBayAs makes a template and a bay through Magnum's API as the
// project's user, the way another team would, and waits until it is ready.
func createBayAs(t *testing.T, s *sim.Sim, project, name string, public bool) (templateID, bayID string) {
	t.Helper()
	// Real Magnum 15 here reports CREATE_COMPLETE 20-38 s after the POST
	// on two cores at load 11-18 (12 creates, scripts/real-magnum/
	// transient-probe.py); a minute left too little for a busier machine.
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(3*time.Minute))
	defer cancel()
	mc := acctest.MagnumClient(t, s, project)
	str := func(v string) *string { return &v }
	ct, err := mc.CreateClusterTemplate(ctx, acctest.Kube().Template(magnum.ClusterTemplateCreate{
		Name: str(name + "-model"), COE: "kubernetes", KeypairID: str("testkey"), ExternalNetworkID: str("public"), Public: &public,
	}))
	if err != nil {
		t.Fatalf("creating a template as %s: %v", project, err)
	}
	deleteWhenDone(t, mc, "", ct.UUID)
	id, err := mc.CreateCluster(ctx, magnum.ClusterCreate{Name: name, ClusterTemplateID: ct.UUID})
	if err != nil {
		t.Fatalf("creating a bay as %s: %v", project, err)
	}
	deleteWhenDone(t, mc, id, "")
	for ctx.Err() == nil {
		c, err := mc.GetCluster(ctx, id)
		if err == nil && c.Status == "CREATE_COMPLETE" {
			return ct.UUID, id
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("bay %s of %s did not become ready", name, project)
	return "", ""
}

// TestAccTenants_isolation: demo's provider cannot see, import or build on
// what project alt keeps private, and both can build on a public baymodel
// of a third project.
func TestAccTenants_isolation(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	altModel, altBay := createBayAs(t, s, "alt", "alt-private", false)
	body := acctest.Kube().Fields()
	for k, v := range map[string]any{"name": "admin-public", "coe": "kubernetes", "keypair_id": "testkey", "external_network_id": "public", "public": true} {
		body[k] = v
	}
	public := createBaymodelAs(t, s, "admin", body)

	// Resizing or deleting another project's bay fails as not found, with
	// the client the provider uses, so it never reaches the bay.
	ctx := context.Background()
	demo := acctest.MagnumClient(t, s, "demo")
	if err := demo.ResizeCluster(ctx, altBay, magnum.ResizeOpts{NodeCount: 3}); !magnum.IsNotFound(err) {
		t.Errorf("demo resizing alt's bay: %v, want 404", err)
	}
	if err := demo.DeleteCluster(ctx, altBay); !magnum.IsNotFound(err) {
		t.Errorf("demo deleting alt's bay: %v, want 404", err)
	}

	bayFrom := func(name, model string) string {
		return fmt.Sprintf(`
resource "magnum_bay" "test" {
  name        = %q
  baymodel_id = %q
}
`, name, model)
	}
	for _, project := range []string{"demo", "alt"} {
		t.Run(project+" builds on a public baymodel", func(t *testing.T) {
			name := project + "-on-public"
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: acctest.ProviderBlock(s, project) + bayFrom(name, public),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("status"), knownvalue.StringExact("CREATE_COMPLETE")),
						statecheck.ExpectKnownValue("magnum_bay.test", tfjsonpath.New("project_id"), knownvalue.StringExact(s.Credentials(project).ProjectID)),
					},
				}},
				CheckDestroy: func(*terraform.State) error {
					for _, c := range s.Clusters() {
						if c.Name == name {
							return fmt.Errorf("bay %s left behind", name)
						}
					}
					return nil
				},
			})
		})
	}

	t.Run("demo cannot reach alt's private bay or baymodel", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{
					Config: acctest.ProviderBlock(s, "demo") + fmt.Sprintf("data \"magnum_bay\" \"other\" {\n  id = %q\n}\n", altBay),
					ExpectError: errRegexp(fmt.Sprintf("Error reading bay %q", altBay), fmt.Sprintf("Cluster %s could not be found", altBay),
						"HTTP status: 404"),
				},
				{
					Config:        acctest.ProviderBlock(s, "demo") + bayFrom("stolen", altModel),
					ResourceName:  "magnum_bay.test",
					ImportState:   true,
					ImportStateId: altBay,
					ExpectError:   errRegexp("Error importing bay", fmt.Sprintf("Could not find bay %q", altBay), "HTTP status: 404"),
				},
				{
					Config:      acctest.ProviderBlock(s, "demo") + bayFrom("on-private", altModel),
					ExpectError: errRegexp("Baymodel not found", fmt.Sprintf("ClusterTemplate %s could not be found", altModel), "HTTP status: 404"),
				},
			},
		})
	})
	if t.Failed() {
		return
	}
	for _, c := range s.Clusters() {
		if c.UUID == altBay && (c.Status != "CREATE_COMPLETE" || c.NodeCount != 1) {
			t.Errorf("alt's bay changed: %+v", c)
		}
	}
}

// TestAccTenants_certificateOfAnotherUser reads, as demo2, a bay demo
// created in their shared project. Magnum lets demo2 see the bay but not
// its CA or a client certificate (403), and the provider's warning says
// why rather than leaving a bare "forbidden".
func TestAccTenants_certificateOfAnotherUser(t *testing.T) {
	s := acctest.StartSim(t, fastBays())
	_, bay := createBayAs(t, s, "demo", "demo-owned", false)

	ctx := context.Background()
	server := providerserver.NewProtocol6(newTestProvider())()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Credentials("demo2")
	cfg, _ := protoConfig(t, map[string]any{
		"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password, "user_domain_name": c.UserDomainName,
		"project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName,
	})
	if resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg}); err != nil || protoHasError(resp.Diagnostics) {
		t.Fatalf("configuring as demo2: %v %v", err, protoDiags(resp.Diagnostics))
	}
	typ := schemas.DataSourceSchemas["magnum_bay"].ValueType().(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["id"] = tftypes.NewValue(tftypes.String, bay)
	vals["include_credentials"] = tftypes.NewValue(tftypes.Bool, true)
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	before := s.Counters()["GET /v1/certificates/{id}"]
	resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "magnum_bay", Config: &dv})
	if err != nil {
		t.Fatal(err)
	}
	if protoHasError(resp.Diagnostics) {
		t.Fatalf("demo2 could not even read the bay: %v", protoDiags(resp.Diagnostics))
	}
	all := strings.Join(protoDiags(resp.Diagnostics), "\n")
	for _, want := range []string{"Could not read the CA of bay", "Policy doesn't allow certificate:get to be performed.",
		"HTTP status: 403", "only the user who created a bay"} {
		if !strings.Contains(all, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, all)
		}
	}
	if s.Counters()["GET /v1/certificates/{id}"] == before {
		t.Error("the provider never asked for the CA")
	}
}

// createBaymodelAs creates a cluster template through Magnum's API as the
// project's user, the way another team would with the CLI.
func createBaymodelAs(t *testing.T, s *sim.Sim, project string, body map[string]any) string {
	t.Helper()
	raw, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(2*time.Minute))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/container-infra/v1/clustertemplates", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", issueToken(t, s, project))
	req.Header.Set("OpenStack-API-Version", "container-infra 1.10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ct struct {
		UUID string `json:"uuid"`
	}
	respBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(respBody, &ct) != nil || ct.UUID == "" {
		t.Fatalf("creating a baymodel as %s: HTTP %d: %s", project, resp.StatusCode, respBody)
	}
	// The admin's project is the cloud's own on a real target, which
	// outlives the test.
	deleteWhenDone(t, acctest.MagnumClient(t, s, project), "", ct.UUID)
	return ct.UUID
}

// TestAccProvider_tenantIsolation reads, as project alt, a baymodel the
// admin published and one demo kept private. The two are made outside
// Terraform: provider aliases cannot be used here, because every alias of
// an in-process test provider shares one server and so one configuration.
func TestAccProvider_tenantIsolation(t *testing.T) {
	acctest.SkipBaylessOnCAPI(t)
	s := acctest.StartSim(t, sim.Options{})
	public := createBaymodelAs(t, s, "admin", map[string]any{
		"name": "admin-public", "coe": "kubernetes", "image_id": "fedora-coreos-35", "public": true})
	private := createBaymodelAs(t, s, "demo", map[string]any{
		"name": "demo-private", "coe": "kubernetes", "image_id": "fedora-coreos-35"})
	setup := len(s.Requests())
	lookup := fmt.Sprintf(`
data "magnum_baymodel" "public" {
  id = %q
}
`, public)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(s, "alt") + lookup,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.magnum_baymodel.public", tfjsonpath.New("name"), knownvalue.StringExact("admin-public")),
					statecheck.ExpectKnownValue("data.magnum_baymodel.public", tfjsonpath.New("public"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.magnum_baymodel.public", tfjsonpath.New("project_id"),
						knownvalue.StringExact(s.Credentials("admin").ProjectID)),
				},
				Check: checkMagnumCallersAfter(s, setup, "alt", "alt"),
			},
			{
				Config: acctest.ProviderBlock(s, "alt") + lookup + fmt.Sprintf(`
data "magnum_baymodel" "private" {
  id = %q
}
`, private),
				ExpectError: errRegexp(fmt.Sprintf("Error reading baymodel %q", private), fmt.Sprintf("ClusterTemplate %s could not be found", private),
					"HTTP status: 404", "Request ID: req-"),
			},
			{
				// By name too: demo's baymodel does not exist for alt.
				Config: acctest.ProviderBlock(s, "alt") + `
data "magnum_baymodel" "private" {
  name = "demo-private"
}
`,
				ExpectError: errRegexp(`Error reading baymodel "demo-private"`, "could not be found", "HTTP status: 404"),
			},
		},
	})
}
