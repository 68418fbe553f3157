"""``python -m hbtriage``: the same command as ``hbtriage``."""

from hbtriage.cli import entry

if __name__ == "__main__":
    entry()
