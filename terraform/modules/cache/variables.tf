variable "name" {
  description = "Name of the cluster and its companions."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the subnet group."
  type        = list(string)
}

variable "security_group_id" {
  description = "The cluster's security group (the environment's, which admits Redis from the EKS cluster only)."
  type        = string
}

variable "engine_version" {
  description = "Valkey engine version."
  type        = string
  default     = "7.3"
}

variable "node_type" {
  description = "Node type."
  type        = string
  default     = "db.r7g.large"
}

variable "shards" {
  description = "Shards (cluster mode); flights spread over them by hash tag."
  type        = number
  default     = 2
}

variable "replicas_per_shard" {
  description = "Replicas per shard (in other availability zones)."
  type        = number
  default     = 1
}

variable "kms_key_arn" {
  description = "KMS key of the data at rest."
  type        = string
}

variable "reservations_secret_arn" {
  description = "The skyway/reservations secret that receives redis_url."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
