variable "name" {
  description = "Name of the bay; the baymodel is named after it."
  type        = string

  # The name is the tenant's namespace (unless var.namespace is set) and its
  # group, so it must be a Kubernetes namespace name: Kubernetes would refuse
  # it only after the bay, which takes many minutes, was built.
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a lower-case RFC 1123 label (a-z, 0-9 and -, at most 63 characters, starting and ending with a letter or digit): it names the tenant's Kubernetes namespace."
  }
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

  validation {
    condition     = contains(["flannel", "calico"], var.network_driver)
    error_message = "network_driver must be flannel or calico, the Kubernetes network drivers Magnum offers."
  }
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

  validation {
    condition     = var.node_count >= 0 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number, 0 or more."
  }
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
