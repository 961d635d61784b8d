# One object: the environment reads several attributes of the cluster (the providers' API access, the
# security group the data stores admit, IRSA's provider for the controllers' roles).
output "cluster" {
  description = "The cluster: name, endpoint (Kubernetes API), ca_data (the API server's CA bundle, base64), security_group_id (the group EKS attaches to nodes and pods), oidc_provider_arn and oidc_issuer (host/path, no scheme) for IRSA."
  value = {
    name              = aws_eks_cluster.this.name
    endpoint          = aws_eks_cluster.this.endpoint
    ca_data           = aws_eks_cluster.this.certificate_authority[0].data
    security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
    oidc_provider_arn = aws_iam_openid_connect_provider.this.arn
    oidc_issuer       = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
  }
}
