# Quotas need a cloud administrator's credentials.
provider "magnum" {
  alias = "admin"
  cloud = "openstack-admin"
}

resource "magnum_quota" "team_a" {
  provider   = magnum.admin
  project_id = "4a7c1e2f9b3d4c5e8f6a7b8c9d0e1f2a"
  hard_limit = 5
}
