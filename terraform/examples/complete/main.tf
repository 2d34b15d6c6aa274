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

  name           = var.name
  hadoop_version = var.hadoop_version
  hadoop_sha512  = var.hadoop_sha512
  worker_count   = var.worker_count
  admin_cidrs    = var.admin_cidrs

  tags = var.tags
}
