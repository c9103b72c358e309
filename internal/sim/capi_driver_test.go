package sim

import (
	"regexp"
	"testing"
	"time"
)

// While magnum-cluster-api works, Magnum's 10 s status sync writes the
// latest events of the CAPI Cluster and OpenStackCluster into
// status_reason, as real Magnum 20 with the driver's 0.16.0 did: null until
// the first poll, the driver's text from then on, null again at *_COMPLETE.
func TestMasterProfileProgressReason(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master", ConductorInterval: 10 * time.Second,
		HeatCreateDuration: 25 * time.Second, HeatUpdateDuration: 15 * time.Second, HeatDeleteDuration: 15 * time.Second})
	start := e.clock.Now()
	id := e.create("capi")
	osc := `\. CAPI OpenstackCluster status reason: SuccessfulAssociateFloatingIP: Associated floating IP 127\.0\.0\.1 with port ([0-9a-f-]{36})$`
	type check struct {
		at     time.Duration
		status string
		reason string // a regexp with the cluster_id as %[1]s; "" for null
	}
	var cid, port string
	follow := func(what string, from time.Time, checks []check) {
		t.Helper()
		for _, ck := range checks {
			e.until(from, ck.at)
			c := e.cluster(id)
			if cid == "" {
				cid = pyStrOrEmpty(c["cluster_id"])
			}
			got := pyStrOrEmpty(c["status_reason"])
			want := ck.reason
			if want != "" {
				want = "^CAPI Cluster status: " + regexp.MustCompile(`%\[1\]s`).ReplaceAllString(want, regexp.QuoteMeta(cid)) + osc
			}
			switch m := regexp.MustCompile(want).FindStringSubmatch(got); {
			case c["status"] != ck.status, want == "" && c["status_reason"] != nil, want != "" && m == nil:
				t.Errorf("%s at %v: %v %q, want %s %q", what, ck.at, c["status"], got, ck.status, want)
			case len(m) > 1:
				// The OpenStackCluster's port is the cluster's own.
				if port == "" {
					port = m[1]
				} else if m[1] != port {
					t.Errorf("%s at %v: port %s, before %s", what, ck.at, m[1], port)
				}
			}
		}
	}
	follow("create", start, []check{
		{2100 * time.Millisecond, "CREATE_IN_PROGRESS", ""},
		{9900 * time.Millisecond, "CREATE_IN_PROGRESS", ""},
		{10 * time.Second, "CREATE_IN_PROGRESS", `Provisioned: Cluster %[1]s is Provisioned`},
		{29 * time.Second, "CREATE_IN_PROGRESS", `Provisioned: Cluster %[1]s is Provisioned`},
		{30 * time.Second, "CREATE_COMPLETE", ""},
	})
	if ok, _ := regexp.MatchString(`^kube-[a-z0-9]{5}$`, cid); !ok {
		t.Fatalf("cluster_id %q", cid)
	}
	// The sync that wrote the reason saved the row.
	if c := e.cluster(id); c["health_status"] != nil || jsonString(c["health_status_reason"]) != "{}" {
		t.Errorf("health at CREATE_COMPLETE: %v %v, want null and {} (the driver's monitor has not run yet)",
			c["health_status"], c["health_status_reason"])
	}

	from := e.clock.Now()
	if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 2}); r.status != 202 {
		t.Fatalf("resize: %d %s", r.status, r.raw)
	}
	worker := shortHashOfNodegroup(t, e, id, "default-worker")
	follow("resize", from, []check{
		{5 * time.Second, "UPDATE_IN_PROGRESS", ""},
		{10 * time.Second, "UPDATE_IN_PROGRESS", `TopologyUpdate: Updated MachineDeployment "magnum-system/%[1]s-default-worker-` + worker + `"`},
		{20 * time.Second, "UPDATE_COMPLETE", ""},
	})

	from = e.clock.Now()
	e.demo.do("DELETE", "/v1/clusters/"+id, nil)
	follow("delete", from, []check{
		{5 * time.Second, "DELETE_IN_PROGRESS", ""},
		{10 * time.Second, "DELETE_IN_PROGRESS", `Deleting: Cluster %[1]s is Deleting`},
	})
	e.until(from, 20*time.Second)
	wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
}

