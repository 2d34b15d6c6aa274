"""ecom-exporter's command line: help, settings precedence, bad input, a real process."""

import subprocess
import sys

import pytest

from exporters.cli import Settings, parse_args, resolve_settings, split_address
from tests.monitoring.conftest import REPO, free_port
from tests.monitoring.processes import http_get, start_exporter


def run(*args):
    return subprocess.run([sys.executable, "-m", "exporters", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=60)


def test_help_lists_the_flags():
    result = run("--help")
    assert result.returncode == 0
    for flag in ("--web.listen-address", "--config.file", "--outputs", "--namenode-url",
                 "--resourcemanager-url", "--webhdfs-url", "--schedule-period"):
        assert flag in result.stdout


def test_version():
    from ecomsuite import __version__

    result = run("--version")
    assert result.returncode == 0
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"ecom-exporter {__version__} (revision ") and "Python 3." in line


def test_defaults():
    s = resolve_settings(parse_args([]))
    assert s == Settings()
    assert s.listen_address == "127.0.0.1:8398" and s.outputs == "output"
    assert s.namenode_url == "" and s.resourcemanager_url == ""


def test_flags_override_the_config_file(tmp_path):
    cfg = tmp_path / "exporter.yml"
    cfg.write_text("outputs: hdfs:///ecommerce/output\nnamenode_url: http://nn:9870\n"
                   "schedules:\n  sales_by_region: 3600\n")
    s = resolve_settings(parse_args(["--config.file", str(cfg), "--namenode-url", ""]))
    assert s.outputs == "hdfs:///ecommerce/output"
    assert s.namenode_url == ""  # an empty flag switches the source off
    assert s.schedules == {"sales_by_region": 3600}


@pytest.mark.parametrize("content", ["bogus_key: 1\n", "- a list\n"])
def test_a_bad_config_file_is_refused(tmp_path, content):
    cfg = tmp_path / "bad.yml"
    cfg.write_text(content)
    result = run("--config.file", str(cfg))
    assert result.returncode == 2 and "ecom-exporter:" in result.stderr


def test_a_bad_listen_address_is_refused():
    with pytest.raises(ValueError):
        split_address("8398")
    assert split_address("127.0.0.1:8398") == ("127.0.0.1", 8398)
    assert split_address(":8398") == ("0.0.0.0", 8398)
    assert run("--web.listen-address", "nowhere").returncode == 2


def test_a_busy_port_is_an_error_not_a_hang(tmp_path):
    proc, url = start_exporter(str(tmp_path), "--outputs", str(tmp_path))
    try:
        port = url.split(":")[2].split("/")[0]
        result = run("--web.listen-address", f"127.0.0.1:{port}", "--outputs", str(tmp_path))
        assert result.returncode == 1 and "cannot listen" in result.stderr
    finally:
        proc.stop()


def test_the_console_script_serves_metrics_and_stops_on_sigterm(tmp_path, pipeline_output):
    proc, url = start_exporter(str(tmp_path), "--outputs", pipeline_output)
    try:
        text = http_get(url).decode()
        assert 'ecommerce_exporter_source_up{source="outputs"} 1.0' in text
        assert "process_resident_memory_bytes" in text
    finally:
        proc.stop()
    assert proc.returncode == 0  # SIGTERM: a clean exit
    assert free_port()


BAD_CONFIGS = {
    "listen address a number": "listen_address: 8398\n",
    "schedules a list": "schedules: [1, 2]\n",
    "a schedule not a number": "schedules:\n  sales_by_region: soon\n",
    "a schedule not positive": "schedules:\n  sales_by_region: 0\n",
    "log level a number": "log_level: 5\n",
    "log level unknown": "log_level: verbose\n",
    "timeout not a number": "http_timeout_seconds: abc\n",
    "timeout negative": "http_timeout_seconds: -1\n",
    "period a boolean": "schedule_period_seconds: true\n",
    "outputs a number": "outputs: 5\n",
    "outputs a list": "outputs: [a, b]\n",
    "url a mapping": "namenode_url: {a: 1}\n",
    "url without a scheme": "resourcemanager_url: 127.0.0.1:8088\n",
    "not YAML": "outputs: [unclosed\nnamenode_url: x\n",
    "not UTF-8": b"outputs: \xff\xfe\n",
    "a directory": None,
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_malformed_config_file_is_a_one_line_error_and_exit_code_2(tmp_path, case):
    content = BAD_CONFIGS[case]
    cfg = tmp_path / "exporter.yml"
    if content is None:
        cfg.mkdir()
    elif isinstance(content, bytes):
        cfg.write_bytes(content)
    else:
        cfg.write_text(content)
    result = run("--config.file", str(cfg), "--web.listen-address", f"127.0.0.1:{free_port()}")
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"ecom-exporter: {cfg}"), line


def test_a_missing_config_file_is_a_one_line_error(tmp_path):
    result = run("--config.file", str(tmp_path / "nowhere.yml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", [("--http-timeout", "0"), ("--schedule-period", "-5"),
                                  ("--hdfs-cache-seconds", "nan")])
def test_bad_numbers_on_the_command_line_are_refused(flag):
    result = run(*flag)
    assert result.returncode == 2 and "Traceback" not in result.stderr
