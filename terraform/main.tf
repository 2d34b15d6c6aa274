data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zones in name order are used (a zone AWS adds sorts after them and changes nothing); set var.azs to pin the zones by name.
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_ec2_instance_type" "worker" {
  instance_type = var.worker_instance_type
}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  azs        = length(var.azs) > 0 ? var.azs : slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # Fixed addresses, so each node's Hadoop site files can name it (and the
  # master) before the instances exist.
  master_private_ip  = cidrhost(module.network.private_subnet_cidrs[0], 10)
  worker_private_ips = [for i in range(var.worker_count) : cidrhost(module.network.private_subnet_cidrs[0], 11 + i)]

  artifacts_bucket = "${var.name}-artifacts-${local.account_id}-${local.region}"
  artifacts_prefix = "cluster/"

  nodemanager_memory_mb = coalesce(var.nodemanager_memory_mb, max(2048, floor(data.aws_ec2_instance_type.worker.memory_size * 0.75 / 1024) * 1024))
  nodemanager_vcores    = coalesce(var.nodemanager_vcores, data.aws_ec2_instance_type.worker.default_vcpus)

  tags = merge({ Cluster = var.name, ManagedBy = "terraform" }, var.tags)
}

################################################################################
# Encryption key of the volumes, the artifacts bucket, the flow logs and the
# Grafana password parameter
################################################################################

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy applies to its own key only; "*" means this key, and the account's IAM policies decide who uses it.
  #checkov:skip=CKV_AWS_111:A key policy applies to its own key only; "*" means this key.
  #checkov:skip=CKV_AWS_356:A key policy applies to its own key only; "*" means this key.
  statement {
    sid       = "AccountAdministersThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "FlowLogGroupEncryption"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/vpc-flow-logs/${var.name}"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: EBS volumes, artifacts bucket, flow logs, Grafana admin password"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

################################################################################
# Modules
################################################################################

module "network" {
  source = "./modules/network"

  name                     = var.name
  vpc_cidr                 = var.vpc_cidr
  azs                      = local.azs
  single_nat_gateway       = var.single_nat_gateway
  enable_ssm_vpc_endpoints = var.enable_ssm_vpc_endpoints
  flow_log_retention_days  = var.flow_log_retention_days
  kms_key_arn              = aws_kms_key.this.arn

  tags = local.tags
}

module "monitoring" {
  source = "./modules/monitoring"

  name                           = var.name
  kms_key_arn                    = aws_kms_key.this.arn
  grafana_admin_password_version = var.grafana_admin_password_version
  alarm_actions                  = var.alarm_actions
  instance_ids = merge(
    { master = module.hadoop_cluster.master_instance_id },
    { for i, id in module.hadoop_cluster.worker_instance_ids : "worker-${i + 1}" => id },
  )

  tags = local.tags
}

# Everything the nodes receive: rendered Hadoop site files, cloud-init,
# mrjob.conf and the repository files to ship (no AWS resources).
module "cluster_config" {
  source = "./modules/cluster-config"

  name                             = var.name
  region                           = local.region
  artifacts_bucket                 = local.artifacts_bucket
  artifacts_prefix                 = local.artifacts_prefix
  master_host                      = local.master_private_ip
  worker_hosts                     = local.worker_private_ips
  hadoop_version                   = var.hadoop_version
  hadoop_sha512                    = var.hadoop_sha512
  hadoop_download_base_url         = var.hadoop_download_base_url
  nodemanager_memory_mb            = local.nodemanager_memory_mb
  nodemanager_vcores               = local.nodemanager_vcores
  map_memory_mb                    = var.map_memory_mb
  reduce_memory_mb                 = var.reduce_memory_mb
  am_memory_mb                     = var.am_memory_mb
  grafana_version                  = var.grafana_version
  grafana_deb_sha256               = var.grafana_deb_sha256
  ssm_agent_version                = var.ssm_agent_version
  ssm_agent_sha256                 = var.ssm_agent_sha256
  grafana_admin_password_parameter = module.monitoring.grafana_admin_password_parameter_name
  grafana_listen_all               = length(var.admin_cidrs) > 0
  exporter_outputs_uri             = var.exporter_outputs_uri
}

module "hadoop_cluster" {
  source = "./modules/hadoop-cluster"

  name                  = var.name
  vpc_id                = module.network.vpc_id
  master_subnet_id      = module.network.private_subnet_ids[0]
  master_private_ip     = local.master_private_ip
  worker_subnet_id      = module.network.private_subnet_ids[0] # one AZ: no cross-AZ charges for HDFS and shuffle traffic
  worker_private_ips    = local.worker_private_ips
  admin_cidrs           = var.admin_cidrs
  ami_id                = var.ami_id
  master_instance_type  = var.master_instance_type
  worker_instance_type  = var.worker_instance_type
  master_volume_size_gb = var.master_volume_size_gb
  worker_volume_size_gb = var.worker_volume_size_gb
  kms_key_arn           = aws_kms_key.this.arn

  artifacts_bucket_name = local.artifacts_bucket
  artifacts_prefix      = local.artifacts_prefix
  artifact_files        = module.cluster_config.artifact_files
  artifact_contents     = module.cluster_config.artifact_contents
  master_user_data      = module.cluster_config.master_user_data
  worker_user_data      = module.cluster_config.worker_user_data

  grafana_admin_password_parameter_arn = module.monitoring.grafana_admin_password_parameter_arn

  tags = local.tags
}
