provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project = "ecommerce-analytics"
    }
  }
}

module "ecommerce_hadoop" {
  source = "../../"

  name               = var.name
  hadoop_version     = var.hadoop_version
  hadoop_sha512      = var.hadoop_sha512
  grafana_deb_sha256 = var.grafana_deb_sha256
  ssm_agent_sha256   = var.ssm_agent_sha256
  worker_count       = var.worker_count
  admin_cidrs        = var.admin_cidrs

  tags = var.tags
}
