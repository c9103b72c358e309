package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/movestub"
)

// TestAccMoveFromOpenstack migrates a baymodel, a bay and a nodegroup that
// terraform-provider-openstack manages, with `moved` blocks, through the
// real terraform binary: the state file is in the peer's format, the
// configuration is this provider's, and nothing on the cloud may be
// created or destroyed.
//
// terraform-plugin-testing cannot start from a hand-written state, so the
// test drives terraform itself. Both providers are served from this
// process and handed to Terraform with TF_REATTACH_PROVIDERS, the
// mechanism terraform-plugin-testing uses: no binary is built or
// downloaded. Terraform still needs a provider for the state's
// openstack_containerinfra_* resources: without one, `terraform init`
// tries to install it because the state names it, and `terraform plan`
// stops with "Missing required provider: This state requires provider
// registry.terraform.io/terraform-provider-openstack/openstack, but that
// provider isn't available". internal/movestub stands in for it.
func TestAccMoveFromOpenstack(t *testing.T) {
	tests := []struct {
		name string
		// bayLabels is the labels argument of the new configuration.
		bayLabels string
		// bayAction is the plan's action for the moved bay.
		bayAction string
		// nodegroup adds an extra nodegroup, with labelled nodes, to the
		// peer's world and the move.
		nodegroup bool
	}{
		// The peer's configuration left labels out: only the move.
		{"labels inherited", "", "no-op", false},
		// It set labels the bay has: they are adopted in place (nothing
		// is sent to Magnum), not a replacement.
		{"labels adopted", `labels = { kube_tag = "v1.23.3-rancher1" }`, "update", false},
		{"with a nodegroup", "", "no-op", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testMoveFromOpenstack(t, tt.bayLabels, tt.bayAction, tt.nodegroup) })
	}
}

