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
  description = "Private CIDR blocks (VPN, peered VPC) allowed to the master's web UIs; empty means SSM port forwarding only."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for c in var.admin_cidrs : can(cidrnetmask(c)) && !contains(["0.0.0.0/0", "::/0"], c) && tonumber(split("/", c)[1]) > 0
    ])
    error_message = "admin_cidrs must be IPv4 CIDR blocks narrower than the whole internet; 0.0.0.0/0 and ::/0 are refused."
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
