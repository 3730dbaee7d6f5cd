# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What runs where: the one place that declares the ansible-core matrix (noxfile.py builds
its sessions from it; README.md and the docs' support table say the same)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Units and integration run on every core; 2.20+ on the CPython 3.13 of scripts/build-python.sh
# (controller and module interpreter), the older ones on Python 3.11.
CORES = ("2.16", "2.17", "2.18", "2.19", "2.20", "2.21")
# ansible-test sanity (zero ignores, no test skipped).
SANITY_CORES = ("2.19", "2.21")
# The core of the tools' sessions: artifact build, README commands, AWX jobs.
LATEST = "2.21"

# Integration on the cores named here runs this representative subset of targets (the CI budget:
# a full integration run costs about 8 minutes per core on 2 cores). Every module's own target
# is in the subset except the whole-estate ones (capgo_environment, environment_role, the
# biggest), which run on 2.19 and 2.21 with everything else; TLS, lost answers and the
# validation-first rules are engine-wide and run everywhere.
INTEGRATION_SUBSET = (
    "capgo_app", "capgo_channel", "capgo_bundle", "capgo_device", "capgo_https", "capgo_lost_answers",
    "validation_first",
)
SUBSET_CORES = ("2.16", "2.17", "2.18", "2.20")

# The pipeline: every session `make test` (and `nox` without -s) runs, in this order.
PIPELINE = (
    ("emulator", "checks", "artifact", "build-import-check", "ansible-lint", "docs-check", "extra-checks",
     "changelog", "docs", "readme")
    + tuple("sanity-%s" % core for core in SANITY_CORES)
    + tuple("units-%s" % core for core in CORES)
    + tuple("integration-%s" % core for core in CORES)
    + ("awx",)
)
