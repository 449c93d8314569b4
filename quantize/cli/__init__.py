"""The ``quantize`` command line: parses arguments, calls the library, prints.

:mod:`.app` holds the group, its error handling and exit codes; :mod:`.options` the
options shared by the commands and the settings built from them; each command has
its module (:mod:`.compress`, :mod:`.segment`, :mod:`.apply`, :mod:`.batch`,
:mod:`.suggest_k`, :mod:`.palette`), and :mod:`.progress` the progress lines.
"""

from . import apply, batch, compress, palette, segment, suggest_k
from .app import main

for _command in (apply.apply, batch.batch, compress.compress, palette.palette, segment.segment,
                 suggest_k.suggest_k):
    main.add_command(_command)

__all__ = ["main"]
