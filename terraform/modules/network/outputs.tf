output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Subnets of the nodes, pods, RDS and MemoryDB."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Subnets of the internet-facing ALB and the NAT gateways."
  value       = aws_subnet.public[*].id
}
