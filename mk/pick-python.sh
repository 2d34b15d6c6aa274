#!/bin/sh
# The Python interpreter `make setup` builds a virtualenv with.
#
#   mk/pick-python.sh [WANTED] [VENV_LINK]
#
# WANTED: a command (python3.12), a path, or a version (3.12); empty: the one
# VENV_LINK (.venv) was last built with, else the newest supported Python found.
# Looks on PATH first, then in pyenv's versions (pyenv's shims refuse a version
# that is not selected, so `python3.13` may exist only there).
# Prints "X.Y /absolute/path/to/python" and exits 0, or prints why not to stderr
# and exits 1. Supported = python_requires in setup.cfg: keep the two in step.
SUPPORTED="3.13 3.12 3.11 3.10"
wanted=$1
link=${2:-.venv}

# "X.Y" of a working interpreter (supported version, with venv and ensurepip), else nothing
probe() {
    v=$("$1" -c 'import sys, venv, ensurepip
v = "%d.%d" % sys.version_info[:2]
print(v if v in sys.argv[1].split() else "")' "$SUPPORTED" 2>/dev/null)
    case " $SUPPORTED " in
        *" $v "*) [ -n "$v" ] && echo "$v" ;;
    esac
}

# every candidate path for a command or version, PATH first, then pyenv's
candidates() {
    name=$1
    case $name in [0-9]*) name=python$name ;; esac
    case $name in
        */*) echo "$name"; return ;;
    esac
    command -v "$name" 2>/dev/null
    root=${PYENV_ROOT:-$HOME/.pyenv}
    command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null || echo "$root")
    # newest patch release first
    ls -d "$root"/versions/*/bin/"$name" 2>/dev/null | sort -V -r
}

first_working() {
    for path in $(candidates "$1"); do
        version=$(probe "$path")
        if [ -n "$version" ]; then
            echo "$version $(cd "$(dirname "$path")" && pwd)/$(basename "$path")"
            return 0
        fi
    done
    return 1
}

if [ -n "$wanted" ]; then
    first_working "$wanted" && exit 0
    found=$(for p in $(candidates "$wanted"); do
        printf ' %s (%s)' "$p" "$("$p" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'does not run')"
    done)
    echo "error: PYTHON=$wanted: no working Python $(echo "$SUPPORTED" | tr ' ' '/') with venv and ensurepip" \
         "found${found:+ (tried:$found)}." >&2
    echo "       Install one (e.g. apt-get install python3-venv, or pyenv install 3.12) or name another:" \
         "make setup PYTHON=python3.11" >&2
    exit 1
fi

# no choice given: keep the interpreter the current virtualenv was built with
target=$(readlink "$link" 2>/dev/null)
if [ -n "$target" ] && [ -f "$target/.base-python" ]; then
    base=$(cat "$target/.base-python")
    version=$(probe "$base")
    [ -n "$version" ] && { echo "$version $base"; exit 0; }
fi
for version in $SUPPORTED; do
    first_working "python$version" && exit 0
done
first_working python3 && exit 0
echo "error: no Python $(echo "$SUPPORTED" | tr ' ' '/') with venv and ensurepip found on PATH or in pyenv." >&2
echo "       Install one (e.g. apt-get install python3.12-venv) or name it: make setup PYTHON=/path/to/python3.12" >&2
exit 1
