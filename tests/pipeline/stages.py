# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bodies of the project's own nox sessions (noxfile.py declares them).

Each function takes the nox session, does its work through the project's venvs (.venvs/, made
from tests/requirements/), and returns a results.Counts: what it tested, passed and failed.
"""

import glob
import os
import random
import shlex
import shutil
import subprocess
import sys

from . import checks, common, emulator, matrix
from .common import ROOT, SCRATCH, SEED
from .results import Counts, integration_counts, junit_counts, junit_files


def sh(cmd, cwd=ROOT, env=None, stdout=None):
    """Run a command (shown first); its output goes to the session's output. Returns its status."""
    print("$ %s%s" % ("(cd %s) " % os.path.relpath(cwd, ROOT) if cwd != ROOT else "", " ".join(shlex.quote(str(c)) for c in cmd)))
    sys.stdout.flush()
    run_env = dict(os.environ)
    run_env.update(env or {})
    return subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=run_env, stdin=subprocess.DEVNULL,
                          stdout=stdout, check=False).returncode


def exit_status(counts, rc, what):
    """A command that failed without any failed test counted is one failure."""
    if rc != 0 and counts.failed == 0:
        counts.failed += 1
        counts.notes.append("%s exited with %d" % (what, rc))
    return counts


def scratch(name):
    path = os.path.join(SCRATCH, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


# ---------------------------------------------------------------- emulator's own tests
def emulator_tests(session):
    venv = common.emulator_venv()
    junit = os.path.join(common.OUTPUT, "junit", "emulator.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    rc = sh([common.venv_python(venv), "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", junit, "tests"]
            + list(session.posargs), cwd=os.path.join(ROOT, "tests", "emulator"),
            env={"PYTHONPATH": os.path.join(ROOT, "tests", "emulator")})
    counts, dummy = junit_counts([junit] if os.path.exists(junit) else [])
    return exit_status(counts, rc, "pytest")


# ---------------------------------------------------------------- repository checks
def repo_checks(session):
    """No sanity ignore file, one standard seed that loads, and the pipeline's own tests."""
    counts = Counts()
    counts.add(checks.no_sanity_ignores(ROOT))
    counts.add(checks.one_seed(ROOT))
    venv = common.emulator_venv()
    rc = sh([common.venv_python(venv), "-m", "pipeline.checks", "seed", ROOT],
            env={"PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "tests", "emulator"), os.path.join(ROOT, "tests")])})
    # It prints its own ok / not ok line.
    counts.add(Counts(passed=int(rc == 0), failed=int(rc != 0)))
    # The pipeline's own tests (tests/pipeline/tests).
    junit = os.path.join(common.OUTPUT, "junit", "pipeline.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    rc = sh([common.venv_python(venv), "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", junit, "tests/pipeline/tests"],
            env={"PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "emulator")])})
    tests, dummy = junit_counts([junit] if os.path.exists(junit) else [])
    return counts.add(exit_status(tests, rc, "pytest"))


# ---------------------------------------------------------------- artifact and decoys
def build(venv, tree, dest):
    os.makedirs(dest, exist_ok=True)
    rc = sh([os.path.join(venv, "bin", "ansible-galaxy"), "collection", "build", "--force", "--output-path", dest],
            cwd=tree, env=common.venv_env(venv))
    found = sorted(glob.glob(os.path.join(dest, "capgo-cloud-*.tar.gz")))
    return found[0] if rc == 0 and found else None


def artifact(session):
    counts = Counts()
    venv = common.core_venv(matrix.LATEST)
    work = scratch("artifact")
    clean = common.lay_out("artifact/clean", git_init=False)
    mark = "capgo-decoy-%d-%d" % (os.getpid(), random.randint(10 ** 8, 10 ** 9))
    tarball = build(venv, clean, os.path.join(work, "dist"))
    if not counts.check(tarball is not None, "ansible-galaxy collection build"):
        return counts
    counts.add(checks.check_artifact(tarball, "artifact", clean, mark))
    seeded = common.lay_out("artifact/seeded", git_init=False)
    checks.plant_decoys(seeded, mark)
    tarball = build(venv, seeded, os.path.join(work, "dist-seeded"))
    if counts.check(tarball is not None, "ansible-galaxy collection build of the tree seeded with decoys"):
        counts.add(checks.check_artifact(tarball, "seeded", clean, mark, checks.DECOYS))
    return counts


# ---------------------------------------------------------------- changelog
def changelog(session):
    counts = Counts()
    venv = common.ensure_venv("docs", [os.path.join(common.REQ_DIR, "docs.txt")])
    tree = common.lay_out("changelog", git_init=False)
    tool = os.path.join(venv, "bin", "antsibull-changelog")
    env = common.venv_env(venv, ANSIBLE_COLLECTIONS_PATH=os.path.join(SCRATCH, "changelog"), **common.antsibull_env())
    counts.check(sh([tool, "lint"], cwd=tree, env=env) == 0, "antsibull-changelog lint")
    with open(os.path.join(tree, "CHANGELOG.rst")) as handle:
        before = handle.read()
    rc = sh([tool, "generate"], cwd=tree, env=env, stdout=subprocess.DEVNULL)
    with open(os.path.join(tree, "CHANGELOG.rst")) as handle:
        after = handle.read()
    counts.check(rc == 0 and before == after, "CHANGELOG.rst is what antsibull-changelog generate writes from changelogs/changelog.yaml")
    counts.add(checks.changelog_rules(ROOT))
    return counts


# ---------------------------------------------------------------- docs
SITE_PAGES = ("index.html", "docsite/quickstart.html", "docsite/guide_environments.html", "docsite/guide_release.html",
              "docsite/guide_awx.html", "docsite/guide_limits.html", "docsite/guide_testing.html",
              "docsite/guide_performance.html", "capgo_channel_module.html")


def docs(session):
    from . import docs as docs_build
    counts = Counts()
    out = scratch("docs-session")
    counts.check(docs_build.build(os.path.join(out, "build")) == 0, "the docs site builds (antsibull-docs, sphinx-build -W -n, internal links)")
    for page in SITE_PAGES:
        counts.check(os.path.getsize(os.path.join(out, "build", "html", page)) > 0
                     if os.path.exists(os.path.join(out, "build", "html", page)) else False, "site has %s" % page)
    # The link checker must notice a broken link and a missing anchor.
    site = os.path.join(out, "broken-site")
    os.makedirs(os.path.join(site, "sub"))
    with open(os.path.join(site, "index.html"), "w") as handle:
        handle.write('<a href="sub/b.html#here">b</a> <a href="https://example.com/">x</a>\n')
    with open(os.path.join(site, "sub", "b.html"), "w") as handle:
        handle.write('<p id="there">b</p> <a href="../missing.html">m</a> <img src="/_static/logo.png">\n')
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_html_links.py"), site],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False)
    reported = [line for line in done.stdout.splitlines() if line.startswith("not ok:")]
    counts.check(done.returncode != 0 and len(reported) == 3,
                 "check_html_links.py refuses a missing file, a missing anchor and a missing site-absolute file")
    return counts


# ---------------------------------------------------------------- ansible-test
def ansible_test(core, tree, *args):
    venv = common.core_venv(core)
    # ansible-core and ansible-lint may leave an installed copy of the collection in .ansible/.
    shutil.rmtree(os.path.join(tree, ".ansible"), ignore_errors=True)
    return sh([os.path.join(venv, "bin", "ansible-test")] + list(args), cwd=tree, env=common.venv_env(venv))


def ensure_shellcheck():
    """ansible-test sanity skips its shellcheck test without the program: install Debian's."""
    if shutil.which("shellcheck"):
        return True
    if os.geteuid() != 0:
        print("shellcheck is missing and this is not root: apt-get install shellcheck")
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "shellcheck"], env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "shellcheck"], env=env, check=False)
    return bool(shutil.which("shellcheck"))


# Sanity tests that ansible-test skips when the collection has no file of their kind (it reports
# them like a skip for a missing program): test name -> the file extensions it checks.
NOTHING_TO_CHECK = {"pslint": (".ps1", ".psm1", ".psd1")}


def nothing_to_check(tree, skipped_name):
    """A skipped sanity test ("sanity pslint-python-3.13") has no file of its kind in the tree."""
    test = skipped_name.split()[-1]
    test = test.split("-python-")[0]
    extensions = NOTHING_TO_CHECK.get(test)
    return bool(extensions) and not any(path.endswith(extensions) for path in common.tracked_files(tree))


def sanity(session, core):
    counts = checks.no_sanity_ignores(ROOT)
    counts.check(ensure_shellcheck(), "shellcheck is installed (ansible-test would skip its test)")
    venv = common.core_venv(core)
    ensure_get_pip(venv)
    tree = common.lay_out("sanity-%s" % core)
    rc = ansible_test(core, tree, "sanity", "--venv", "--python", common.python_version_of(core), "--junit",
                      *session.posargs)
    tests, skipped = junit_counts(junit_files(os.path.join(tree, "tests", "output", "junit")))
    # No test may be skipped (for a missing program, say): a skipped test counts as failed, but for
    # a test that has nothing to check in this collection (NOTHING_TO_CHECK), which stays skipped.
    refused = [name for name in skipped if not nothing_to_check(tree, name)]
    tests.failed += len(refused)
    tests.skipped -= len(refused)
    if refused:
        tests.notes.append("skipped: %s" % ", ".join(refused))
    return exit_status(counts.add(tests), rc, "ansible-test sanity")


def units(session, core):
    tree = common.lay_out("units-%s" % core)
    rc = ansible_test(core, tree, "units", "--local", "--python", common.python_version_of(core), *session.posargs)
    counts, dummy = junit_counts(junit_files(os.path.join(tree, "tests", "output", "junit")))
    return exit_status(counts, rc, "ansible-test units")


def integration_targets(tree):
    base = os.path.join(tree, "tests", "integration", "targets")
    return sorted(d for d in os.listdir(base) if not d.startswith(("setup_", "prepare_")))


def integration(session, core):
    import yaml
    tree = common.lay_out("integration-%s" % core)
    if session.posargs:
        targets = list(session.posargs)
    elif os.environ.get("TARGETS"):
        targets = os.environ["TARGETS"].split()
    elif core in matrix.SUBSET_CORES:
        targets = list(matrix.INTEGRATION_SUBSET)
        print("ansible-core %s: the representative subset of tests/pipeline/matrix.py" % core)
    else:
        targets = integration_targets(tree)
    emu_python = common.venv_python(common.emulator_venv())
    logs = os.path.join(SCRATCH, "integration-%s" % core, "emulator")
    with emulator.running(logs, seed=SEED, python=emu_python) as emu:
        extra = {}
        https = None
        if "capgo_https" in targets:
            # The HTTPS emulator of capgo_https: a private CA that the system does not trust.
            ca = os.path.join(logs, "https-ca.pem")
            https = emulator.start(logs, seed=SEED, python=emu_python, name="emulator-https",
                                   extra_args=["--tls", "self-signed", "--tls-ca-out", ca])
            extra = {"capgo_https_url": https.url, "capgo_https_ca": ca}
        try:
            config = checks.integration_config(os.path.join(tree, "examples", "seed.yml"), emu.url, extra)
            with open(os.path.join(tree, "tests", "integration", "integration_config.yml"), "w") as handle:
                handle.write("---\n" + yaml.safe_dump(config, default_flow_style=False, sort_keys=False))
            print("emulator (pid %d) on %s; logs in %s" % (emu.pid, emu.url, os.path.relpath(logs, ROOT)))
            rc = ansible_test(core, tree, "integration", "--local", "--python", common.python_version_of(core),
                              "--continue-on-error", *targets)
        finally:
            if https is not None:
                https.stop()
    counts = integration_counts(os.path.join(tree, "tests", "output"), targets)
    return exit_status(counts, rc, "ansible-test integration")


# ---------------------------------------------------------------- get-pip stand-in
def ansible_test_pip_version(venv):
    """The pip version ansible-test bootstraps in its venvs, as ansible-test itself computes it
    (get_venv_packages, the function its base test container is built from)."""
    code = ("import sys, types\n"
            "from ansible_test._internal.python_requirements import get_venv_packages\n"
            "print(get_venv_packages(types.SimpleNamespace(version='%d.%d' % sys.version_info[:2]))['pip'])\n")
    return subprocess.run([common.venv_python(venv), "-c", code], check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout.strip()


def ensure_get_pip(venv):
    """ansible-test sanity --venv bootstraps pip in its venvs with get-pip.py, downloaded once into
    ~/.ansible/test/cache/. Where that download fails (no network but the package registries),
    the stand-in tests/pipeline/get_pip_standin.py goes there instead (DEVELOPING.md)."""
    version = ansible_test_pip_version(venv)
    cache = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if os.path.exists(cache):
        return cache
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    url = "https://ci-files.testing.ansible.com/ansible-test/get-pip-%s.py" % version
    try:
        import urllib.request
        with urllib.request.urlopen(url, timeout=20) as answer:  # nosec - ansible-test's own URL
            data = answer.read()
        with open(cache + ".download", "wb") as handle:
            handle.write(data)
        os.replace(cache + ".download", cache)
        print("get-pip %s: downloaded to %s" % (version, cache))
    except Exception as exc:  # the download is unreachable here: the stand-in
        shutil.copyfile(os.path.join(os.path.dirname(__file__), "get_pip_standin.py"), cache)
        print("get-pip %s: download failed (%s); installed the stand-in at %s" % (version, exc, cache))
    return cache


# ---------------------------------------------------------------- AWX
def build_and_install(venv, name):
    """The collection built from the work tree and installed into .tmp/NAME/collections."""
    tree = common.lay_out("%s/tree" % name, git_init=False)
    tarball = build(venv, tree, os.path.join(SCRATCH, name, "dist"))
    if tarball is None:
        return None, None
    cols = os.path.join(SCRATCH, name, "collections")
    rc = sh([os.path.join(venv, "bin", "ansible-galaxy"), "collection", "install", "--force", "-p", cols, tarball],
            env=common.venv_env(venv))
    return (tree, cols) if rc == 0 else (tree, None)


def installed_for(counts, name):
    """The awx venv, the collection built and installed for session ``name`` (counted as a check), and a
    fresh junit path: (venv, tree, collections path or None, junit)."""
    venv = common.ensure_venv("awx", [os.path.join(common.REQ_DIR, "awx.txt")], common.new_python())
    tree, cols = build_and_install(venv, name)
    if not counts.check(cols is not None, "the collection builds and installs"):
        cols = None
    junit = os.path.join(common.OUTPUT, "junit", "%s.xml" % name)
    if os.path.exists(junit):
        os.unlink(junit)
    return venv, tree, cols, junit


def awx(session):
    counts = Counts()
    venv, tree, cols, junit = installed_for(counts, "awx")
    if cols is None:
        return counts
    emu_python = common.venv_python(common.emulator_venv())
    with emulator.running(os.path.join(SCRATCH, "awx", "emulator"), seed=SEED, python=emu_python) as emu:
        rc = sh([common.venv_python(venv), "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", junit, "tests/awx"]
                + list(session.posargs), cwd=tree,
                env=common.venv_env(venv, CAPGO_AWX_ROOT=tree, CAPGO_AWX_COLLECTIONS=cols, CAPGO_AWX_EMULATOR=emu.url))
    tests, dummy = junit_counts([junit] if os.path.exists(junit) else [])
    return exit_status(counts.add(tests), rc, "pytest")


# ---------------------------------------------------------------- interop with Capgo's own CLI
def interop(session):
    """Capgo's CLI (@capgo/cli pinned in tests/interop/package-lock.json, installed with `npm ci`)
    against the emulator, and the collection (built and installed, ansible-core of the awx venv)
    against what the CLI wrote: tests/interop/run.sh."""
    counts = Counts()
    if not counts.check(shutil.which("node") is not None and shutil.which("npm") is not None,
                        "Node.js and npm are on the PATH (Node.js 20 or newer)"):
        return counts
    venv, dummy_tree, cols, junit = installed_for(counts, "interop")
    if cols is None:
        return counts
    rc = sh([os.path.join(ROOT, "tests", "interop", "run.sh"), "--junitxml", junit] + list(session.posargs),
            env=common.venv_env(venv, PYTHON=common.venv_python(venv),
                                CAPGO_EMULATOR_PYTHON=common.venv_python(common.emulator_venv()),
                                CAPGO_INTEROP_COLLECTIONS=cols))
    tests, dummy = junit_counts([junit] if os.path.exists(junit) else [])
    return exit_status(counts.add(tests), rc, "tests/interop/run.sh")
