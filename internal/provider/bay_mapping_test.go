package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
)

// plannedBay is a create plan for a configuration that sets only name and
// baymodel_id: defaults filled in, everything inherited unknown.
func plannedBay() bayModel {
	var m bayModel
	for _, v := range []*types.String{
		&m.ID, &m.DiscoveryURL, &m.Keypair, &m.FlavorID, &m.MasterFlavorID, &m.FixedNetwork, &m.FixedSubnet,
		&m.COE, &m.Status, &m.StatusReason, &m.HealthStatus, &m.APIAddress, &m.COEVersion, &m.ContainerVersion,
		&m.StackID, &m.ProjectID, &m.UserID, &m.CreatedAt, &m.UpdatedAt, &m.CACert,
	} {
		*v = types.StringUnknown()
	}
	m.Name = types.StringValue("c1-231358")
	m.BaymodelID = types.StringValue("ct-231358")
	m.NodeCount, m.MasterCount = types.Int64Value(1), types.Int64Value(1)
	m.CreateTimeout, m.DockerVolumeSize = types.Int64Unknown(), types.Int64Unknown()
	m.Labels = types.MapNull(types.StringType)
	m.MergeLabels = types.BoolValue(false)
	m.MasterLBEnabled, m.FloatingIPEnabled = types.BoolUnknown(), types.BoolUnknown()
	m.Faults, m.HealthStatusReason = types.MapUnknown(types.StringType), types.MapUnknown(types.StringType)
	m.EffectiveLabels = types.MapUnknown(types.StringType)
	m.MasterAddresses, m.NodeAddresses = types.ListUnknown(types.StringType), types.ListUnknown(types.StringType)
	m.Kubeconfig, m.DockerTLS = types.ObjectUnknown(kubeconfigAttrTypes), types.ObjectUnknown(dockerTLSAttrTypes)
	return m
}

func TestBayCreateRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(*bayModel)
		want   string
	}{
		// Inherited arguments are unknown in the plan: sending them would
		// override the baymodel with zero values.
		{"inherited arguments are left to the baymodel", func(*bayModel) {},
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1}`},
		{"every argument is sent", func(m *bayModel) {
			m.Keypair, m.FlavorID, m.MasterFlavorID = types.StringValue("kp2"), types.StringValue("m1.large"), types.StringValue("m1.xlarge")
			m.FixedNetwork, m.FixedSubnet = types.StringValue("net"), types.StringValue("subnet")
			m.DiscoveryURL = types.StringValue("https://discovery.etcd.io/abc")
			m.NodeCount, m.MasterCount, m.DockerVolumeSize, m.CreateTimeout = types.Int64Value(3), types.Int64Value(3), types.Int64Value(20), types.Int64Value(90)
			m.MasterLBEnabled, m.FloatingIPEnabled = types.BoolValue(true), types.BoolValue(false)
			m.Labels = strMap("foo", "bar")
		}, `{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","keypair":"kp2","node_count":3,"master_count":3,` +
			`"docker_volume_size":20,"master_flavor_id":"m1.xlarge","flavor_id":"m1.large","fixed_network":"net","fixed_subnet":"subnet",` +
			`"labels":{"foo":"bar"},"create_timeout":90,"floating_ip_enabled":false,"master_lb_enabled":true,"discovery_url":"https://discovery.etcd.io/abc"}`},
		// false is Magnum's default, and the bays API has no merge_labels at
		// all, so only true is sent.
		{"merge_labels false is not sent", func(m *bayModel) { m.Labels = strMap("foo", "bar") },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1,"labels":{"foo":"bar"}}`},
		{"merge_labels true is sent", func(m *bayModel) { m.Labels, m.MergeLabels = strMap("foo", "bar"), types.BoolValue(true) },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":1,"master_count":1,"labels":{"foo":"bar"},"merge_labels":true}`},
		{"zero nodes is sent", func(m *bayModel) { m.NodeCount = types.Int64Value(0) },
			`{"name":"c1-231358","cluster_template_id":"` + transcriptTemplateUUID + `","node_count":0,"master_count":1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := plannedBay()
			tc.change(&m)
			// The baymodel was given by name; the POST needs the UUID.
			req, diags := bayCreateRequest(ctx, m, transcriptTemplateUUID)
			if diags.HasError() {
				t.Fatal(diags)
			}
			body, _ := json.Marshal(req)
			if string(body) != tc.want {
				t.Fatalf("POST body\n got %s\nwant %s", body, tc.want)
			}
		})
	}
}

func TestBayFromAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	meta := bayMeta{BaymodelUUID: transcriptTemplateUUID, COE: "kubernetes"}
	null, s := types.StringNull(), types.StringValue
	emptyMap := types.MapValueMust(types.StringType, map[string]attr.Value{})
	effective := strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "True", "max_node_count", "5", "foo", "bar")

	cases := []struct {
		name string
		body string
		want map[string]attr.Value
	}{
		{"in progress, before Heat has a stack", transcriptClusterInProgress, map[string]attr.Value{
			"id": s("06f2f9c1-2176-4b4f-a925-c8e45b393b8f"), "name": s("c1-231358"), "status": s("CREATE_IN_PROGRESS"),
			"stack_id": null, "status_reason": null, "discovery_url": null, "api_address": null, "coe_version": null,
			"container_version": null, "health_status": null, "updated_at": null,
			"created_at": s("2026-11-27T23:14:13Z"), "faults": emptyMap, "health_status_reason": emptyMap,
			"master_addresses": strList(), "node_addresses": strList(), "create_timeout": types.Int64Value(60),
		}},
		{"complete", transcriptClusterComplete, map[string]attr.Value{
			"status": s("CREATE_COMPLETE"), "stack_id": s("8516432c-9230-4bda-a490-a9340c07d4ad"),
			"api_address": s("https://127.0.0.1:6443"), "coe_version": s("v1.23.3-rancher1"), "container_version": s("1.12.6"),
			"discovery_url":    s("http://127.0.0.1:8099/discovery/ff4bc648f97d4eeeac808dabc2ca7fe5"),
			"master_addresses": strList("10.0.0.10"), "node_addresses": strList("10.0.0.11"),
			"keypair": s("kp1"), "flavor_id": s("m1.small"), "master_flavor_id": s("m1.small"),
			"docker_volume_size": types.Int64Value(5), "node_count": types.Int64Value(1), "master_count": types.Int64Value(1),
			"fixed_network": null, "fixed_subnet": null,
			"floating_ip_enabled": types.BoolValue(true), "master_lb_enabled": types.BoolValue(false),
			"project_id": s("49f56470f6d944d4a9a81ac47c95a702"), "user_id": s("454c57f4e0294a94a8293f4f42a52017"),
			"created_at": s("2026-11-27T23:14:13Z"), "updated_at": s("2026-11-27T23:14:24Z"),
			"coe": s("kubernetes"), "effective_labels": effective, "faults": emptyMap,
		}},
		{"failed, with faults per nodegroup", transcriptClusterFailed, map[string]attr.Value{
			"status": s("CREATE_FAILED"), "status_reason": s("default-master failed, default-worker failed"),
			"faults":      strMap("default-master", transcriptFault, "default-worker", transcriptFault),
			"api_address": null, "stack_id": s("b5a4e511-68e9-4d80-8bed-7ec7457d0aac"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := plannedBay()
			if diags := bayFromAPI(ctx, decodeCluster(t, tc.body), &m.bayAttributes, meta); diags.HasError() {
				t.Fatal(diags)
			}
			assertModelFields(t, m, tc.want)
			// The user gave the baymodel by name and the bay is still on it:
			// keeping the name avoids a perpetual diff.
			if want := s("ct-231358"); !m.BaymodelID.Equal(want) {
				t.Errorf("baymodel_id = %s, want the configured %s", m.BaymodelID, want)
			}
			// labels was not configured: the baymodel's are inherited and
			// show only in effective_labels.
			if !m.Labels.IsNull() {
				t.Errorf("labels = %s, want null", m.Labels)
			}
		})
	}

	baymodelCases := []struct {
		name       string
		configured types.String
		meta       bayMeta
		clusterCT  string
		want       string
	}{
		{"name kept while the bay stays on it", s("ct-231358"), meta, transcriptTemplateUUID, "ct-231358"},
		{"UUID kept", s(transcriptTemplateUUID), meta, transcriptTemplateUUID, transcriptTemplateUUID},
		// Someone ran `openstack coe cluster upgrade` elsewhere: the state
		// must show the new template so the plan offers to move it back.
		{"name replaced when the bay moved to another baymodel", s("ct-231358"), meta, "11111111-2222-3333-4444-555555555555",
			"11111111-2222-3333-4444-555555555555"},
		{"UUID replaced when the bay moved to another baymodel", s(transcriptTemplateUUID), meta, "11111111-2222-3333-4444-555555555555",
			"11111111-2222-3333-4444-555555555555"},
		{"import fills it in", types.StringNull(), bayMeta{}, transcriptTemplateUUID, transcriptTemplateUUID},
		{"unknown is filled in", types.StringUnknown(), meta, transcriptTemplateUUID, transcriptTemplateUUID},
	}
	for _, tc := range baymodelCases {
		t.Run("baymodel_id: "+tc.name, func(t *testing.T) {
			t.Parallel()
			c := decodeCluster(t, transcriptClusterComplete)
			c.ClusterTemplateID = tc.clusterCT
			m := plannedBay()
			m.BaymodelID = tc.configured
			if diags := bayFromAPI(ctx, c, &m.bayAttributes, tc.meta); diags.HasError() {
				t.Fatal(diags)
			}
			if !m.BaymodelID.Equal(s(tc.want)) {
				t.Fatalf("baymodel_id = %s, want %q", m.BaymodelID, tc.want)
			}
		})
	}

	t.Run("coe stays as it was without baymodel metadata", func(t *testing.T) {
		t.Parallel()
		m := plannedBay()
		m.COE = s("swarm")
		if diags := bayFromAPI(ctx, decodeCluster(t, transcriptClusterComplete), &m.bayAttributes, bayMeta{}); diags.HasError() {
			t.Fatal(diags)
		}
		if !m.COE.Equal(s("swarm")) {
			t.Fatalf("coe = %s", m.COE)
		}
	})

	t.Run("load balancer and floating IP flags Magnum leaves out", func(t *testing.T) {
		t.Parallel()
		// Magnum's list entries have neither flag: an unknown plan value
		// becomes null, a configured one is kept.
		body := strings.NewReplacer(`"master_lb_enabled": false, `, ``, `"floating_ip_enabled": true, `, ``).Replace(transcriptClusterComplete)
		c := decodeCluster(t, body)
		if c.MasterLBEnabled != nil || c.FloatingIPEnabled != nil {
			t.Fatal("test body still has the flags")
		}
		m := plannedBay()
		m.FloatingIPEnabled = types.BoolValue(false)
		if diags := bayFromAPI(ctx, c, &m.bayAttributes, meta); diags.HasError() {
			t.Fatal(diags)
		}
		if !m.MasterLBEnabled.IsNull() {
			t.Errorf("master_lb_enabled = %s, want null", m.MasterLBEnabled)
		}
		if !m.FloatingIPEnabled.Equal(types.BoolValue(false)) {
			t.Errorf("floating_ip_enabled = %s, want the configured false", m.FloatingIPEnabled)
		}
	})

	t.Run("health reasons of any JSON type become strings", func(t *testing.T) {
		t.Parallel()
		body := strings.Replace(transcriptClusterComplete, `"health_status_reason": {}`,
			`"health_status_reason": {"api": "ok", "k8s-node-0.Ready": true, "nodes": 3}`, 1)
		m := plannedBay()
		if diags := bayFromAPI(ctx, decodeCluster(t, body), &m.bayAttributes, meta); diags.HasError() {
			t.Fatal(diags)
		}
		want := strMap("api", "ok", "k8s-node-0.Ready", "true", "nodes", "3")
		if !m.HealthStatusReason.Equal(want) {
			t.Fatalf("health_status_reason = %s, want %s", m.HealthStatusReason, want)
		}
	})
}

func TestConfiguredLabels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server := map[string]string{"kube_tag": "v1.23.3-rancher1", "auto_healing_enabled": "True", "foo": "bar"}
	cases := []struct {
		name       string
		configured types.Map
		merge      bool
		actual     map[string]string
		want       types.Map
	}{
		{"not configured stays null", types.MapNull(types.StringType), false, server, types.MapNull(types.StringType)},
		{"not configured stays null when merging", types.MapNull(types.StringType), true, server, types.MapNull(types.StringType)},
		{"unknown stays unknown", types.MapUnknown(types.StringType), false, server, types.MapUnknown(types.StringType)},
		// Magnum treats {} like no labels and applies the baymodel's.
		{"empty stays empty", strMap(), false, server, strMap()},
		// The baymodel's own labels are not the user's: no drift.
		{"merge keeps only configured keys", strMap("foo", "bar"), true, server, strMap("foo", "bar")},
		{"merge shows drift in a configured key", strMap("foo", "bar"), true,
			map[string]string{"kube_tag": "v1.23.3-rancher1", "foo": "changed"}, strMap("foo", "changed")},
		{"merge shows a configured key that is gone", strMap("foo", "bar", "baz", "1"), true,
			map[string]string{"kube_tag": "v1.23.3-rancher1", "foo": "bar"}, strMap("foo", "bar")},
		// Without merge the bay's labels are exactly the configured ones, so
		// anything else on the server is drift.
		{"non-merge mirrors the server", strMap("foo", "bar"), false, server, strMap("kube_tag", "v1.23.3-rancher1", "auto_healing_enabled", "True", "foo", "bar")},
		{"non-merge shows drift in a configured key", strMap("foo", "bar"), false, map[string]string{"foo": "baz"}, strMap("foo", "baz")},
		{"non-merge with no labels on the server", strMap("foo", "bar"), false, nil, strMap()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, diags := configuredLabels(ctx, tc.configured, tc.merge, tc.actual)
			if diags.HasError() {
				t.Fatal(diags)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("labels = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestBayRead_baymodelChangedOutOfBandShowsAsDrift covers a bay that someone
// moved to another baymodel outside Terraform (`openstack coe cluster
// upgrade`). bayFromAPI reports that as drift when given the baymodel the
// state was built from, but Read first refreshes the private metadata to
// the bay's current baymodel and passes that, so baymodel_id keeps the
// configured value and the plan never offers to move the bay back.
func TestBayRead_baymodelChangedOutOfBandShowsAsDrift(t *testing.T) {
	t.Parallel()
	const movedTo = "11111111-2222-3333-4444-555555555555"
	// The bay failed, so it has no api_address and Read signs nothing.
	cluster := strings.Replace(transcriptClusterFailed, transcriptTemplateUUID, movedTo, 1)
	template := strings.NewReplacer(transcriptTemplateUUID, movedTo, `"name": "ct-231358"`, `"name": "ct-other"`).Replace(transcriptTemplate)
	magnumSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/":
			_, _ = io.WriteString(w, `{"versions": [{"id": "v1", "status": "CURRENT", "max_version": "1.10", "min_version": "1.1"}]}`)
		case "/v1/clusters/d9a11384-357f-47f2-b705-bf40242318a7":
			_, _ = io.WriteString(w, cluster)
		case "/v1/clustertemplates/" + movedTo:
			_, _ = io.WriteString(w, template)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errors": [{"status": 404, "detail": "not served by this test"}]}`)
		}
	}))
	t.Cleanup(magnumSrv.Close)

	s := acctest.StartSim(t, sim.Options{})
	c := s.Credentials("demo")
	ctx := context.Background()
	server := providerserver.NewProtocol6(newTestProvider())()
	cfg, _ := protoConfig(t, map[string]any{
		"auth_url": c.AuthURL, "user_name": c.UserName, "password": c.Password, "user_domain_name": c.UserDomainName,
		"project_name": c.ProjectName, "project_domain_name": c.ProjectDomainName,
		"endpoint_overrides": map[string]string{"container-infra": magnumSrv.URL + "/v1"},
	})
	if _, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{}); err != nil {
		t.Fatal(err)
	}
	cresp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg})
	if err != nil || protoHasError(cresp.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, protoDiags(cresp.Diagnostics))
	}

	var sresp resource.SchemaResponse
	(&bayResource{}).Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	set := map[string]any{
		"id": "d9a11384-357f-47f2-b705-bf40242318a7", "name": "cfail-231358", "baymodel_id": "ct-231358",
		"merge_labels": false, "status": "CREATE_FAILED",
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, set[name])
	}
	state, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	private, _ := json.Marshal(map[string][]byte{
		privateBayMeta: []byte(`{"baymodel_uuid":"` + transcriptTemplateUUID + `","coe":"kubernetes","tls_disabled":false}`),
	})

	rresp, err := server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "magnum_bay", CurrentState: &state, Private: private})
	if err != nil || protoHasError(rresp.Diagnostics) {
		t.Fatalf("ReadResource: %v %v", err, protoDiags(rresp.Diagnostics))
	}
	raw, err := rresp.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]tftypes.Value
	if err := raw.As(&got); err != nil {
		t.Fatal(err)
	}
	var baymodelID string
	if err := got["baymodel_id"].As(&baymodelID); err != nil {
		t.Fatal(err)
	}
	if baymodelID != movedTo {
		t.Fatalf("after the bay moved to baymodel %s out of band, Read left baymodel_id = %q: the plan shows no drift", movedTo, baymodelID)
	}
}

func protoHasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func protoDiags(diags []*tfprotov6.Diagnostic) []string {
	out := make([]string, len(diags))
	for i, d := range diags {
		out[i] = d.Summary + ": " + d.Detail
	}
	return out
}
