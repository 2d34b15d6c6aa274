output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in the order of var.azs."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets, in the order of var.azs (known at plan time)."
  value       = local.private_subnet_cidrs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets that hold the NAT gateways."
  value       = aws_subnet.public[*].id
}

output "nat_public_ips" {
  description = "Public IPs the cluster's outbound traffic leaves from (to allow-list on mirrors, if needed)."
  value       = aws_eip.nat[*].public_ip
}

output "s3_vpc_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}
