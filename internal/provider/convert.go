package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Conversions between framework values and the API layer's Go values.
// Unknown and null both mean "not set" on the way out; the empty string and
// nil both mean null on the way in, because Magnum never stores "".

func optStr(v types.String) *string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	s := v.ValueString()
	return &s
}

func optInt(v types.Int64) *int {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	i := int(v.ValueInt64())
	return &i
}

func optBool(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	b := v.ValueBool()
	return &b
}

func nullableStr(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func nullableInt(i *int) types.Int64 {
	if i == nil {
		return types.Int64Null()
	}
	return types.Int64Value(int64(*i))
}

func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

func stringMap(ctx context.Context, v types.Map) (map[string]string, diag.Diagnostics) {
	if v.IsNull() || v.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	diags := v.ElementsAs(ctx, &out, false)
	return out, diags
}

func stringList(ctx context.Context, values []string) (types.List, diag.Diagnostics) {
	if values == nil {
		values = []string{}
	}
	return types.ListValueFrom(ctx, types.StringType, values)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// stringifyValues flattens Magnum's health_status_reason, whose values can
// be strings, booleans or nested objects, into a map of strings.
func stringifyValues(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch t := v.(type) {
		case string:
			out[k] = t
		case nil:
			out[k] = ""
		case bool, float64, int, int64:
			out[k] = fmt.Sprint(t)
		default:
			// Nested values keep a form other tools can parse.
			if b, err := json.Marshal(t); err == nil {
				out[k] = string(b)
			} else {
				out[k] = fmt.Sprint(t)
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nullUnknowns returns a copy of a model with every unknown value turned
// into a null of the same type: state may hold nulls but never unknowns,
// and a create that fails half-way still has to save what it knows.
func nullUnknowns[T any](ctx context.Context, m T) *T {
	nullUnknownFields(ctx, reflect.ValueOf(&m).Elem())
	return &m
}

func nullUnknownFields(ctx context.Context, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if v.Type().Field(i).Anonymous && f.Kind() == reflect.Struct {
			nullUnknownFields(ctx, f)
			continue
		}
		if !f.CanInterface() {
			continue
		}
		av, ok := f.Interface().(attr.Value)
		if !ok {
			continue
		}
		if !av.IsUnknown() {
			continue
		}
		var null attr.Value
		switch t := av.(type) {
		case types.String:
			null = types.StringNull()
		case types.Int64:
			null = types.Int64Null()
		case types.Bool:
			null = types.BoolNull()
		case types.Map:
			null = types.MapNull(t.ElementType(ctx))
		case types.List:
			null = types.ListNull(t.ElementType(ctx))
		case types.Object:
			null = types.ObjectNull(t.AttributeTypes(ctx))
		default:
			continue
		}
		if reflect.TypeOf(null).AssignableTo(f.Type()) {
			f.Set(reflect.ValueOf(null))
		}
	}
}
