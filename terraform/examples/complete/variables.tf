variable "region" {
  description = "AWS region to create the cluster in."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the cluster (prefix of every resource)."
  type        = string
  default     = "ecom-hadoop"
}

variable "hadoop_version" {
  description = "Apache Hadoop release (the local cluster's, from hadoop/pom.xml)."
  type        = string
  default     = "3.5.0"
}

variable "hadoop_sha512" {
  description = "SHA-512 of hadoop-<hadoop_version>.tar.gz, from the .sha512 file next to it on the Apache archive."
  type        = string
}

variable "grafana_deb_sha256" {
  description = "SHA-256 of grafana_<version>_amd64.deb, from the .sha256 file next to it on Grafana's download site."
  type        = string
}

variable "ssm_agent_sha256" {
  description = "SHA-256 of the pinned amazon-ssm-agent.deb, after checking its signature (docs/terraform.md)."
  type        = string
}

variable "worker_count" {
  description = "Number of workers."
  type        = number
  default     = 3
}

variable "admin_cidrs" {
  description = "Private CIDR blocks allowed to the master's web UIs; empty for SSM port forwarding only."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
