terraform {
  required_version = ">= 1.3"
  required_providers {
    magnum = {
      source = "magnumtf/magnum"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 1.13.4"
    }
  }
}

# One tenant's Kubernetes bay: a baymodel and a bay in the project of the
# magnum provider passed to the module, the tenant's namespace on the bay and
# admin access to it for the tenant's group, and the credentials the
# kubernetes and helm providers need.
#
# The kubernetes provider passed to the module must be configured from this
# module's outputs (host, cluster_ca_certificate, client_certificate,
# client_key): Terraform creates the bay first, then the namespace through
# the bay's API. See examples/multi-tenant.
resource "magnum_baymodel" "this" {
  name                = "${var.name}-model"
  coe                 = "kubernetes"
  image_id            = var.image
  keypair_id          = var.keypair
  external_network_id = var.external_network
  flavor_id           = var.flavor
  master_flavor_id    = coalesce(var.master_flavor, var.flavor)
  docker_volume_size  = var.docker_volume_size
  network_driver      = var.network_driver
  labels              = var.labels
}

resource "magnum_bay" "this" {
  name        = var.name
  baymodel_id = magnum_baymodel.this.id
  node_count  = var.node_count

  timeouts {
    create = var.create_timeout
  }
}

# Written with the built-in terraform_data resource so the module needs no
# other provider; the file is readable by its owner only.
resource "terraform_data" "kubeconfig" {
  count = var.kubeconfig_path == null ? 0 : 1

  triggers_replace = [magnum_bay.this.kubeconfig.client_certificate, magnum_bay.this.api_address]

  provisioner "local-exec" {
    command = "umask 077 && printf '%s' \"$KUBECONFIG_CONTENT\" > \"$KUBECONFIG_PATH\""
    environment = {
      KUBECONFIG_CONTENT = magnum_bay.this.kubeconfig.raw_config
      KUBECONFIG_PATH    = var.kubeconfig_path
    }
  }
}

# The tenant's namespace and what its users may do there: the built-in
# "admin" ClusterRole, bound in this namespace only, for every client
# certificate whose organization (O=) is tenant_group.
resource "kubernetes_namespace" "tenant" {
  metadata {
    name = coalesce(var.namespace, var.name)
    labels = {
      "magnum.openstack.org/tenant" = var.name
    }
  }
}

resource "kubernetes_role_binding" "tenant_admin" {
  metadata {
    name      = "${var.name}-admin"
    namespace = kubernetes_namespace.tenant.metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "admin"
  }
  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = coalesce(var.tenant_group, var.name)
  }
}
