"""nox sessions of antsibull-nox (configured in antsibull-nox.toml).

scripts/test.sh runs two of them (`docs-check` in its docs-lint stage, `ansible-lint` in its
lint stage) with the pinned venv .venvs/nox; `nox -l` lists them all.
"""

import sys

import nox

try:
    import antsibull_nox
except ImportError:
    print("You need to install antsibull-nox in the same Python environment as nox.")
    sys.exit(1)

antsibull_nox.load_antsibull_nox_toml()

if __name__ == "__main__":
    nox.main()
