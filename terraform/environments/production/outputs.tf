# The values of k8s/overlays/eks/params/params.yaml and of the CI repository variables.

output "ecr_registry" {
  description = "params imageRegistry."
  value       = module.ecr.registry
}

output "aws_region" {
  description = "params awsRegion; CI variable AWS_REGION."
  value       = var.region
}

output "ecr_push_role_arn" {
  description = "CI variable AWS_ECR_PUSH_ROLE_ARN."
  value       = module.ecr.push_role_arn
}

output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>."
  value       = module.eks.cluster_name
}

output "mysql_endpoint" {
  description = "host:port for the database URLs in skyway/flights and skyway/gateway."
  value       = module.rds.endpoint
}

output "memorydb_endpoint" {
  description = "The reservations cluster's configuration endpoint."
  value       = module.cache.endpoint
}
