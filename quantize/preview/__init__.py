"""``quantize preview``: a local web page to choose colours by looking.

:mod:`.session` (one image's results, each setting computed once), :mod:`.server`
(``http.server`` on 127.0.0.1 with a token) and :mod:`.page` (the self-contained page).
"""

from .server import PreviewServer
from .session import PreviewSession, Setting

__all__ = ["PreviewServer", "PreviewSession", "Setting"]
