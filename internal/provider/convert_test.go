package provider

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The opt* helpers decide what reaches Magnum's POST body: nil leaves a
// field out so Magnum applies its own default, so an unknown or null value
// must never turn into a zero value on the wire.

func TestOptStr(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   types.String
		want *string
	}{
		{"null is not sent", types.StringNull(), nil},
		{"unknown is not sent", types.StringUnknown(), nil},
		{"empty string is sent as is", types.StringValue(""), valuePtr("")},
		{"value", types.StringValue("m1.small"), valuePtr("m1.small")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertPtr(t, optStr(tc.in), tc.want)
		})
	}
}

func TestOptInt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   types.Int64
		want *int
	}{
		{"null is not sent", types.Int64Null(), nil},
		{"unknown is not sent", types.Int64Unknown(), nil},
		// node_count 0 is meaningful (microversion 1.10), so zero must survive.
		{"zero is sent", types.Int64Value(0), valuePtr(0)},
		{"value", types.Int64Value(6443), valuePtr(6443)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertPtr(t, optInt(tc.in), tc.want)
		})
	}
}

func TestOptBool(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   types.Bool
		want *bool
	}{
		{"null is not sent", types.BoolNull(), nil},
		{"unknown is not sent", types.BoolUnknown(), nil},
		// floating_ip_enabled defaults to true in Magnum: an explicit false
		// has to reach it.
		{"false is sent", types.BoolValue(false), valuePtr(false)},
		{"true", types.BoolValue(true), valuePtr(true)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertPtr(t, optBool(tc.in), tc.want)
		})
	}
}

