locals {
  repo_root            = coalesce(var.repo_root, "${path.module}/../../..")
  hadoop_templates_dir = "${local.repo_root}/hadoop/templates"

  ##############################################################################
  # Hadoop site files: the local cluster's templates, rendered the same way
  ##############################################################################

  hadoop_site_templates = ["core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml"]

  # The local cluster's value of every template variable (hadoop/templates/variables.json) ...
  hadoop_local_values = { for name, spec in jsondecode(file("${local.hadoop_templates_dir}/variables.json")) : name => spec["local"] }

  # ... of which the cluster changes only host names, directories and sizes;
  # every other setting is the local cluster's, so there is one copy of it.
  # node_host, the node's own address, is set per node below.
  hadoop_cluster_values = {
    namenode_host         = var.master_host
    resourcemanager_host  = var.master_host
    bind_host             = "0.0.0.0"
    hadoop_home           = var.hadoop_home
    hadoop_tmp_dir        = "${var.data_dir}/hadoop/tmp"
    hdfs_name_dir         = "${var.data_dir}/hdfs/namenode"
    hdfs_data_dir         = "${var.data_dir}/hdfs/datanode"
    yarn_local_dirs       = "${var.data_dir}/yarn/local"
    yarn_log_dirs         = "${var.data_dir}/yarn/logs"
    dfs_replication       = min(3, length(var.worker_hosts))
    nodemanager_memory_mb = var.nodemanager_memory_mb
    nodemanager_vcores    = var.nodemanager_vcores
    container_min_mb      = var.container_min_mb
    container_max_mb      = var.nodemanager_memory_mb
    map_memory_mb         = var.map_memory_mb
    reduce_memory_mb      = var.reduce_memory_mb
    am_memory_mb          = var.am_memory_mb
    # the application master's heap: 0.8 of its container, as on the local cluster
    am_heap_mb = floor(var.am_memory_mb * 0.8)
    # where tasks find `hadoop` and the suite's python
    task_path = "${var.hadoop_home}/bin:${var.suite_dir}/venv/bin:/usr/local/bin:/usr/bin:/bin"
  }

  hadoop_site_vars = merge(local.hadoop_local_values, local.hadoop_cluster_values)

  # Every node gets its own copy: node_host is the address it advertises.
  nodes = merge({ master = var.master_host }, { for i, host in var.worker_hosts : "worker-${i + 1}" => host })

  hadoop_site_files = {
    for node, host in local.nodes : node => {
      for f in local.hadoop_site_templates : f => templatefile("${local.hadoop_templates_dir}/${f}.tftpl", merge(local.hadoop_site_vars, { node_host = host }))
    }
  }

  ##############################################################################
  # mrjob configuration of the cluster (/etc/mrjob.conf on the master)
  ##############################################################################

  mrjob_conf = <<-EOT
    # mrjob configuration of the ${var.name} cluster, written by Terraform
    # (the local cluster's mrjob.conf, with the cluster's paths).
    runners:
      hadoop:
        hadoop_bin: ${var.hadoop_home}/bin/hadoop
        hadoop_streaming_jar: ${var.hadoop_home}/share/hadoop/tools/lib/hadoop-streaming-${var.hadoop_version}.jar
        # the suite and mrjob are installed in this virtualenv on every node
        python_bin: ${var.suite_dir}/venv/bin/python
        bootstrap_mrjob: false
        cmdenv:
          SETUPTOOLS_USE_DISTUTILS: stdlib
        hadoop_tmp_dir: hdfs:///user/hadoop/tmp/mrjob
        hadoop_log_dirs:
        - hdfs:///tmp/hadoop-yarn/staging
  EOT

  ##############################################################################
  # Repository files shipped to the nodes through the artifacts bucket
  # (S3 key => local path); keys mirror the repository layout.
  ##############################################################################

  suite_files = concat(
    tolist(fileset(local.repo_root, "{setup.cfg,setup.py,pyproject.toml,README.md,MANIFEST.in,LICENSE}")),
    [for f in fileset(local.repo_root, "{ecomsuite,jobs,datagen,exporters}/**") : f if !strcontains(f, "__pycache__") && !endswith(f, ".pyc")],
  )

  monitoring_files = concat(
    tolist(fileset(local.repo_root, "prometheus/prometheus.yml")),
    tolist(fileset(local.repo_root, "prometheus/rules/*.yaml")),
    tolist(fileset(local.repo_root, "grafana/provisioning/**")),
    tolist(fileset(local.repo_root, "grafana/dashboards/**/*.json")),
  )

  artifact_files = merge(
    { for f in local.suite_files : "${var.artifacts_prefix}suite/${f}" => "${local.repo_root}/${f}" },
    # the suite's dependencies, each pinned by its SHA-256 (make tf-lock)
    { "${var.artifacts_prefix}suite/requirements-node.txt" = "${local.repo_root}/terraform/modules/cluster-config/files/requirements-node.txt" },
    { for f in local.monitoring_files : "${var.artifacts_prefix}${f}" => "${local.repo_root}/${f}" },
  )

  # The daily pipeline on the master: a systemd service (ingest, then every job, for
  # yesterday, then that day's history into Prometheus' storage) and the timer that starts it.
  pipeline_data_uri = "hdfs:///ecommerce"
  # Prometheus' data directory (Debian's package default, set explicitly in the bootstrap's
  # /etc/default/prometheus): the daily service writes the day's history blocks there.
  prometheus_tsdb_dir = "/var/lib/prometheus/metrics2"
  daily_units = {
    "ecom-daily.service" = templatefile("${path.module}/templates/ecom-daily.service.tftpl", {
      name          = var.name
      hadoop_home   = var.hadoop_home
      suite_dir     = var.suite_dir
      data_uri      = local.pipeline_data_uri
      output_uri    = var.exporter_outputs_uri
      tsdb_dir      = local.prometheus_tsdb_dir
      timeout_hours = 6
    })
    "ecom-daily.timer" = templatefile("${path.module}/templates/ecom-daily.timer.tftpl", {
      name        = var.name
      on_calendar = "*-*-* 00:30:00 UTC"
    })
  }

  artifact_contents = merge(
    merge([for node, files in local.hadoop_site_files : { for f, content in files : "${var.artifacts_prefix}hadoop/conf/${node}/${f}" => content }]...),
    { "${var.artifacts_prefix}mrjob/mrjob.conf" = local.mrjob_conf },
    { for f, content in local.daily_units : "${var.artifacts_prefix}systemd/${f}" => content },
  )

  ##############################################################################
  # cloud-init user data (one script, two roles)
  ##############################################################################

  bootstrap_vars = {
    name                       = var.name
    region                     = var.region
    artifacts_uri              = "s3://${var.artifacts_bucket}/${var.artifacts_prefix}"
    hadoop_version             = var.hadoop_version
    hadoop_sha512              = lower(var.hadoop_sha512)
    hadoop_url                 = "${var.hadoop_download_base_url}/hadoop-${var.hadoop_version}/hadoop-${var.hadoop_version}.tar.gz"
    hadoop_home                = var.hadoop_home
    master_host                = var.master_host
    hdfs_name_dir              = local.hadoop_cluster_values.hdfs_name_dir
    data_dirs                  = join(",", [for k in ["hadoop_tmp_dir", "hdfs_name_dir", "hdfs_data_dir", "yarn_local_dirs", "yarn_log_dirs"] : local.hadoop_cluster_values[k]])
    suite_dir                  = var.suite_dir
    grafana_version            = var.grafana_version
    grafana_deb_url            = "https://dl.grafana.com/oss/release/grafana_${var.grafana_version}_amd64.deb"
    grafana_deb_sha256         = lower(var.grafana_deb_sha256)
    ssm_agent_url              = "https://s3.${var.region}.amazonaws.com/amazon-ssm-${var.region}/${var.ssm_agent_version}/debian_amd64/amazon-ssm-agent.deb"
    ssm_agent_sha256           = lower(var.ssm_agent_sha256)
    grafana_password_parameter = var.grafana_admin_password_parameter
    grafana_http_addr          = var.grafana_listen_all ? "0.0.0.0" : "127.0.0.1"
    exporter_outputs_uri       = var.exporter_outputs_uri
    pipeline_data_uri          = local.pipeline_data_uri
    prometheus_tsdb_dir        = local.prometheus_tsdb_dir
  }

  # The script gets the values as one JSON document (data, not shell text).
  master_user_data = templatefile("${path.module}/templates/bootstrap.sh.tftpl", {
    settings_json = jsonencode(merge(local.bootstrap_vars, { role = "master", node = "master" }))
  })
  worker_user_data = [
    for i in range(length(var.worker_hosts)) : templatefile("${path.module}/templates/bootstrap.sh.tftpl", {
      settings_json = jsonencode(merge(local.bootstrap_vars, { role = "worker", node = "worker-${i + 1}" }))
    })
  ]
}
