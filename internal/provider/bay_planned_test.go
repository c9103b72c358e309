package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestKeepPlanned(t *testing.T) {
	ctx := context.Background()
	var sr resource.SchemaResponse
	(&bayResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	addrs := func(a ...string) attr.Value {
		v, _ := types.ListValueFrom(ctx, types.StringType, a)
		return v
	}
	str := types.StringValue
	cases := []struct {
		name             string
		planned, applied map[string]attr.Value
		wantKept         []string
		wantState        map[string]attr.Value
	}{
		{"nothing changed", map[string]attr.Value{"ca_cert": str("A")}, map[string]attr.Value{"ca_cert": str("A")},
			nil, map[string]attr.Value{"ca_cert": str("A")}},
		{"a CA rotated elsewhere keeps the planned one", map[string]attr.Value{"ca_cert": str("A")}, map[string]attr.Value{"ca_cert": str("B")},
			[]string{"ca_cert"}, map[string]attr.Value{"ca_cert": str("A")}},
		{"a value the plan left unknown is the apply's", map[string]attr.Value{"ca_cert": types.StringUnknown()}, map[string]attr.Value{"ca_cert": str("B")},
			nil, map[string]attr.Value{"ca_cert": str("B")}},
		{"a planned null is a promise too", map[string]attr.Value{"container_version": types.StringNull()}, map[string]attr.Value{"container_version": str("1.2")},
			[]string{"container_version"}, map[string]attr.Value{"container_version": types.StringNull()}},
		{"an upgrade elsewhere moved the address and masters",
			map[string]attr.Value{"api_address": str("https://a:6443"), "master_addresses": addrs("10.0.0.1"), "stack_id": str("s")},
			map[string]attr.Value{"api_address": str("https://b:6443"), "master_addresses": addrs("10.0.0.2"), "stack_id": str("s")},
			[]string{"api_address", "master_addresses"},
			map[string]attr.Value{"api_address": str("https://a:6443"), "master_addresses": addrs("10.0.0.1")}},
		{"what the plan marks as changing is not touched", map[string]attr.Value{"status": types.StringUnknown(), "updated_at": str("t0")},
			map[string]attr.Value{"status": str("UPDATE_COMPLETE"), "updated_at": str("t1")},
			nil, map[string]attr.Value{"status": str("UPDATE_COMPLETE"), "updated_at": str("t1")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := tfsdk.Plan{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
			state := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
			for name, v := range tc.planned {
				if d := plan.SetAttribute(ctx, path.Root(name), v); d.HasError() {
					t.Fatal(d)
				}
			}
			for name, v := range tc.applied {
				if d := state.SetAttribute(ctx, path.Root(name), v); d.HasError() {
					t.Fatal(d)
				}
			}
			kept, d := keepPlanned(ctx, plan, &state, plannedFromState)
			if d.HasError() {
				t.Fatal(d)
			}
			if !slices.Equal(kept, tc.wantKept) {
				t.Errorf("kept %v, want %v", kept, tc.wantKept)
			}
			for name, want := range tc.wantState {
				var got attr.Value
				state.GetAttribute(ctx, path.Root(name), &got)
				if !got.Equal(want) {
					t.Errorf("%s in state is %s, want %s", name, got, want)
				}
			}
		})
	}
}

// Every attribute keepPlanned may set back is one a plan can show as the
// state holds it: computed, and planned from state when unknown.
func TestPlannedFromStateAreStateFollowing(t *testing.T) {
	ctx := context.Background()
	var sr resource.SchemaResponse
	(&bayResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	for _, name := range plannedFromState {
		a, ok := sr.Schema.Attributes[name]
		if !ok {
			t.Errorf("%s is not an attribute of magnum_bay", name)
			continue
		}
		if !a.IsComputed() || a.IsRequired() {
			t.Errorf("%s is not computed", name)
		}
		var mods []string
		switch a := a.(type) {
		case schema.StringAttribute:
			mods = descriptions(ctx, a.PlanModifiers)
		case schema.ListAttribute:
			mods = descriptions(ctx, a.PlanModifiers)
		case schema.MapAttribute:
			mods = descriptions(ctx, a.PlanModifiers)
		case schema.SingleNestedAttribute:
			mods = descriptions(ctx, a.PlanModifiers)
		}
		if !slices.ContainsFunc(mods, func(d string) bool {
			return strings.Contains(d, "will not change") || strings.Contains(d, "prior state")
		}) {
			t.Errorf("%s is not planned from state (modifiers %q)", name, mods)
		}
	}
}

func descriptions[M interface{ Description(context.Context) string }](ctx context.Context, mods []M) []string {
	out := make([]string, len(mods))
	for i, m := range mods {
		out[i] = m.Description(ctx)
	}
	return out
}
