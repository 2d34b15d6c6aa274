"""The daily pipeline on the master: ecom-daily.service (ingest, then every job, for
yesterday in UTC, then that day's history into Prometheus' storage) and ecom-daily.timer,
rendered by the embedded Terraform, delivered by the bootstrap's S3 copies, checked by
systemd's own tools, and the service's commands run as a oneshot runs them, with stand-ins
that record their arguments (and the real promtool)."""

import datetime
import json
import os
import re
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


def _exec_starts(service):
    """[(privileged, argv)] of the service's ExecStart= lines, in order, as systemd reads
    them: the "+" prefix (full privileges for that line alone), then the words (a quoted
    word is one argument)."""
    lines = []
    for line in re.findall(r"^ExecStart=(.*)$", service, flags=re.M):
        privileged = line.startswith("+")
        assert line.lstrip("+")[0] not in "-@:!", line  # no other prefix expected
        lines.append((privileged, re.findall(r"'[^']*'|\S+", line.lstrip("+"))))
    return lines


def _unescape(word, state_root):
    """systemd's specifiers and escapes in a command line: %S (the state directory root,
    /var/lib for a system unit), %% -> %, $$ -> $; quotes around a word removed."""
    word = re.sub(r"%(.)", lambda m: {"%": "%", "S": str(state_root)}[m.group(1)], word.strip("'"))
    return word.replace("$$", "$")


STANDINS = {
    # ecom-run: records its arguments; exits with $ECOM_RUN_EXIT (a failed job: 1)
    "ecom-run": '''#!/bin/sh
printf "%s\\n" "$@" > "$RECORDS/ecom-run"
exit "${ECOM_RUN_EXIT:-0}"
''',
    # ecom-exporter backfill: records its arguments and writes one history sample of the
    # --day at its midnight to --openmetrics (as the real one does); exits $BACKFILL_EXIT
    "ecom-exporter": '''#!/bin/sh
printf "%s\\n" "$@" > "$RECORDS/ecom-exporter"
[ "${BACKFILL_EXIT:-0}" = 0 ] || exit "$BACKFILL_EXIT"
while [ $# -gt 0 ]; do
  case "$1" in --day) day=$2 ;; --openmetrics) out=$2 ;; esac
  shift
done
printf '# TYPE ecommerce_history_orders gauge\\necommerce_history_orders{job="ecommerce-exporter",sales_region="LATAM"} 7 %s\\n# EOF\\n' \\
  "$(date -u -d "$day" +%s)" > "$out"
''',
    # runuser -u USER -- CMD...: records its arguments, then runs CMD (as this user)
    "runuser": '''#!/bin/sh
printf "%s\\n" "$@" > "$RECORDS/runuser"
shift 3
exec "$@"
''',
}


def _run_service(service, cluster_config, tmp_path, **env):
    """Run the service's ExecStart= lines as a oneshot does: in order, stopping at the first
    that fails; the commands stand-ins that record their arguments (runuser's line, the
    privileged one, runs the real promtool into a scratch copy of Prometheus' data
    directory). Returns (exit codes of the lines run, {command: [args]}, state root, tsdb)."""
    bin_dir, records, state, tsdb = (tmp_path / n for n in ("bin", "records", "state", "tsdb"))
    for d in (bin_dir, records, state / "ecom-daily"):
        d.mkdir(parents=True, exist_ok=True)
    for name, text in STANDINS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    promtool = tf.require_tool("promtool", "make monitoring-deps")
    tsdb_dir = cluster_config["bootstrap_vars"]["prometheus_tsdb_dir"]
    codes = []
    for privileged, words in _exec_starts(service):
        argv = [_unescape(w, state) for w in words]
        if privileged:  # the one line systemd runs as root: it must drop to prometheus at once
            assert argv[:4] == ["/usr/sbin/runuser", "-u", "prometheus", "--"], argv
            argv = [str(bin_dir / "runuser"), *argv[1:]]
            assert argv[4] == "/usr/bin/promtool", argv  # Debian's; runuser may reset PATH
            argv = [{tsdb_dir: str(tsdb), argv[4]: promtool}.get(a, a) for a in argv]
        result = subprocess.run(argv, env={"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORDS": str(records),
                                           "TZ": "Pacific/Kiritimati", **env},
                                capture_output=True, text=True, timeout=120)
        codes.append(result.returncode)
        if result.returncode != 0:
            break
    called = {p.name: p.read_text().split("\n")[:-1] for p in records.iterdir()}
    return codes, called, state, tsdb


