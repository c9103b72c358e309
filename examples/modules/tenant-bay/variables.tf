variable "name" {
  description = "Name of the bay; the baymodel is named after it."
  type        = string
}

variable "image" {
  description = "Glance image (name or UUID) with an os_distro Magnum has a driver for."
  type        = string
  default     = "fedora-coreos-35"
}

variable "keypair" {
  description = "Nova keypair for the bay's servers."
  type        = string
  default     = null
}

variable "external_network" {
  description = "External network for floating IPs."
  type        = string
  default     = "public"
}

variable "flavor" {
  description = "Flavor for worker nodes."
  type        = string
  default     = "m1.small"
}

variable "master_flavor" {
  description = "Flavor for master nodes; defaults to var.flavor."
  type        = string
  default     = null
}

variable "docker_volume_size" {
  description = "Container storage per node, in GB."
  type        = number
  default     = 5
}

variable "network_driver" {
  description = "Kubernetes network driver: flannel or calico."
  type        = string
  default     = "flannel"
}

variable "labels" {
  description = "Baymodel labels, such as kube_tag."
  type        = map(string)
  default     = {}
}

variable "node_count" {
  description = "Worker nodes."
  type        = number
  default     = 1
}

variable "create_timeout" {
  description = "How long Terraform waits for the bay to become ready."
  type        = string
  default     = "60m"
}

variable "kubeconfig_path" {
  description = "Where to write the bay's kubeconfig; null writes none."
  type        = string
  default     = null
}

variable "namespace" {
  description = "The tenant's namespace on the bay; defaults to var.name."
  type        = string
  default     = null
}

variable "tenant_group" {
  description = "Kubernetes group (the O= of a client certificate Magnum signs) given admin rights in the tenant's namespace; defaults to var.name."
  type        = string
  default     = null
}
