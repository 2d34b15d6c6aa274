"""ecomsuite.mrjob_compat: what mrjob 0.7.4 imports and Python 3.12/3.13 removed.

The shims are checked on every Python (CI runs this file on 3.10-3.13): in this
process where the real modules exist, and in a child process where `pipes` and
`distutils` are made unimportable, as on 3.13 without setuptools.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from ecomsuite import config, mrjob_compat
from ecomsuite.mrjob_compat import LooseVersion, find_executable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("older, newer", [
    ("2.9.0", "2.10.1"), ("3.3", "3.3.6"), ("0.20.203", "1.0"), ("3.3.6", "3.4.0"),
    ("1.0a", "1.0b"), ("1.0", "1.0.post1"), ("2.7.3", "2.7.10"),
])
def test_loose_version_orders_components_as_numbers_and_text(older, newer):
    assert LooseVersion(older) < LooseVersion(newer)
    assert LooseVersion(newer) > older          # a str on the other side, as mrjob does
    assert LooseVersion(older) <= older and LooseVersion(older) >= older
    assert LooseVersion(older) == older and not LooseVersion(older) == newer
    assert LooseVersion(older) != LooseVersion(newer)


def test_loose_version_sorts_like_mrjob_sorts_hadoop_versions():
    versions = ["3.3.6", "0.20", "2.10.1", "1.0", "2.9.2", "3.3"]
    assert [str(v) for v in sorted(map(LooseVersion, versions))] == \
        ["0.20", "1.0", "2.9.2", "2.10.1", "3.3", "3.3.6"]
    assert LooseVersion("3.3.6").version == [3, 3, 6]
    assert LooseVersion("1.0rc2").version == [1, 0, "rc", 2]


def test_find_executable_given_path_then_search_path_else_none(tmp_path):
    tool = tmp_path / "bin" / "mytool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    search = os.pathsep.join([str(tmp_path / "missing"), str(tool.parent)])
    assert find_executable("mytool", path=search) == str(tool)
    assert find_executable(str(tool)) == str(tool)
    assert find_executable("mytool", path=str(tmp_path / "missing")) is None
    assert find_executable("mytool", path="") is None


def test_real_modules_used_where_this_python_has_them():
    """Nothing is replaced that exists: 3.10/3.11 keep distutils and pipes, 3.12 pipes."""
    has_pipes = sys.version_info < (3, 13)
    assert ("pipes" in mrjob_compat.PROVIDED) is not has_pipes
    if mrjob_compat.PROVIDED:
        import mrjob.util
        assert mrjob.util.cmd_line(["a b", "c'd"]) == "'a b' 'c'\"'\"'d'"


CHILD = textwrap.dedent("""
    import importlib.abc, sys

    class Removed(importlib.abc.MetaPathFinder):
        # as on Python 3.13 without setuptools: no pipes, no distutils
        def find_spec(self, name, path=None, target=None):
            if name == "pipes" or name.split(".")[0] == "distutils":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Removed())
    import ecomsuite.mrjob_compat as compat
    import mrjob.bin, mrjob.compat, mrjob.hadoop, mrjob.job, mrjob.local, mrjob.util
    assert sorted(compat.PROVIDED) == ["distutils", "distutils.spawn", "distutils.version", "pipes"]
    assert mrjob.util.cmd_line(["a b", "c"]) == "'a b' c", mrjob.util.cmd_line(["a b", "c"])
    assert mrjob.compat.version_gte("3.3.6", "2.10.0")
    assert not mrjob.compat.version_gte("2.9.2", "2.10.0")
    assert mrjob.compat.map_version("2.10.1", {"1.0": "old", "2.10": "new"}) == "new"
    assert mrjob.compat.map_version("2.9", {"1.0": "old", "2.10": "new"}) == "old"
    print("ok")
