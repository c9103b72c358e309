package provider

import (
	"strings"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestAllowedWhileInUse(t *testing.T) {
	cases := []struct {
		op   magnum.PatchOp
		want bool
		why  string
	}{
		{magnum.Replace("/name", "new"), true, ""},
		{magnum.Replace("/hidden", false), true, ""},
		{magnum.Replace("/public", true), true, ""},
		{magnum.Replace("/public", false), false, "made public, not private"},
		{magnum.Replace("/tags", "a,b"), true, ""},
		{magnum.Replace("/tags", ""), true, ""},
		{magnum.Remove("/tags"), false, "tags cannot be removed"},
		{magnum.Replace("/docker_volume_size", 8), false, "only name, public, hidden and tags"},
		{magnum.ReplaceLabels(map[string]string{"kube_tag": "v1.24.3"}), false, "only name, public, hidden and tags"},
	}
	for _, tc := range cases {
		ok, why := allowedWhileInUse(tc.op)
		if ok != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("%s %s %v: (%v, %q), want (%v, ~%q)", tc.op.Op, tc.op.Path, tc.op.Value, ok, why, tc.want, tc.why)
		}
	}
	refused := refusedWhileInUse([]magnum.PatchOp{magnum.Replace("/name", "x"), magnum.Replace("/docker_volume_size", 8), magnum.Remove("/tags")})
	if len(refused) != 2 || !strings.HasPrefix(refused[0], "docker_volume_size: ") || !strings.HasPrefix(refused[1], "tags: ") {
		t.Errorf("refused = %q", refused)
	}
}
