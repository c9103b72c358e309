# The public Kubernetes baymodels for one Kubernetes version.
data "magnum_baymodels" "k8s_130" {
  coe    = "kubernetes"
  labels = { kube_tag = "v1.30.2" }
}

output "baymodel_ids" {
  value = data.magnum_baymodels.k8s_130.ids
}
