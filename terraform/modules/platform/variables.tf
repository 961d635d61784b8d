variable "cluster_name" {
  description = "The EKS cluster the controllers run in."
  type        = string
}

variable "region" {
  description = "AWS region of the cluster."
  type        = string
}

variable "vpc_id" {
  description = "The cluster's VPC (the load balancer controller needs it)."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The cluster's IRSA OIDC provider."
  type        = string
}

variable "oidc_issuer" {
  description = "The OIDC issuer without scheme (for the IRSA trust conditions)."
  type        = string
}

variable "secret_arns" {
  description = "The Secrets Manager secrets External Secrets may read (skyway/*)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key that encrypts those secrets."
  type        = string
}

variable "gateway_api_version" {
  description = "Gateway API CRDs, standard channel; the manifests need v1.4.0 or later (HTTPRoute rule names)."
  type        = string
  default     = "v1.4.0"
  validation {
    condition     = can(regex("^v1\\.([4-9]|[1-9][0-9])\\.[0-9]+$", var.gateway_api_version))
    error_message = "Gateway API v1.4.0 or later: the manifests use spec.rules[].name."
  }
}

variable "gateway_api_plugin_version" {
  description = "Release of Argo Rollouts' Gateway API traffic-router plugin."
  type        = string
  default     = "v0.8.0"
}

variable "aws_load_balancer_controller_chart_version" {
  description = "Chart of the AWS Load Balancer Controller (v2.13+ for Gateway API)."
  type        = string
  default     = "1.14.0"
}

variable "external_secrets_chart_version" {
  description = "Chart of External Secrets Operator (0.17+ serves external-secrets.io/v1)."
  type        = string
  default     = "0.20.4"
}

variable "argo_rollouts_chart_version" {
  description = "Chart of Argo Rollouts."
  type        = string
  default     = "2.40.5"
}

variable "argo_cd_chart_version" {
  description = "Chart of Argo CD."
  type        = string
  default     = "9.1.4"
}

variable "apply_root_application" {
  description = "Apply k8s/argocd (the root Application) once the controllers run."
  type        = bool
  default     = true
}

variable "repository_path" {
  description = "Path of this repository's checkout on the machine running Terraform."
  type        = string
}

variable "tags" {
  description = "Tags on every AWS resource."
  type        = map(string)
  default     = {}
}
