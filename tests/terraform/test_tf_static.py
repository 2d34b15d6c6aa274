"""Static checks of terraform/: layout, pins, descriptions, secure defaults,
templatefile() references. Parses the HCL with python-hcl2; needs no provider."""

import re
from pathlib import Path

import pytest

from tests.terraform import tfhelpers as tf

MODULES = [tf.TF_ROOT, *sorted((tf.TF_ROOT / "modules").iterdir())]
WORLD = {"0.0.0.0/0", "::/0"}


def rel(path):
    return Path(path).relative_to(tf.REPO)


def test_modules_are_laid_out_like_terraform_aws_modules():
    for module in MODULES:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (module / name).is_file(), f"{rel(module)} has no {name}"
    examples = [d for d in (tf.TF_ROOT / "examples").iterdir() if d.is_dir()]
    assert examples, "terraform/examples/ holds no example"
    for example in examples:
        assert (example / "main.tf").is_file()
        assert 'source = "../../"' in (example / "main.tf").read_text()
    assert (tf.EXAMPLE_DIR / "terraform.tfvars.example").is_file()


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_terraform_and_provider_versions_are_pinned(directory):
    blocks = tf.load_module(directory).get("terraform", [])
    assert blocks, f"{rel(directory)}: no terraform block"
    required = [b for b in blocks if "required_version" in b]
    assert required, f"{rel(directory)}: no required_version"
    version = tf.unquote(required[0]["required_version"])
    assert re.search(r">=\s*1\.\d+", version) and "<" in version, version
    for block in blocks:
        for providers in block.get("required_providers", []):
            for name, spec in providers.items():
                if name.startswith("__"):
                    continue
                assert "version" in spec, f"{rel(directory)}: provider {name} is not pinned"
                assert re.match(r"~>\s*\d+\.\d+", tf.unquote(spec["version"])), spec


def test_all_modules_share_one_terraform_constraint():
    versions = set()
    for directory in tf.module_dirs():
        for block in tf.load_module(directory).get("terraform", []):
            if "required_version" in block:
                versions.add(tf.unquote(block["required_version"]))
    assert len(versions) == 1, versions


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_every_variable_is_typed_and_described(directory):
    for name, body in tf.variables(tf.load_module(directory)).items():
        assert "type" in body, f"{rel(directory)}: variable {name} has no type"
        assert tf.unquote(body.get("description", "")).strip(), f"{rel(directory)}: variable {name} has no description"


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_every_output_is_described(directory):
    for name, body in tf.outputs(tf.load_module(directory)).items():
        assert tf.unquote(body.get("description", "")).strip(), f"{rel(directory)}: output {name} has no description"


def _ingress_cidrs(module):
    """(where, cidr expression) of every ingress rule, whatever the resource style."""
    for kind, name, body in tf.resources(module):
        if kind == "aws_security_group":
            for rule in tf.sub_blocks(body, "ingress"):
                for key in ("cidr_blocks", "ipv6_cidr_blocks"):
                    for cidr in rule.get(key) or []:
                        yield f"{kind}.{name}", cidr
        elif kind == "aws_security_group_rule" and tf.unquote(body.get("type")) == "ingress":
            for key in ("cidr_blocks", "ipv6_cidr_blocks"):
                for cidr in body.get(key) or []:
                    yield f"{kind}.{name}", cidr
        elif kind == "aws_vpc_security_group_ingress_rule":
            for key in ("cidr_ipv4", "cidr_ipv6"):
                if key in body:
                    yield f"{kind}.{name}", body[key]


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_no_ingress_is_open_to_the_world(directory):
    module = tf.load_module(directory)
    for where, cidr in _ingress_cidrs(module):
        text = str(cidr)
        assert not any(w in text for w in WORLD), f"{rel(directory)}: {where} is open to {text}"
        # Anything not literal must come from a validated or VPC-internal source.
        assert tf.unquote(text) != text or re.search(r"admin_cidr|each\.value\.cidr|cidr_block", text), (where, text)


