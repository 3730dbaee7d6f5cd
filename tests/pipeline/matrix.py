# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What runs where: the one place that declares the ansible-core matrix (noxfile.py builds
its sessions from it; README.md and the docs' support table say the same)."""

# Units and integration run on every core; 2.20+ on the CPython 3.13 of scripts/build-python.sh
# (controller and module interpreter), the older ones on Python 3.11.
CORES = ("2.16", "2.17", "2.18", "2.19", "2.20", "2.21")
# ansible-test sanity (zero ignores, no test skipped).
SANITY_CORES = ("2.19", "2.21")
# The core of the tools' sessions: artifact build, README commands, AWX jobs.
LATEST = "2.21"

# Integration on the cores of SUBSET_CORES runs this representative subset of targets (the CI
# budget, 60 minutes on 2 cores from a clean clone; the latest core, 2.21, runs every target).
# About a third of the integration tasks: the most used modules (channel, bundle), the engine-wide
# rules (validation before any request, lost answers and retries, TLS settings) and a role over
# the whole-estate engine (environment_role, through capgo_environment). Not in it: apikey,
# app, device, environment, info, member, organization, webhook, and the targets of check mode
# across tasks, roles, hosted uploads, native compatibility and the inventory (on 2.21).
INTEGRATION_SUBSET = (
    "capgo_channel", "capgo_bundle", "validation_first", "capgo_lost_answers", "capgo_https", "environment_role",
)
SUBSET_CORES = ("2.16", "2.17", "2.18", "2.19", "2.20")

# The pipeline: every session `make test` (and `nox` without -s) runs, in this order.
PIPELINE = (
    ("emulator", "checks", "artifact", "build-import-check", "ansible-lint", "docs-check", "extra-checks",
     "changelog", "docs", "readme")
    + tuple("sanity-%s" % core for core in SANITY_CORES)
    + tuple("units-%s" % core for core in CORES)
    + tuple("integration-%s" % core for core in CORES)
    + ("interop", "awx")
)
