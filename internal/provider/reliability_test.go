package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestResolveAPITimeout(t *testing.T) {
	cases := []struct {
		name    string
		block   types.Int64
		env     string
		want    time.Duration
		wantErr string
	}{
		{"default", types.Int64Null(), "", defaultAPITimeout, ""},
		{"block wins over the environment", types.Int64Value(7), "30", 7 * time.Second, ""},
		{"environment in seconds", types.Int64Null(), "30", 30 * time.Second, ""},
		{"environment with a fraction, as the SDK allows", types.Int64Null(), "2.5", 2500 * time.Millisecond, ""},
		{"environment not a number", types.Int64Null(), "soon", 0, `OS_API_TIMEOUT is "soon"`},
		{"environment below a second", types.Int64Null(), "0.1", 0, "between 1 and 3600"},
		{"unknown in the block", types.Int64Unknown(), "", 0, "Unknown api_timeout value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveAPITimeout(tc.block, func(k string) string {
				if k == "OS_API_TIMEOUT" {
					return tc.env
				}
				return ""
			}, diag.Diagnostics{})
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diagText(diags), tc.wantErr) {
					t.Fatalf("diags = %v, want an error containing %q", diagText(diags), tc.wantErr)
				}
				return
			}
			if diags.HasError() || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, diagText(diags), tc.want)
			}
		})
	}
}

func diagText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}
