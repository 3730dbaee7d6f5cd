"""Local, stateful emulator of the Capgo Cloud public API (test tool).

Start with ``python -m capgo_emulator --host 127.0.0.1 --port 8787 --seed FILE [--db FILE]``.
"""

__version__ = "0.1.0"
