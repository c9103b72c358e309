terraform {
  required_version = ">= 1.3"
  required_providers {
    magnum = {
      source = "magnumtf/magnum"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 1.13.4"
    }
  }
}

# Two tenants (projects), each with its own credentials: one from a
# clouds.yaml entry, one from explicit settings. Each gets its own bay.
provider "magnum" {
  alias = "team_a"
  cloud = var.team_a_cloud

  # Explicit settings win over the cloud entry; left null, they are unused.
  auth_url            = var.auth_url
  user_name           = var.team_a_user
  password            = var.team_a_password
  project_name        = var.team_a_project
  user_domain_name    = "Default"
  project_domain_name = "Default"
}

provider "magnum" {
  alias               = "team_b"
  auth_url            = var.auth_url
  user_name           = var.team_b_user
  password            = var.team_b_password
  project_name        = var.team_b_project
  user_domain_name    = "Default"
  project_domain_name = "Default"
}

# Each tenant's kubernetes provider talks to that tenant's bay, configured
# from the module's outputs: Terraform creates the bay, then the namespace.
# With kubernetes provider 1.x, also set load_config_file = false (or
# KUBE_LOAD_CONFIG_FILE=false): 1.x ignores these settings when there is no
# ~/.kube/config.
provider "kubernetes" {
  alias                  = "team_a"
  host                   = module.team_a.host
  cluster_ca_certificate = module.team_a.cluster_ca_certificate
  client_certificate     = module.team_a.client_certificate
  client_key             = module.team_a.client_key
}

provider "kubernetes" {
  alias                  = "team_b"
  host                   = module.team_b.host
  cluster_ca_certificate = module.team_b.cluster_ca_certificate
  client_certificate     = module.team_b.client_certificate
  client_key             = module.team_b.client_key
}

module "team_a" {
  source    = "../modules/tenant-bay"
  providers = { magnum = magnum.team_a, kubernetes = kubernetes.team_a }

  name            = "team-a"
  keypair         = "testkey"
  node_count      = 1
  kubeconfig_path = "${path.root}/team-a.kubeconfig"
}

module "team_b" {
  source    = "../modules/tenant-bay"
  providers = { magnum = magnum.team_b, kubernetes = kubernetes.team_b }

  name            = "team-b"
  keypair         = "testkey"
  node_count      = 2
  kubeconfig_path = "${path.root}/team-b.kubeconfig"
}

output "team_a_host" {
  value = module.team_a.host
}

output "team_b_host" {
  value = module.team_b.host
}

output "team_a_namespace" {
  value = module.team_a.namespace
}

output "team_b_namespace" {
  value = module.team_b.namespace
}
