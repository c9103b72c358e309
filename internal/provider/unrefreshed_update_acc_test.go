package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// An apply that does not refresh (-refresh=false, or a saved plan applied
// later) plans every setting as the state holds it. When another client
// changed a setting of the baymodel or nodegroup in between, the update
// finds Magnum's other value; Terraform accepts only what its plan showed,
// so the apply keeps the planned value with a warning naming it (it used to
// fail with "Provider produced inconsistent result after apply"), and the
// next plan shows the difference, which the next apply puts back.
func TestAccUnrefreshedUpdateAfterAChangeElsewhere(t *testing.T) {
	acctest.SkipUnlessSimulator(t, "changes Magnum's objects out of band")
	t.Parallel()
	nodegroupArgs := func(max int) string {
		return fmt.Sprintf("node_count = 1\n  min_node_count = 1\n  max_node_count = %d", max)
	}
	cases := []struct {
		name, resourceType string
		config             func(step int) string
		// elsewhere makes the change another client makes and returns
		// the object's ID.
		elsewhere func(t *testing.T, c *magnum.Client) string
		// applied reads back what this apply changed.
		applied            func(t *testing.T, c *magnum.Client, id string) int
		want               int
		changed, stateWant string
		kind               string
	}{
		{
			name: "baymodel", resourceType: "magnum_baymodel", kind: "Baymodel",
			config: func(step int) string { return testAccBaymodelConfig("stale-model", 5+2*step) },
			elsewhere: func(t *testing.T, c *magnum.Client) string {
				ct, err := c.GetClusterTemplate(context.Background(), "stale-model")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.UpdateClusterTemplate(context.Background(), ct.UUID, []magnum.PatchOp{magnum.Replace("/flavor_id", "m1.medium")}); err != nil {
					t.Fatal(err)
				}
				return ct.UUID
			},
			applied: func(t *testing.T, c *magnum.Client, id string) int {
				ct, err := c.GetClusterTemplate(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if ct.DockerVolumeSize == nil {
					return 0
				}
				return *ct.DockerVolumeSize
			},
			want: 7, changed: "flavor_id", stateWant: "m1.small",
		},
		{
			name: "nodegroup", resourceType: "magnum_nodegroup", kind: "Nodegroup",
			config: func(step int) string { return testAccNodegroupConfig("stale-ng", nodegroupArgs(3+2*step)) },
			elsewhere: func(t *testing.T, c *magnum.Client) string {
				ng, err := c.GetNodeGroup(context.Background(), "stale-ng", "workers-b")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.UpdateNodeGroup(context.Background(), "stale-ng", ng.UUID, []magnum.PatchOp{magnum.Replace("/min_node_count", 0)}); err != nil {
					t.Fatal(err)
				}
				return ng.UUID
			},
			applied: func(t *testing.T, c *magnum.Client, id string) int {
				ng, err := c.GetNodeGroup(context.Background(), "stale-ng", id)
				if err != nil {
					t.Fatal(err)
				}
				if ng.MaxNodeCount == nil {
					return 0
				}
				return *ng.MaxNodeCount
			},
			want: 5, changed: "min_node_count", stateWant: "1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cli := newTerraformCLI(t)
			s := acctest.StartSim(t, fastBays())
			head := cliHead + acctest.ProviderBlock(s, "demo")
			c := acctest.MagnumClient(t, s, "demo")
			cli.writeConfig(head + tc.config(0))
			cli.run("apply", "-auto-approve")
			id := tc.elsewhere(t, c)

			cli.writeConfig(head + tc.config(1))
			out := cli.run("apply", "-refresh=false", "-auto-approve")
			expectInOutput(t, out, "Warning: "+tc.kind+` "`, "changed outside Terraform", "other values for "+tc.changed)
			if got := tc.applied(t, c, id); got != tc.want {
				t.Errorf("the unrefreshed apply left %d in Magnum, want %d", got, tc.want)
			}
			if got := stateAttribute(t, cli, tc.resourceType, tc.changed); got != tc.stateWant {
				t.Errorf("the state holds %s = %s, want the planned %s", tc.changed, got, tc.stateWant)
			}

			code, plan := cli.planExitCode()
			if code != 2 || !strings.Contains(plan, tc.changed) {
				t.Errorf("the plan after the unrefreshed apply exited %d, want 2 with a change of %s:\n%s", code, tc.changed, plan)
			}
			cli.run("apply", "-auto-approve")
			if code, plan := cli.planExitCode(); code != 0 {
				t.Errorf("plan after putting %s back exited %d, want 0:\n%s", tc.changed, code, plan)
			}
			cli.run("destroy", "-auto-approve")
		})
	}
}

// stateAttribute reads one attribute of the only instance of resourceType
// in the CLI's state, as JSON text without quotes.
func stateAttribute(t *testing.T, cli *terraformCLI, resourceType, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(cli.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatalf("reading the state: %v", err)
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes map[string]json.RawMessage `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("decoding the state: %v", err)
	}
	for _, r := range st.Resources {
		if r.Type == resourceType && len(r.Instances) == 1 {
			return strings.Trim(string(r.Instances[0].Attributes[name]), `"`)
		}
	}
	t.Fatalf("no %s in the state", resourceType)
	return ""
}
