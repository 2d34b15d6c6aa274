"""Prometheus exporter of the e-commerce suite: business results, batch job health, Hadoop health.

    ecom-exporter --outputs output --web.listen-address 127.0.0.1:8398

Every scrape reads fresh data from three sources, each of which may be off:

  outputs          the jobs' outputs and run records (a local folder or HDFS)
  namenode         the HDFS NameNode's /jmx servlet
  resourcemanager  the YARN ResourceManager's REST API

See docs/monitoring.md for every metric, and exporters/business.py for the
table that maps each job's output rows to metrics.
"""

PREFIX = "ecommerce_"
