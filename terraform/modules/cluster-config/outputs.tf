output "hadoop_site_vars" {
  description = "Values given to the Hadoop site templates, by node: the local cluster's, with the cluster's hosts, directories and sizes."
  value       = { for node, host in local.nodes : node => merge(local.hadoop_site_vars, { node_host = host }) }
}

output "hadoop_site_files" {
  description = "Rendered Hadoop site files, node (master, worker-1, ...) => file name => XML."
  value       = local.hadoop_site_files
}

output "mrjob_conf" {
  description = "mrjob.conf for submitting the suite's jobs on the master."
  value       = local.mrjob_conf
}

output "artifact_files" {
  description = "Repository files shipped unchanged to the nodes, S3 key => local path."
  value       = local.artifact_files
}

output "artifact_contents" {
  description = "Rendered files shipped to the nodes, S3 key => content."
  value       = local.artifact_contents
}

output "bootstrap_vars" {
  description = "Variables of the cloud-init template shared by both roles."
  value       = local.bootstrap_vars
}

output "master_user_data" {
  description = "cloud-init user data of the master."
  value       = local.master_user_data
}

output "worker_user_data" {
  description = "cloud-init user data of the workers, in order."
  value       = local.worker_user_data
}
