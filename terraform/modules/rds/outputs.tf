output "endpoint" {
  description = "host:port of the instance (the database URLs in skyway/flights and skyway/gateway)."
  value       = aws_db_instance.this.endpoint
}

output "master_user_secret_arn" {
  description = "The Secrets Manager secret RDS keeps the master password in."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}
