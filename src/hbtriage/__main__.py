"""``python -m hbtriage``: the same command as ``hbtriage``."""

from hbtriage.cli import main

if __name__ == "__main__":
    main()
