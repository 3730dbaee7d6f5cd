#!/usr/bin/env bash
# Benchmark of capgo_environment (issue 12): the same estate as a uri playbook, as single-module
# tasks and as one capgo_environment task, converged and everything changed, against the emulator.
# Prints a table and writes docs/benchmark.md. Not a test (no pass/fail on time).
#
#   scripts/benchmark.sh [--only uri,modules,environment] [--repeat N] [--no-write] [--keep]
#   scripts/benchmark.sh --inventory [--before DIR] [--repeat N] [--no-write] [--keep]
#       the inventory plugin and the 10x estate with 50 ms latency (issue 21;
#       tests/benchmark/inventory.py); --before DIR compares with another copy of the collection
#   scripts/benchmark.sh --upload [--files N] [--mb N] [--big-mb N] [--no-write] [--keep]
#       capgo_bundle src vs @capgo/cli 8.68.1 bundle upload, and the module's peak RSS for a
#       200 MB bundle (issue 19; tests/benchmark/upload.py; needs node and npm)
#
# Knobs: CORE=2.19 (the ansible-core venv), PYTHON=python3.11 (tests/pipeline/benchmark.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHONPATH=tests exec "${PYTHON:-python3.11}" -m pipeline benchmark "$@"
