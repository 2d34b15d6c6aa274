"""mk/pick-python.sh: the interpreter `make setup` builds a virtualenv with."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PICK = os.path.join(ROOT, "mk", "pick-python.sh")
THIS = "{}.{}".format(*sys.version_info[:2])


def pick(*args, env=None):
    return subprocess.run([PICK, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def base_python():
    """This venv's base interpreter (the venv's own has no ensurepip-made pip to check)."""
    return os.path.realpath(sys.executable)


def test_a_path_to_a_supported_python_is_taken_with_its_version():
    result = pick(base_python())
    assert result.returncode == 0, result.stderr
    version, path = result.stdout.split()
    assert version == THIS and os.path.samefile(path, base_python())


def test_a_version_is_found_on_path_or_in_pyenv():
    result = pick(THIS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == THIS


def test_an_unsupported_or_missing_python_is_refused_with_what_was_tried(tmp_path):
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho 3.9.18\n")  # answers like a Python outside the range
    old.chmod(0o755)
    for wanted in (str(old), str(tmp_path / "missing")):
        result = pick(wanted)
        assert result.returncode == 1 and result.stdout == ""
        assert f"error: PYTHON={wanted}: no working Python 3.13/3.12/3.11/3.10" in result.stderr
        assert "make setup PYTHON=" in result.stderr


def test_without_a_choice_the_linked_virtualenvs_python_is_kept(tmp_path):
    venv = tmp_path / ".venvs" / THIS
    venv.mkdir(parents=True)
    (venv / ".base-python").write_text(base_python() + "\n")
    (tmp_path / ".venv").symlink_to(venv)
    result = pick("", str(tmp_path / ".venv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [THIS, base_python()]
