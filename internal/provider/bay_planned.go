package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// plannedFromState are the bay's computed attributes that a plan shows as
// the state holds them (UseStateForUnknown) but that Magnum can change on
// its own: a CA rotation, an upgrade or a resize made elsewhere. A plan
// that did not refresh (-refresh=false, or a saved plan applied later)
// still shows the old values, and Terraform rejects an apply whose result
// differs from a known planned value.
var plannedFromState = []string{
	"api_address", "container_version", "stack_id", "master_addresses", "effective_labels",
	"ca_cert", "kubeconfig", "docker_tls",
}

// keepPlanned sets back in state every attribute of names whose planned
// value was known and that the apply found changed, and names them. The
// next refresh records what Magnum reports.
func keepPlanned(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, names []string) ([]string, diag.Diagnostics) {
	var kept []string
	var diags diag.Diagnostics
	for _, name := range names {
		p := path.Root(name)
		var planned, got attr.Value
		diags.Append(plan.GetAttribute(ctx, p, &planned)...)
		diags.Append(state.GetAttribute(ctx, p, &got)...)
		if diags.HasError() {
			return nil, diags
		}
		if planned == nil || planned.IsUnknown() || planned.Equal(got) {
			continue
		}
		diags.Append(state.SetAttribute(ctx, p, planned)...)
		kept = append(kept, name)
	}
	return kept, diags
}

// allAttributes names every top-level attribute of a resource's schema, in
// order. For resources whose every setting Magnum lets another client
// change (a baymodel, a nodegroup), any known planned value can be stale.
func allAttributes(plan tfsdk.Plan) []string {
	return slices.Sorted(maps.Keys(plan.Schema.GetAttributes()))
}

// changedElsewhereWarning explains the values keepPlanned kept on an object
// whose settings changed elsewhere.
func changedElsewhereWarning(kind, name, id string, kept []string) (string, string) {
	return fmt.Sprintf("%s %q changed outside Terraform", strings.ToUpper(kind[:1])+kind[1:], name),
		fmt.Sprintf("Magnum now reports other values for %s of %s %q (%s) than this apply's plan showed: the %s changed "+
			"since the state was last refreshed (the plan was made with -refresh=false, or saved and applied later). "+
			"Terraform accepts from an apply only the values its plan showed, so the state keeps those for now. "+
			"Run `terraform plan`, or any plan or apply that refreshes, to see the difference; the next apply sets "+
			"what the configuration says.", strings.Join(kept, ", "), kind, name, id, kind)
}

// changedOutsideWarning explains the values keepPlanned kept.
func changedOutsideWarning(name, id string, kept []string) (string, string) {
	return fmt.Sprintf("Bay %q changed outside Terraform", name),
		fmt.Sprintf("Magnum now reports other values for %s of bay %q (%s) than this apply's plan showed: the bay changed "+
			"since the state was last refreshed (the plan was made with -refresh=false, or saved and applied later), "+
			"for example by a CA rotation, an upgrade or a resize made elsewhere. Terraform accepts from an apply only "+
			"the values its plan showed, so the state keeps those for now, and credentials taken from it may be "+
			"refused by the bay. Run `terraform apply -refresh-only`, or any plan or apply that refreshes, to record "+
			"what Magnum reports.", strings.Join(kept, ", "), name, id)
}
