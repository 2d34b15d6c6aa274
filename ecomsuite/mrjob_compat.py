"""What mrjob 0.7.4 needs from the standard library that newer Pythons removed.

mrjob (unmaintained since 2020) imports three things that are gone:

  ``pipes.quote``                      ``pipes`` was removed in Python 3.13
  ``distutils.version.LooseVersion``   ``distutils`` was removed in Python 3.12
  ``distutils.spawn.find_executable``  (setuptools brings a copy back, when installed)

Import this module before mrjob, in every process that imports mrjob: the job
scripts (also when they run as map and reduce tasks), the CLIs and the tests::

    import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob)
    # isort: split
    from mrjob.job import MRJob

Where the real module can be imported it is used, untouched (3.10 and 3.11
have ``distutils`` and ``pipes``, 3.12 has ``pipes``, and any Python has
``distutils`` through setuptools' shim when setuptools is installed and
SETUPTOOLS_USE_DISTUTILS is not ``stdlib``). Only what is missing is put in
``sys.modules``: small modules providing exactly the names mrjob uses, with
the behaviour it relies on. Nothing of mrjob is copied.

One method of mrjob is replaced, by ``fix_local_runner()`` (called before a runner
is made by every job of the suite, through ``FixedLocalRunner``): the local runner's
``_run_multiple``, whose ``multiprocessing.Pool.terminate()`` after a failed task
can hang for ever (CPython issues #96995, #73945, #78178, open; seen here on
3.12.1 under load: the pool's task-handler thread blocked on the queue's lock,
the main thread in ``join``). The replacement runs the same pickled functions in a
``concurrent.futures.ProcessPoolExecutor``; after a failure it starts no more of
them, lets the ones already running finish (at most one per core), and raises the
first error, as mrjob did.
"""

import os
import re
import shlex
import sys
import types
import warnings

# the modules provided when missing, for the tests and for `python -m ecomsuite.mrjob_compat`
PROVIDED = {}


class LooseVersion:
    """A version string compared component by component, as distutils' LooseVersion:
    runs of digits compare as numbers, runs of letters as text, dots separate
    ("2.10.1" > "2.9", "3.3.6" > "3.3"). mrjob sorts and compares Hadoop versions
    with it."""

    _component = re.compile(r"(\d+|[a-z]+|\.)")

    def __init__(self, vstring=None):
        if vstring is not None:
            self.parse(vstring)

    def parse(self, vstring):
        self.vstring = vstring
        parts = [p for p in self._component.split(vstring) if p and p != "."]
        self.version = [int(p) if p.isdigit() else p for p in parts]
        return self

    def __str__(self):
        return self.vstring

    def __repr__(self):
        return f"LooseVersion ('{self}')"

    def _other(self, other):
        if isinstance(other, str):
            return LooseVersion(other).version
        if isinstance(other, LooseVersion):
            return other.version
        return NotImplemented

    def _compare(self, other, op):
        other = self._other(other)
        if other is NotImplemented:
            return NotImplemented
        return op(self.version, other)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    __hash__ = None


def find_executable(executable, path=None):
    """The path of `executable` (a file of that name, as given, or in a directory of
    `path`, default $PATH), or None: distutils.spawn.find_executable's contract."""
    if os.path.isfile(executable):
        return executable
    if path is None:
        path = os.environ.get("PATH", os.defpath)
    for directory in path.split(os.pathsep) if path else ():
        candidate = os.path.join(directory, executable)
        if os.path.isfile(candidate):
            return candidate
    return None


def _module(name, doc, **names):
    module = types.ModuleType(name, doc)
    module.__dict__.update(names)
    return module


def _importable(name):
    try:
        with warnings.catch_warnings():  # "pipes/distutils is deprecated" on 3.10-3.12
            warnings.simplefilter("ignore", DeprecationWarning)
            __import__(name)
        return True
    except ImportError:
        return False


def install():
    """Put in sys.modules what mrjob imports and this Python lacks; idempotent."""
    if not _importable("pipes"):
        PROVIDED["pipes"] = sys.modules["pipes"] = _module(
            "pipes", "pipes.quote for mrjob (ecomsuite.mrjob_compat)", quote=shlex.quote)
    if not (_importable("distutils.version") and _importable("distutils.spawn")):
        for name in [n for n in sys.modules if n == "distutils" or n.startswith("distutils.")]:
            del sys.modules[name]  # a half-imported distutils: replace it whole
        package = _module("distutils", "the parts of distutils mrjob uses "
                          "(ecomsuite.mrjob_compat)")
        package.__path__ = []
        package.version = _module("distutils.version", None, LooseVersion=LooseVersion)
        package.spawn = _module("distutils.spawn", None, find_executable=find_executable)
        for module in (package, package.version, package.spawn):
            PROVIDED[module.__name__] = sys.modules[module.__name__] = module


install()


def _run_multiple(self, funcs, num_processes=None):
    """LocalMRJobRunner._run_multiple without Pool.terminate() (see the module's doc)."""
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
    from functools import partial

    from mrjob.local import _pickle_safe

    with ProcessPoolExecutor(max_workers=self._opts["num_cores"] or None) as pool:
        futures = [pool.submit(partial(_pickle_safe, func)) for func in funcs]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()           # not started yet: never started
        for future in futures:        # the first error, in the tasks' order
            if not future.cancelled() and future.exception() is not None:
                raise future.exception()


def fix_local_runner():
    """Replace mrjob's LocalMRJobRunner._run_multiple (idempotent); call it before
    making a runner. Importing mrjob.local here, not at import, keeps it out of the
    map and reduce tasks' start-up."""
    from mrjob.local import LocalMRJobRunner
    LocalMRJobRunner._run_multiple = _run_multiple


class FixedLocalRunner:
    """Mixed into a job class before MRJob (``class MRX(FixedLocalRunner, MRJob)``):
    its runner is made after ``fix_local_runner()``, so a failed task on the local
    runner ends the job instead of hanging it."""

    def make_runner(self):
        fix_local_runner()
        return super().make_runner()


if __name__ == "__main__":
    import mrjob

    where = ", ".join(sorted(PROVIDED)) or "nothing (this Python has them all)"
    print(f"Python {sys.version.split()[0]}: mrjob {mrjob.__version__} imported; "
          f"provided by ecomsuite.mrjob_compat: {where}")
