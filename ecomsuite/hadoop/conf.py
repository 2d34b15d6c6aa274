"""The Hadoop site settings: hadoop/templates/*.xml.tftpl and their one data table,
hadoop/templates/variables.json, which Terraform's cluster-config module renders too.

The templates use nothing but ``${variable}`` interpolation (no ``%{``
directives, no ``$$`` escapes, no other ``$``), so Terraform's
``templatefile()`` and Python's :class:`string.Template` render them to the
same text.

variables.json: ``{name: {"description": ..., "local": value, "per_worker": ...}}``.
``local`` is the local cluster's value (Terraform takes it for every variable
it does not set for AWS); it may hold ``{root}``, ``{cache}``, ``{run}``,
``{home}`` and ``{venv}`` (the bin directory of the suite's Python).
``per_worker`` says how a worker's value differs locally, where all workers
share one machine: a string with ``{worker}`` (``worker-N``),
``{worker_host}`` (``127.0.0.<N+1>``) or ``{worker_octet}``, or
``{"step": S}`` for a port (worker N listens on ``local + S*(N-1)``). On AWS
each worker is its own machine, with the same ports and directories, and
only ``node_host`` differs.

    python -m ecomsuite.hadoop.conf --check             # lint the templates
    python -m ecomsuite.hadoop.conf --out DIR [--worker N]
"""

import argparse
import json
import os
import re
import shutil
import string
import sys

from ecomsuite.hadoop.paths import HADOOP_DIR, ROOT, Layout

TEMPLATES_DIR = os.path.join(HADOOP_DIR, "templates")
STATIC_CONF_DIR = os.path.join(HADOOP_DIR, "conf")   # copied as is (log4j.properties)
VARIABLES_FILE = os.path.join(TEMPLATES_DIR, "variables.json")
TEMPLATE_SUFFIX = ".tftpl"
SITE_FILES = ("core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml")
MAX_REPLICATION = 3                   # as Terraform: min(3, workers)
MAX_WORKERS = 9                       # ports step by 100 from the defaults; 127.0.0.2-10

# Any "$" or "%{" in a template; a good one is "${name}".
_DOLLAR_RE = re.compile(r"\$(\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\})?|%\{")
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


class TemplateError(ValueError):
    """A template or the variables file breaks the shared-template rules."""


def load_variables(path=VARIABLES_FILE):
    """{name: {"description": str, "local": value, ["per_worker": ...]}} from variables.json."""
    with open(path, encoding="utf-8") as f:
        variables = json.load(f)
    for name, spec in variables.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise TemplateError(f"{path}: variable name {name!r} is not lower_snake_case")
        if not isinstance(spec, dict) or not spec.get("description") or "local" not in spec:
            raise TemplateError(f"{path}: {name} needs a description and a local value")
        per_worker = spec.get("per_worker")
        if per_worker is not None and not (
                isinstance(per_worker, str)
                or (isinstance(per_worker, dict) and isinstance(per_worker.get("step"), int)
                    and isinstance(spec["local"], int))):
            raise TemplateError(f"{path}: {name}: per_worker is a string or "
                                "{\"step\": n} (for an integer port)")
    return variables


def template_path(site_file):
    return os.path.join(TEMPLATES_DIR, site_file + TEMPLATE_SUFFIX)


