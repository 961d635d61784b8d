# What runs in the cluster before Skyway's own Applications: the Gateway API CRDs (the version the
# manifests need), the AWS Load Balancer Controller, External Secrets Operator, Argo Rollouts with the
# Gateway API traffic-router plugin, and Argo CD with the Application health check the root Application's
# sync waves need (docs/adr/0085, 0088). Each controller that calls AWS gets its own IRSA role.

# Gateway API CRDs, standard channel: not a Helm chart upstream, so applied with kubectl (server-side, so
# a later version upgrades them in place). The bundle-version annotation is what check-cluster.yml reads.
resource "terraform_data" "gateway_api_crds" {
  triggers_replace = [var.gateway_api_version]
  provisioner "local-exec" {
    command = "kubectl apply --server-side --force-conflicts -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${var.gateway_api_version}/standard-install.yaml"
  }
}

# The controllers that call AWS, each with its own IRSA role that trusts only the controller's service
# account; the charts below run under those service accounts.
locals {
  irsa = {
    lbc = { namespace = "kube-system", service_account = "aws-load-balancer-controller" }
    eso = { namespace = "external-secrets", service_account = "external-secrets" }
  }
}

data "aws_iam_policy_document" "irsa_assume" {
  for_each = local.irsa
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

# Named after the cluster and the service account: <cluster>-aws-load-balancer-controller,
# <cluster>-external-secrets.
resource "aws_iam_role" "irsa" {
  for_each           = local.irsa
  name               = "${var.cluster_name}-${each.value.service_account}"
  assume_role_policy = data.aws_iam_policy_document.irsa_assume[each.key].json
  tags               = var.tags
}

# Each role's permissions: the documents in the controllers' sections below.
resource "aws_iam_role_policy" "irsa" {
  for_each = {
    lbc = data.aws_iam_policy_document.lbc.json
    eso = data.aws_iam_policy_document.eso.json
  }
  role   = aws_iam_role.irsa[each.key].id
  policy = each.value
}

# --- AWS Load Balancer Controller (Gateway API: internet-facing ALB, IP targets) ------------------------

# Condensed from the controller's published IAM policy (iam_policy.json of the same release): compare on
# every controller upgrade. Mutations are limited to resources the controller tagged itself.
data "aws_iam_policy_document" "lbc" {
  # checkov:skip=CKV_AWS_356:As in the controller's published policy: Describe calls take no ARN, and every mutation is conditioned on the controller's own elbv2.k8s.aws/cluster tag.
  statement {
    sid = "Read"
    actions = [
      "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeCoipPools",
      "ec2:GetCoipPoolUsage", "ec2:DescribeRouteTables", "ec2:GetSecurityGroupsForVpc",
      "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeSSLPolicies",
      "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
      "elasticloadbalancing:DescribeCapacityReservation",
      "acm:ListCertificates", "acm:DescribeCertificate",
      "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState",
    ]
    resources = ["*"] # read-only Describe/List calls take no resource ARNs
  }
  statement {
    sid       = "ServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com"]
    }
  }
  statement {
    sid = "CreateTagged"
    actions = [
      "ec2:CreateSecurityGroup", "ec2:CreateTags",
      "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:AddTags",
    ]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }
  statement {
    sid = "ManageOwn"
    actions = [
      "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
      "ec2:DeleteTags",
      "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
      "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
      "elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule",
      "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
      "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:RemoveTags",
      "elasticloadbalancing:SetWebAcl",
    ]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }
}

resource "helm_release" "aws_load_balancer_controller" {
  name       = "aws-load-balancer-controller"
  namespace  = local.irsa.lbc.namespace
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = var.aws_load_balancer_controller_chart_version
  values = [yamlencode({
    clusterName = var.cluster_name
    region      = var.region
    vpcId       = var.vpc_id
    serviceAccount = {
      name        = local.irsa.lbc.service_account
      annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.irsa["lbc"].arn }
    }
    # Gateway API support (ALB for HTTPRoutes) is behind feature gates in the controller's v2.13+ chart.
    controllerConfig = { featureGates = { ALBGatewayAPI = true, NLBGatewayAPI = false } }
  })]
  depends_on = [terraform_data.gateway_api_crds]
}

# --- External Secrets Operator: reads skyway/* in Secrets Manager, nothing else ------------------------

data "aws_iam_policy_document" "eso" {
  statement {
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = var.secret_arns
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "helm_release" "external_secrets" {
  name             = "external-secrets"
  namespace        = local.irsa.eso.namespace
  create_namespace = true
  repository       = "https://charts.external-secrets.io"
  chart            = "external-secrets"
  version          = var.external_secrets_chart_version
  values = [yamlencode({
    installCRDs = true
    serviceAccount = {
      name        = local.irsa.eso.service_account
      annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.irsa["eso"].arn }
    }
  })]
}

# --- Argo Rollouts with the Gateway API plugin ----------------------------------------------------------

resource "helm_release" "argo_rollouts" {
  name             = "argo-rollouts"
  namespace        = "argo-rollouts"
  create_namespace = true
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-rollouts"
  version          = var.argo_rollouts_chart_version
  values = [yamlencode({
    controller = {
      replicas = 2
      trafficRouterPlugins = [{
        name     = "argoproj-labs/gatewayAPI"
        location = "https://github.com/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi/releases/download/${var.gateway_api_plugin_version}/gatewayapi-plugin-linux-amd64"
      }]
    }
    # The plugin patches HTTPRoutes: the controller's ClusterRole must allow it.
    providerRBAC = { providers = { gatewayAPI = true } }
  })]
  depends_on = [terraform_data.gateway_api_crds]
}

# --- Argo CD ----------------------------------------------------------------------------------------------

resource "helm_release" "argo_cd" {
  name             = "argo-cd"
  namespace        = "argocd"
  create_namespace = true
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-cd"
  version          = var.argo_cd_chart_version
  values = [yamlencode({
    configs = {
      cm = {
        # Without it Argo CD treats every Application as Healthy at once, and the root Application's
        # sync waves (shared → flights, reservations → gateway) would not wait for anything.
        "resource.customizations.health.argoproj.io_Application" = <<-LUA
          hs = {}
          hs.status = "Progressing"
          hs.message = ""
          if obj.status ~= nil and obj.status.health ~= nil then
            hs.status = obj.status.health.status
            if obj.status.health.message ~= nil then
              hs.message = obj.status.health.message
            end
          end
          return hs
        LUA
      }
      params = { "server.insecure" = false }
    }
  })]
}

# The root Application (kubectl apply -k k8s/argocd) once Argo CD runs; its Applications do the rest.
resource "terraform_data" "skyway_root_application" {
  count            = var.apply_root_application ? 1 : 0
  triggers_replace = [var.repository_path]
  provisioner "local-exec" {
    command = "kubectl apply -k ${var.repository_path}/k8s/argocd"
  }
  depends_on = [helm_release.argo_cd, helm_release.argo_rollouts, helm_release.external_secrets, helm_release.aws_load_balancer_controller]
}