def test_admin_ingress_comes_only_from_the_validated_variable():
    module = tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster")
    rules = [b for _, _, b in tf.resources(module, "aws_vpc_security_group_ingress_rule")]
    world_facing = [b for b in rules if "cidr_ipv4" in b]
    assert world_facing and all(b["cidr_ipv4"] == "${each.value.cidr}" for b in world_facing)
    assert "var.admin_cidrs" in tf.locals_of(module)["admin_ingress"]


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_every_security_group_and_rule_is_described(directory):
    module = tf.load_module(directory)
    for kind, name, body in tf.resources(module):
        if kind in ("aws_security_group", "aws_vpc_security_group_ingress_rule",
                    "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
            assert tf.unquote(body.get("description", "")).strip(), f"{kind}.{name} has no description"
        if kind == "aws_security_group":
            for rule in tf.sub_blocks(body, "ingress") + tf.sub_blocks(body, "egress"):
                assert tf.unquote(rule.get("description", "")).strip(), f"{kind}.{name} has an undescribed rule"


def _all_instances():
    for directory in tf.module_dirs():
        module = tf.load_module(directory)
        for kind, name, body in tf.resources(module):
            if kind in ("aws_instance", "aws_launch_template", "aws_spot_instance_request"):
                yield directory, kind, name, body


def test_there_are_instances_to_check():
    kinds = {(kind, name) for _, kind, name, _ in _all_instances()}
    assert ("aws_instance", "master") in kinds and ("aws_instance", "worker") in kinds


@pytest.mark.parametrize("where", [f"{rel(d)}:{k}.{n}" for d, k, n, _ in _all_instances()])
def test_instances_require_imdsv2_and_encrypt_every_volume(where):
    _, kind, name, body = next(i for i in _all_instances() if f"{rel(i[0])}:{i[1]}.{i[2]}" == where)
    metadata = tf.sub_blocks(body, "metadata_options")
    assert metadata and tf.unquote(metadata[0].get("http_tokens")) == "required", f"{where}: IMDSv2 not required"
    if kind == "aws_launch_template":
        devices = [e for m in tf.sub_blocks(body, "block_device_mappings") for e in tf.sub_blocks(m, "ebs")]
    else:
        roots = tf.sub_blocks(body, "root_block_device")
        assert roots, f"{where}: the root volume is not declared (so not encrypted)"
        devices = roots + tf.sub_blocks(body, "ebs_block_device")
    for device in devices:
        assert device.get("encrypted") in (True, "true"), f"{where}: a volume is not encrypted"


@pytest.mark.parametrize("where", [f"{rel(d)}:{k}.{n}" for d, k, n, _ in _all_instances()])
def test_instances_have_no_public_ip_and_a_looked_up_ami(where):
    _, kind, name, body = next(i for i in _all_instances() if f"{rel(i[0])}:{i[1]}.{i[2]}" == where)
    assert body.get("associate_public_ip_address") in (False, "false"), where
    assert not re.search(r"ami-[0-9a-f]{8,}", str(body.get("ami", ""))), f"{where}: hard-coded AMI"
    assert "iam_instance_profile" in body, where


def test_ami_comes_from_a_data_source():
    module = tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster")
    assert "data.aws_ami.debian.id" in tf.locals_of(module)["ami_id"]
    amis = [b for (kind, _), b in tf.labelled(module, "data", 2) if kind == "aws_ami"]
    assert amis and amis[0]["most_recent"] is True


def test_instance_role_has_ssm_and_reads_only_what_it_needs():
    module = tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster")
    attachments = [b for _, _, b in tf.resources(module, "aws_iam_role_policy_attachment")]
    assert any("AmazonSSMManagedInstanceCore" in b["policy_arn"] for b in attachments)
    text = (tf.TF_ROOT / "modules" / "hadoop-cluster" / "main.tf").read_text()
    policy = text[text.index('data "aws_iam_policy_document" "node"'):text.index('resource "aws_iam_role" "node"')]
    assert '"*"' not in policy, "the node policy must not use wildcard resources"
    assert "ssm:GetParameter" in policy and "grafana_admin_password_parameter_arn" in policy


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_every_templatefile_call_points_to_a_file_and_supplies_exactly_its_variables(directory):
    evaluator = tf.ModuleEvaluator(directory)
    for path, supplied, call in evaluator.templatefile_calls():
        assert path.is_file(), f"{call}: {path} does not exist"
        used = tf.template_vars(path.read_text())
        assert used <= supplied, f"{path.name}: not supplied: {sorted(used - supplied)}"
        if path.parent == tf.HADOOP_TEMPLATES.resolve() or "hadoop/templates" in path.as_posix():
            # One map serves the four site files: it must be exactly their union.
            union = set().union(*(tf.template_vars(p.read_text()) for p in path.parent.glob("*.tftpl")))
            assert supplied == union, f"site templates use {sorted(union)}, Terraform supplies {sorted(supplied)}"
        else:
            assert supplied == used, f"{path.name}: supplied but unused: {sorted(supplied - used)}"


def test_templatefile_checker_sees_every_call():
    calls = [call for d in tf.module_dirs() for _, _, call in tf.ModuleEvaluator(d).templatefile_calls()
]
    text = "".join(p.read_text() for p in tf.TF_ROOT.rglob("*.tf"))
    assert len(set(calls)) == text.count("templatefile(")


def test_bootstrap_template_uses_only_the_supported_template_syntax():
    tf.template_vars(tf.BOOTSTRAP_TEMPLATE.read_text())  # raises on directives or expressions


def test_grafana_password_is_generated_and_kept_out_of_state():
    module = tf.load_module(tf.TF_ROOT / "modules" / "monitoring")
    ephemerals = [labels for labels, _ in tf.labelled(module, "ephemeral", 2)]
    assert ("random_password", "grafana_admin") in ephemerals
    (_, _, param), = list(tf.resources(module, "aws_ssm_parameter"))
    assert tf.unquote(param["type"]) == "SecureString"
    assert "ephemeral.random_password.grafana_admin.result" in param["value_wo"]
    assert "value" not in param, "the password must go through the write-only value_wo"


def test_no_secret_or_key_material_in_the_configuration():
    for path in tf.TF_ROOT.rglob("*"):
        if not path.is_file() or ".terraform" in path.parts:
            continue
        text = path.read_text(errors="replace")
        assert not re.search(r"AKIA[0-9A-Z]{16}|BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key", text), path
        assert not re.search(r'(?i)password\s*=\s*"[^"$<]', text), f"{rel(path)}: literal password"
        assert "admin:admin" not in text and "admin/admin" not in text, path


def test_hadoop_version_is_the_local_clusters():
    pom = tf.REPO / "hadoop" / "pom.xml"
    local = re.search(r"<hadoop\.version>([^<]+)</hadoop\.version>", pom.read_text()).group(1)
    assert tf.root_default("hadoop_version") == local
    assert tf.example_values()["hadoop_version"] == local
    example_vars = tf.variables(tf.load_module(tf.EXAMPLE_DIR))
    assert tf.unquote(example_vars["hadoop_version"]["default"]) == local


def test_example_tfvars_leaves_the_checksum_to_the_user():
    text = (tf.EXAMPLE_DIR / "terraform.tfvars.example").read_text()
    sha = tf.example_values()["hadoop_sha512"]
    assert not re.fullmatch(r"[0-9a-fA-F]{128}", sha), "no invented checksum in the example"
    assert ".sha512" in text and "archive.apache.org/dist/hadoop/common/hadoop-" in text


def test_example_sets_only_root_variables():
    root_vars = tf.variables(tf.load_module(tf.TF_ROOT))
    call = next(b for labels, b in tf.labelled(tf.load_module(tf.EXAMPLE_DIR), "module", 1))
    for arg in call:
        if arg not in ("source", "__is_block__", "__comments__"):
            assert arg in root_vars, f"the example passes unknown variable {arg}"
    for key in tf.example_values():
        assert key in tf.variables(tf.load_module(tf.EXAMPLE_DIR)), f"tfvars sets unknown {key}"


def test_every_checkov_skip_gives_a_reason():
    skips = []
    for path in tf.TF_ROOT.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                m = re.search(r"#\s*checkov:skip=(CKV2?_[A-Z0-9]+_\d+):(.+)", line)
                assert m and len(m.group(2).strip()) > 20, f"{rel(path)}: {line.strip()}"
                skips.append(m.group(1))
    assert skips, "no skip found: the checker above is not looking at the right comments"


def _module_calls(directory):
    for (name,), body in tf.labelled(tf.load_module(directory), "module", 1):
        source = tf.unquote(body["source"])
        if source.startswith("."):
            yield name, body, (Path(directory) / source).resolve()


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_module_calls_match_the_modules_variables(directory):
    """What `terraform validate` would say about module arguments, offline."""
    for name, body, target in _module_calls(directory):
        declared = tf.variables(tf.load_module(target))
        passed = {k for k in body if not k.startswith("__") and k not in ("source", "providers", "depends_on")}
        assert passed <= set(declared), f"module.{name} gets undeclared {sorted(passed - set(declared))}"
        required = {k for k, v in declared.items() if "default" not in v}
        assert required <= passed, f"module.{name} misses required {sorted(required - passed)}"


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_module_output_references_exist(directory):
    calls = {name: target for name, _, target in _module_calls(directory)}
    text = "".join(p.read_text() for p in Path(directory).glob("*.tf"))
    for name, attr in set(re.findall(r"\bmodule\.([a-z_]+)\.([a-z_0-9]+)", text)):
        assert name in calls, f"module.{name} is not called in {rel(directory)}"
        assert attr in tf.outputs(tf.load_module(calls[name])), f"module.{name} has no output {attr}"


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_var_and_local_references_are_declared(directory):
    module = tf.load_module(directory)
    text = "".join(p.read_text() for p in Path(directory).glob("*.tf"))
    declared_vars, declared_locals = set(tf.variables(module)), set(tf.locals_of(module))
    for ref in set(re.findall(r"\bvar\.([a-z_0-9]+)", text)):
        assert ref in declared_vars, f"{rel(directory)}: var.{ref} is not declared"
    for ref in set(re.findall(r"\blocal\.([a-z_0-9]+)", text)):
        assert ref in declared_locals, f"{rel(directory)}: local.{ref} is not declared"


@pytest.mark.parametrize("directory", tf.module_dirs(), ids=lambda d: str(rel(d)))
def test_resource_and_data_references_are_declared(directory):
    module = tf.load_module(directory)
    text = "".join(p.read_text() for p in Path(directory).glob("*.tf"))
    resources = {(k, n) for k, n, _ in tf.resources(module)}
    data = {labels for labels, _ in tf.labelled(module, "data", 2)}
    ephemeral = {labels for labels, _ in tf.labelled(module, "ephemeral", 2)}
    for kind, name in set(re.findall(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)", text)):
        assert (kind, name) in data, f"{rel(directory)}: data.{kind}.{name} is not declared"
    for kind, name in set(re.findall(r"\bephemeral\.([a-z0-9_]+)\.([a-z0-9_]+)", text)):
        assert (kind, name) in ephemeral, f"{rel(directory)}: ephemeral.{kind}.{name} is not declared"
    for kind, name in set(re.findall(r"(?<![.\w])((?:aws|random)_[a-z0-9_]+)\.([a-z0-9_]+)\b", text)):
        assert (kind, name) in resources, f"{rel(directory)}: {kind}.{name} is not declared"


################################################################################
# The network is the boundary (issue 15): no CIDR path to any Hadoop port
################################################################################

# Hadoop's web UIs and REST APIs, as the issue lists them; test_tf_render adds
# every port the rendered site files name.
HADOOP_UI_PORTS = {9870, 8088, 19888, 9864, 8042}


def cidr_ingress_rules(module):
    """(where, protocol, from port, to port) of every ingress rule whose source is
    an address range (not a security group), with the hadoop-cluster module's
    `each.value.rule[i]` rules resolved from its admin_rules table."""
    admin_rules = tf.locals_of(module).get("admin_rules", {})
    for kind, name, body in tf.resources(module):
        if kind == "aws_vpc_security_group_ingress_rule" and ("cidr_ipv4" in body or "cidr_ipv6" in body
                                                              or "prefix_list_id" in body):
            if "each.value.rule" in str(body.get("from_port")):
                for key, (low, high, proto, _) in admin_rules.items():
                    yield f"{kind}.{name}[{key}]", tf.unquote(proto), low, high
            else:
                yield f"{kind}.{name}", tf.unquote(body["ip_protocol"]), body.get("from_port"), body.get("to_port")
        elif kind == "aws_security_group":
            for rule in tf.sub_blocks(body, "ingress"):
                if rule.get("cidr_blocks") or rule.get("ipv6_cidr_blocks") or rule.get("prefix_list_ids"):
                    yield f"{kind}.{name}", tf.unquote(rule["protocol"]), rule["from_port"], rule["to_port"]
        elif kind == "aws_security_group_rule" and tf.unquote(body.get("type")) == "ingress":
            if body.get("cidr_blocks") or body.get("ipv6_cidr_blocks") or body.get("prefix_list_ids"):
                yield f"{kind}.{name}", tf.unquote(body["protocol"]), body["from_port"], body["to_port"]


def assert_no_cidr_path(ports):
    checked = 0
    for directory in tf.module_dirs():
        for where, proto, low, high in cidr_ingress_rules(tf.load_module(directory)):
            checked += 1
            assert proto not in ("-1", "all"), f"{rel(directory)}: {where} admits every port from a CIDR"
            assert isinstance(low, int) and isinstance(high, int), f"{rel(directory)}: {where}: ports {low}-{high}"
            hit = sorted(p for p in ports if low <= p <= high)
            assert not hit, f"{rel(directory)}: {where} opens Hadoop port(s) {hit} to a CIDR"
    assert checked, "no CIDR ingress rule found: the checker is not looking at the right resources"


def test_no_cidr_reaches_hadoops_web_uis():
    assert_no_cidr_path(HADOOP_UI_PORTS)


def test_admin_cidrs_reach_only_grafana_over_https():
    module = tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster")
    rules = tf.locals_of(module)["admin_rules"]
    assert {k: [tf.unquote(x) for x in v[:3]] for k, v in rules.items()} == {"grafana-https-tcp": [3000, 3000, "tcp"]}
    assert "HTTPS" in rules["grafana-https-tcp"][3]


def test_cluster_members_admit_only_each_other():
    module = tf.load_module(tf.TF_ROOT / "modules" / "hadoop-cluster")
    for _, name, body in tf.resources(module, "aws_vpc_security_group_ingress_rule"):
        if body["security_group_id"] == "${aws_security_group.cluster.id}":
            assert body.get("referenced_security_group_id") == "${aws_security_group.cluster.id}", name
            assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(body), name
    master = next(b for _, n, b in tf.resources(module, "aws_instance") if n == "master")
    worker = next(b for _, n, b in tf.resources(module, "aws_instance") if n == "worker")
    assert worker["vpc_security_group_ids"] == ["${aws_security_group.cluster.id}"]
    assert set(master["vpc_security_group_ids"]) == {"${aws_security_group.cluster.id}", "${aws_security_group.admin.id}"}


def test_ui_outputs_go_through_ssm_port_forwarding():
    text = (tf.TF_ROOT / "outputs.tf").read_text()
    outputs = tf.outputs(tf.load_module(tf.TF_ROOT))
    for ui in ("namenode", "resourcemanager", "jobhistory"):
        assert tf.unquote(outputs[f"{ui}_url"]["value"]).startswith("http://localhost:"), ui
    assert tf.unquote(outputs["grafana_url"]["value"]).startswith("https://localhost:")
    assert 'port_forward = "--document-name AWS-StartPortForwardingSession --parameters"' in text
    for name in ("port_forward_commands", "worker_port_forward_commands", "grafana_port_forward_command"):
        value = str(outputs[name]["value"])
        assert "aws ssm start-session" in value and "local.port_forward" in value and "localPortNumber=" in value
    ui_ports = tf.locals_of(tf.load_module(tf.TF_ROOT))
    assert set(ui_ports["master_ui_ports"].values()) | set(ui_ports["worker_ui_ports"].values()) == \
        HADOOP_UI_PORTS | {3000}


################################################################################
# Everything rendered into user data is validated (issue 15)
################################################################################

def _is_string(body):
    return tf.unquote(str(body["type"])).strip("${}") in ("string", "list(string)")


def test_every_string_cluster_config_renders_is_validated():
    for name, body in tf.variables(tf.load_module(tf.CLUSTER_CONFIG)).items():
        if _is_string(body) and name != "repo_root":  # repo_root: a path on the Terraform machine, never rendered
            assert body.get("validation"), f"cluster-config: variable {name} is rendered without validation"


def test_every_root_string_that_reaches_cluster_config_is_validated():
    root = tf.load_module(tf.TF_ROOT)
    declared = tf.variables(root)
    call = next(b for (name,), b in tf.labelled(root, "module", 1) if name == "cluster_config")
    passed = {m for v in call.values() if isinstance(v, str) for m in re.findall(r"\bvar\.([a-z_0-9]+)", v)}
    assert {"grafana_version", "exporter_outputs_uri", "hadoop_download_base_url"} <= passed
    for name in passed:
        if _is_string(declared[name]):
            assert declared[name].get("validation"), f"root variable {name} reaches user data without validation"


def test_docs_state_the_trust_model_and_the_exact_port_forwarding_command():
    doc = (tf.REPO / "docs" / "terraform.md").read_text()
    trust = doc[doc.index("## Trust model"):doc.index("## Security defaults")]
    for words in ("simple", "user.name", "no CIDR path", "AWS-StartPortForwardingSession", "admin_cidrs",
                  "RFC 1918", "HTTPS", "self-signed", "User data is data"):
        assert words in trust, words
    assert ("aws ssm start-session --region us-east-1 --target i-0123456789abcdef0 \\\n"
            "  --document-name AWS-StartPortForwardingSession \\\n"
            "  --parameters portNumber=9870,localPortNumber=9870") in doc
    for name in ("hadoop_sha512", "grafana_deb_sha256", "ssm_agent_sha256"):
        assert f"`{name}`" in doc[doc.index("## What you must set"):doc.index("## Walk-through")], name
