# Look a baymodel up by name (or by id) to create bays from a shared template.
data "magnum_baymodel" "shared" {
  name = "k8s-v1.23-public"
}

output "shared_baymodel_coe" {
  value = data.magnum_baymodel.shared.coe
}
