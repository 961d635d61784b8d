# What k8s/overlays/eks/params/params.yaml and the CI repository variables take from this environment,
# keyed by the names they have there, so that `terraform output` prints lines to copy as they are.

output "params" {
  description = "The AWS values of k8s/overlays/eks/params/params.yaml, by key."
  value = {
    imageRegistry = module.ecr.registry
    awsRegion     = var.region
  }
}

output "ci_variables" {
  description = "The GitHub repository variables the image job (.github/workflows/ci.yml) assumes its push role with, by name."
  value = {
    AWS_REGION            = var.region
    AWS_ECR_PUSH_ROLE_ARN = module.ecr.push_role_arn
  }
}

output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>."
  value       = module.eks.cluster.name
}

output "data_store_endpoints" {
  description = "mysql: host:port for the database URLs in skyway/flights and skyway/gateway; memorydb: the reservations cluster's configuration endpoint (the cache module writes redis_url itself)."
  value = {
    mysql    = module.rds.endpoint
    memorydb = module.cache.endpoint
  }
}
