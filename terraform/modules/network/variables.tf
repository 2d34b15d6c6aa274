variable "name" {
  description = "Name prefix of every network resource."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block, e.g. 10.42.0.0/16."
  }
}

variable "azs" {
  description = "Availability zones to use, one private and one public subnet in each (at least one)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 1
    error_message = "At least one availability zone is required."
  }
}

variable "private_subnet_newbits" {
  description = "Bits added to the VPC prefix for each private subnet (8 on a /16 gives /24 subnets)."
  type        = number
  default     = 8
}

variable "public_subnet_newbits" {
  description = "Bits added to the VPC prefix for each public (NAT-only) subnet."
  type        = number
  default     = 12
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all private subnets (cheaper) instead of one per availability zone."
  type        = bool
  default     = true
}

variable "enable_ssm_vpc_endpoints" {
  description = "Create interface endpoints for ssm, ssmmessages and ec2messages so Session Manager does not go through the NAT gateway (about 0.01 USD per endpoint-hour per AZ)."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
