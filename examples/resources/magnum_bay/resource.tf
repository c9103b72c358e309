resource "magnum_baymodel" "k8s" {
  name                = "k8sbaymodel"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
}

resource "magnum_bay" "k8s" {
  name        = "k8sbay"
  baymodel_id = magnum_baymodel.k8s.id
  node_count  = 2

  timeouts {
    create = "90m"
  }
}

# magnum_bay.k8s.kubeconfig.host, .cluster_ca_certificate, .client_certificate
# and .client_key configure the kubernetes and helm providers in the same
# apply; .raw_config is a complete kubeconfig file.
output "api_address" {
  value = magnum_bay.k8s.api_address
}
