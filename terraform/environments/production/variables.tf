variable "environment" {
  description = "Environment name (resource names are skyway-<environment>-…)."
  type        = string
  default     = "production"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_cidr" {
  description = "The VPC's IPv4 range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (1.30+)."
  type        = string
  default     = "1.32"
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to the EKS public API endpoint (the pipeline's runners, the office); empty = private only."
  type        = list(string)
  default     = []
}

variable "eks_admin_role_arns" {
  description = "IAM roles with cluster-admin (the pipeline's Terraform role, on-call)."
  type        = list(string)
  default     = []
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose tag builds push images."
  type        = string
}
