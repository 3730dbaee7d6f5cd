# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths, the environment of every session, venvs and the laid-out collection tree.

Standard library only (it runs in the nox venv and under the machine's python3.11).
Everything is written inside the clone (ignored folders), except what DEVELOPING.md lists:
the CPython 3.13 build cache (scripts/build-python.sh) and ansible-test's own venvs and cache.
"""

import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQ_DIR = os.path.join(ROOT, "tests", "requirements")
VENVS = os.path.join(ROOT, ".venvs")
OUTPUT = os.path.join(ROOT, "tests", "output")
LOGS = os.path.join(OUTPUT, "logs")
RESULTS = os.path.join(OUTPUT, "pipeline")
SCRATCH = os.path.join(ROOT, ".tmp")
TMPDIR = os.path.join(SCRATCH, "tmp")
# A HOME for antsibull-docs, which logs to ~/antsibull.log whatever it is asked.
ANTSIBULL_HOME = os.path.join(SCRATCH, "antsibull-home")
SEED = os.path.join(ROOT, "examples", "seed.yml")
# TMPDIR + "/pymp-XXXXXXXX/listener-XXXXXXXX" must fit a Unix socket path (107 characters).
MAX_TMPDIR = 70

# The interpreter of the venvs of ansible-core < 2.20 and of the tools.
PYTHON = os.environ.get("PYTHON", "python3.11")
# Cores >= 2.20 need Python >= 3.12: the CPython 3.13 that scripts/build-python.sh builds.
NEW_PYTHON_FROM = (2, 20)
# Bump to rebuild every venv (after changing how venvs are made).
VENV_FORMAT = "2"

# The settings of the modules' fallbacks: a developer's own must not leak into tests.
CAPGO_VARS = ("CAPGO_API_KEY", "CAPGO_TOKEN", "CAPGO_API_URL", "CAPGO_FILES_URL", "CAPGO_ENCRYPTION_KEY",
              "CAPGO_TIMEOUT", "CAPGO_RETRIES", "CAPGO_VALIDATE_CERTS", "CAPGO_CA_PATH", "CAPGO_SESSION_TOKEN",
              "CAPGO_LOOKUP_API_KEY")


def setup_environment(environ=None):
    """The environment every session runs in (noxfile.py calls this on import)."""
    env = os.environ if environ is None else environ
    for name in CAPGO_VARS:
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    # Temporary files (pytest's tmp_path, mktemp, tempfile) and virtualenv's app data (the
    # seed wheels nox's venvs are made from) stay in the clone's ignored folders. A run inside a
    # run (the readme session's `make demo` in a copy of the tree) keeps the outer TMPDIR:
    # multiprocessing's sockets there (ansible-core 2.21's RPC host) must stay within the
    # 107 characters of a Unix socket path, so TMPDIR must stay short.
    if not env.get("CAPGO_PIPELINE_TMPDIR"):
        if len(TMPDIR) <= MAX_TMPDIR:
            os.makedirs(TMPDIR, exist_ok=True)
            env["TMPDIR"] = env["CAPGO_PIPELINE_TMPDIR"] = TMPDIR
        else:
            say("the clone's path is long: TMPDIR stays %s (not %s)" % (env.get("TMPDIR", "/tmp"), TMPDIR))
            env["CAPGO_PIPELINE_TMPDIR"] = env.get("TMPDIR", "/tmp")
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = os.path.join(VENVS, "virtualenv-app-data")
    # ansible-core imports cryptography's DSA, which cryptography 50 deprecates with a warning on
    # every start: that one warning (neither ours nor the tools') is filtered.
    env["PYTHONWARNINGS"] = "ignore:DSA is deprecated"
    return env


def antsibull_env():
    """Environment overrides for antsibull-docs: its log lands in the clone, pip keeps its cache."""
    os.makedirs(ANTSIBULL_HOME, exist_ok=True)
    return {"HOME": ANTSIBULL_HOME,
            "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or os.path.expanduser("~/.cache/pip")}


def say(*args):
    print(*args)
    sys.stdout.flush()


# ---------------------------------------------------------------- venvs
def core_tuple(core):
    return tuple(int(part) for part in core.split(".")[:2])


def new_python():
    """The CPython 3.13 of scripts/build-python.sh (built on first use, then reused)."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "build-python.sh")], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True)
    return out.stdout.strip().splitlines()[-1]


def python_for_core(core):
    return new_python() if core_tuple(core) >= NEW_PYTHON_FROM else PYTHON


def python_version_of(core):
    """The --python value of ansible-test for a core (its controller and module interpreter)."""
    return "3.13" if core_tuple(core) >= NEW_PYTHON_FROM else "3.11"


def _stamp(python, files):
    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    return "%s %s %s" % (VENV_FORMAT, version, digest.hexdigest()[:16])


def ensure_venv(name, requirements, python=None):
    """.venvs/NAME from the pinned requirement files, rebuilt only when they (or Python, or the venv's own
    path: a venv's scripts name their interpreter by absolute path, so a moved clone needs new ones) change."""
    python = python or PYTHON
    directory = os.path.join(VENVS, name)
    stamp_path = os.path.join(directory, ".capgo-stamp")
    want = "%s %s" % (_stamp(python, requirements), os.path.abspath(directory))
    if os.path.exists(os.path.join(directory, "bin", "python")) and os.path.exists(stamp_path):
        with open(stamp_path) as handle:
            if handle.read().strip() == want:
                return directory
    say("venv %s: creating from %s" % (name, " ".join(os.path.relpath(r, ROOT) for r in requirements)))
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(VENVS, exist_ok=True)
    subprocess.run([python, "-m", "venv", directory], check=True)
    args = [os.path.join(directory, "bin", "python"), "-m", "pip", "install", "--quiet", "--no-input"]
    for path in requirements:
        args += ["-r", path]
    log_path = os.path.join(directory, "pip-install.log")
    with open(log_path, "w") as log:
        done = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        with open(log_path) as log:
            lines = [line for line in log if not line.startswith("WARNING: Location 'file:")]
        sys.stdout.write("".join(lines[-30:]))
        raise RuntimeError("venv %s: pip install failed (full log: %s)" % (name, log_path))
    with open(stamp_path, "w") as handle:
        handle.write(want + "\n")
    say("venv %s: ready" % name)
    return directory


def drop_moved_venvs(directory):
    """Remove the venvs under ``directory`` with a script that names an interpreter which is not there (made
    in a clone that has moved since): nox reuses a venv by its path and would run those broken scripts."""
    if not os.path.isdir(directory):
        return
    for name in sorted(os.listdir(directory)):
        venv = os.path.join(directory, name)
        for interpreter in _script_interpreters(os.path.join(venv, "bin")):
            if not os.path.exists(interpreter):
                say("venv %s: made in another place (a script runs %s), removed" % (name, interpreter))
                shutil.rmtree(venv, ignore_errors=True)
                break


def _script_interpreters(bin_dir):
    """The interpreters the ``#!`` lines of the scripts in ``bin_dir`` name."""
    if not os.path.isdir(bin_dir):
        return
    for entry in sorted(os.listdir(bin_dir)):
        path = os.path.join(bin_dir, entry)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            line = handle.readline(4096)
        words = line[2:].split() if line.startswith(b"#!") else []
        if words:
            yield words[0].decode("utf-8", "surrogateescape")


def core_venv(core):
    path = os.path.join(REQ_DIR, "core-%s.txt" % core)
    if not os.path.exists(path):
        raise RuntimeError("no pinned requirements for ansible-core %s (%s)" % (core, path))
    return ensure_venv("core-%s" % core, [path], python_for_core(core))


def emulator_venv():
    files = [os.path.join(ROOT, "tests", "emulator", "requirements.txt"), os.path.join(REQ_DIR, "emulator-tests.txt")]
    return ensure_venv("emulator", [f for f in files if os.path.exists(f)])


def venv_python(venv):
    return os.path.join(venv, "bin", "python")


def venv_env(venv, **extra):
    """Environment overrides that put a venv first on PATH."""
    env = {"PATH": os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""), "VIRTUAL_ENV": venv}
    env.update(extra)
    return env


