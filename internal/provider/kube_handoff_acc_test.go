package provider

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// TestAccBayKubernetesHandoff is the promise the provider makes: one apply
// creates a baymodel, a bay, and on the bay a namespace, a ConfigMap, an
// RBAC Role and RoleBinding, a Deployment waited to rollout and a Helm
// release, with HashiCorp's kubernetes and helm providers configured from
// the bay's attributes, against a real kube-apiserver that checks the
// client certificate Magnum signed. The same configuration then switches the
// providers to the ephemeral magnum_bay_credentials (and stops storing
// credentials), resizes the bay without touching the workloads, and
// destroys everything, workloads first.
//
// It does not run in parallel: it points Terraform at the providers'
// filesystem mirror through the environment.
func TestAccBayKubernetesHandoff(t *testing.T) {
	acctest.PreCheck(t)
	acctest.RequireKube(t)
	t.Setenv("TF_CLI_CONFIG_FILE", acctest.HandoffCLIConfig(t, ""))
	opts := fastBays()
	opts.KubeAPI = kubeapi.ModeReal
	s := acctest.StartSim(t, opts)
	mc := acctest.MagnumClient(t, s, "demo")
	chart, err := filepath.Abs("testdata/charts/hello")
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(creds string, nodes int) string {
		return testAccHandoffConfig(acctest.ProviderBlock(s, "demo"), chart, creds, nodes)
	}
	var first handoffSnapshot

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			tfversion.SkipBelow(tfversion.Version1_10_0),
			acctest.SkipOnOpenTofu("the providers' mirror is laid out for registry.terraform.io"),
		},
		CheckDestroy: checkHandoffDestroyed(s),
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ExternalProviders:        handoffProviders,
				Config:                   cfg("attributes", 1),
				Check:                    checkHandoff(t, mc, 1, &first, nil),
			},
			{
				// The ephemeral credentials sign a certificate per run and
				// keep it out of the state; nothing on the bay changes.
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ExternalProviders:        handoffProviders,
				Config:                   cfg("ephemeral", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("magnum_bay.k8s", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("kubernetes_deployment.web", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("helm_release.hello", plancheck.ResourceActionNoop),
				}},
				Check: checkHandoff(t, mc, 1, nil, &first),
			},
			{
				// A resize in the same configuration: the bay is updated in
				// place, its Node objects follow, the workloads stay.
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ExternalProviders:        handoffProviders,
				Config:                   cfg("ephemeral", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("magnum_bay.k8s", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("kubernetes_namespace.team", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("kubernetes_deployment.web", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("helm_release.hello", plancheck.ResourceActionNoop),
				}},
				Check: checkHandoff(t, mc, 2, nil, &first),
			},
		},
	})
}

// handoffProviders are installed from the mirror by the framework's
// terraform init, which only sees providers declared here (step by step,
// so that init runs for every step).
var handoffProviders = map[string]resource.ExternalProvider{
	"kubernetes": {Source: "hashicorp/kubernetes", VersionConstraint: acctest.KubernetesProviderVersion},
	"helm":       {Source: "hashicorp/helm", VersionConstraint: acctest.HelmProviderVersion},
}

