terraform {
  required_providers {
    magnum = {
      source = "magnumtf/magnum"
    }
  }
}

# Credentials come from the OS_* environment variables (or clouds.yaml with
# OS_CLOUD), exactly as for the openstack CLI.
provider "magnum" {}

# The original Magnum quickstart:
#   magnum baymodel-create --name k8sbaymodel --image-id fedora-21-atomic-5 \
#     --keypair-id testkey --external-network-id public --flavor-id m1.small \
#     --docker-volume-size 5 --network-driver flannel --coe kubernetes
resource "magnum_baymodel" "k8s" {
  name                = "k8sbaymodel"
  coe                 = "kubernetes"
  image_id            = "fedora-21-atomic-5"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
}

output "baymodel_id" {
  value = magnum_baymodel.k8s.id
}

output "cluster_distro" {
  value = magnum_baymodel.k8s.cluster_distro
}
