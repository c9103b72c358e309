# 1. Password authentication. Every argument falls back to the environment
#    variable the openstack CLI reads (OS_AUTH_URL, OS_USERNAME, ...), so
#    `provider "magnum" {}` works after sourcing an openrc file.
provider "magnum" {
  auth_url            = "https://keystone.example.com:5000/v3"
  region              = "RegionOne"
  user_name           = "demo"
  password            = var.password
  user_domain_name    = "Default"
  project_name        = "demo"
  project_domain_name = "Default"
}

# 2. Application credentials: no password in the configuration, scoped to
#    one project by Keystone.
provider "magnum" {
  alias                         = "appcred"
  auth_url                      = "https://keystone.example.com:5000/v3"
  application_credential_id     = var.application_credential_id
  application_credential_secret = var.application_credential_secret
}

# 3. A cloud from clouds.yaml (and secure.yaml), like `openstack --os-cloud`.
provider "magnum" {
  alias = "cloud"
  cloud = "mycloud"
}

variable "password" {
  type      = string
  sensitive = true
}

variable "application_credential_id" {
  type = string
}

variable "application_credential_secret" {
  type      = string
  sensitive = true
}