def template_value(site_file, name):
    """The literal value of property `name` in a site template (a setting the local
    runner mirrors: ecomsuite.jobbase's shuffle sort buffer), or None when absent."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(template_path(site_file)).getroot()
    except (OSError, ET.ParseError):
        return None
    for prop in root.iter("property"):
        if prop.findtext("name") == name:
            return prop.findtext("value")
    return None


def template_names(text, source="template"):
    """The variable names a template uses; TemplateError on anything but ``${name}``."""
    names = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _DOLLAR_RE.finditer(line):
            if not m.group("name"):
                raise TemplateError(
                    f"{source}:{lineno}: {m.group(0)!r}: only ${{name}} interpolation is "
                    "allowed (Terraform and string.Template must render alike)")
            names.add(m.group("name"))
    return names


def check_templates(variables=None):
    """Lint every site template against variables.json; return the problems found."""
    variables = load_variables() if variables is None else variables
    problems, used = [], set()
    for site_file in SITE_FILES:
        path = template_path(site_file)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            names = template_names(text, os.path.relpath(path, ROOT))
        except TemplateError as e:
            problems.append(str(e))
            continue
        used |= names
        problems += [f"{os.path.relpath(path, ROOT)}: ${{{n}}} is not declared in variables.json"
                     for n in sorted(names - set(variables))]
    problems += [f"variables.json: {n} is declared but no template uses it"
                 for n in sorted(set(variables) - used)]
    return problems


def _fill(value, placeholders):
    def repl(m):
        if m.group(1) not in placeholders:
            raise TemplateError(f"variables.json: unknown placeholder {m.group(0)} in {value!r}")
        return placeholders[m.group(1)]
    return _PLACEHOLDER_RE.sub(repl, str(value))


def local_values(placeholders, variables=None, worker=None):
    """Variable values for this machine: variables.json's "local", placeholders resolved;
    for worker N (1-based) its "per_worker" values. `placeholders`: Layout.placeholders()."""
    variables = load_variables() if variables is None else variables
    values = {}
    for name, spec in variables.items():
        per_worker = spec.get("per_worker") if worker is not None else None
        if isinstance(per_worker, dict):
            values[name] = str(spec["local"] + per_worker["step"] * (worker - 1))
        else:
            values[name] = _fill(per_worker if per_worker is not None else spec["local"],
                                 placeholders)
    return values


def cluster_values(layout, workers=1, overrides=None, worker=None):
    """The values of the master (worker=None) or of worker N in a cluster of `workers`.

    Cluster-wide: replication min(workers, 3); each worker's memory is the
    single node's share (at least 1536 MB) so the machine is not promised
    `workers` times its memory. `overrides` ({name: value}) win (the fault tests
    shorten the dead-node timeouts this way; never in the templates)."""
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be 1-{MAX_WORKERS}, not {workers}")
    variables = load_variables()
    values = local_values(layout.placeholders(worker), variables, worker)
    values["dfs_replication"] = str(min(workers, MAX_REPLICATION))
    memory = max(1536, int(variables["nodemanager_memory_mb"]["local"]) // workers // 256 * 256)
    values["nodemanager_memory_mb"] = str(memory)
    values["container_max_mb"] = str(min(memory, int(values["container_max_mb"])))
    for name, value in (overrides or {}).items():
        if name not in variables:
            raise TemplateError(f"override of an undeclared variable: {name}")
        values[name] = str(value)
    return values


def render_text(text, values):
    """Render one template; KeyError names a missing variable."""
    return string.Template(text).substitute(values)


def render(out_dir, values):
    """Write the site files (and hadoop/conf/*) into `out_dir`; return the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for site_file in SITE_FILES:
        with open(template_path(site_file), encoding="utf-8") as f:
            text = render_text(f.read(), values)
        target = os.path.join(out_dir, site_file)
        with open(target + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(target + ".tmp", target)
        written.append(target)
    for name in sorted(os.listdir(STATIC_CONF_DIR)):
        shutil.copyfile(os.path.join(STATIC_CONF_DIR, name), os.path.join(out_dir, name))
        written.append(os.path.join(out_dir, name))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ecomsuite.hadoop.conf",
        description="Check the shared Hadoop site templates, or render them for this machine.")
    parser.add_argument("--check", action="store_true",
                        help="only lint the templates against variables.json")
    parser.add_argument("--out", help="directory to render the site files into")
    parser.add_argument("--workers", type=int, default=1, help="workers in the cluster")
    parser.add_argument("--worker", type=int, help="render worker N's files (default: master)")
    args = parser.parse_args(argv)
    problems = check_templates()
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    if args.out:
        values = cluster_values(Layout(), args.workers, worker=args.worker)
        for path in render(args.out, values):
            print(path)
    elif not args.check:
        parser.error("give --check or --out DIR")
    return 0


if __name__ == "__main__":
    sys.exit(main())
