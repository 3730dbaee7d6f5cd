"""The test pipeline of capgo.cloud: every stage is a nox session (`nox -l` lists them).

`make test` runs them all, in the order declared here, through tests/pipeline/run.py, which
prints the per-session table. One session: `nox -s integration-2.21` (with .venvs/nox/bin/nox,
which `make test` creates). How to add a session: docs/DEVELOPING.md.

- antsibull-nox's sessions (configured in antsibull-nox.toml): docs-check, ansible-lint,
  build-import-check (galaxy-importer; here also: no WARNING or ERROR line) and extra-checks.
- The project's own (bodies in tests/pipeline/): emulator, checks, artifact, changelog, docs,
  readme, sanity-<core>, units-<core>, integration-<core>, interop, awx. They run without a nox venv
  (venv_backend "none") in the project's pinned venvs under .venvs/, shared between sessions.
"""

import functools
import os
import sys

import nox

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))

from pipeline import checks, common, matrix, results, stages  # noqa: E402
from pipeline.readme import readme_session  # noqa: E402

try:
    import antsibull_nox
except ImportError:
    print("You need to install antsibull-nox in the same Python environment as nox.")
    sys.exit(1)

common.setup_environment()
sys.stdout.reconfigure(line_buffering=True)  # the sessions' lines in order with their commands' output
nox.options.envdir = os.path.join(common.VENVS, "nox-sessions")
common.drop_moved_venvs(nox.options.envdir)
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

antsibull_nox.load_antsibull_nox_toml()


# ---------------------------------------------------------------- antsibull-nox's sessions
def _in_clone(func):
    """antsibull-docs logs to ~/antsibull.log and ansible-lint keeps caches under ~: their HOME is
    the clone's .tmp/antsibull-home (pip keeps its own cache)."""

    @functools.wraps(func)
    def wrapper(session):
        session.env.update(common.antsibull_env())
        return func(session)

    return wrapper


class _ImporterLog:
    """The session, with galaxy-importer's output kept (antsibull-nox only fails on ERROR lines)."""

    def __init__(self, session):
        self._session = session
        self.logs = []

    def __getattr__(self, name):
        return getattr(self._session, name)

    def run(self, *args, **kwargs):
        out = self._session.run(*args, **kwargs)
        if "galaxy_importer.main" in args:
            self.logs.append(out or "")
        return out


def _strict_importer(func):
    @functools.wraps(func)
    def wrapper(session):
        proxy = _ImporterLog(session)
        func(proxy)
        counts = results.Counts()
        for log in proxy.logs:
            print(log)
            counts.add(checks.importer_log(log))
        counts.check(bool(proxy.logs), "galaxy-importer ran")
        results.write(session.name, counts)
        if counts.failed:
            session.error("galaxy-importer: %d problem(s) (above)" % counts.failed)

    return wrapper


_registry = nox.registry.get()
_registry["build-import-check"].func = _strict_importer(_registry["build-import-check"].func)
for _name in ("docs-check", "ansible-lint", "build-import-check", "extra-checks"):
    _registry[_name].func = _in_clone(_registry[_name].func)
    _registry[_name].tags = list(_registry[_name].tags or []) + ["checks"]


# ---------------------------------------------------------------- the project's own sessions
def stage(name, tags=()):
    """Declare a session NAME whose body returns results.Counts (tests/pipeline/results.py)."""

    def decorate(body):
        @functools.wraps(body)
        def session_func(session):
            results.clear(session.name)
            counts = body(session)
            results.write(session.name, counts)
            if counts.failed:
                session.error("%d failed%s" % (counts.failed, ": " + "; ".join(counts.notes) if counts.notes else ""))

        session_func.__doc__ = body.__doc__
        return nox.session(name=name, venv_backend="none", tags=list(tags))(session_func)

    return decorate


@stage("emulator", tags=["emulator"])
def emulator(session):
    """The emulator's own pytest suite (tests/emulator/tests)."""
    return stages.emulator_tests(session)


@stage("checks", tags=["checks"])
def repo_checks(session):
    """No sanity ignore file; one standard seed (examples/seed.yml), and it loads; the pipeline's own tests."""
    return stages.repo_checks(session)


@stage("artifact", tags=["checks"])
def artifact(session):
    """ansible-galaxy collection build; a build of a tree seeded with decoys packs none of them."""
    return stages.artifact(session)


@stage("changelog", tags=["checks"])
def changelog(session):
    """antsibull-changelog lint, CHANGELOG.rst up to date, version_added of what no release lists."""
    return stages.changelog(session)


@stage("docs", tags=["docs"])
def docs(session):
    """`make docs` (antsibull-docs, Sphinx -W -n, internal links) into .tmp/; the link checker's own check."""
    return stages.docs(session)


@stage("readme", tags=["readme"])
def readme(session):
    """Every command README.md shows, on the latest core; its first playbook also with --check --diff."""
    return readme_session(session)


def _per_core(kind, body, cores, doc):
    for core in cores:
        def session_body(session, core=core):
            return body(session, core)

        session_body.__doc__ = doc % {"core": core, "python": common.python_version_of(core)}
        stage("%s-%s" % (kind, core), tags=[kind, "core-%s" % core])(session_body)


_per_core("sanity", stages.sanity, matrix.SANITY_CORES,
          "ansible-test sanity on ansible-core %(core)s (Python %(python)s): zero ignores, no test skipped.")
_per_core("units", stages.units, matrix.CORES, "ansible-test units on ansible-core %(core)s (Python %(python)s).")
_per_core("integration", stages.integration, matrix.CORES,
          "ansible-test integration on ansible-core %(core)s (Python %(python)s) against the emulator.")


@stage("interop", tags=["interop"])
def interop(session):
    """Capgo's own CLI (pinned, npm ci) against the emulator, and the collection against what the CLI wrote."""
    return stages.interop(session)


@stage("awx", tags=["awx"])
def awx(session):
    """The collection playbooks as AWX jobs (ansible-runner) and the EE build context, on the latest core."""
    return stages.awx(session)


# The pipeline, in order (tests/pipeline/matrix.py): what `nox` and `make test` run. A session
# left out there runs only when named, like antsibull-nox's matrix-generator.
nox.options.sessions = list(matrix.PIPELINE)


if __name__ == "__main__":
    nox.main()
