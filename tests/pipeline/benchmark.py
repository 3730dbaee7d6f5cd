# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/benchmark.sh [--inventory|--upload] ARGS: tests/benchmark/environment.py (or, with
--inventory, tests/benchmark/inventory.py; with --upload, tests/benchmark/upload.py) with the venvs
(ansible-core CORE, default 2.19, and the emulator's).
Not a test: it prints figures and writes docs/benchmark.md."""

import os

from . import common


def main(args):
    common.setup_environment()
    core = os.environ.get("CORE", "2.19")
    venv = common.core_venv(core)
    emulator = common.emulator_venv()
    python = common.venv_python(venv)
    args = list(args)
    script = "environment.py"
    if args and args[0] == "--inventory":
        script = "inventory.py"
        args = args[1:]
    elif args and args[0] == "--upload":
        script = "upload.py"
        args = args[1:]
    os.execv(python, [python, os.path.join(common.ROOT, "tests", "benchmark", script),
                      "--ansible-python", python, "--emulator-python", common.venv_python(emulator)] + args)