func testMoveFromOpenstack(t *testing.T, bayLabels, bayAction string, withNodegroup bool) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	if withNodegroup {
		acctest.SkipUnlessSimulator(t, "real Magnum (15 and 20 alike) never finishes deleting a nodegroup, so the test's bay could not be cleaned up")
	}
	acctest.PreCheck(t)
	if acctest.OpenTofu() {
		// The state and reattach addresses name registry.terraform.io;
		// OpenTofu resolves the same sources under registry.opentofu.org.
		t.Skip("not run with OpenTofu: the peer's state names registry.terraform.io providers")
	}
	tfBin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tfBin == "" {
		var err error
		if tfBin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary")
		}
	}
	t.Parallel()
	s := acctest.StartSim(t, fastBays())
	ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(5*time.Minute))
	defer cancel()

	// What the peer created and has in its state.
	mc := acctest.MagnumClient(t, s, "demo")
	str := func(v string) *string { return &v }
	size := 5
	ct, err := mc.CreateClusterTemplate(ctx, acctest.Kube().Template(magnum.ClusterTemplateCreate{
		Name: str("k8s-moved"), COE: "kubernetes", KeypairID: str("testkey"), ExternalNetworkID: str("public"), DockerVolumeSize: &size,
	}))
	if err != nil {
		t.Fatal(err)
	}
	// The test ends with the objects in this provider's state, never
	// destroyed by Terraform: they go when it ends.
	deleteWhenDone(t, mc, "", ct.UUID)
	one := 1
	clusterID, err := mc.CreateCluster(ctx, magnum.ClusterCreate{
		Name: "movedbay", ClusterTemplateID: ct.UUID, NodeCount: &one,
		Labels: map[string]string{"kube_tag": "v1.23.3-rancher1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	deleteWhenDone(t, mc, clusterID, "")
	c := waitForCluster(ctx, t, mc, clusterID, "CREATE_COMPLETE")
	ct, err = mc.GetClusterTemplate(ctx, ct.UUID)
	if err != nil {
		t.Fatal(err)
	}
	var ng *magnum.NodeGroup
	ngConfig := ""
	if withNodegroup {
		three, yes := 3, true
		created, err := mc.CreateNodeGroup(ctx, clusterID, magnum.NodeGroupCreate{
			Name: "gpu", NodeCount: &one, MaxNodeCount: &three, FlavorID: "m1.small", Labels: map[string]string{"gpu": "true"}, MergeLabels: &yes,
		})
		if err != nil {
			t.Fatal(err)
		}
		ng = waitForNodeGroup(ctx, t, mc, clusterID, created.UUID, "CREATE_COMPLETE")
		c = waitForCluster(ctx, t, mc, clusterID, "UPDATE_COMPLETE")
		// Magnum's node_count counts every worker nodegroup; the peer
		// stores the default worker's.
		c.NodeCount -= ng.NodeCount
		// The peer's configuration set labels the nodegroup has: adopted.
		ngConfig = `
moved {
  from = openstack_containerinfra_nodegroup_v1.k8s
  to   = magnum_nodegroup.k8s
}

resource "magnum_nodegroup" "k8s" {
  bay_id         = magnum_bay.k8s.id
  name           = "gpu"
  flavor_id      = "m1.small"
  node_count     = 1
  max_node_count = 3
  merge_labels   = true
  labels = {
    gpu = "true"
  }
}
`
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "terraform.tfstate"), string(peerStateFile(t, ct, c, ng)))
	writeFile(t, filepath.Join(dir, "main.tf"), `
terraform {
  required_providers {
    magnum    = { source = "magnumtf/magnum" }
    openstack = { source = "terraform-provider-openstack/openstack" }
  }
}
`+acctest.ProviderBlock(s, "demo")+`
moved {
  from = openstack_containerinfra_clustertemplate_v1.k8s
  to   = magnum_baymodel.k8s
}

moved {
  from = openstack_containerinfra_cluster_v1.k8s
  to   = magnum_bay.k8s
}

resource "magnum_baymodel" "k8s" {
  name                = "k8s-moved"
  coe                 = "kubernetes"
`+acctest.Kube().Attributes()+`  keypair_id          = "testkey"
  external_network_id = "public"
  docker_volume_size  = 5
  labels = {
    kube_tag = "`+acctest.Kube().KubeTag+`"
  }
}

resource "magnum_bay" "k8s" {
  name        = "movedbay"
  baymodel_id = magnum_baymodel.k8s.id
  node_count  = 1
  `+bayLabels+`
}
`+ngConfig)
	tf := reattachedTerraform(ctx, t, tfBin, dir)
	tf("init", "-input=false")
	t.Log(tf("plan", "-input=false", "-out=tfplan"))

	var plan struct {
		ResourceChanges []struct {
			Address         string `json:"address"`
			PreviousAddress string `json:"previous_address"`
			Change          struct{ Actions []string }
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(tf("show", "-json", "tfplan")), &plan); err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{}
	for _, rc := range plan.ResourceChanges {
		actions[rc.PreviousAddress+" -> "+rc.Address] = strings.Join(rc.Change.Actions, ",")
	}
	want := map[string]string{
		"openstack_containerinfra_clustertemplate_v1.k8s -> magnum_baymodel.k8s": "no-op",
		"openstack_containerinfra_cluster_v1.k8s -> magnum_bay.k8s":              bayAction,
	}
	if ng != nil {
		// The labels are adopted: an update of state only.
		want["openstack_containerinfra_nodegroup_v1.k8s -> magnum_nodegroup.k8s"] = "update"
	}
	if !maps.Equal(actions, want) {
		t.Errorf("the plan's actions are %v, want %v", actions, want)
	}
	if t.Failed() {
		t.FailNow()
	}
	tf("apply", "-input=false", "-auto-approve", "tfplan")

	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string
					Values  map[string]any
				}
			} `json:"root_module"`
		}
	}
	if err := json.Unmarshal([]byte(tf("show", "-json")), &state); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, r := range state.Values.RootModule.Resources {
		got[r.Address] = r.Values
	}
	if len(want) != len(got) || got["magnum_baymodel.k8s"]["id"] != ct.UUID || got["magnum_bay.k8s"]["id"] != clusterID {
		t.Fatalf("after apply the state holds %v; want magnum_baymodel.k8s = %s and magnum_bay.k8s = %s and nothing else moved", keys(got), ct.UUID, clusterID)
	}
	if ng != nil {
		if g := got["magnum_nodegroup.k8s"]; g["id"] != ng.UUID || g["bay_id"] != clusterID || g["status"] != "CREATE_COMPLETE" {
			t.Errorf("the moved nodegroup is %v; want id %s in bay %s, read back from Magnum", g, ng.UUID, clusterID)
		}
		if ngs, err := mc.ListNodeGroups(ctx, clusterID); err != nil || len(ngs) != 3 {
			t.Errorf("the bay has %d nodegroups after the move (%v), want its two defaults and the moved one", len(ngs), err)
		}
	}
	kc, _ := got["magnum_bay.k8s"]["kubeconfig"].(map[string]any)
	if cert, _ := kc["client_certificate"].(string); !strings.Contains(cert, "BEGIN CERTIFICATE") {
		t.Errorf("the moved bay has no client certificate of its own: kubeconfig = %v", kc)
	}
	if n := len(s.Clusters()); n != 1 {
		t.Errorf("the simulator has %d bays after the move, want the one it had", n)
	}

	// The configuration is now this provider's alone: a second plan is empty.
	out := tf("plan", "-input=false", "-detailed-exitcode")
	if !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after the move is not empty:\n%s", out)
	}
}

