# `terraform test` for the tenant-bay module, run by `make test` against the
# Magnum simulator (internal/examplestest): the magnum provider is the real
# one, configured from OS_* in the environment; the kubernetes provider is
# mocked, since the bay's Kubernetes API is not what this module's tests are
# about (the multi-tenant example's test applies the module with the real
# kubernetes provider against a real kube-apiserver).
mock_provider "kubernetes" {}

variables {
  name       = "tenant-one"
  keypair    = "testkey"
  node_count = 2
}

run "creates_a_bay_with_its_credentials" {
  assert {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", output.bay_id))
    error_message = "bay_id is not the bay's UUID: ${output.bay_id}"
  }
  assert {
    condition     = magnum_bay.this.node_count == 2 && magnum_bay.this.status == "CREATE_COMPLETE"
    error_message = "the bay has ${magnum_bay.this.node_count} nodes in ${magnum_bay.this.status}, want 2 in CREATE_COMPLETE"
  }
  assert {
    condition     = startswith(output.host, "https://")
    error_message = "host ${output.host} is not an https endpoint"
  }
  assert {
    condition     = startswith(output.cluster_ca_certificate, "-----BEGIN CERTIFICATE-----")
    error_message = "cluster_ca_certificate is not a PEM certificate"
  }
  assert {
    condition     = startswith(nonsensitive(output.client_certificate), "-----BEGIN CERTIFICATE-----") && strcontains(nonsensitive(output.client_key), "PRIVATE KEY-----")
    error_message = "the client certificate and key are not PEM"
  }
  assert {
    condition     = magnum_baymodel.this.name == "tenant-one-model" && magnum_baymodel.this.coe == "kubernetes" && magnum_baymodel.this.master_flavor_id == "m1.small"
    error_message = "the baymodel is not the module's kubernetes model named after the bay, with the worker flavor for masters"
  }
  assert {
    condition     = output.namespace == "tenant-one" && output.tenant_group == "tenant-one"
    error_message = "namespace ${output.namespace} and group ${output.tenant_group}, want both named after the tenant"
  }
  assert {
    condition     = output.kubeconfig_path == null
    error_message = "a kubeconfig was written without kubeconfig_path"
  }
}

run "resizes_the_same_bay_in_place" {
  variables {
    node_count = 3
  }
  assert {
    condition     = output.bay_id == run.creates_a_bay_with_its_credentials.bay_id
    error_message = "changing node_count replaced the bay"
  }
  assert {
    condition     = magnum_bay.this.node_count == 3 && magnum_bay.this.status == "UPDATE_COMPLETE"
    error_message = "the bay has ${magnum_bay.this.node_count} nodes in ${magnum_bay.this.status}, want 3 in UPDATE_COMPLETE"
  }
}

run "refuses_a_name_kubernetes_would_refuse" {
  command = plan
  variables {
    name = "Team_A"
  }
  expect_failures = [var.name]
}

run "refuses_an_unknown_network_driver" {
  command = plan
  variables {
    network_driver = "weave"
  }
  expect_failures = [var.network_driver]
}

run "refuses_a_fractional_node_count" {
  command = plan
  variables {
    node_count = 1.5
  }
  expect_failures = [var.node_count]
}