// testAccHandoffConfig is a user's configuration: creds "attributes"
// configures the providers from magnum_bay.kubeconfig, "ephemeral" from
// magnum_bay_credentials with store_credentials = false.
func testAccHandoffConfig(provider, chart, creds string, nodes int) string {
	store, source := "true", "magnum_bay.k8s.kubeconfig"
	extra := ""
	if creds == "ephemeral" {
		store, source = "false", "ephemeral.magnum_bay_credentials.k8s"
		extra = `
ephemeral "magnum_bay_credentials" "k8s" {
  id = magnum_bay.k8s.id
}
`
	}
	return fmt.Sprintf(`
terraform {
  required_providers {
    magnum     = { source = "registry.terraform.io/hashicorp/magnum" }
    kubernetes = { source = "hashicorp/kubernetes", version = %[6]q }
    helm       = { source = "hashicorp/helm", version = %[7]q }
  }
}

%[1]s

resource "magnum_baymodel" "k8s" {
  name                = "handoff-model"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.medium"
  master_flavor_id    = "m1.small"
  network_driver      = "flannel"
  labels              = { kube_tag = "v1.32.3" }
}

resource "magnum_bay" "k8s" {
  name              = "handoff"
  baymodel_id       = magnum_baymodel.k8s.id
  node_count        = %[4]d
  store_credentials = %[5]s
}
%[3]s
provider "kubernetes" {
  load_config_file       = false
  host                   = %[8]s.host
  cluster_ca_certificate = %[8]s.cluster_ca_certificate
  client_certificate     = %[8]s.client_certificate
  client_key             = %[8]s.client_key
}

provider "helm" {
  kubernetes {
    load_config_file       = false
    host                   = %[8]s.host
    cluster_ca_certificate = %[8]s.cluster_ca_certificate
    client_certificate     = %[8]s.client_certificate
    client_key             = %[8]s.client_key
  }
}

resource "kubernetes_namespace" "team" {
  metadata {
    name   = "team"
    labels = { owner = "team-a" }
  }
}

resource "kubernetes_config_map" "settings" {
  metadata {
    name      = "settings"
    namespace = kubernetes_namespace.team.metadata[0].name
  }
  data = { greeting = "hello" }
}

resource "kubernetes_role" "reader" {
  metadata {
    name      = "config-reader"
    namespace = kubernetes_namespace.team.metadata[0].name
  }
  rule {
    api_groups = [""]
    resources  = ["configmaps"]
    verbs      = ["get", "list"]
  }
}

resource "kubernetes_role_binding" "reader" {
  metadata {
    name      = "config-reader"
    namespace = kubernetes_namespace.team.metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role.reader.metadata[0].name
  }
  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "User"
    name      = "jane"
  }
}

resource "kubernetes_deployment" "web" {
  metadata {
    name      = "web"
    namespace = kubernetes_namespace.team.metadata[0].name
  }
  spec {
    replicas = 2
    selector {
      match_labels = { app = "web" }
    }
    template {
      metadata {
        labels = { app = "web" }
      }
      spec {
        container {
          name  = "web"
          image = "nginx:1.27"
        }
      }
    }
  }
  wait_for_rollout = true
}

resource "helm_release" "hello" {
  name      = "hello"
  namespace = kubernetes_namespace.team.metadata[0].name
  chart     = %[2]q
  set {
    name  = "greeting"
    value = "hello from terraform"
  }
}
`, provider, chart, extra, nodes, store, acctest.KubernetesProviderVersion, acctest.HelmProviderVersion, source)
}

// handoffSnapshot is what must survive a change of credentials or a
// resize: the identities of the objects the providers made.
type handoffSnapshot struct {
	namespaceUID, deploymentUID, releaseSecret string
}

