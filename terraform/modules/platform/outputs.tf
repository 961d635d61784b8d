output "irsa_role_arns" {
  description = "The controllers' IRSA roles: lbc (AWS Load Balancer Controller), eso (External Secrets Operator)."
  value       = { for controller, role in aws_iam_role.irsa : controller => role.arn }
}
