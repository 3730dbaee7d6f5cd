#!/usr/bin/env bash
# Benchmark of capgo_environment (issue 12): the same estate as a uri playbook, as single-module
# tasks and as one capgo_environment task, converged and everything changed, against the emulator.
# Prints a table and writes docs/benchmark.md. Not a test (no pass/fail on time).
#
#   scripts/benchmark.sh [--only uri,modules,environment] [--repeat N] [--no-write] [--keep]
#   scripts/benchmark.sh --inventory [--before DIR] [--repeat N] [--no-write] [--keep]
#       the inventory plugin and the 10x estate with 50 ms latency (issue 21;
#       tests/benchmark/inventory.py); --before DIR compares with another copy of the collection
#
# Knobs: CORE=2.19 (the ansible-core venv), PYTHON=python3.11 (tests/pipeline/benchmark.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHONPATH=tests exec "${PYTHON:-python3.11}" -m pipeline benchmark "$@"
