terraform {
  required_version = ">= 1.3"
  required_providers {
    magnum = {
      source = "magnumtf/magnum"
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

module "team_a" {
  source    = "../modules/tenant-bay"
  providers = { magnum = magnum.team_a }

  name            = "team-a"
  keypair         = "testkey"
  node_count      = 1
  kubeconfig_path = "${path.root}/team-a.kubeconfig"
}

module "team_b" {
  source    = "../modules/tenant-bay"
  providers = { magnum = magnum.team_b }

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
