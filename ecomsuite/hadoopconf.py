"""Render Hadoop's site files from the templates shared with the Terraform cluster.

    python -m ecomsuite.hadoopconf --check             # lint the templates
    python -m ecomsuite.hadoopconf --out .run/hadoop/conf

``hadoop/templates/<name>.xml.tftpl`` use nothing but ``${variable}``
interpolation (no ``%{`` directives, no ``$$`` escapes, no other ``$``), so
Terraform's ``templatefile()`` and Python's :class:`string.Template` render
them to the same text. ``hadoop/templates/variables.json`` declares every
variable: ``{name: {"description": ..., "local": value}}``; the local values
are this machine's single-node cluster, and may hold ``{root}`` (the
checkout), ``{cache}`` (``.cache/hadoop``), ``{run}`` (``.run/hadoop``),
``{home}`` (the Hadoop home built from Maven jars) and ``{venv}`` (the bin
directory of the suite's Python), resolved here.
"""

import argparse
import json
import os
import re
import shutil
import string
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HADOOP_DIR = os.path.join(ROOT, "hadoop")
TEMPLATES_DIR = os.path.join(HADOOP_DIR, "templates")
STATIC_CONF_DIR = os.path.join(HADOOP_DIR, "conf")   # copied as is (log4j.properties)
VARIABLES_FILE = os.path.join(TEMPLATES_DIR, "variables.json")
TEMPLATE_SUFFIX = ".tftpl"
SITE_FILES = ("core-site.xml", "hdfs-site.xml", "yarn-site.xml", "mapred-site.xml")

# Any "$" or "%{" in a template; a good one is "${name}".
_DOLLAR_RE = re.compile(r"\$(\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\})?|%\{")
_PLACEHOLDERS = ("root", "cache", "run", "home", "venv")


class TemplateError(ValueError):
    """A template or the variables file breaks the shared-template rules."""


def load_variables(path=VARIABLES_FILE):
    """{name: {"description": str, "local": value}} from variables.json."""
    with open(path, encoding="utf-8") as f:
        variables = json.load(f)
    for name, spec in variables.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise TemplateError(f"{path}: variable name {name!r} is not lower_snake_case")
        if not isinstance(spec, dict) or not spec.get("description") or "local" not in spec:
            raise TemplateError(f"{path}: {name} needs a description and a local value")
    return variables


def template_path(site_file):
    return os.path.join(TEMPLATES_DIR, site_file + TEMPLATE_SUFFIX)


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


def local_values(paths, variables=None):
    """Variable values for this machine: variables.json's "local", placeholders resolved.

    `paths`: {"root": ..., "cache": ..., "run": ..., "home": ..., "venv": ...} (absolute).
    """
    variables = load_variables() if variables is None else variables
    values = {}
    for name, spec in variables.items():
        value = str(spec["local"])
        for key in _PLACEHOLDERS:
            value = value.replace("{" + key + "}", paths[key])
        values[name] = value
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
        prog="python -m ecomsuite.hadoopconf",
        description="Check the shared Hadoop site templates, or render them for this machine.")
    parser.add_argument("--check", action="store_true",
                        help="only lint the templates against variables.json")
    parser.add_argument("--out", help="directory to render the site files into")
    args = parser.parse_args(argv)
    problems = check_templates()
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    if args.out:
        from ecomsuite import cluster
        for path in render(args.out, local_values(cluster.Layout().placeholders())):
            print(path)
    elif not args.check:
        parser.error("give --check or --out DIR")
    return 0


if __name__ == "__main__":
    sys.exit(main())
