"""The ``quantize`` command line: parses arguments, calls the library, prints.

:mod:`.app` holds the group, its error handling and exit codes; :mod:`.options` the
options shared by the commands and the settings built from them; each command has
its module (:mod:`.compress`, :mod:`.segment`, :mod:`.apply`, :mod:`.batch`,
:mod:`.suggest_k`, :mod:`.palette`, :mod:`.preview`; :mod:`.compress_mode` holds what the
inputs of one compress call share), and :mod:`.progress` the progress bars.
"""

from . import apply, batch, compress, palette, preview, segment, suggest_k
from .app import main

for _command in (apply.apply, batch.batch, compress.compress, palette.palette, preview.preview, segment.segment,
                 suggest_k.suggest_k):
    main.add_command(_command)

__all__ = ["main"]
