locals {
  ami_id = coalesce(var.ami_id, data.aws_ami.debian.id)

  # What admin_cidrs (when any) may reach on the master, in the
  # terraform-aws-modules style: name = [from, to, protocol, description].
  # Grafana only: it authenticates its users and serves HTTPS. Hadoop's web
  # UIs and REST APIs (NameNode 9870, ResourceManager 8088, JobHistory 19888,
  # DataNode 9864, NodeManager 8042) trust any user.name under simple
  # authentication, so no CIDR ever reaches them: they are open inside the
  # cluster security group only, and admins use SSM port forwarding.
  admin_rules = {
    grafana-https-tcp = [3000, 3000, "tcp", "Grafana over HTTPS (its own login)"]
  }
  admin_ingress = {
    for pair in setproduct(keys(local.admin_rules), var.admin_cidrs) : "${pair[0]}-${pair[1]}" => {
      rule = local.admin_rules[pair[0]]
      cidr = pair[1]
    }
  }

  # What each role may read from the artifacts bucket: workers get Hadoop's
  # files and the suite, the master everything (monitoring included).
  read_prefixes = {
    master = ["${var.artifacts_prefix}"]
    worker = ["${var.artifacts_prefix}hadoop/", "${var.artifacts_prefix}suite/", "${var.artifacts_prefix}mrjob/"]
  }

  root_volume = {
    master = var.master_volume_size_gb
    worker = var.worker_volume_size_gb
  }
}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"] # Debian's official AMIs

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }

  filter {
    name   = "root-device-type"
    values = ["ebs"]
  }
}

################################################################################
# Artifacts bucket: what the nodes read at boot (user data is limited to 16 KB)
################################################################################

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:Holds only files rebuilt from the repository on every apply; reads are in CloudTrail data events if wanted, and a log bucket would need its own log bucket.
  #checkov:skip=CKV_AWS_144:Copies of repository files, recreated by terraform apply; cross-region replication adds cost without protecting anything.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads; the nodes read the files at boot.
  bucket        = var.artifacts_bucket_name
  force_destroy = true # only copies of repository files: terraform destroy may empty it

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

data "aws_iam_policy_document" "artifacts_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.artifacts.arn,
      "${aws_s3_bucket.artifacts.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# Repository files, byte for byte (package source, Prometheus, Grafana).
resource "aws_s3_object" "file" {
  for_each = var.artifact_files

  bucket      = aws_s3_bucket.artifacts.id
  key         = each.key
  source      = each.value
  source_hash = filemd5(each.value)
  kms_key_id  = var.kms_key_arn

  tags = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

# Files rendered by Terraform (Hadoop site files, mrjob.conf).
resource "aws_s3_object" "rendered" {
  for_each = var.artifact_contents

  bucket     = aws_s3_bucket.artifacts.id
  key        = each.key
  content    = each.value
  kms_key_id = var.kms_key_arn

  tags = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

################################################################################
# IAM: SSM management plus read access to exactly what each role needs
################################################################################

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "node" {
  for_each = local.read_prefixes

  statement {
    sid       = "ReadArtifacts"
    actions   = ["s3:GetObject"]
    resources = [for p in each.value : "${aws_s3_bucket.artifacts.arn}/${p}*"]
  }

  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in each.value : "${p}*"]
    }
  }

  statement {
    sid       = "DecryptArtifactsAndParameters"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = each.key == "master" ? [
        "s3.${data.aws_region.current.region}.amazonaws.com",
        "ssm.${data.aws_region.current.region}.amazonaws.com",
      ] : ["s3.${data.aws_region.current.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "master" ? [1] : []

    content {
      sid       = "ReadGrafanaAdminPassword"
      actions   = ["ssm:GetParameter"]
      resources = [var.grafana_admin_password_parameter_arn]
    }
  }
}

