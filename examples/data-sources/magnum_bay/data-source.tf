# Read a bay created elsewhere. Credentials are only signed on request,
# because a data source signs a new client certificate on every refresh.
data "magnum_bay" "shared" {
  name = "k8sbay"
}

output "shared_bay_api" {
  value = data.magnum_bay.shared.api_address
}