def _yesterday():
    return (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()


def test_the_service_runs_ecom_run_then_the_days_history_into_prometheus(master_files, cluster_config, tmp_path):
    units, _ = _units(master_files, tmp_path)
    service = units["ecom-daily.service"]
    assert "Type=oneshot" in service and "User=hadoop" in service
    assert "Restart=" not in service  # a failed day is the alerts' business, not a retry loop
    assert "StateDirectory=ecom-daily" in service
    env = dict(kv.split("=", 1) for line in re.findall(r"^Environment=(.*)$", service, flags=re.M)
               for kv in line.split())
    suite = cluster_config["bootstrap_vars"]["suite_dir"]
    assert env["PATH"].startswith(f"{suite}/venv/bin:") and env["MRJOB_CONF"] == "/etc/mrjob.conf"
    lines = _exec_starts(service)
    assert [privileged for privileged, _ in lines] == [False, True]  # only promtool's is "+"
    assert lines[0][1][:2] == ["/bin/sh", "-c"]

    codes, called, state, tsdb = _run_service(service, cluster_config, tmp_path)
    assert codes == [0, 0]
    day = _yesterday()  # in UTC, whatever the node's time zone
    outputs = cluster_config["bootstrap_vars"]["exporter_outputs_uri"]
    history = f"{state}/ecom-daily/history.om"
    assert called["ecom-run"] == [
        "--runner", "hadoop", "--data", "hdfs:///ecommerce", "--output", outputs, "--day", day]
    assert called["ecom-exporter"] == [
        "backfill", "--outputs", outputs, "--data", "hdfs:///ecommerce", "--day", day,
        "--openmetrics", history]
    assert called["runuser"] == ["-u", "prometheus", "--", tf.require_tool("promtool"), "tsdb", "create-blocks-from",
                                 "openmetrics", "--quiet", history, str(tsdb)]
    # the real promtool made a block of the day's sample
    (block,) = [p for p in tsdb.iterdir() if (p / "meta.json").exists()]
    meta = json.loads((block / "meta.json").read_text())
    midnight = datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc).timestamp()
    assert meta["minTime"] == midnight * 1000 and meta["stats"]["numSamples"] == 1


def test_a_failed_job_or_backfill_writes_no_history(master_files, cluster_config, tmp_path):
    units, _ = _units(master_files, tmp_path)
    service = units["ecom-daily.service"]
    codes, called, state, tsdb = _run_service(service, cluster_config, tmp_path / "job", ECOM_RUN_EXIT="1")
    assert codes == [1]  # the unit fails; systemd runs no later line
    assert set(called) == {"ecom-run"}
    assert not (state / "ecom-daily" / "history.om").exists() and not tsdb.exists()

    codes, called, state, tsdb = _run_service(service, cluster_config, tmp_path / "backfill", BACKFILL_EXIT="1")
    assert codes == [1]
    assert set(called) == {"ecom-run", "ecom-exporter"} and not tsdb.exists()


def test_a_stale_history_file_of_an_earlier_day_is_never_imported(master_files, cluster_config, tmp_path):
    """The first line removes the file before anything else: a day whose jobs fail leaves no
    file of an earlier day behind for someone who runs promtool's line by hand."""
    units, _ = _units(master_files, tmp_path)
    (tmp_path / "state" / "ecom-daily").mkdir(parents=True)
    stale = tmp_path / "state" / "ecom-daily" / "history.om"
    stale.write_text("# EOF\n")
    codes, called, _, _ = _run_service(units["ecom-daily.service"], cluster_config, tmp_path, ECOM_RUN_EXIT="1")
    assert codes == [1] and set(called) == {"ecom-run"} and not stale.exists()


def test_the_history_goes_where_prometheus_keeps_its_data(master_script, cluster_config, master_files, tmp_path):
    """The directory promtool writes into is the one the bootstrap gives Prometheus, which is
    Debian's package default; the backfill runs as the user Debian's package runs it as."""
    tsdb_dir = cluster_config["bootstrap_vars"]["prometheus_tsdb_dir"]
    assert "--storage.tsdb.path=$PROMETHEUS_TSDB" in master_script
    assert "PROMETHEUS_TSDB=$(setting prometheus_tsdb_dir)" in master_script
    units, _ = _units(master_files, tmp_path)
    (_, promtool_line), = [line for line in _exec_starts(units["ecom-daily.service"]) if line[0]]
    assert promtool_line[-1] == tsdb_dir
    prometheus = tf.require_tool("prometheus", "make monitoring-deps")
    result = tf.run([prometheus, "--help"])
    help_text = result.stdout + result.stderr
    (default,) = re.findall(r'--storage\.tsdb\.path="([^"]+)"', help_text)
    assert default.rstrip("/") == tsdb_dir
    # Debian's unit runs the server as prometheus: the blocks must be that user's
    assert "-u prometheus --" in units["ecom-daily.service"]


def test_the_exporter_reads_the_data_root_and_prometheus_keeps_the_history(master_script, cluster_config):
    assert cluster_config["bootstrap_vars"]["pipeline_data_uri"] == "hdfs:///ecommerce"
    assert "--data=$PIPELINE_DATA" in master_script
    (retention,) = re.findall(r"--storage\.tsdb\.retention\.time=(\d+)d", master_script)
    assert int(retention) >= 365
