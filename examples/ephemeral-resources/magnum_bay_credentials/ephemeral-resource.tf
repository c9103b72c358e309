# Needs Terraform 1.10 or later. The bay keeps no client certificate or
# private key in the state; the credentials below exist only while Terraform
# runs, and a new client certificate is signed each time they are opened.
resource "magnum_baymodel" "k8s" {
  name                = "k8sbaymodel"
  coe                 = "kubernetes"
  image_id            = "fedora-coreos-35"
  keypair_id          = "testkey"
  external_network_id = "public"
  flavor_id           = "m1.small"
  network_driver      = "flannel"
}

resource "magnum_bay" "k8s" {
  name              = "k8sbay"
  baymodel_id       = magnum_baymodel.k8s.id
  store_credentials = false
}

# Refer to a bay this configuration creates by id: the id is unknown until
# the bay exists, so Terraform opens the credentials only after creating it.
# A bay created elsewhere can be looked up by name instead.
ephemeral "magnum_bay_credentials" "k8s" {
  id = magnum_bay.k8s.id
}

# Provider configurations accept ephemeral values.
provider "kubernetes" {
  host                   = ephemeral.magnum_bay_credentials.k8s.host
  cluster_ca_certificate = ephemeral.magnum_bay_credentials.k8s.cluster_ca_certificate
  client_certificate     = ephemeral.magnum_bay_credentials.k8s.client_certificate
  client_key             = ephemeral.magnum_bay_credentials.k8s.client_key
}

resource "kubernetes_namespace" "apps" {
  metadata {
    name = "apps"
  }
}

# For a Swarm bay, docker_tls holds what the docker provider needs.
ephemeral "magnum_bay_credentials" "swarm" {
  name = "swarmbay"
}

provider "docker" {
  host          = ephemeral.magnum_bay_credentials.swarm.docker_tls.docker_host
  ca_material   = ephemeral.magnum_bay_credentials.swarm.docker_tls.ca_pem
  cert_material = ephemeral.magnum_bay_credentials.swarm.docker_tls.cert_pem
  key_material  = ephemeral.magnum_bay_credentials.swarm.docker_tls.key_pem
}
