package difftest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// capiTemplate is a template the Cluster API driver takes: acctest.Kube()'s
// capi model (an Ubuntu image whose Glance magnum_driver is
// k8s_cluster_api_ubuntu, calico, both flavors, dns_nameserver), with over
// applied as ctBody does (nil removes a field).
func capiTemplate(name string, over map[string]any) map[string]any {
	b := map[string]any{
		"name": name, "coe": "kubernetes", "image_id": "ubuntu-2204-kube-v1.26.11", "keypair_id": "testkey",
		"external_network_id": "public", "flavor_id": "m1.medium", "master_flavor_id": "m1.medium",
		"network_driver": "calico", "dns_nameserver": "8.8.8.8",
		"labels": map[string]any{"kube_tag": "v1.26.11"},
	}
	for k, v := range over {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// untilReasonOrDone is satisfied once the driver has written an
// in-progress status_reason, or the operation has ended (any status but
// *_IN_PROGRESS), or the object is gone.
func untilReasonOrDone(code int, body any) bool {
	if code != http.StatusOK {
		return true
	}
	m, _ := body.(map[string]any)
	st, _ := m["status"].(string)
	reason, _ := m["status_reason"].(string)
	return reason != "" || (st != "" && !strings.HasSuffix(st, "_IN_PROGRESS"))
}

// untilAfterProgress is satisfied by a *_FAILED status at once, by one of
// statuses only after an *_IN_PROGRESS one was seen, or by an answer that
// is not 200. An operation the conductor takes on after the POST returned
// (resize: the cluster keeps the status of the operation before it until
// then, and real Magnum 20 shows the new node_count with that stale
// UPDATE_COMPLETE while the driver works) is not over at its first read.
func untilAfterProgress(statuses ...string) func() func(int, any) bool {
	return func() func(int, any) bool {
		seen := false
		return func(code int, body any) bool {
			if code != http.StatusOK {
				return true
			}
			m, _ := body.(map[string]any)
			st, _ := m["status"].(string)
			switch {
			case strings.HasSuffix(st, "_IN_PROGRESS"):
				seen = true
				return false
			case strings.HasSuffix(st, "_FAILED"):
				return true
			}
			return seen && slices.Contains(statuses, st)
		}
	}
}

// capiScript is the Cluster API driver's lifecycle, every step at the
// microversion both sides serve (capiVersion): templates with and without
// dns_nameserver, a cluster's create with its in-progress status, its
// nodegroups, an upgrade, a resize and the deletes. Polls are bounded by
// the step's timeout. An upgrade's in-progress reason is not read: the
// real driver's upgrade POST works synchronously for seconds and the first
// status sync after it often completes the upgrade, so what a read in
// between sees is a matter of timing (the create's, after a quick POST,
// is not). Nor is a delete's: it ends in 8-20 s on the real stack, so
// whether a 10 s status sync wrote "Deleting" before the 404 varies.
func capiScript(run string, rel release) []step {
	v := rel.maxVersion
	ct, ct2 := "dt-capi-ct-"+run, "dt-capi-ct2-"+run
	ctnd, ctfl := "dt-capi-nodns-"+run, "dt-capi-flannel-"+run
	c, cnd, cfl := "dt-capi-c-"+run, "dt-capi-cnodns-"+run, "dt-capi-cflannel-"+run
	cnm := "dt-capi-cnomf-" + run
	long := 5 * time.Minute
	return []step{
		// templates
		{name: "capi-ct-create", who: "demo", method: "POST", path: "/v1/clustertemplates", version: v, body: capiTemplate(ct, nil), save: "uuid", as: "ct"},
		{name: "capi-ct-get", who: "demo", method: "GET", path: "/v1/clustertemplates/{ct}", version: v},
		{name: "capi-ct2-create", who: "demo", method: "POST", path: "/v1/clustertemplates", version: v, save: "uuid", as: "ct2",
			body: capiTemplate(ct2, map[string]any{"image_id": "ubuntu-2204-kube-v1.27.4", "labels": map[string]any{"kube_tag": "v1.27.4"}})},
		{name: "capi-ct-nodns-create", who: "demo", method: "POST", path: "/v1/clustertemplates", version: v, save: "uuid", as: "ctnd",
			body: capiTemplate(ctnd, map[string]any{"dns_nameserver": nil})},
		{name: "capi-ct-flannel-create", who: "demo", method: "POST", path: "/v1/clustertemplates", version: v, save: "uuid", as: "ctfl",
			body: capiTemplate(ctfl, map[string]any{"network_driver": "flannel"})},
		{name: "capi-ct-no-master-flavor-create", who: "demo", method: "POST", path: "/v1/clustertemplates", version: v, save: "uuid", as: "ctnm",
			body: capiTemplate("dt-capi-nomf-"+run, map[string]any{"master_flavor_id": nil})},

		// clusters, started together
		{name: "capi-c-create", who: "demo", method: "POST", path: "/v1/clusters", version: v, save: "uuid", as: "c",
			body: map[string]any{"name": c, "cluster_template_id": "{ct}", "master_count": 1, "node_count": 1}},
		{name: "capi-c-nodns-create", who: "demo", method: "POST", path: "/v1/clusters", version: v, save: "uuid", as: "cnd", needs: "ctnd",
			body: map[string]any{"name": cnd, "cluster_template_id": "{ctnd}", "master_count": 1, "node_count": 1}},
		{name: "capi-c-flannel-create", who: "demo", method: "POST", path: "/v1/clusters", version: v, save: "uuid", as: "cfl", needs: "ctfl",
			body: map[string]any{"name": cfl, "cluster_template_id": "{ctfl}", "master_count": 1, "node_count": 1}},
		// With no master flavor the control plane never boots: the create
		// stays in progress with the Cluster's reason.
		{name: "capi-c-no-master-flavor-create", who: "demo", method: "POST", path: "/v1/clusters", version: v, save: "uuid", as: "cnm", needs: "ctnm",
			body: map[string]any{"name": cnm, "cluster_template_id": "{ctnm}", "master_count": 1, "node_count": 1}},
		{name: "capi-c-progress", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v, until: untilReasonOrDone, timeout: long},
		{name: "capi-c-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v, until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED"), timeout: long},
		{name: "capi-c-nodns-wait", who: "demo", method: "GET", path: "/v1/clusters/{cnd}", version: v, needs: "cnd",
			until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED"), timeout: long},
		{name: "capi-c-flannel-wait", who: "demo", method: "GET", path: "/v1/clusters/{cfl}", version: v, needs: "cfl",
			until: untilStatus("CREATE_COMPLETE", "CREATE_FAILED"), timeout: long},
		{name: "capi-c-no-master-flavor-progress", who: "demo", method: "GET", path: "/v1/clusters/{cnm}", version: v, needs: "cnm",
			until: untilReasonOrDone, timeout: long},
		// vexxhost's update_cluster is not implemented; nor is CA rotation.
		{name: "capi-c-patch-node-count", who: "demo", method: "PATCH", path: "/v1/clusters/{cfl}", version: v, needs: "cfl",
			body: patch("replace", "/node_count", 2)},
		{name: "capi-c-patch-node-count-wait", who: "demo", method: "GET", path: "/v1/clusters/{cfl}", version: v, needs: "cfl",
			untilFresh: untilAfterProgress("UPDATE_COMPLETE"), timeout: long},
		{name: "capi-ca-rotate", who: "demo", method: "PATCH", path: "/v1/certificates/{cfl}", version: v, needs: "cfl"},
		{name: "capi-ng-list", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups", version: v},
		{name: "capi-ng-worker", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-worker", version: v},
		{name: "capi-ng-master", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-master", version: v},

		// upgrade to the next release's template
		{name: "capi-c-upgrade", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/upgrade", version: v, needs: "ct2",
			body: map[string]any{"cluster_template": "{ct2}", "max_batch_size": 1}, save: "uuid", as: "upgraded"},
		{name: "capi-c-upgrade-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v, needs: "upgraded", onTemplate: "{ct2}",
			until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED"), timeout: long},
		{name: "capi-ng-worker-upgraded", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-worker", version: v},
		{name: "capi-ng-master-upgraded", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-master", version: v},
		// and back: 0.16.0 compares the template's kube_tag with the
		// stale label, so Cluster API is left alone.
		{name: "capi-c-upgrade-back", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/upgrade", version: v, needs: "upgraded",
			body: map[string]any{"cluster_template": "{ct}", "max_batch_size": 1}, save: "uuid", as: "back"},
		{name: "capi-c-upgrade-back-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v, needs: "back", onTemplate: "{ct}",
			until: untilStatus("UPDATE_COMPLETE", "UPDATE_FAILED"), timeout: long},
		{name: "capi-ng-worker-upgraded-back", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-worker", version: v},

		// resize the workers
		{name: "capi-c-resize", who: "demo", method: "POST", path: "/v1/clusters/{c}/actions/resize", version: v, body: map[string]any{"node_count": 2}},
		{name: "capi-c-resize-wait", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v,
			untilFresh: untilAfterProgress("UPDATE_COMPLETE"), timeout: long},
		{name: "capi-ng-worker-resized", who: "demo", method: "GET", path: "/v1/clusters/{c}/nodegroups/default-worker", version: v},

		// deletes
		{name: "capi-c-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{c}", version: v},
		{name: "capi-c-no-master-flavor-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cnm}", version: v, needs: "cnm"},
		{name: "capi-c-nodns-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cnd}", version: v, needs: "cnd"},
		{name: "capi-c-flannel-delete", who: "demo", method: "DELETE", path: "/v1/clusters/{cfl}", version: v, needs: "cfl"},
		{name: "capi-c-gone", who: "demo", method: "GET", path: "/v1/clusters/{c}", version: v, until: untilGone, timeout: long},
		{name: "capi-c-no-master-flavor-gone", who: "demo", method: "GET", path: "/v1/clusters/{cnm}", version: v, needs: "cnm", until: untilGone, timeout: long},
		{name: "capi-c-nodns-gone", who: "demo", method: "GET", path: "/v1/clusters/{cnd}", version: v, needs: "cnd", until: untilGone, timeout: long},
		{name: "capi-c-flannel-gone", who: "demo", method: "GET", path: "/v1/clusters/{cfl}", version: v, needs: "cfl", until: untilGone, timeout: long},
		{name: "capi-ct-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ct}", version: v},
		{name: "capi-ct2-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ct2}", version: v, needs: "ct2"},
		{name: "capi-ct-nodns-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctnd}", version: v, needs: "ctnd"},
		{name: "capi-ct-flannel-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctfl}", version: v, needs: "ctfl"},
		{name: "capi-ct-no-master-flavor-delete", who: "demo", method: "DELETE", path: "/v1/clustertemplates/{ctnm}", version: v, needs: "ctnm"},
		{name: "capi-ct-get-deleted", who: "demo", method: "GET", path: "/v1/clustertemplates/{ct}", version: v},
	}
}