// peerStateFile renders a version 4 state with the resources as
// terraform-provider-openstack writes them; ng may be nil.
func peerStateFile(t *testing.T, ct *magnum.ClusterTemplate, c *magnum.Cluster, ng *magnum.NodeGroup) []byte {
	t.Helper()
	ts := func(tm time.Time) string {
		if tm.IsZero() {
			return ""
		}
		return tm.Format(time.RFC3339)
	}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	b := func(p *bool) bool { return p != nil && *p }
	template := map[string]any{
		"id": ct.UUID, "region": "RegionOne", "name": ct.Name, "coe": ct.COE, "image": ct.ImageID,
		"apiserver_port": deref(ct.APIServerPort), "dns_nameserver": ct.DNSNameserver, "docker_storage_driver": ct.DockerStorageDriver,
		"docker_volume_size": deref(ct.DockerVolumeSize), "external_network_id": ct.ExternalNetworkID, "fixed_network": ct.FixedNetwork,
		"fixed_subnet": ct.FixedSubnet, "floating_ip_enabled": ct.FloatingIPEnabled, "http_proxy": ct.HTTPProxy, "https_proxy": ct.HTTPSProxy,
		"insecure_registry": ct.InsecureRegistry, "keypair_id": ct.KeypairID, "labels": map[string]string(ct.Labels),
		"master_lb_enabled": ct.MasterLBEnabled, "no_proxy": ct.NoProxy, "public": ct.Public, "registry_enabled": ct.RegistryEnabled,
		"tls_disabled": ct.TLSDisabled, "volume_driver": ct.VolumeDriver, "hidden": ct.Hidden, "flavor": ct.FlavorID,
		"master_flavor": ct.MasterFlavorID, "cluster_distro": ct.ClusterDistro, "network_driver": ct.NetworkDriver,
		"server_type": ct.ServerType, "project_id": ct.ProjectID, "user_id": ct.UserID,
		"created_at": ts(ct.CreatedAt), "updated_at": ts(ct.UpdatedAt), "timeouts": nil,
	}
	cluster := map[string]any{
		"id": c.UUID, "region": "RegionOne", "name": c.Name, "cluster_template_id": c.ClusterTemplateID,
		"create_timeout": c.CreateTimeout, "discovery_url": c.DiscoveryURL, "docker_volume_size": deref(c.DockerVolumeSize),
		"flavor": c.FlavorID, "master_flavor": c.MasterFlavorID, "keypair": c.Keypair, "labels": map[string]string(c.Labels),
		"master_count": c.MasterCount, "master_lb_enabled": b(c.MasterLBEnabled), "fixed_network": c.FixedNetwork,
		"fixed_subnet": c.FixedSubnet, "floating_ip_enabled": b(c.FloatingIPEnabled), "merge_labels": false,
		"node_count": c.NodeCount, "project_id": c.ProjectID, "user_id": c.UserID, "api_address": c.APIAddress,
		"coe_version": c.COEVersion, "container_version": c.ContainerVersion, "master_addresses": c.MasterAddresses,
		"node_addresses": c.NodeAddresses, "stack_id": c.StackID, "created_at": ts(c.CreatedAt), "updated_at": ts(c.UpdatedAt),
		// The peer's own credentials: an RSA key it signed once and never renews.
		"kubeconfig": map[string]string{
			"raw_config": "apiVersion: v1\nkind: Config\n", "host": c.APIAddress, "cluster_ca_certificate": "peer CA",
			"client_certificate": "peer certificate", "client_key": "peer key",
		},
		"timeouts": nil,
	}
	resource := func(typ string, attrs map[string]any) map[string]any {
		return map[string]any{
			"mode": "managed", "type": typ, "name": "k8s",
			"provider":  `provider["registry.terraform.io/terraform-provider-openstack/openstack"]`,
			"instances": []any{map[string]any{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []any{}}},
		}
	}
	resources := []any{
		resource("openstack_containerinfra_clustertemplate_v1", template),
		resource("openstack_containerinfra_cluster_v1", cluster),
	}
	if ng != nil {
		resources = append(resources, resource("openstack_containerinfra_nodegroup_v1", map[string]any{
			"id": c.UUID + "/" + ng.UUID, "region": "RegionOne", "cluster_id": c.UUID, "name": ng.Name,
			"docker_volume_size": deref(ng.DockerVolumeSize), "labels": map[string]string(ng.Labels), "merge_labels": true,
			"role": ng.Role, "image_id": ng.ImageID, "flavor_id": ng.FlavorID, "node_count": ng.NodeCount,
			"min_node_count": deref(ng.MinNodeCount), "max_node_count": deref(ng.MaxNodeCount), "project_id": ng.ProjectID,
			"created_at": ts(ng.CreatedAt), "updated_at": ts(ng.UpdatedAt), "timeouts": nil,
		}))
	}
	raw, err := json.MarshalIndent(map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "5c4b2a8e-0d6f-4f0e-9a51-6a1f0c1e2d3b",
		"outputs": map[string]any{}, "resources": resources,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// reattachedTerraform serves this provider and the openstack stub from the
// test process and returns a runner for terraform commands in dir that
// attach to them.
func reattachedTerraform(ctx context.Context, t *testing.T, tfBin, dir string) func(args ...string) string {
	t.Helper()
	serveCtx, stop := context.WithCancel(ctx)
	reattach := map[string]any{}
	var closed []chan struct{}
	for addr, factory := range map[string]func() tfprotov6.ProviderServer{
		"registry.terraform.io/magnumtf/magnum":                        providerserver.NewProtocol6(newTestProvider()),
		"registry.terraform.io/terraform-provider-openstack/openstack": providerserver.NewProtocol6(movestub.New()),
	} {
		cfgCh, closeCh := make(chan *plugin.ReattachConfig, 1), make(chan struct{})
		go func() {
			_ = tf6server.Serve(addr, factory,
				tf6server.WithDebug(serveCtx, cfgCh, closeCh),
				tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
				tf6server.WithLoggingSink(t))
		}()
		select {
		case cfg := <-cfgCh:
			reattach[addr] = map[string]any{
				"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": cfg.Test,
				"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
			}
		case <-time.After(30 * time.Second):
			stop()
			t.Fatalf("serving %s: no reattach configuration within 30s", addr)
		}
		closed = append(closed, closeCh)
	}
	t.Cleanup(func() {
		stop()
		for _, ch := range closed {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Log("a provider server did not stop within 10s")
			}
		}
	})
	reattachJSON, err := json.Marshal(reattach)
	if err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	writeFile(t, cliConfig, "")
	env := append(os.Environ(),
		"TF_REATTACH_PROVIDERS="+string(reattachJSON),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_LOG=",
	)
	return func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tfBin, append(args, "-no-color")...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil && !(slices.Contains(args, "-detailed-exitcode") && cmd.ProcessState.ExitCode() == 2) {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
}

func waitForCluster(ctx context.Context, t *testing.T, mc *magnum.Client, id, status string) *magnum.Cluster {
	t.Helper()
	return waitForStatus(ctx, t, "cluster "+id, status, func() (*magnum.Cluster, string, string, error) {
		c, err := mc.GetCluster(ctx, id)
		if err != nil {
			return nil, "", "", err
		}
		return c, c.Status, c.StatusReason, nil
	})
}

func waitForNodeGroup(ctx context.Context, t *testing.T, mc *magnum.Client, clusterID, id, status string) *magnum.NodeGroup {
	t.Helper()
	return waitForStatus(ctx, t, "nodegroup "+id, status, func() (*magnum.NodeGroup, string, string, error) {
		ng, err := mc.GetNodeGroup(ctx, clusterID, id)
		if err != nil {
			return nil, "", "", err
		}
		return ng, ng.Status, ng.StatusReason, nil
	})
}

// waitForStatus polls get until what reaches status, for at most 3000
// polls; a *_FAILED status or an error other than Magnum 15's transient
// 400 after a create (which the provider also rides out) fails the test.
func waitForStatus[T any](ctx context.Context, t *testing.T, what, status string, get func() (T, string, string, error)) T {
	t.Helper()
	// Magnum's conductor, not its API, inserts a new cluster's row
	// (cluster_conductor.cluster_create), so a GET right after the POST can
	// answer 404 until the conductor has taken the request: on real Zed at
	// load 18 it did. The provider's own create wait allows 2 minutes.
	notFoundUntil := time.Now().Add(2 * time.Minute)
	for range 3000 {
		v, st, reason, err := get()
		switch {
		case err != nil && isTransientBayError(err):
		case err != nil && magnum.IsNotFound(err) && time.Now().Before(notFoundUntil):
		case err != nil:
			t.Fatal(err)
		case st == status:
			return v
		case strings.HasSuffix(st, "_FAILED"):
			t.Fatalf("%s is %s: %s", what, st, reason)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not reach %s", what, status)
	var zero T
	return zero
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
