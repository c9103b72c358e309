# The bay lifecycle capi-lifecycle.sh drives through the real
# magnum-cluster-api driver: a baymodel per Kubernetes release the capi
# fixtures have, and one bay built from var.kube.
terraform {
  required_providers {
    magnum = { source = "magnumtf/magnum" }
  }
}

provider "magnum" {}

variable "kube" {
  type    = string
  default = "v1.26.11"
}

variable "node_count" {
  type    = number
  default = 1
}

resource "magnum_baymodel" "capi" {
  for_each            = toset(["v1.26.11", "v1.27.4"])
  name                = "capi-${replace(each.key, ".", "-")}"
  coe                 = "kubernetes"
  image_id            = "ubuntu-2204-kube-${each.key}"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.medium"
  master_flavor_id    = "m1.medium"
  network_driver      = "calico"
  master_lb_enabled   = true
  labels              = { kube_tag = each.key }
  # magnum-cluster-api 0.16 splits it unguarded: without it every create
  # fails with "'NoneType' object has no attribute 'split'".
  dns_nameserver = "8.8.8.8"
}

resource "magnum_bay" "capi" {
  name         = "tf-capi"
  baymodel_id  = magnum_baymodel.capi[var.kube].id
  master_count = 1
  node_count   = var.node_count
  timeouts {
    create = "10m"
    update = "5m"
    delete = "5m"
  }
}

output "status" {
  value = magnum_bay.capi.status
}

output "stack_id" {
  value = magnum_bay.capi.stack_id
}

output "coe_version" {
  value = magnum_bay.capi.coe_version
}

output "driver" {
  value = magnum_baymodel.capi[var.kube].driver
}

output "kubeconfig" {
  value     = magnum_bay.capi.kubeconfig.raw_config
  sensitive = true
}
