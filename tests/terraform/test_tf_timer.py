"""The daily pipeline on the master: ecom-daily.service (ingest, then every job, for
yesterday in UTC) and ecom-daily.timer, rendered by the embedded Terraform, delivered by the
bootstrap's S3 copies, checked by systemd's own tools, and the service's command run with a
stand-in ecom-run that records its arguments."""

import datetime
import os
import re
import stat
import subprocess

from grafana import config
from tests.terraform import tfhelpers as tf

UNITS = "/etc/systemd/system/"


def test_the_master_installs_and_enables_the_timer_and_workers_do_not(master_script, worker_scripts):
    for name in ("ecom-daily.service", "ecom-daily.timer"):
        assert f'"$ARTIFACTS"systemd/{name} {UNITS}{name}' in master_script
    assert "systemctl enable --now --quiet ecom-daily.timer" in master_script
    # after Hadoop and the exporter are up
    assert master_script.index("start hadoop-historyserver") < master_script.index("ecom-daily.timer")
    for script in worker_scripts:  # one script for both roles: a worker exits before it
        worker_end = script.index('log "worker ready"\n  exit 0\nfi')
        assert worker_end < script.index("ecom-daily")


def test_the_units_are_delivered_whole(master_files, cluster_config):
    for name in ("ecom-daily.service", "ecom-daily.timer"):
        key = next(k for k in cluster_config["artifact_contents"] if k.endswith("systemd/" + name))
        assert master_files[UNITS + name] == cluster_config["artifact_contents"][key].encode()


def _units(master_files, tmp_path):
    root = tf.materialize(master_files, tmp_path / "units", UNITS)
    return {p.name: p.read_text() for p in root.iterdir()}, root


def test_systemd_analyze_verifies_the_units(master_files, tmp_path):
    tool = tf.require_tool("systemd-analyze")
    units, root = _units(master_files, tmp_path)
    assert set(units) == {"ecom-daily.service", "ecom-daily.timer"}
    result = tf.run([tool, "verify", str(root / "ecom-daily.timer"), str(root / "ecom-daily.service")],
                    env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ecom-daily" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_the_timer_runs_daily_before_the_freshness_alerts_are_due(master_files, tmp_path):
    units, _ = _units(master_files, tmp_path)
    timer = units["ecom-daily.timer"]
    assert "Persistent=true" in timer and "Unit=ecom-daily.service" in timer
    assert "WantedBy=timers.target" in timer
    (calendar,) = re.findall(r"^OnCalendar=(.*)$", timer, flags=re.M)
    tool = tf.require_tool("systemd-analyze")
    result = tf.run([tool, "calendar", "--iterations=2", calendar], env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stderr
    assert "*-*-* 00:30:00 UTC" in result.stdout
    starts = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", result.stdout)
    first, second = (datetime.datetime.fromisoformat(s) for s in starts[-2:])
    assert second - first == datetime.timedelta(days=1)
    # the run starts after the day is due to land, and well before it is due processed
    start = 30 * 60
    assert config.DAY_DUE_AFTER["landed"] <= start + 3600 < config.DAY_DUE_AFTER["processed"]


def test_the_service_runs_ecom_run_for_yesterday_in_utc_on_yarn(master_files, cluster_config, tmp_path):
    units, _ = _units(master_files, tmp_path)
    service = units["ecom-daily.service"]
    assert "Type=oneshot" in service and "User=hadoop" in service
    assert "Restart=" not in service  # a failed day is the alerts' business, not a retry loop
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", service, flags=re.M)
    env = dict(kv.split("=", 1) for line in re.findall(r"^Environment=(.*)$", service, flags=re.M)
               for kv in line.split())
    suite = cluster_config["bootstrap_vars"]["suite_dir"]
    assert env["PATH"].startswith(f"{suite}/venv/bin:") and env["MRJOB_CONF"] == "/etc/mrjob.conf"
    # systemd's unescaping ($$ -> $, %% -> %), then the command with a stand-in ecom-run
    argv = re.findall(r"'[^']*'|\S+", exec_start)
    argv = [a.strip("'").replace("$$", "$").replace("%%", "%") for a in argv]
    assert argv[:2] == ["/bin/sh", "-c"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "ecom-run"
    record = tmp_path / "args"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    result = subprocess.run(argv, env={"PATH": f"{bin_dir}:/usr/bin:/bin", "TZ": "Pacific/Kiritimati"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    yesterday = (datetime.datetime.now(datetime.timezone.utc).date()
                 - datetime.timedelta(days=1)).isoformat()
    assert record.read_text().split("\n")[:-1] == [
        "--runner", "hadoop", "--data", "hdfs:///ecommerce",
        "--output", cluster_config["bootstrap_vars"]["exporter_outputs_uri"], "--day", yesterday]


def test_the_exporter_reads_the_data_root_and_prometheus_keeps_the_history(master_script, cluster_config):
    assert cluster_config["bootstrap_vars"]["pipeline_data_uri"] == "hdfs:///ecommerce"
    assert "--data=$PIPELINE_DATA" in master_script
    (retention,) = re.findall(r"--storage\.tsdb\.retention\.time=(\d+)d", master_script)
    assert int(retention) >= 365
