# A Kubernetes baymodel (cluster template), as in Magnum's original quickstart.
resource "magnum_baymodel" "k8s" {
  name                = "k8sbaymodel"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  master_flavor_id    = "m1.medium"
  docker_volume_size  = 5
  network_driver      = "flannel"
  master_lb_enabled   = true

  labels = {
    kube_tag = "v1.23.3-rancher1"
  }
}
