terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  # No providers: this module only computes what the nodes receive (rendered
  # Hadoop XML, the cloud-init script, mrjob.conf and the list of repository
  # files to ship), so the tests can evaluate it offline.
}
