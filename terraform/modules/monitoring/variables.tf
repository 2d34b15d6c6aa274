variable "name" {
  description = "Name prefix of the monitoring resources (and of the SSM parameter path)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the Grafana admin password parameter."
  type        = string
}

variable "grafana_admin_password_version" {
  description = "Bump to generate and store a new Grafana admin password (the password itself is never in the Terraform state)."
  type        = number
  default     = 1
}

variable "instance_ids" {
  description = "Instances to watch, node name => instance ID: an EC2 system status check failure recovers the instance, an instance check failure alarms."
  type        = map(string)
  default     = {}
}

variable "alarm_actions" {
  description = "ARNs notified when a status check alarm fires (e.g. an SNS topic); empty for none."
  type        = list(string)
  default     = []
}
