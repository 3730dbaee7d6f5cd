# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PYTHONPATH=tests python3.11 -m pipeline test|demo|docs|benchmark [ARGS]: the Makefile's entry points."""

import sys


def main(argv):
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "test":
        from .run import main as run
        return run(args)
    if command == "demo":
        from .demo import main as demo
        return demo()
    if command == "docs":
        from .docs import main as docs
        return docs()
    if command == "benchmark":
        from .benchmark import main as benchmark
        return benchmark(args)
    sys.stderr.write(__doc__.strip() + "\n")
    return 2


sys.exit(main(sys.argv[1:]))