func TestNullableStr(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want types.String
	}{
		// Magnum answers null for unset strings; Go decodes that as "".
		{"", types.StringNull()},
		{" ", types.StringValue(" ")},
		{"public", types.StringValue("public")},
	}
	for _, tc := range cases {
		if got := nullableStr(tc.in); !got.Equal(tc.want) {
			t.Errorf("nullableStr(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestNullableInt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   *int
		want types.Int64
	}{
		{"nil is null", nil, types.Int64Null()},
		{"zero stays zero", valuePtr(0), types.Int64Value(0)},
		{"value", valuePtr(5), types.Int64Value(5)},
	}
	for _, tc := range cases {
		if got := nullableInt(tc.in); !got.Equal(tc.want) {
			t.Errorf("%s: nullableInt = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestTimeString(t *testing.T) {
	t.Parallel()
	cest := time.FixedZone("CEST", 2*60*60)
	cases := []struct {
		name string
		in   time.Time
		want types.String
	}{
		{"zero time (Magnum's null updated_at) is null", time.Time{}, types.StringNull()},
		{"UTC", time.Date(2026, 11, 27, 23, 14, 1, 0, time.UTC), types.StringValue("2026-11-27T23:14:01Z")},
		// State must not change with the zone the server or the user is in.
		{"other zones are converted to UTC", time.Date(2026, 11, 28, 1, 14, 1, 0, cest), types.StringValue("2026-11-27T23:14:01Z")},
		{"fractions are dropped", time.Date(2026, 11, 27, 23, 14, 1, 999_000_000, time.UTC), types.StringValue("2026-11-27T23:14:01Z")},
	}
	for _, tc := range cases {
		if got := timeString(tc.in); !got.Equal(tc.want) {
			t.Errorf("%s: timeString = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestStringMap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name string
		in   types.Map
		want map[string]string
	}{
		{"null is not sent", types.MapNull(types.StringType), nil},
		{"unknown is not sent", types.MapUnknown(types.StringType), nil},
		// An empty map is a real value: it clears a bay's inherited labels.
		{"empty map stays an empty map", types.MapValueMust(types.StringType, map[string]attr.Value{}), map[string]string{}},
		{"values", types.MapValueMust(types.StringType, map[string]attr.Value{
			"kube_tag": types.StringValue("v1.23.3"), "auto_healing_enabled": types.StringValue("true"),
		}), map[string]string{"kube_tag": "v1.23.3", "auto_healing_enabled": "true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, diags := stringMap(ctx, tc.in)
			if diags.HasError() {
				t.Fatalf("diagnostics: %v", diags)
			}
			if (got == nil) != (tc.want == nil) {
				t.Fatalf("stringMap = %#v, want %#v", got, tc.want)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("stringMap = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("stringMap[%q] = %q, want %q", k, got[k], v)
				}
			}
		})
	}

	t.Run("an unknown element is an error, not a silent empty value", func(t *testing.T) {
		t.Parallel()
		in := types.MapValueMust(types.StringType, map[string]attr.Value{"k": types.StringUnknown()})
		if _, diags := stringMap(ctx, in); !diags.HasError() {
			t.Fatal("stringMap accepted a map with an unknown element")
		}
	})
}

func TestStringList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name string
		in   []string
		want types.List
	}{
		// Magnum answers [] before a bay has servers; nil and [] must both
		// give a known empty list so the attribute never flips to null.
		{"nil is an empty list", nil, types.ListValueMust(types.StringType, []attr.Value{})},
		{"empty", []string{}, types.ListValueMust(types.StringType, []attr.Value{})},
		{"order is kept", []string{"10.0.0.12", "10.0.0.11"}, types.ListValueMust(types.StringType, []attr.Value{
			types.StringValue("10.0.0.12"), types.StringValue("10.0.0.11"),
		})},
	}
	for _, tc := range cases {
		got, diags := stringList(ctx, tc.in)
		if diags.HasError() {
			t.Fatalf("%s: diagnostics: %v", tc.name, diags)
		}
		if !got.Equal(tc.want) {
			t.Errorf("%s: stringList = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func valuePtr[T any](v T) *T { return &v }

func assertPtr[T comparable](t *testing.T, got, want *T) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Fatalf("got %v, want %v", fmtPtr(got), fmtPtr(want))
	case *got != *want:
		t.Fatalf("got %v, want %v", *got, *want)
	}
}

func fmtPtr[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestStringifyValues(t *testing.T) {
	t.Parallel()
	got := stringifyValues(map[string]any{
		"api": "ok", "ready": true, "down": false, "count": float64(3), "ratio": 0.5, "missing": nil,
	})
	want := map[string]string{"api": "ok", "ready": "true", "down": "false", "count": "3", "ratio": "0.5", "missing": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stringifyValues = %v, want %v", got, want)
	}
	if got := stringifyValues(nil); got == nil || len(got) != 0 {
		t.Fatalf("stringifyValues(nil) = %#v, want an empty non-nil map", got)
	}
}

func TestNullUnknowns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := plannedBay()
	m.Name = types.StringValue("kept")
	m.Labels = strMap("foo", "bar")
	m.MasterLBEnabled = types.BoolValue(true)

	got := nullUnknowns(ctx, m)

	null := map[string]attr.Value{
		"id":                   types.StringNull(),
		"create_timeout":       types.Int64Null(),
		"docker_volume_size":   types.Int64Null(),
		"floating_ip_enabled":  types.BoolNull(),
		"faults":               types.MapNull(types.StringType),
		"effective_labels":     types.MapNull(types.StringType),
		"master_addresses":     types.ListNull(types.StringType),
		"node_addresses":       types.ListNull(types.StringType),
		"kubeconfig":           types.ObjectNull(kubeconfigAttrTypes),
		"docker_tls":           types.ObjectNull(dockerTLSAttrTypes),
		"name":                 types.StringValue("kept"),
		"baymodel_id":          types.StringValue("ct-231358"),
		"node_count":           types.Int64Value(1),
		"labels":               strMap("foo", "bar"),
		"master_lb_enabled":    types.BoolValue(true),
		"merge_labels":         types.BoolValue(false),
		"health_status_reason": types.MapNull(types.StringType),
	}
	assertModelFields(t, *got, null)
	for name, v := range modelFields(reflect.ValueOf(got)) {
		if v.IsUnknown() {
			t.Errorf("%s is still unknown", name)
		}
	}
	// The argument is a copy: Create keeps planning with the original.
	if !m.ID.IsUnknown() || !m.Kubeconfig.IsUnknown() {
		t.Fatal("nullUnknowns modified its argument")
	}
}
