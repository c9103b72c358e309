variable "auth_url" {
  description = "Keystone v3 URL shared by both tenants."
  type        = string
  default     = null
}

variable "team_a_cloud" {
  description = "clouds.yaml entry for team A (OS_CLOUD style); null to use the explicit settings."
  type        = string
  default     = null
}

variable "team_a_user" {
  type    = string
  default = null
}

variable "team_a_password" {
  type      = string
  default   = null
  sensitive = true
}

variable "team_a_project" {
  type    = string
  default = null
}

variable "team_b_user" {
  type = string
}

variable "team_b_password" {
  type      = string
  sensitive = true
}

variable "team_b_project" {
  type = string
}
