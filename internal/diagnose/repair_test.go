package diagnose

import "testing"

func TestBayRepairWarning(t *testing.T) {
	t.Parallel()
	base := BayRepair{Name: "web", ID: "c1", NodeCount: 3}
	with := func(status, reason string, faults map[string]string, changed bool) BayRepair {
		r := base
		r.Status, r.StatusReason, r.Faults, r.Changed = status, reason, faults, changed
		return r
	}
	cases := []struct {
		name            string
		in              BayRepair
		summary, detail string
	}{
		{"update failed, same configuration", with("UPDATE_FAILED", "Resource UPDATE failed", map[string]string{"w": "no host", "m": "quota"}, false),
			`Bay "web" is UPDATE_FAILED`,
			"Magnum reports bay \"web\" (c1) as UPDATE_FAILED (status_reason: Resource UPDATE failed; fault in m: quota; fault in w: no host).\n\n" +
				"This plan retries the update: it resizes the bay to its configured node_count, 3, which makes Magnum update it again. " +
				"If the cause is still there the apply fails again with Magnum's reason; change the configuration or fix the cloud first."},
		{"update failed, changed configuration", with("UPDATE_FAILED", "", nil, true), `Bay "web" is UPDATE_FAILED`,
			"Magnum reports bay \"web\" (c1) as UPDATE_FAILED.\n\nThis plan retries the update: it applies the configured change again. " +
				"If the cause is still there the apply fails again with Magnum's reason; change the configuration or fix the cloud first."},
		{"create failed", with("CREATE_FAILED", "Stack CREATE failed", nil, false), `Bay "web" is CREATE_FAILED`,
			"Magnum reports bay \"web\" (c1) as CREATE_FAILED (status_reason: Stack CREATE failed).\n\n" +
				"A bay whose create failed cannot be repaired in place, so this plan replaces it: the failed bay is deleted and a new one created."},
		{"delete failed", with("DELETE_FAILED", "", nil, false), `Bay "web" is DELETE_FAILED`,
			"Magnum reports bay \"web\" (c1) as DELETE_FAILED: a delete was started (perhaps outside Terraform) and failed, " +
				"so the bay is half torn down.\n\nThis plan deletes it again and creates it anew."},
		{"being deleted", with("DELETE_IN_PROGRESS", "ignored", nil, false), `Bay "web" is being deleted`,
			"Magnum reports bay \"web\" (c1) as DELETE_IN_PROGRESS: someone (perhaps outside Terraform) is deleting it.\n\n" +
				"This plan waits for the delete to finish and creates the bay anew."},
		{"deleted, row not yet gone", with("DELETE_COMPLETE", "", nil, false), `Bay "web" has been deleted`,
			"Magnum reports bay \"web\" (c1) as DELETE_COMPLETE: it was deleted (perhaps outside Terraform) and Magnum is removing its record.\n\n" +
				"This plan waits for the record to go and creates the bay anew."},
		{"healthy", with("CREATE_COMPLETE", "", nil, false), "", ""},
	}
	for _, tc := range cases {
		summary, detail := tc.in.Warning()
		if summary != tc.summary || detail != tc.detail {
			t.Errorf("%s: got\n%q\n%s\nwant\n%q\n%s", tc.name, summary, detail, tc.summary, tc.detail)
		}
	}
}

func TestNodegroupRepairWarning(t *testing.T) {
	t.Parallel()
	with := func(status, reason string, changed bool) NodegroupRepair {
		return NodegroupRepair{Name: "gpu", ID: "n1", Bay: "c1", Status: status, StatusReason: reason, NodeCount: 2, Changed: changed}
	}
	const retryTail = " If the cause is still there the apply fails again with Magnum's reason; change the configuration or fix the cloud first."
	cases := []struct {
		name            string
		in              NodegroupRepair
		summary, detail string
	}{
		{"update failed, same configuration", with("UPDATE_FAILED", "Quota exceeded", false), `Nodegroup "gpu" is UPDATE_FAILED`,
			"Magnum reports nodegroup \"gpu\" (n1) of bay c1 as UPDATE_FAILED (Quota exceeded).\n\n" +
				"This plan retries the update: it resizes the nodegroup to its configured node_count, 2, which makes Magnum update it again." + retryTail},
		{"update failed, changed configuration", with("UPDATE_FAILED", "", true), `Nodegroup "gpu" is UPDATE_FAILED`,
			"Magnum reports nodegroup \"gpu\" (n1) of bay c1 as UPDATE_FAILED.\n\n" +
				"This plan retries the update: it applies the configured change and resizes the nodegroup to its configured node_count, 2." + retryTail},
		{"create failed", with("CREATE_FAILED", "No valid host", false), `Nodegroup "gpu" is CREATE_FAILED`,
			"Magnum reports nodegroup \"gpu\" (n1) of bay c1 as CREATE_FAILED (No valid host).\n\n" +
				"A nodegroup whose create failed cannot be repaired in place, so this plan replaces it: the failed nodegroup is deleted and a new one created."},
		{"delete failed", with("DELETE_FAILED", "", false), `Nodegroup "gpu" is DELETE_FAILED`,
			"Magnum reports nodegroup \"gpu\" (n1) of bay c1 as DELETE_FAILED: a delete was started (perhaps outside Terraform) and failed.\n\n" +
				"This plan deletes it again and creates it anew."},
		{"being deleted", with("DELETE_IN_PROGRESS", "", false), `Nodegroup "gpu" is being deleted`,
			"Magnum reports nodegroup \"gpu\" (n1) of bay c1 as DELETE_IN_PROGRESS: someone (perhaps outside Terraform) is deleting it.\n\n" +
				"This plan waits for the delete to finish and creates the nodegroup anew."},
		{"healthy", with("UPDATE_COMPLETE", "", false), "", ""},
		{"in progress", with("UPDATE_IN_PROGRESS", "", false), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			summary, detail := tc.in.Warning()
			if summary != tc.summary || detail != tc.detail {
				t.Errorf("got\n%q\n%q\nwant\n%q\n%q", summary, detail, tc.summary, tc.detail)
			}
		})
	}
}
