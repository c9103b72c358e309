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

variable "node_count" {
  description = "Worker nodes in the bay."
  type        = number
  default     = 1
}

# The original Magnum quickstart:
#   magnum baymodel-create --name k8sbaymodel --image-id fedora-21-atomic-5 \
#     --keypair-id testkey --external-network-id public --flavor-id m1.small \
#     --docker-volume-size 5 --network-driver flannel --coe kubernetes
#   magnum bay-create --name k8sbay --baymodel k8sbaymodel --node-count 1
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

resource "magnum_bay" "k8s" {
  name        = "k8sbay"
  baymodel_id = magnum_baymodel.k8s.id
  node_count  = var.node_count
}

output "api_address" {
  value = magnum_bay.k8s.api_address
}

output "status" {
  value = magnum_bay.k8s.status
}

output "node_addresses" {
  value = magnum_bay.k8s.node_addresses
}

output "kubeconfig" {
  value     = magnum_bay.k8s.kubeconfig.raw_config
  sensitive = true
}

# Then, with kubectl:
#   terraform output -raw kubeconfig > kubeconfig && chmod 600 kubeconfig
#   kubectl --kubeconfig kubeconfig get nodes
