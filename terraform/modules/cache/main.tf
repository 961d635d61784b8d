# MemoryDB for the reservations context: Redis/Valkey in cluster mode (shards spread the flights' hash
# slots, DESIGN §4), a multi-AZ transaction log so an acknowledged seat survives a failover (ADR 9),
# TLS, an ACL user with a password from Secrets Manager; reachable through the security group the
# environment gives it, which admits the cluster's security group only.

resource "aws_memorydb_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "random_password" "reservations" {
  length  = 48
  special = false
}

resource "aws_memorydb_user" "reservations" {
  user_name     = "skyway-reservations"
  access_string = "on ~* &* +@all -@dangerous"
  authentication_mode {
    type      = "password"
    passwords = [random_password.reservations.result]
  }
  tags = var.tags
}

resource "aws_memorydb_acl" "this" {
  name       = var.name
  user_names = [aws_memorydb_user.reservations.user_name]
  tags       = var.tags
}

resource "aws_memorydb_cluster" "this" {
  name                       = var.name
  engine                     = "valkey"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_shards                 = var.shards
  num_replicas_per_shard     = var.replicas_per_shard
  acl_name                   = aws_memorydb_acl.this.name
  subnet_group_name          = aws_memorydb_subnet_group.this.name
  security_group_ids         = [var.security_group_id]
  tls_enabled                = true
  kms_key_arn                = var.kms_key_arn
  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
  tags                       = var.tags
}

# The reservations deployable's REDIS_URL, read by External Secrets (k8s/overlays/eks/reservations).
resource "aws_secretsmanager_secret_version" "reservations" {
  secret_id = var.reservations_secret_arn
  secret_string = jsonencode({
    redis_url = "rediss://${aws_memorydb_user.reservations.user_name}:${random_password.reservations.result}@${aws_memorydb_cluster.this.cluster_endpoint[0].address}:${aws_memorydb_cluster.this.cluster_endpoint[0].port}/0"
  })
  lifecycle {
    # secret_key is added by hand (or a rotation Lambda); Terraform owns only redis_url at creation.
    ignore_changes = [secret_string]
  }
}
