"""The ``quantize`` command line: parses arguments, calls the library, prints.

:mod:`.app` holds the group, its error handling and exit codes; :mod:`.options` the
options shared by the commands and the settings built from them; each command has
its module (:mod:`.compress`, :mod:`.segment`, :mod:`.apply`, :mod:`.batch`,
:mod:`.suggest_k`, :mod:`.palette`, :mod:`.preview`; :mod:`.compress_mode` holds what the
inputs of one compress call share), and :mod:`.progress` the progress bars.
:mod:`.launch` is the console script, which loads ``main`` (the group, with every
command) on first use.
"""

import sys


def __getattr__(name):
    if name != "main":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import apply, batch, compress, palette, preview, segment, suggest_k
    from .app import main

    for command in (apply.apply, batch.batch, compress.compress, palette.palette, preview.preview,
                    segment.segment, suggest_k.suggest_k):
        main.add_command(command)
    sys.modules[__name__].main = main
    return main


__all__ = ["main"]
