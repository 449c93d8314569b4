"""The ``quantize`` console script (and ``python -m quantize``): the commands are
loaded here, so that Ctrl-C while they load is an interruption like any other: one
line and exit code 130, not a traceback."""

import sys


def run():
    """Load the command line and run it."""
    try:
        from . import main

        main()
    except KeyboardInterrupt:  # before the group handles signals itself
        sys.stderr.write("quantize: interrupted\n")
        sys.exit(130)
