# Every ready Kubernetes bay whose name starts with "prod-".
data "magnum_bays" "prod" {
  name_regex = "^prod-"
  coe        = "kubernetes"
  status     = "CREATE_COMPLETE"
}

output "prod_api_addresses" {
  value = { for b in data.magnum_bays.prod.bays : b.name => b.api_address }
}
