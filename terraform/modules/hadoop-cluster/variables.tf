variable "name" {
  description = "Name prefix of every cluster resource."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "ID of the VPC the cluster runs in."
  type        = string
}

variable "master_subnet_id" {
  description = "ID of the private subnet of the master."
  type        = string
}

variable "master_private_ip" {
  description = "Fixed private IP of the master, inside master_subnet_id (the Hadoop site files name it before it exists)."
  type        = string
}

variable "worker_subnet_id" {
  description = "ID of the private subnet of the workers (the master's keeps HDFS and shuffle traffic inside one AZ)."
  type        = string
}

variable "worker_private_ips" {
  description = "Fixed private IPs of the workers, inside worker_subnet_id; their number is the number of workers."
  type        = list(string)
}

variable "admin_cidrs" {
  description = "Private networks (VPN, Direct Connect, peered VPC) allowed to Grafana (HTTPS) on the master; empty (the default) leaves SSM port forwarding as the only way in. Only RFC 1918 blocks of /8 or narrower are accepted. Hadoop's web UIs are never opened to them (docs/terraform.md, trust model)."
  type        = list(string)
  default     = []

  # Two checks, each its own message. try(..., false): a malformed entry is
  # refused, not an evaluation error.
  validation {
    condition = alltrue([
      for c in var.admin_cidrs : try(can(cidrnetmask(c)) && tonumber(split("/", c)[1]) >= 8 && cidrhost(c, 0) == split("/", c)[0], false)
    ])
    error_message = "admin_cidrs: each entry must be an IPv4 network written a.b.c.d/n, n from 8 to 32, without host bits (e.g. 10.8.0.0/16); IPv6, 0.0.0.0/0 and anything wider than /8 are refused."
  }

  validation {
    condition = alltrue([
      for c in var.admin_cidrs : try(anytrue([
        for r in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
        tonumber(split("/", c)[1]) >= tonumber(split("/", r)[1]) && cidrhost("${split("/", c)[0]}/${split("/", r)[1]}", 0) == split("/", r)[0]
      ]), false)
    ])
    error_message = "admin_cidrs: each entry must lie inside an RFC 1918 private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); public ranges such as 8.8.8.0/24, or 0.0.0.0/1 + 128.0.0.0/1, are refused."
  }
}

variable "ami_id" {
  description = "AMI of all nodes; null means the newest official Debian 12 (bookworm) amd64 AMI."
  type        = string
  default     = null
}

variable "master_instance_type" {
  description = "EC2 instance type of the master (NameNode, ResourceManager, JobHistory, Prometheus, Grafana)."
  type        = string
}

variable "worker_instance_type" {
  description = "EC2 instance type of the workers (DataNode, NodeManager)."
  type        = string
}

variable "master_volume_size_gb" {
  description = "Size of the master's encrypted gp3 root volume (NameNode metadata, Prometheus TSDB), in GiB."
  type        = number
}

variable "worker_volume_size_gb" {
  description = "Size of each worker's encrypted gp3 root volume (HDFS blocks, YARN local dirs), in GiB."
  type        = number
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the volumes and the artifacts bucket."
  type        = string
}

variable "artifacts_bucket_name" {
  description = "Name of the private bucket created for the files the nodes read at boot."
  type        = string
}

variable "artifacts_prefix" {
  description = "Key prefix under which the node files are stored (empty or ending with a slash)."
  type        = string
}

variable "artifact_files" {
  description = "Repository files uploaded unchanged, S3 key => local path."
  type        = map(string)
}

variable "artifact_contents" {
  description = "Rendered files uploaded, S3 key => content."
  type        = map(string)
}

variable "master_user_data" {
  description = "cloud-init user data of the master."
  type        = string
}

variable "worker_user_data" {
  description = "cloud-init user data of each worker, in the order of worker_private_ips."
  type        = list(string)
}

variable "grafana_admin_password_parameter_arn" {
  description = "ARN of the SSM SecureString parameter the master reads the Grafana admin password from."
  type        = string
}
