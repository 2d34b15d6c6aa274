variable "name" {
  description = "Name of the cluster, used in file headers and unit descriptions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name must start with a letter and hold 2-20 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  description = "AWS region the nodes run in (for the AWS CLI and the SSM agent package)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "repo_root" {
  description = "Path of the repository root holding hadoop/, prometheus/, grafana/ and the Python package; null means the repository this module lives in."
  type        = string
  default     = null
}

variable "artifacts_bucket" {
  description = "Name of the S3 bucket the nodes read their files from."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket))
    error_message = "artifacts_bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "artifacts_prefix" {
  description = "Key prefix of the node files in the artifacts bucket; empty or ending with a slash."
  type        = string
  default     = "cluster/"

  validation {
    condition     = can(regex("^([A-Za-z0-9._-]+/)*$", var.artifacts_prefix))
    error_message = "artifacts_prefix must be empty or segments of letters, digits, dots, underscores and hyphens, each ending with a slash."
  }
}

variable "master_host" {
  description = "Address of the master (NameNode, ResourceManager, JobHistory), as the workers reach it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$", var.master_host))
    error_message = "master_host must be an IPv4 address or a DNS name (letters, digits, dots, hyphens)."
  }
}

variable "worker_hosts" {
  description = "Addresses of the workers (DataNode + NodeManager), in order; each gets site files naming itself (node_host), and their number caps the HDFS replication factor."
  type        = list(string)

  validation {
    condition     = length(var.worker_hosts) >= 1 && alltrue([for h in var.worker_hosts : can(regex("^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$", h))])
    error_message = "worker_hosts must hold at least one IPv4 address or DNS name (letters, digits, dots, hyphens)."
  }
}

variable "hadoop_version" {
  description = "Apache Hadoop release to install."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.hadoop_version))
    error_message = "hadoop_version must look like X.Y.Z."
  }
}

variable "hadoop_sha512" {
  description = "SHA-512 of hadoop-<hadoop_version>.tar.gz (128 hex characters)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{128}$", var.hadoop_sha512))
    error_message = "hadoop_sha512 must be the 128 hexadecimal characters of the tarball's .sha512 file."
  }
}

variable "hadoop_download_base_url" {
  description = "Base URL the tarball is fetched from: <base>/hadoop-X.Y.Z/hadoop-X.Y.Z.tar.gz."
  type        = string
  default     = "https://archive.apache.org/dist/hadoop/common"

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$", var.hadoop_download_base_url))
    error_message = "hadoop_download_base_url must be an https:// URL of letters, digits and . _ ~ - path segments, without a trailing slash, query or spaces."
  }
}

variable "hadoop_home" {
  description = "Where Hadoop is installed on the nodes (a symlink to the versioned directory)."
  type        = string
  default     = "/opt/hadoop"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9._-]+)+$", var.hadoop_home))
    error_message = "hadoop_home must be an absolute path of letters, digits, dots, underscores and hyphens."
  }
}

variable "data_dir" {
  description = "Root of the HDFS and YARN data directories on the nodes."
  type        = string
  default     = "/data"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9._-]+)+$", var.data_dir))
    error_message = "data_dir must be an absolute path of letters, digits, dots, underscores and hyphens."
  }
}

variable "nodemanager_memory_mb" {
  description = "Memory each NodeManager offers to YARN containers, in MiB."
  type        = number
}

variable "nodemanager_vcores" {
  description = "Virtual cores each NodeManager offers to YARN containers."
  type        = number
}

variable "container_min_mb" {
  description = "Smallest YARN container, in MiB (requests are rounded up to a multiple of it)."
  type        = number
  default     = 512
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

variable "suite_dir" {
  description = "Where the suite's source and its Python 3.11 virtualenv go on the nodes."
  type        = string
  default     = "/opt/ecommerce"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9._-]+)+$", var.suite_dir))
    error_message = "suite_dir must be an absolute path of letters, digits, dots, underscores and hyphens."
  }
}

variable "grafana_version" {
  description = "Grafana OSS version installed on the master from its .deb on Grafana's download site."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.grafana_version))
    error_message = "grafana_version must look like X.Y.Z (a Grafana OSS release)."
  }
}

variable "grafana_deb_sha256" {
  description = "SHA-256 of grafana_<grafana_version>_amd64.deb (64 hex characters)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{64}$", var.grafana_deb_sha256))
    error_message = "grafana_deb_sha256 must be 64 hexadecimal characters."
  }
}

variable "ssm_agent_version" {
  description = "Version of the SSM agent package, a versioned download path (never latest)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.ssm_agent_version))
    error_message = "ssm_agent_version must look like 3.3.2299.0."
  }
}

variable "ssm_agent_sha256" {
  description = "SHA-256 of that version's amazon-ssm-agent.deb (debian_amd64), 64 hex characters."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{64}$", var.ssm_agent_sha256))
    error_message = "ssm_agent_sha256 must be 64 hexadecimal characters."
  }
}

variable "grafana_admin_password_parameter" {
  description = "Name of the SSM SecureString parameter holding the Grafana admin password."
  type        = string

  validation {
    condition     = can(regex("^(/[A-Za-z0-9._-]+)+$", var.grafana_admin_password_parameter))
    error_message = "grafana_admin_password_parameter must be an SSM parameter path such as /ecom-hadoop/grafana/admin-password."
  }
}

variable "grafana_listen_all" {
  description = "Grafana listens on all interfaces (for admin_cidrs) instead of loopback only (SSM port forwarding)."
  type        = bool
  default     = false
}

variable "exporter_outputs_uri" {
  description = "Where the suite's exporter reads job outputs from (--outputs)."
  type        = string
  default     = "hdfs:///ecommerce/processed"

  validation {
    condition     = can(regex("^(hdfs://([A-Za-z0-9.-]+(:[0-9]{1,5})?)?)?(/[A-Za-z0-9._-]+)+/?$", var.exporter_outputs_uri))
    error_message = "exporter_outputs_uri must be hdfs://[host[:port]]/path or an absolute path, of letters, digits, dots, underscores and hyphens (e.g. hdfs:///ecommerce/processed)."
  }
}
