variable "name" {
  description = "Name prefix of every network resource."
  type        = string
}

variable "cluster_name" {
  description = "The EKS cluster whose load balancers use these subnets (subnet discovery tags)."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's IPv4 range; public subnets take the first /20s, private ones from the ninth."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "The availability zones to spread over, by name (three for production)."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 8
    error_message = "Between 2 and 8 zones: subnets are /20s of the VPC range, public from 0, private from 8."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, one zone's outage cuts egress) instead of one per zone."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
