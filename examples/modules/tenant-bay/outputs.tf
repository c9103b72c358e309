output "bay_id" {
  description = "The bay's UUID."
  value       = magnum_bay.this.id
}

output "host" {
  description = "The Kubernetes API endpoint."
  value       = magnum_bay.this.api_address
}

output "cluster_ca_certificate" {
  description = "The bay's CA certificate (PEM)."
  value       = magnum_bay.this.ca_cert
}

output "client_certificate" {
  description = "Client certificate (PEM) for CN=admin, O=system:masters."
  value       = magnum_bay.this.kubeconfig.client_certificate
  sensitive   = true
}

output "client_key" {
  description = "The client certificate's private key (PEM)."
  value       = magnum_bay.this.kubeconfig.client_key
  sensitive   = true
}

output "kubeconfig_path" {
  description = "Path of the written kubeconfig, or null."
  value       = var.kubeconfig_path
  depends_on  = [terraform_data.kubeconfig]
}

output "namespace" {
  description = "The tenant's namespace on the bay."
  value       = kubernetes_namespace.tenant.metadata[0].name
}

output "tenant_group" {
  description = "The Kubernetes group with admin rights in the namespace."
  value       = kubernetes_role_binding.tenant_admin.subject[0].name
}
