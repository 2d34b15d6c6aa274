"""The suite's local Apache Hadoop cluster (HDFS, YARN, MapReduce), one module per concern.

    python -m ecomsuite.hadoop deps|up|status|down|clean|env   (see cli.py, or --help)

Modules, each importing only those above it in this list:

  paths     where everything is (the jars, the Hadoop home, .run/hadoop, per-worker dirs)
  conf      the site settings: hadoop/templates + variables.json, rendered per node
  ports     every port of the cluster, named once (read from variables.json)
  deps      the JDK and the Maven-fetched jars laid out as a Hadoop home
  health    HDFS, YARN and JobHistory health over their web APIs
  daemons   starting and stopping the daemons: up, down, clean
  webhdfs   the WebHDFS transport: URIs, a client, small file operations (used by
            ecomsuite.layout's HdfsStore, which owns the paths, markers and publishing)
  cli       the command line
"""
