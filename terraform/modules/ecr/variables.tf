variable "name" {
  description = "Repository name (the image is <registry>/<name>)."
  type        = string
  default     = "skyway"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose tag builds may push."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider (false if it already exists)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key of the repository."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
