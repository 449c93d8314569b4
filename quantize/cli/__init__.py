"""The ``quantize`` command line: parses arguments, calls the library, prints.

:mod:`.app` holds the group (``main``), its error handling and exit codes, and the
table of commands, each imported when it is run; :mod:`.options` the options shared
by the commands and the settings built from them; each command has its module
(:mod:`.compress`, :mod:`.segment`, :mod:`.apply`, :mod:`.batch`, :mod:`.suggest_k`,
:mod:`.palette`, :mod:`.preview`; :mod:`.compress_mode` holds what the inputs of one
compress call share), and :mod:`.progress` the progress bars.  :mod:`.launch` is the
console script.
"""

from .app import main

__all__ = ["main"]
