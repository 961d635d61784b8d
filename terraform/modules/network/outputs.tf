output "vpc" {
  description = "The VPC: id, cidr_block, private_subnet_ids (nodes, pods, RDS, MemoryDB) and public_subnet_ids (the internet-facing ALB, the NAT gateways)."
  value = {
    id                 = aws_vpc.this.id
    cidr_block         = aws_vpc.this.cidr_block
    private_subnet_ids = aws_subnet.private[*].id
    public_subnet_ids  = aws_subnet.public[*].id
  }
}
