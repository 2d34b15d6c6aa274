output "master_instance_id" {
  description = "Instance ID of the master (the target of SSM sessions)."
  value       = aws_instance.master.id
}

output "master_private_ip" {
  description = "Private IP of the master."
  value       = aws_instance.master.private_ip
}

output "master_private_dns" {
  description = "Private DNS name of the master."
  value       = aws_instance.master.private_dns
}

output "worker_instance_ids" {
  description = "Instance IDs of the workers."
  value       = aws_instance.worker[*].id
}

output "worker_private_ips" {
  description = "Private IPs of the workers."
  value       = aws_instance.worker[*].private_ip
}

output "ami_id" {
  description = "AMI the nodes were created from."
  value       = local.ami_id
}

output "cluster_security_group_id" {
  description = "Security group of all nodes (members reach each other through it)."
  value       = aws_security_group.cluster.id
}

output "admin_security_group_id" {
  description = "Security group of the master's Grafana (HTTPS from admin_cidrs only; no Hadoop port)."
  value       = aws_security_group.admin.id
}

output "node_role_names" {
  description = "IAM role names of the nodes, by role (master, worker)."
  value       = { for k, r in aws_iam_role.node : k => r.name }
}

output "artifacts_bucket" {
  description = "Name of the artifacts bucket."
  value       = aws_s3_bucket.artifacts.id
}
