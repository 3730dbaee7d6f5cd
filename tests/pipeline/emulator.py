# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one launcher of the Capgo API emulator: every nox session, the benchmark and the
emulator's own tests start it through here.

    with running(seed="examples/seed.yml", workdir=tmp) as emu:
        emu.url            # http://127.0.0.1:PORT, from the emulator's --ready-file
        emu.start_line()   # "capgo-emulator listening on ..." (the contract's start line)

The emulator binds --port 0 and writes its URL to --ready-file once it listens, so nothing
waits on or parses its output. Its stdout and stderr go to files in ``workdir``. It runs in a
process group of its own; ``stop()`` ends that group only (SIGTERM, then SIGKILL).

Standard library only: it runs in the nox venv, the emulator's venv and the ansible-core venvs.
"""

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR_DIR = os.path.join(ROOT, "tests", "emulator")
_COUNTER = itertools.count(1)


class EmulatorError(RuntimeError):
    """The emulator exited or did not get ready in time."""


class Emulator:
    def __init__(self, proc, url, ready_file, stdout_path, stderr_path):
        self.proc = proc
        self.url = url
        self.ready_file = ready_file
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    @property
    def pid(self):
        return self.proc.pid

    def _read(self, path):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def start_line(self):
        """The first line the emulator printed (emulator-contract.md's start line)."""
        return (self._read(self.stdout_path).splitlines() or [""])[0]

    def stdout(self):
        return self._read(self.stdout_path)

    def stderr(self):
        return self._read(self.stderr_path)

    def signal(self, signum):
        self.proc.send_signal(signum)

    def stop(self, timeout=10):
        """End the emulator's process group; returns its exit status."""
        if self.proc.poll() is None:
            for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
                try:
                    os.killpg(self.proc.pid, signum)
                except OSError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for path in (self.ready_file,):
            try:
                os.unlink(path)
            except OSError:
                pass
        return self.proc.returncode


def command(python, host="127.0.0.1", port=0, seed=None, ready_file=None, extra_args=()):
    """The emulator's command line (emulator-contract.md), with --ready-file."""
    args = [python, "-m", "capgo_emulator", "--host", host, "--port", str(port)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if ready_file is not None:
        args += ["--ready-file", str(ready_file)]
    return args + [str(a) for a in extra_args]


def start(workdir, seed=None, python=None, host="127.0.0.1", port=0, extra_args=(), env=None,
          emulator_dir=EMULATOR_DIR, name="emulator", timeout=30):
    """Start the emulator and wait until it listens; returns an Emulator (call ``stop()``)."""
    os.makedirs(str(workdir), exist_ok=True)
    tag = "%s-%d-%d" % (name, os.getpid(), next(_COUNTER))
    ready = os.path.join(str(workdir), tag + ".url")
    out_path = os.path.join(str(workdir), tag + ".out")
    err_path = os.path.join(str(workdir), tag + ".err")
    if os.path.exists(ready):
        os.unlink(ready)
    run_env = dict(os.environ if env is None else env)
    run_env["PYTHONPATH"] = str(emulator_dir) + (os.pathsep + run_env["PYTHONPATH"] if run_env.get("PYTHONPATH") else "")
    run_env["PYTHONUNBUFFERED"] = "1"
    run_env["PYTHONDONTWRITEBYTECODE"] = "1"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(command(python or sys.executable, host, port, seed, ready, extra_args),
                                cwd=str(emulator_dir), env=run_env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True, close_fds=True)
    emulator = Emulator(proc, None, ready, out_path, err_path)
    deadline = time.monotonic() + timeout
    while True:
        if os.path.exists(ready):
            with open(ready, encoding="utf-8") as handle:
                emulator.url = handle.read().strip()
            if emulator.url:
                return emulator
        if proc.poll() is not None:
            raise EmulatorError("the emulator exited with status %s at start: %s"
                                % (proc.returncode, emulator.stderr().strip() or emulator.stdout().strip()))
        if time.monotonic() > deadline:
            emulator.stop()
            raise EmulatorError("the emulator did not get ready within %d s: %s"
                                % (timeout, emulator.stderr().strip()))
        time.sleep(0.05)


@contextlib.contextmanager
def running(workdir, **kwargs):
    """``start(...)`` as a context manager: the emulator is stopped however the block ends."""
    emulator = start(workdir, **kwargs)
    try:
        yield emulator
    finally:
        emulator.stop()