// shortHashOfNodegroup is the suffix the topology controller gives the
// nodegroup's MachineDeployment.
func shortHashOfNodegroup(t *testing.T, e *clusterEnv, id, name string) string {
	t.Helper()
	return shortHash(pyStrOrEmpty(e.nodegroup(id, name)["uuid"]))
}

// magnum-cluster-api splits the template's dns_nameserver unguarded: a
// template without one fails every create, after the driver saved the
// stack_id (real 0.16.0; upstream's main still does). StackHPC's driver
// needs none and shows no progress reason.
func TestMasterProfileTemplateWithoutDNS(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master"})
	bare := with(validTemplate("ct-nodns"), "image_id", "ubuntu-2204-kube-v1.30.2", "network_driver", "calico",
		"labels", map[string]any{"kube_tag": "v1.30.2"})
	e.ct = e.demo.create("/v1/clustertemplates", bare)["uuid"].(string)
	id := e.create("nodns")
	e.clock.Advance(time.Millisecond)
	c := e.cluster(id)
	if ok, _ := regexp.MatchString(`^kube-[a-z0-9]{5}$`, pyStrOrEmpty(c["cluster_id"])); !ok || c["status"] != "CREATE_FAILED" ||
		c["status_reason"] != "'NoneType' object has no attribute 'split'" || jsonString(c["faults"]) != "{}" || c["api_address"] != nil {
		t.Errorf("create without dns_nameserver: cluster_id %v status %v reason %q faults %v api_address %v",
			c["cluster_id"], c["status"], c["status_reason"], c["faults"], c["api_address"])
	}
	e.clock.Advance(time.Minute)
	if c := e.cluster(id); c["status"] != "CREATE_FAILED" {
		t.Errorf("a minute later: %v", c["status"])
	}

	e.ct = e.demo.create("/v1/clustertemplates", with(bare, "name", "ct-helm", "driver", "k8s_capi_helm_v1"))["uuid"].(string)
	id = e.create("helm")
	e.clock.Advance(2 * time.Second)
	if c := e.cluster(id); c["status"] != "CREATE_IN_PROGRESS" || c["status_reason"] != nil {
		t.Errorf("k8s_capi_helm_v1 in progress: %v %q", c["status"], c["status_reason"])
	}
	e.clock.Advance(time.Second)
	if c := e.cluster(id); c["status"] != "CREATE_COMPLETE" {
		t.Errorf("k8s_capi_helm_v1 without dns_nameserver: %v %q", c["status"], c["status_reason"])
	}
}

// magnum-cluster-api 0.16.0 lets a cluster without master_flavor_id (on
// the cluster or its template) through, and its control plane never gets a
// server: CREATE_IN_PROGRESS with the Cluster's progress reason for ever,
// as on the real capi stack. A master flavor on the cluster itself is
// enough; StackHPC's driver is not modelled to hang.
func TestMasterProfileWithoutMasterFlavor(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master", ConductorInterval: 10 * time.Second, HeatCreateDuration: 5 * time.Second})
	base := with(validTemplate("ct-nomaster"), "image_id", "ubuntu-2204-kube-v1.30.2", "network_driver", "calico",
		"dns_nameserver", "8.8.8.8", "labels", map[string]any{"kube_tag": "v1.30.2"})
	delete(base, "master_flavor_id")
	e.ct = e.demo.create("/v1/clustertemplates", base)["uuid"].(string)
	stuck := e.create("nomaster")
	given := e.create("given", "master_flavor_id", "m1.medium")
	e.clock.Advance(30 * time.Minute)
	c := e.cluster(stuck)
	if c["status"] != "CREATE_IN_PROGRESS" || c["master_flavor_id"] != nil ||
		!regexp.MustCompile(`^CAPI Cluster status: Provisioned: Cluster kube-[a-z0-9]{5} is Provisioned\. `).MatchString(pyStrOrEmpty(c["status_reason"])) {
		t.Errorf("half an hour after a create without master_flavor_id: %v %v %q", c["status"], c["master_flavor_id"], c["status_reason"])
	}
	if c := e.cluster(given); c["status"] != "CREATE_COMPLETE" || c["master_flavor_id"] != "m1.medium" {
		t.Errorf("with master_flavor_id on the cluster: %v %v %q", c["status"], c["master_flavor_id"], c["status_reason"])
	}
	// It can still be deleted.
	e.demo.do("DELETE", "/v1/clusters/"+stuck, nil)
	e.clock.Advance(time.Minute)
	if r := e.get(stuck); r.status != 404 {
		t.Errorf("after delete: %d %s", r.status, r.raw)
	}
}

