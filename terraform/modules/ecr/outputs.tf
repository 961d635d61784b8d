output "repository_url" {
  description = "<account>.dkr.ecr.<region>.amazonaws.com/<name>."
  value       = aws_ecr_repository.this.repository_url
}

output "registry" {
  description = "<account>.dkr.ecr.<region>.amazonaws.com (params imageRegistry)."
  value       = split("/", aws_ecr_repository.this.repository_url)[0]
}

output "push_role_arn" {
  description = "The role CI assumes to push (repository variable AWS_ECR_PUSH_ROLE_ARN)."
  value       = aws_iam_role.push.arn
}