# ---------------------------------------------------------------- the collection tree
# What a copy of a tree that is no git work tree of its own leaves out (the same as .gitignore).
UNTRACKED = (".git", ".venv", ".venvs", ".tmp", ".nox", ".ansible", "__pycache__", ".pytest_cache", "tests/output",
             "docs/build")


def tracked_files(root=ROOT):
    """Tracked and untracked-but-not-ignored files: what a commit of the work tree would hold.
    A tree that is not the top of a git work tree (a copy, an unpacked archive) is walked,
    without the folders of UNTRACKED."""
    top = subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    if top.returncode == 0 and os.path.realpath(top.stdout.strip()) == os.path.realpath(root):
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, stdout=subprocess.PIPE).stdout
        return [p for p in out.decode("utf-8").split("\0") if p and os.path.lexists(os.path.join(root, p))]
    found = []
    for directory, dirs, files in os.walk(root):
        rel = os.path.relpath(directory, root)
        dirs[:] = [d for d in dirs if d not in UNTRACKED and os.path.normpath(os.path.join(rel, d)) not in UNTRACKED]
        found += [os.path.normpath(os.path.join(rel, f)) for f in files if not f.endswith((".pyc", ".pyo"))]
    return found


def lay_out(name, source=ROOT, git_init=True):
    """Copy the work tree to .tmp/NAME/ansible_collections/capgo/cloud (ansible-test and the
    tools want that path; ansible-test resolves the physical cwd, so it is a real copy). The
    copy is a git repository of its own without commits, so that ansible-test lists its files
    (untracked, not ignored) and not those of the clone around it."""
    base = os.path.join(SCRATCH, name)
    shutil.rmtree(base, ignore_errors=True)
    coll = os.path.join(base, "ansible_collections", "capgo", "cloud")
    os.makedirs(coll)
    for rel in tracked_files(source):
        src = os.path.join(source, rel)
        dst = os.path.join(coll, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    if git_init:
        subprocess.run(["git", "init", "-q", coll], check=True)
    return coll
