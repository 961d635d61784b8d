variable "name" {
  description = "Identifier of the instance and its companions."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group."
  type        = list(string)
}

variable "security_group_id" {
  description = "The instance's security group (the environment's, which admits MySQL from the EKS cluster only)."
  type        = string
}

variable "engine_version" {
  description = "MySQL engine version."
  type        = string
  default     = "8.4"
}

variable "instance_class" {
  description = "Instance class."
  type        = string
  default     = "db.m7g.large"
}

variable "allocated_storage_gb" {
  description = "Initial storage; autoscaling up to five times this."
  type        = number
  default     = 50
}

variable "kms_key_arn" {
  description = "KMS key of storage, the master secret and Performance Insights."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