// magnum-cluster-api's upgrade leaves the cluster's kube_tag label stale
// and compares the new template's kube_tag with it: an upgrade back to the
// first release completes on that template with the cluster still on the
// newer one, as real 0.16.0 did on the capi stack.
func TestMasterProfileUpgradeBackIsANoOp(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master"})
	first := e.ct
	id := e.completed("back")
	newer := e.demo.create("/v1/clustertemplates", with(validTemplate("ct-newer"), "image_id", "ubuntu-2204-kube-v1.30.2",
		"network_driver", "calico", "dns_nameserver", "8.8.8.8", "labels", map[string]any{"kube_tag": "v1.31.1"}))["uuid"].(string)
	upgrade := func(to string) map[string]any {
		t.Helper()
		if r := e.demo.do("POST", "/v1/clusters/"+id+"/actions/upgrade", map[string]any{"cluster_template": to, "max_batch_size": 1}); r.status != 202 {
			t.Fatalf("upgrade: %d %s", r.status, r.raw)
		}
		e.clock.Advance(time.Minute)
		return e.cluster(id)
	}
	c := upgrade(newer)
	if c["status"] != "UPDATE_COMPLETE" || c["coe_version"] != "v1.31.1" || c["cluster_template_id"] != newer || jsonString(c["labels"]) != `{"kube_tag":"v1.30.2"}` {
		t.Fatalf("after the upgrade: %v %v on %v, labels %v", c["status"], c["coe_version"], c["cluster_template_id"], jsonString(c["labels"]))
	}
	c = upgrade(first)
	if c["status"] != "UPDATE_COMPLETE" || c["coe_version"] != "v1.31.1" || c["cluster_template_id"] != first {
		t.Errorf("after the upgrade back: %v %v on %v, want UPDATE_COMPLETE, still v1.31.1, on the first template", c["status"], c["coe_version"], c["cluster_template_id"])
	}
}

// magnum-cluster-api's status sync saves DELETE_COMPLETE before periodic.py
// deletes the trustee and the certificates through Keystone, so a finished
// delete shows DELETE_COMPLETE for seconds (2.1 s, the median measured on
// the capi stack) before the nodegroup rows go, then the 400 of a cluster
// without master nodegroups, then the 404.
func TestMasterProfileDeleteCompleteShown(t *testing.T) {
	e := newClusterEnv(t, Options{Profile: "master", TransientDeleteError: true})
	id := e.completed("capi")
	from := e.clock.Now()
	if r := e.demo.do("DELETE", "/v1/clusters/"+id, nil); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	// The default 1 s operation, with no conductor grid: the CAPI Cluster
	// is found gone 1 s after the DELETE.
	done := time.Second
	for _, ck := range []struct {
		at     time.Duration
		status string
	}{
		{done - time.Millisecond, "DELETE_IN_PROGRESS"},
		{done, "DELETE_COMPLETE"},
		{done + teardownSavedCAPI - time.Millisecond, "DELETE_COMPLETE"},
	} {
		e.until(from, ck.at)
		if c := e.cluster(id); c["status"] != ck.status || c["master_count"] != float64(1) || c["node_count"] != float64(1) {
			t.Errorf("%v after the DELETE: %v master_count %v node_count %v, want %s", ck.at, c["status"], c["master_count"],
				c["node_count"], ck.status)
		}
	}
	e.until(from, done+teardownSavedCAPI)
	wantMagnumError(t, e.get(id), 400, "Invalid input for field/attribute master_count. Value: '0'. Value should be greater or equal to 1")
	e.until(from, done+teardownSavedCAPI+teardownMasterGone+teardownAllGone)
	wantMagnumError(t, e.get(id), 404, "Cluster "+id+" could not be found.")
}
