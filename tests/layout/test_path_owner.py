"""Only ecomsuite/layout.py builds storage paths: landing, canonical, quarantine, job
outputs, run records and their markers. Any other module that spells one of the layout's
names in code (not in a docstring) fails this test."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("ecomsuite", "datagen", "exporters", "bench", "jobs")
OWNER = ROOT / "ecomsuite" / "layout.py"
# The names of the layout: a string constant holding one is a path being built elsewhere.
NAMES = re.compile(r"(?<![A-Za-z0-9])(_runs|_SUCCESS|landing/|/landing|dt=|_commits|part-\*|"
                   r"_manifest\.json|_injected\.json|_tmp-|_failed-|_world\.json|canonical/|"
                   r"quarantine/|data/raw|/processed|_versions)")


def docstrings(tree):
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def offenders(path):
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if NAMES.search(node.value) and not _is_help_text(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    return found


def _is_help_text(text):
    """Sentences for people (help, messages) may name the layout; paths have no spaces."""
    return " " in text.strip()


def sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path != OWNER:
                yield path


def test_no_other_module_builds_a_layout_path():
    found = [line for path in sources() for line in offenders(path)]
    assert found == [], "build these paths with ecomsuite.layout:\n" + "\n".join(found)


@pytest.mark.parametrize("code", ['p = os.path.join(out, "_runs", job)',
                                  'p = f"{root}/landing/{d}/dt={day}"',
                                  'glob.glob(d + "/part-*")'])
def test_the_check_catches_a_path_built_elsewhere(tmp_path, code):
    bad = tmp_path / "bad.py"
    bad.write_text(f'"""A module."""\n{code}\n')
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert offenders(bad)
    finally:
        ROOT = saved
