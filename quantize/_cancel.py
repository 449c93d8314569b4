"""Cooperative cancellation: a caller that may give up on a computation (the preview,
when its slider moves on) runs it under :func:`cancellable`, and the long loops call
:func:`check` between their steps (each Lloyd step, each strip of pixels), which
raises :class:`Cancelled` once the caller's event is set.  Without a caller's event,
:func:`check` costs one context-variable read."""

import contextlib
import contextvars
import threading

_event: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("quantize_cancel", default=None)


class Cancelled(Exception):
    """The computation was given up by its caller (not an error of its input)."""


@contextlib.contextmanager
def cancellable(event: threading.Event):
    """Run the block so that :func:`check` raises :class:`Cancelled` once ``event`` is set."""
    token = _event.set(event)
    try:
        yield
    finally:
        _event.reset(token)


def current() -> threading.Event | None:
    """The event of the computation in hand (for work handed to other threads)."""
    return _event.get()


def check(event: threading.Event | None = None) -> None:
    """Raise :class:`Cancelled` if ``event`` (default: the current one) is set."""
    event = event if event is not None else _event.get()
    if event is not None and event.is_set():
        raise Cancelled
