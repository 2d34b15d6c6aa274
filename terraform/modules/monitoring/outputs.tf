output "grafana_admin_password_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the Grafana admin password."
  value       = aws_ssm_parameter.grafana_admin_password.name
}

output "grafana_admin_password_parameter_arn" {
  description = "ARN of the SSM SecureString parameter holding the Grafana admin password."
  value       = aws_ssm_parameter.grafana_admin_password.arn
}

output "status_check_alarm_names" {
  description = "Names of the status check alarms, by node."
  value       = { for k, a in aws_cloudwatch_metric_alarm.system_check : k => [a.alarm_name, aws_cloudwatch_metric_alarm.instance_check[k].alarm_name] }
}
