data "aws_partition" "current" {}

data "aws_region" "current" {}

################################################################################
# Grafana admin password: generated, stored as a SecureString, read at boot
################################################################################

# Ephemeral: the value goes to SSM through a write-only argument and is kept
# neither in the plan nor in the state.
ephemeral "random_password" "grafana_admin" {
  length      = 32
  special     = false
  min_lower   = 4
  min_upper   = 4
  min_numeric = 4
}

resource "aws_ssm_parameter" "grafana_admin_password" {
  name             = "/${var.name}/grafana/admin-password"
  description      = "Grafana admin password of ${var.name}, read by the master at boot"
  type             = "SecureString"
  key_id           = var.kms_key_arn
  value_wo         = ephemeral.random_password.grafana_admin.result
  value_wo_version = var.grafana_admin_password_version

  tags = var.tags
}

################################################################################
# EC2 status checks: automatic recovery of the nodes
################################################################################

resource "aws_cloudwatch_metric_alarm" "system_check" {
  for_each = var.instance_ids

  alarm_name          = "${var.name}-${each.key}-system-check"
  alarm_description   = "EC2 system status check of ${each.key} failed: the instance is recovered onto healthy hardware."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions          = { InstanceId = each.value }
  alarm_actions       = concat(["arn:${data.aws_partition.current.partition}:automate:${data.aws_region.current.region}:ec2:recover"], var.alarm_actions)

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "instance_check" {
  for_each = var.instance_ids

  alarm_name          = "${var.name}-${each.key}-instance-check"
  alarm_description   = "EC2 instance status check of ${each.key} failed (OS not responding): look at it through SSM."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_Instance"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions          = { InstanceId = each.value }
  alarm_actions       = var.alarm_actions

  tags = var.tags
}
