# Skyway's production environment on AWS, as the book builds it: network, EKS with the controllers the
# manifests need (Gateway API, AWS Load Balancer Controller, External Secrets, Argo Rollouts, Argo CD),
# RDS MySQL, MemoryDB in cluster mode, ECR, and the Secrets Manager secrets the ExternalSecrets read.
# Plan and apply run in the pipeline (.github/workflows/terraform.yml); docs/deploying.md says what was
# checked without AWS.

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

provider "helm" {
  kubernetes = {
    host                   = module.eks.cluster.endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster.ca_data)
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster.name, "--region", var.region]
    }
  }
}

locals {
  name = "skyway-${var.environment}"
  tags = {
    project     = "skyway"
    environment = var.environment
    managed-by  = "terraform"
  }
  secret_names = ["flights", "gateway", "reservations", "service"]
}

data "aws_caller_identity" "current" {}

# One customer-managed key for this environment's data at rest, rotated yearly.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111:A key policy's account-root statement; its resource "*" is this key only.
  # checkov:skip=CKV_AWS_356:In a key policy "*" means the key the policy is attached to.
  # checkov:skip=CKV_AWS_109:The account root administers its own key (AWS's default key policy).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # a key policy's resource is the key itself
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${local.name} data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cluster_name       = local.name
  availability_zones = [for zone in ["a", "b", "c"] : "${var.region}${zone}"]
  cidr_block         = var.vpc_cidr
  kms_key_arn        = aws_kms_key.this.arn
  tags               = local.tags
}

module "eks" {
  source              = "../../modules/eks"
  name                = local.name
  kubernetes_version  = var.kubernetes_version
  private_subnet_ids  = module.network.vpc.private_subnet_ids
  public_access_cidrs = var.eks_public_access_cidrs
  admin_role_arns     = var.eks_admin_role_arns
  kms_key_arn         = aws_kms_key.this.arn
  tags                = local.tags
}

# The secrets the ExternalSecrets read (k8s/overlays/eks): created empty here, values set out of band
# (docs/deploying.md) except reservations' redis_url, which the cache module writes.
resource "aws_secretsmanager_secret" "skyway" {
  # checkov:skip=CKV2_AWS_57:Rotation needs an overlap the services take part in (SERVICE_TOKENS lists old and new, ADR 53; a Django SECRET_KEY change needs SECRET_KEY_FALLBACKS): done by runbook, not by a Lambda that would cut running pods off.
  for_each                = toset(local.secret_names)
  name                    = "skyway/${each.value}"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 30
}

module "platform" {
  source            = "../../modules/platform"
  cluster_name      = module.eks.cluster.name
  region            = var.region
  vpc_id            = module.network.vpc.id
  oidc_provider_arn = module.eks.cluster.oidc_provider_arn
  oidc_issuer       = module.eks.cluster.oidc_issuer
  secret_arns       = [for secret in aws_secretsmanager_secret.skyway : secret.arn]
  kms_key_arn       = aws_kms_key.this.arn
  repository_path   = abspath("${path.root}/../../..")
  tags              = local.tags
}

# Who may reach the data stores: the cluster's security group (EKS pods and nodes), on each store's port
# and nothing else. One group and one rule per store, from this table; each module puts its instance or
# cluster in its group.
locals {
  data_stores = {
    mysql = {
      name        = "${local.name}-mysql"
      description = "MySQL from the EKS cluster only"
      rule        = "MySQL from EKS pods and nodes"
      port        = 3306
    }
    memorydb = {
      name        = "${local.name}-reservations"
      description = "Redis from the EKS cluster only"
      rule        = "Redis (TLS) from EKS pods and nodes"
      port        = 6379
    }
  }
}

resource "aws_security_group" "data_store" {
  for_each    = local.data_stores
  name        = "${each.value.name}-${each.key}" # as the modules named them: <store>-mysql, <store>-memorydb
  description = each.value.description
  vpc_id      = module.network.vpc.id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "data_store_from_cluster" {
  for_each                     = local.data_stores
  security_group_id            = aws_security_group.data_store[each.key].id
  description                  = each.value.rule
  referenced_security_group_id = module.eks.cluster.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

module "rds" {
  source            = "../../modules/rds"
  name              = local.data_stores.mysql.name
  subnet_ids        = module.network.vpc.private_subnet_ids
  security_group_id = aws_security_group.data_store["mysql"].id
  kms_key_arn       = aws_kms_key.this.arn
  tags              = local.tags
}

module "cache" {
  source                  = "../../modules/cache"
  name                    = local.data_stores.memorydb.name
  subnet_ids              = module.network.vpc.private_subnet_ids
  security_group_id       = aws_security_group.data_store["memorydb"].id
  kms_key_arn             = aws_kms_key.this.arn
  reservations_secret_arn = aws_secretsmanager_secret.skyway["reservations"].arn
  tags                    = local.tags
}

module "ecr" {
  source            = "../../modules/ecr"
  github_repository = var.github_repository
  kms_key_arn       = aws_kms_key.this.arn
  tags              = local.tags
}