resource "aws_iam_role" "node" {
  for_each = local.read_prefixes

  name_prefix        = "${var.name}-${each.key}-"
  description        = "Hadoop ${each.key} nodes of ${var.name}: SSM, read-only artifacts"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  for_each = local.read_prefixes

  role       = aws_iam_role.node[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "node" {
  for_each = local.read_prefixes

  name   = "read-cluster-artifacts"
  role   = aws_iam_role.node[each.key].id
  policy = data.aws_iam_policy_document.node[each.key].json
}

resource "aws_iam_instance_profile" "node" {
  for_each = local.read_prefixes

  name_prefix = "${var.name}-${each.key}-"
  role        = aws_iam_role.node[each.key].name

  tags = var.tags
}

################################################################################
# Security groups: intra-cluster by self-reference, no ingress from the internet
################################################################################

resource "aws_security_group" "cluster" {
  name_prefix = "${var.name}-cluster-"
  description = "Hadoop nodes of ${var.name}: traffic between members, outbound HTTP(S)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-cluster" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "cluster_self" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "all-cluster: HDFS, YARN, shuffle and RPC between cluster members"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.cluster.id

  tags = merge(var.tags, { Name = "all-cluster" })
}

resource "aws_vpc_security_group_egress_rule" "cluster_self" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "all-cluster: HDFS, YARN, shuffle and RPC between cluster members"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.cluster.id

  tags = merge(var.tags, { Name = "all-cluster" })
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.cluster.id
  description       = "https-tcp: AWS APIs, SSM agent, Apache archive, Python packages, Grafana package"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "https-out" })
}

resource "aws_vpc_security_group_egress_rule" "http" {
  security_group_id = aws_security_group.cluster.id
  description       = "http-tcp: Debian APT mirrors (packages checked against signed indexes)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "http-out" })
}

resource "aws_security_group" "admin" {
  name_prefix = "${var.name}-admin-"
  description = "Master of ${var.name}: Grafana (HTTPS) from admin_cidrs only; no Hadoop port"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-admin" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  for_each = local.admin_ingress

  security_group_id = aws_security_group.admin.id
  description       = "${each.key}: ${each.value.rule[3]} from an admin CIDR"
  ip_protocol       = each.value.rule[2]
  from_port         = each.value.rule[0]
  to_port           = each.value.rule[1]
  cidr_ipv4         = each.value.cidr

  tags = merge(var.tags, { Name = each.key })
}

################################################################################
# Instances: Debian 12, IMDSv2 only, encrypted gp3, no public IP
################################################################################

resource "aws_instance" "master" {
  ami                         = local.ami_id
  instance_type               = var.master_instance_type
  subnet_id                   = var.master_subnet_id
  private_ip                  = var.master_private_ip
  vpc_security_group_ids      = [aws_security_group.cluster.id, aws_security_group.admin.id]
  iam_instance_profile        = aws_iam_instance_profile.node["master"].name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = true
  user_data                   = var.master_user_data

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = local.root_volume["master"]
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true

    tags = merge(var.tags, { Name = "${var.name}-master" })
  }

  tags = merge(var.tags, { Name = "${var.name}-master", Role = "master" })

  lifecycle {
    # The master holds the NameNode metadata: a newer AMI or an edited
    # script must not replace it. Re-run the bootstrap instead (docs).
    ignore_changes = [ami, user_data]
  }

  depends_on = [aws_s3_object.file, aws_s3_object.rendered, aws_iam_role_policy.node]
}

resource "aws_instance" "worker" {
  count = length(var.worker_private_ips)

  ami                         = local.ami_id
  instance_type               = var.worker_instance_type
  subnet_id                   = var.worker_subnet_id
  private_ip                  = var.worker_private_ips[count.index]
  vpc_security_group_ids      = [aws_security_group.cluster.id]
  iam_instance_profile        = aws_iam_instance_profile.node["worker"].name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = true
  user_data                   = var.worker_user_data[count.index]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = local.root_volume["worker"]
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true

    tags = merge(var.tags, { Name = "${var.name}-worker-${count.index + 1}" })
  }

  tags = merge(var.tags, { Name = "${var.name}-worker-${count.index + 1}", Role = "worker" })

  lifecycle {
    # HDFS blocks live on the workers: see the master.
    ignore_changes = [ami, user_data]
  }

  depends_on = [aws_s3_object.file, aws_s3_object.rendered, aws_iam_role_policy.node]
}
