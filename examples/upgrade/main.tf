# Upgrading a bay to a new Kubernetes version.
#
# Magnum refuses to change a baymodel that a bay uses, so a new kube_tag
# cannot be patched into the running bay's baymodel. Instead:
#
#   1. replace_triggered_by turns a new kube_tag into a new baymodel rather
#      than an in-place change (which Magnum would refuse while the bay uses
#      it), and create_before_destroy makes Terraform create it first (its
#      name carries the version, so both can exist at once);
#   2. the bay's baymodel_id changes, which the provider applies as an
#      in-place upgrade where the cloud can do one (Magnum API microversion
#      1.8 or later, and a driver that upgrades: Magnum 2024.1 and later
#      refuse for bays on the Heat driver, k8s_fedora_coreos_v1);
#   3. only then is the old baymodel, no longer in use, deleted.
#
# Change kube_tag and apply. Where the cloud upgrades in place, the plan
# shows one create, one update and one destroy, never a replacement of the
# bay. Where it cannot (the provider says so at plan time), the plan
# replaces the bay, the old one first: the bay has no create_before_destroy,
# because a new bay of the same name beside the old one would make every
# look-up by that name ambiguous, and the provider refuses to create it.
# For blue/green, declare the new bay as a second resource with its own
# name and move the workloads before removing the old one.

terraform {
  required_providers {
    magnum = {
      source = "magnumtf/magnum"
    }
  }
}

variable "kube_tag" {
  type    = string
  default = "v1.24.3-rancher1"
}

# A version change replaces the baymodel instead of patching it.
resource "terraform_data" "kube_tag" {
  input = var.kube_tag
}

resource "magnum_baymodel" "k8s" {
  name                = "k8s-${replace(var.kube_tag, ".", "-")}"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  docker_volume_size  = 5
  network_driver      = "flannel"
  labels = {
    kube_tag = var.kube_tag
  }

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.kube_tag]
  }
}

resource "magnum_bay" "k8s" {
  name        = "k8sbay"
  baymodel_id = magnum_baymodel.k8s.id
  node_count  = 2
}

output "coe_version" {
  value = magnum_bay.k8s.coe_version
}