// checkHandoff asks the bay's API, with certificates Magnum signs, what a
// user would check with kubectl and helm.
func checkHandoff(t *testing.T, mc *magnum.Client, workers int, save, same *handoffSnapshot) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		bay := st.RootModule().Resources["magnum_bay.k8s"]
		if bay == nil {
			return fmt.Errorf("no magnum_bay.k8s in state")
		}
		admin := acctest.BayKubeClient(t, mc, bay.Primary.ID, "admin", "system:masters")
		get := admin.Object
		ns, err := get("/api/v1/namespaces/team")
		if err != nil {
			return err
		}
		if kubeLabels(ns)["owner"] != "team-a" {
			return fmt.Errorf("namespace team labels %v", kubeLabels(ns))
		}
		cm, err := get("/api/v1/namespaces/team/configmaps/settings")
		if err != nil {
			return err
		}
		if data, _ := cm["data"].(map[string]any); data["greeting"] != "hello" {
			return fmt.Errorf("configmap settings data %v", cm["data"])
		}
		dep, err := get("/apis/apps/v1/namespaces/team/deployments/web")
		if err != nil {
			return err
		}
		if status, _ := dep["status"].(map[string]any); status["availableReplicas"] != float64(2) {
			return fmt.Errorf("deployment web status %v", dep["status"])
		}
		// The Helm release: its record, its rendered values and its
		// Deployment, ready since the provider waits for it.
		secrets, err := get("/api/v1/namespaces/team/secrets?labelSelector=owner%3Dhelm%2Cname%3Dhello")
		if err != nil {
			return err
		}
		items, _ := secrets["items"].([]any)
		if len(items) != 1 || kubeLabels(items[0].(map[string]any))["status"] != "deployed" {
			return fmt.Errorf("helm release records: %v", items)
		}
		greeting, err := get("/api/v1/namespaces/team/configmaps/hello-greeting")
		if err != nil {
			return err
		}
		if data, _ := greeting["data"].(map[string]any); data["greeting"] != "hello from terraform" {
			return fmt.Errorf("chart configmap data %v", greeting["data"])
		}
		hello, err := get("/apis/apps/v1/namespaces/team/deployments/hello-hello")
		if err != nil {
			return err
		}
		if status, _ := hello["status"].(map[string]any); status["availableReplicas"] != float64(1) {
			return fmt.Errorf("chart deployment status %v", hello["status"])
		}
		// RBAC as Kubernetes enforces it, for a user whose certificate
		// Magnum signed: jane reads configmaps in team and nothing else.
		jane := acctest.BayKubeClient(t, mc, bay.Primary.ID, "jane", "tenants")
		for path, want := range map[string]int{
			"/api/v1/namespaces/team/configmaps":    http.StatusOK,
			"/api/v1/namespaces/team/secrets":       http.StatusForbidden,
			"/api/v1/namespaces/default/configmaps": http.StatusForbidden,
		} {
			if code, body, err := jane.Get(path); err != nil || code != want {
				return fmt.Errorf("jane GET %s: %d %v %v, want %d", path, code, body["message"], err, want)
			}
		}
		nodes, err := get("/api/v1/nodes")
		if err != nil {
			return err
		}
		var masters, ready int
		var names []string
		for _, item := range nodes["items"].([]any) {
			n := item.(map[string]any)
			names = append(names, n["metadata"].(map[string]any)["name"].(string))
			switch kubeLabels(n)["magnum.openstack.org/role"] {
			case "master":
				masters++
			case "worker":
				if kubeLabels(n)["node.kubernetes.io/instance-type"] != "m1.medium" {
					return fmt.Errorf("worker %v labels %v", names[len(names)-1], kubeLabels(n))
				}
				ready++
			}
		}
		if masters != 1 || ready != workers {
			return fmt.Errorf("nodes %v: %d masters and %d workers, want 1 and %d", names, masters, ready, workers)
		}
		snap := handoffSnapshot{namespaceUID: kubeUID(ns), deploymentUID: kubeUID(dep), releaseSecret: kubeName(items[0].(map[string]any))}
		if save != nil {
			*save = snap
		}
		if same != nil && snap != *same {
			return fmt.Errorf("the workloads were replaced: before %+v, now %+v", *same, snap)
		}
		return nil
	}
}

// checkHandoffDestroyed: no bay, stack or baymodel left, and every process
// the bay's Kubernetes API ran has stopped.
func checkHandoffDestroyed(s *sim.Sim) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		if err := checkNoBaysLeft(s)(st); err != nil {
			return err
		}
		deadline := time.Now().Add(30 * time.Second)
		for s.KubeAPIsRunning() > 0 {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d bay Kubernetes APIs still running 30 s after the destroy", s.KubeAPIsRunning())
			}
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	}
}

func kubeLabels(obj map[string]any) map[string]string {
	out := map[string]string{}
	md, _ := obj["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	for k, v := range l {
		out[k], _ = v.(string)
	}
	return out
}

func kubeUID(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["uid"].(string)
	return s
}

func kubeName(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["name"].(string)
	return s
}
