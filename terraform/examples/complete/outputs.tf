output "master_instance_id" {
  description = "Instance ID of the master."
  value       = module.ecommerce_hadoop.master_instance_id
}

output "namenode_url" {
  description = "HDFS NameNode web UI, on localhost through SSM port forwarding."
  value       = module.ecommerce_hadoop.namenode_url
}

output "resourcemanager_url" {
  description = "YARN ResourceManager web UI, on localhost through SSM port forwarding."
  value       = module.ecommerce_hadoop.resourcemanager_url
}

output "grafana_url" {
  description = "Grafana (HTTPS) on localhost through SSM port forwarding."
  value       = module.ecommerce_hadoop.grafana_url
}

output "port_forward_commands" {
  description = "SSM port forwarding command of each master UI."
  value       = module.ecommerce_hadoop.port_forward_commands
}

output "worker_port_forward_commands" {
  description = "SSM port forwarding commands of each worker's DataNode and NodeManager UIs."
  value       = module.ecommerce_hadoop.worker_port_forward_commands
}

output "grafana_port_forward_command" {
  description = "Forwards Grafana to https://localhost:3000."
  value       = module.ecommerce_hadoop.grafana_port_forward_command
}

output "grafana_admin_password_command" {
  description = "Prints the Grafana admin password from SSM."
  value       = module.ecommerce_hadoop.grafana_admin_password_command
}

output "ssm_shell_command" {
  description = "Opens a shell on the master."
  value       = module.ecommerce_hadoop.ssm_shell_command
}

output "bootstrap_status_command" {
  description = "Shows whether the master finished booting (run it in the SSM shell)."
  value       = module.ecommerce_hadoop.bootstrap_status_command
}

output "mrjob_conf" {
  description = "mrjob.conf of the cluster (installed as /etc/mrjob.conf on the master)."
  value       = module.ecommerce_hadoop.mrjob_conf
}

output "submit_jobs_command" {
  description = "Runs the suite's pipeline on the cluster."
  value       = module.ecommerce_hadoop.submit_jobs_command
}

output "submit_job_example" {
  description = "Runs one job by hand in an SSM shell on the master."
  value       = module.ecommerce_hadoop.submit_job_example
}

output "rerun_bootstrap_command" {
  description = "Re-applies the repository's files on every node."
  value       = module.ecommerce_hadoop.rerun_bootstrap_command
}
