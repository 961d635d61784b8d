output "endpoint" {
  description = "The cluster's configuration endpoint (host)."
  value       = aws_memorydb_cluster.this.cluster_endpoint[0].address
}