""")


def test_mrjob_imports_and_works_on_a_python_without_pipes_and_distutils():
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, **config.JOB_ENV})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_job_environment_lets_a_task_import_mrjob_on_this_python():
    """The tasks' environment (the 3.12 bug: every task died on `import mrjob`)."""
    code = "import ecomsuite.mrjob_compat, mrjob.job, mrjob.util; print('ok')"
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **config.JOB_ENV})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_mrjob_conf_cmdenv_is_the_job_environment():
    with open(os.path.join(ROOT, "mrjob.conf")) as f:
        conf = yaml.safe_load(f)
    assert conf["runners"]["hadoop"]["cmdenv"] == config.JOB_ENV


def test_every_job_script_loads_the_compat_layer_before_mrjob():
    """The job scripts run as tasks: they must import the layer before mrjob themselves."""
    jobs = os.path.join(ROOT, "jobs")
    for name in sorted(os.listdir(jobs)):
        if not name.startswith("mr_"):
            continue
        with open(os.path.join(jobs, name)) as f:
            lines = [ln for ln in f if ln.startswith(("import ", "from "))]
        first_mrjob = next(i for i, ln in enumerate(lines) if ln.split()[1].split(".")[0] == "mrjob")
        assert "ecomsuite.mrjob_compat" in "".join(lines[:first_mrjob]), name


def _task(marker_dir, i, fail):
    """A local-runner task: it sleeps when told to fail last, then leaves a marker."""
    import time
    if fail:
        raise ValueError(f"task {i} failed")
    time.sleep(0.5)
    open(os.path.join(marker_dir, f"ran-{i}"), "w").close()


def test_local_runner_runs_tasks_without_pool_terminate_and_stops_after_a_failure(tmp_path):
    """The replaced LocalMRJobRunner._run_multiple: every task runs when all succeed; after
    a failure it raises that task's error (made picklable by mrjob's _pickle_safe), starts no
    further task, and returns (Pool.terminate() could hang here: see mrjob_compat's doc)."""
    import functools
    import types

    from mrjob.local import LocalMRJobRunner
    mrjob_compat.fix_local_runner()
    assert LocalMRJobRunner._run_multiple is mrjob_compat._run_multiple
    runner = types.SimpleNamespace(_opts={"num_cores": 2})

    ok = tmp_path / "ok"
    ok.mkdir()
    mrjob_compat._run_multiple(runner, [functools.partial(_task, str(ok), i, False)
                                        for i in range(5)])
    assert sorted(os.listdir(ok)) == [f"ran-{i}" for i in range(5)]

    failed = tmp_path / "failed"
    failed.mkdir()
    funcs = [functools.partial(_task, str(failed), i, i == 0) for i in range(40)]
    with pytest.raises(Exception, match="task 0 failed"):
        mrjob_compat._run_multiple(runner, funcs)
    assert len(os.listdir(failed)) < 40 - 2    # the queued ones never started


def test_every_job_makes_its_runner_after_fixing_the_local_runner(monkeypatch, tmp_path):
    """The suite's jobs and the ingest job share one owner of the fix (FixedLocalRunner):
    making a local runner from any of them first replaces _run_multiple."""
    from mrjob.local import LocalMRJobRunner

    from ecomsuite.registry import job_classes, load_job_class

    ingest_job = load_job_class("jobs.mr_ingest:MRIngest")
    classes = [*job_classes().values(), ingest_job]
    assert all(issubclass(cls, mrjob_compat.FixedLocalRunner) for cls in classes)

    def unfixed(self, funcs, num_processes=None):
        raise AssertionError("mrjob's own _run_multiple")

    monkeypatch.setattr(LocalMRJobRunner, "_run_multiple", unfixed)
    items = tmp_path / "items.json"
    items.write_text("[]")
    job = ingest_job(["-r", "local", "--output-dir", str(tmp_path / "out"), str(items)])
    with job.make_runner() as runner:
        assert isinstance(runner, LocalMRJobRunner)
        assert LocalMRJobRunner._run_multiple is mrjob_compat._run_multiple
