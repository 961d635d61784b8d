variable "name" {
  description = "The cluster's name."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the manifests need 1.30 or later)."
  type        = string
  default     = "1.32"
  validation {
    condition     = tonumber(split(".", var.kubernetes_version)[1]) >= 30
    error_message = "Skyway's manifests are validated against Kubernetes 1.30 and later."
  }
}

variable "private_subnet_ids" {
  description = "Subnets of the control plane's ENIs and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "CIDRs that may reach the public API endpoint; empty = private endpoint only."
  type        = list(string)
  default     = []
  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0")
    error_message = "The API endpoint is never open to the whole internet: list the CIDRs that need it."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m7i.large"]
}

variable "node_min_size" {
  description = "Fewest nodes (and the starting count)."
  type        = number
  default     = 3
}

variable "node_max_size" {
  description = "Most nodes."
  type        = number
  default     = 9
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin through EKS access entries."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for Kubernetes Secrets envelope encryption and the control-plane logs."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
