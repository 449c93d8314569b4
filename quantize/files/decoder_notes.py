"""What decoders say while they decode (Pillow's warnings and log records, and what C
libraries such as libtiff print on file descriptor 2) becomes an image's notes
instead of lines on the user's terminal: stderr carries only quantize's lines."""

import contextlib
import logging
import os
import tempfile
import threading
import warnings

#: Decoder messages kept as notes, at most.
_MAX_DECODER_NOTES = 3
_stderr_lock = threading.Lock()
_stderr_users = 0


@contextlib.contextmanager
def _native_stderr(messages):
    """Send what C libraries print on file descriptor 2 (libtiff's "Using code not yet
    in table.", say) to ``messages`` instead of the user's terminal.  Decoders on
    several threads share one redirection; the last to finish collects the text."""
    global _stderr_users
    with _stderr_lock:
        if _stderr_users == 0:
            _native_stderr.sink = tempfile.TemporaryFile()
            _native_stderr.saved = os.dup(2)
            os.dup2(_native_stderr.sink.fileno(), 2)
        _stderr_users += 1
    try:
        yield
    finally:
        with _stderr_lock:
            _stderr_users -= 1
            if _stderr_users == 0:
                os.dup2(_native_stderr.saved, 2)
                os.close(_native_stderr.saved)
                sink = _native_stderr.sink
                sink.seek(0)
                messages.extend(sink.read(4096).decode("utf-8", "replace").splitlines())
                sink.close()


@contextlib.contextmanager
def decoder_messages(notes):
    """Pillow's warnings and log records and the C decoders' messages while decoding
    become ``notes`` (deduplicated, at most a few) instead of lines on stderr."""
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("PIL")
    handler, propagate = Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught, _native_stderr(messages):
            warnings.simplefilter("always")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        messages[:0] = [str(w.message) for w in caught]
        seen = []
        for message in (m.strip() for m in messages):
            if message and message not in seen:
                seen.append(message)
        notes.extend(f"decoder: {m}" for m in seen[:_MAX_DECODER_NOTES])
