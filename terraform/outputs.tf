locals {
  master_id = module.hadoop_cluster.master_instance_id
  master_ip = module.hadoop_cluster.master_private_ip

  # Web UIs, by node role. Hadoop's are reachable only inside the cluster
  # security group: from your machine, through SSM port forwarding to
  # http://localhost:<port>. Grafana serves HTTPS (and, with admin_cidrs, is
  # also reachable from those networks at https://<master_ip>:3000).
  master_ui_ports = {
    namenode        = 9870
    resourcemanager = 8088
    jobhistory      = 19888
    grafana         = 3000
  }
  worker_ui_ports = {
    datanode    = 9864
    nodemanager = 8042
  }

  port_forward = "--document-name AWS-StartPortForwardingSession --parameters"

  submit_command = "sudo -iu hadoop ecom-run --runner hadoop --data hdfs:///ecommerce/raw --output ${var.exporter_outputs_uri}"
}

output "master_instance_id" {
  description = "Instance ID of the master: the target of every SSM command below."
  value       = local.master_id
}

output "worker_instance_ids" {
  description = "Instance IDs of the workers."
  value       = module.hadoop_cluster.worker_instance_ids
}

output "master_private_ip" {
  description = "Private IP of the master (NameNode, ResourceManager, JobHistory, Prometheus, Grafana)."
  value       = local.master_ip
}

output "namenode_url" {
  description = "HDFS NameNode web UI on your machine, once port_forward_commands.namenode runs (Hadoop's UIs have no CIDR path)."
  value       = "http://localhost:${local.master_ui_ports.namenode}"
}

output "resourcemanager_url" {
  description = "YARN ResourceManager web UI on your machine, once port_forward_commands.resourcemanager runs (Hadoop's UIs have no CIDR path)."
  value       = "http://localhost:${local.master_ui_ports.resourcemanager}"
}

output "jobhistory_url" {
  description = "MapReduce JobHistory web UI on your machine, once port_forward_commands.jobhistory runs (Hadoop's UIs have no CIDR path)."
  value       = "http://localhost:${local.master_ui_ports.jobhistory}"
}

output "grafana_url" {
  description = "Grafana (HTTPS, user admin) on your machine once grafana_port_forward_command runs; from admin_cidrs use https://<master_private_ip>:3000."
  value       = "https://localhost:${local.master_ui_ports.grafana}"
}

output "port_forward_commands" {
  description = "AWS CLI commands (Session Manager plugin required) that forward each master UI to the same port on localhost."
  value = {
    for ui, port in local.master_ui_ports : ui => "aws ssm start-session --region ${local.region} --target ${local.master_id} ${local.port_forward} portNumber=${port},localPortNumber=${port}"
  }
}

output "worker_port_forward_commands" {
  description = "The same for each worker's DataNode (9864) and NodeManager (8042) UIs, by worker (forward one worker at a time, or change localPortNumber)."
  value = {
    for i, id in module.hadoop_cluster.worker_instance_ids : "worker-${i + 1}" => {
      for ui, port in local.worker_ui_ports : ui => "aws ssm start-session --region ${local.region} --target ${id} ${local.port_forward} portNumber=${port},localPortNumber=${port}"
    }
  }
}

output "grafana_port_forward_command" {
  description = "Forwards Grafana to https://localhost:3000 through SSM."
  value       = "aws ssm start-session --region ${local.region} --target ${local.master_id} ${local.port_forward} portNumber=3000,localPortNumber=3000"
}

output "grafana_admin_password_command" {
  description = "Prints the Grafana admin password (user admin) from its SSM SecureString parameter."
  value       = "aws ssm get-parameter --region ${local.region} --name ${module.monitoring.grafana_admin_password_parameter_name} --with-decryption --query Parameter.Value --output text"
}

output "grafana_admin_password_parameter" {
  description = "Name of the SSM SecureString parameter holding the Grafana admin password."
  value       = module.monitoring.grafana_admin_password_parameter_name
}

output "ssm_shell_command" {
  description = "Opens a shell on the master through Session Manager (no SSH, no public IP)."
  value       = "aws ssm start-session --region ${local.region} --target ${local.master_id}"
}

output "bootstrap_status_command" {
  description = "Waits for cloud-init on the master to finish and shows its result (run it in the SSM shell)."
  value       = "sudo cloud-init status --wait --long; sudo tail -n 20 /var/log/cloud-init-output.log"
}

output "mrjob_conf" {
  description = "mrjob.conf of the cluster, installed as /etc/mrjob.conf on the master (mrjob reads it from there)."
  value       = module.cluster_config.mrjob_conf
}

output "submit_jobs_command" {
  description = "Runs the suite's pipeline on the cluster (mrjob's hadoop runner, as the hadoop user on the master) from your machine."
  value       = "aws ssm start-session --region ${local.region} --target ${local.master_id} --document-name AWS-StartInteractiveCommand --parameters command=\"${local.submit_command}\""
}

output "submit_job_example" {
  description = "Runs one job by hand, in an SSM shell on the master."
  value       = "sudo -iu hadoop /opt/ecommerce/venv/bin/python /opt/ecommerce/src/jobs/mr_sales_by_region.py -r hadoop -c /etc/mrjob.conf hdfs:///ecommerce/raw/orders/ --output-dir hdfs:///ecommerce/processed/sales_by_region"
}

output "rerun_bootstrap_command" {
  description = "Re-applies the repository's files (Hadoop XML, suite, Prometheus, Grafana) on every node after a change: the bootstrap is idempotent."
  value = join(" ", [
    "aws ssm send-command --region ${local.region} --document-name AWS-RunShellScript",
    "--instance-ids ${join(" ", concat([local.master_id], module.hadoop_cluster.worker_instance_ids))}",
    "--parameters 'commands=[\"sudo /usr/local/sbin/ecom-bootstrap\"]'",
  ])
}

output "artifacts_bucket" {
  description = "Private bucket holding the files the nodes read at boot."
  value       = module.hadoop_cluster.artifacts_bucket
}

output "ami_id" {
  description = "Debian 12 AMI the nodes run."
  value       = module.hadoop_cluster.ami_id
}

output "nat_public_ips" {
  description = "Public IPs the cluster's outbound traffic comes from."
  value       = module.network.nat_public_ips
}
