package diagnose

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
		ok, why := AllowedWhileInUse(tc.op)
		if ok != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("%s %s %v: (%v, %q), want (%v, ~%q)", tc.op.Op, tc.op.Path, tc.op.Value, ok, why, tc.want, tc.why)
		}
	}
	refused := RefusedWhileInUse([]magnum.PatchOp{magnum.Replace("/name", "x"), magnum.Replace("/docker_volume_size", 8), magnum.Remove("/tags")})
	if len(refused) != 2 || !strings.HasPrefix(refused[0], "docker_volume_size: ") || !strings.HasPrefix(refused[1], "tags: ") {
		t.Errorf("refused = %q", refused)
	}
}

func TestInUseRefusals(t *testing.T) {
	t.Parallel()
	err := &magnum.Error{StatusCode: 400, Method: "DELETE", URL: "http://magnum/v1/clustertemplates/t1", Message: "ClusterTemplate t1 is referenced by one or multiple clusters."}
	api := "\n\nMagnum said: ClusterTemplate t1 is referenced by one or multiple clusters.\n\nHTTP status: 400\nRequest: DELETE http://magnum/v1/clustertemplates/t1"
	users := []magnum.Cluster{{Name: "web", UUID: "c1", Status: "CREATE_COMPLETE"}, {Name: "db", UUID: "c2", Status: "DELETE_IN_PROGRESS"}}
	after := "\n\nTo change anything else, create a new baymodel (for example with lifecycle { create_before_destroy = true } and a new name), " +
		"point the bays' baymodel_id at it so they are upgraded or replaced, and let Terraform delete the old one afterwards."
	only := "While bays use it, Magnum accepts only a change of name, public (to true), hidden or tags (to a value), one per request."
	_, update := UpdateInUse("k8s", nil, err)
	_, refused := UpdateInUse("k8s", []string{"docker_volume_size: x", "tags: y"}, err)
	summary, del := DeleteInUse("k8s", users, err)
	_, delUnseen := DeleteInUse("k8s", nil, err)
	cases := []struct{ name, got, want string }{
		{"update", update, `Magnum refuses to change baymodel "k8s" while bays use it. ` + only + after + api},
		{"update with refused changes", refused, `Magnum refuses to change baymodel "k8s" while bays use it. ` + only +
			" Refused here:\n  - docker_volume_size: x\n  - tags: y" + after + api},
		{"delete summary", summary, "Baymodel is still in use by bays"},
		{"delete", del, `Magnum refuses to delete baymodel "k8s" while bays use it: "web" (c1, CREATE_COMPLETE), "db" (c2, DELETE_IN_PROGRESS). ` +
			"Delete those bays, or move them to another baymodel, first." + api},
		{"delete, users unseen", delUnseen, `Magnum refuses to delete baymodel "k8s" while bays use it. Delete those bays, or move them to another baymodel, first.` + api},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, tc.got, tc.want)
		}
	}
}
