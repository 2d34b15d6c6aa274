################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the cluster: prefix of every resource, SSM parameter path and bucket name (lowercase letters, digits, hyphens; at most 20 characters)."
  type        = string
  default     = "ecom-hadoop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name must start with a letter and hold 2-20 lowercase letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the new VPC."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR block of /20 or larger, e.g. 10.42.0.0/16."
  }
}

variable "az_count" {
  description = "Number of availability zones with a private subnet (the master is in the first)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 4
    error_message = "az_count must be between 1 and 4."
  }
}

variable "azs" {
  description = "Availability zones by name (the master and workers go in the first); empty (the default) takes the region's first az_count zones."
  type        = list(string)
  default     = []
}

variable "single_nat_gateway" {
  description = "One NAT gateway shared by all private subnets (cheaper) rather than one per availability zone."
  type        = bool
  default     = true
}

variable "enable_ssm_vpc_endpoints" {
  description = "Interface endpoints for Session Manager (ssm, ssmmessages, ec2messages) instead of reaching it through the NAT gateway."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow logs, in days."
  type        = number
  default     = 365
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

################################################################################
# Cluster size
################################################################################

variable "master_instance_type" {
  description = "EC2 instance type of the master (NameNode, ResourceManager, JobHistory, Prometheus, Grafana)."
  type        = string
  default     = "m6i.xlarge"
}

variable "worker_instance_type" {
  description = "EC2 instance type of the workers (DataNode, NodeManager)."
  type        = string
  default     = "m6i.xlarge"
}

variable "worker_count" {
  description = "Number of workers (N); HDFS replication is min(3, N)."
  type        = number
  default     = 3

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 50 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number between 1 and 50."
  }
}

variable "master_volume_size_gb" {
  description = "Encrypted gp3 root volume of the master, in GiB."
  type        = number
  default     = 50
}

variable "worker_volume_size_gb" {
  description = "Encrypted gp3 root volume of each worker (HDFS blocks live here), in GiB."
  type        = number
  default     = 100
}

variable "ami_id" {
  description = "AMI of the nodes; null (the default) looks up the newest official Debian 12 amd64 AMI."
  type        = string
  default     = null
}

################################################################################
# Hadoop
################################################################################

variable "hadoop_version" {
  description = "Apache Hadoop release installed from the Apache archive; keep it equal to hadoop.version in hadoop/pom.xml (the local cluster's)."
  type        = string
  default     = "3.5.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.hadoop_version))
    error_message = "hadoop_version must look like X.Y.Z."
  }
}

variable "hadoop_sha512" {
  description = "SHA-512 of hadoop-<hadoop_version>.tar.gz: the 128 hex characters of the .sha512 file published next to the tarball on the Apache archive. Required: the nodes refuse a tarball that does not match."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{128}$", var.hadoop_sha512))
    error_message = "hadoop_sha512 must be the 128 hexadecimal characters of hadoop-<hadoop_version>.tar.gz.sha512."
  }
}

variable "hadoop_download_base_url" {
  description = "Where the tarball is downloaded from: <base>/hadoop-X.Y.Z/hadoop-X.Y.Z.tar.gz (the checksum is verified whatever the mirror)."
  type        = string
  default     = "https://archive.apache.org/dist/hadoop/common"

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$", var.hadoop_download_base_url))
    error_message = "hadoop_download_base_url must be an https:// URL of letters, digits and . _ ~ - path segments, without a trailing slash, query or spaces."
  }
}

variable "nodemanager_memory_mb" {
  description = "Memory each NodeManager offers to containers, in MiB; null means 75% of the worker type's memory, rounded down to a GiB."
  type        = number
  default     = null
}

variable "nodemanager_vcores" {
  description = "Virtual cores each NodeManager offers to containers; null means the worker type's vCPUs."
  type        = number
  default     = null
}

variable "map_memory_mb" {
  description = "Container size of a map task, in MiB."
  type        = number
  default     = 2048
}

variable "reduce_memory_mb" {
  description = "Container size of a reduce task, in MiB."
  type        = number
  default     = 2048
}

variable "am_memory_mb" {
  description = "Container size of the MapReduce ApplicationMaster, in MiB."
  type        = number
  default     = 1024
}

################################################################################
# Monitoring
################################################################################

variable "grafana_version" {
  description = "Grafana OSS version installed on the master (grafana_<version>_amd64.deb, checked against grafana_deb_sha256)."
  type        = string
  default     = "11.6.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.grafana_version))
    error_message = "grafana_version must look like X.Y.Z (a Grafana OSS release)."
  }
}

variable "grafana_deb_sha256" {
  description = "SHA-256 of grafana_<grafana_version>_amd64.deb (Grafana OSS from Grafana's download site): the 64 hex characters of the .sha256 file published next to it. Required: the master refuses a package that does not match."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{64}$", var.grafana_deb_sha256))
    error_message = "grafana_deb_sha256 must be the 64 hexadecimal characters of grafana_<grafana_version>_amd64.deb.sha256."
  }
}

variable "ssm_agent_version" {
  description = "Version of the AWS Systems Manager agent installed on every node, from the region's versioned download path (never latest)."
  type        = string
  default     = "3.3.2299.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.ssm_agent_version))
    error_message = "ssm_agent_version must look like 3.3.2299.0."
  }
}

variable "ssm_agent_sha256" {
  description = "SHA-256 of amazon-ssm-agent.deb (debian_amd64) of ssm_agent_version, after checking its signature with AWS's public key (docs/terraform.md). Required: the nodes refuse a package that does not match."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{64}$", var.ssm_agent_sha256))
    error_message = "ssm_agent_sha256 must be 64 hexadecimal characters (sha256sum of the verified amazon-ssm-agent.deb)."
  }
}

variable "grafana_admin_password_version" {
  description = "Bump to generate a new Grafana admin password in SSM (then re-run the bootstrap, see docs/terraform.md)."
  type        = number
  default     = 1
}

variable "exporter_outputs_uri" {
  description = "Job outputs the suite's exporter reports on (its --outputs flag)."
  type        = string
  default     = "hdfs:///ecommerce/processed"

  validation {
    condition     = can(regex("^(hdfs://([A-Za-z0-9.-]+(:[0-9]{1,5})?)?)?(/[A-Za-z0-9._-]+)+/?$", var.exporter_outputs_uri))
    error_message = "exporter_outputs_uri must be hdfs://[host[:port]]/path or an absolute path, of letters, digits, dots, underscores and hyphens (e.g. hdfs:///ecommerce/processed)."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified by the EC2 status check alarms; empty for none."
  type        = list(string)
  default     = []
}
