output "load_balancer_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller."
  value       = aws_iam_role.lbc.arn
}

output "external_secrets_role_arn" {
  description = "IRSA role of External Secrets Operator."
  value       = aws_iam_role.eso.arn
}
