# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/benchmark.sh: tests/benchmark/environment.py with the venvs (ansible-core CORE, default
2.19, and the emulator's). Not a test: it prints figures and writes docs/benchmark.md."""

from __future__ import absolute_import, division, print_function

import os

from . import common

__metaclass__ = type


def main(args):
    common.setup_environment()
    core = os.environ.get("CORE", "2.19")
    venv = common.core_venv(core)
    emulator = common.emulator_venv()
    python = common.venv_python(venv)
    os.execv(python, [python, os.path.join(common.ROOT, "tests", "benchmark", "environment.py"),
                      "--ansible-python", python, "--emulator-python", common.venv_python(emulator)] + list(args))
