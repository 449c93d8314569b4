"""Exceptions and warnings raised by quantize.

Every error derives from :class:`QuantizeError`, so ``except QuantizeError`` catches
everything the package raises on purpose.  The subclasses that describe bad input also
derive from :class:`ValueError`, so code written against NumPy-style APIs keeps working.
Non-fatal problems are :class:`QuantizeWarning` subclasses, which can be filtered by type.
"""


class QuantizeError(Exception):
    """Root of every error raised by quantize."""


class InvalidParameterError(QuantizeError, ValueError):
    """A parameter or an input array is out of its valid domain."""


class PathMixin:
    """Mixin of the errors about one file: ``path`` names it when there is one, and
    ``reason`` is the problem alone (``str()`` is "path: reason")."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    @property
    def reason(self):
        return self.args[0] if self.args else ""

    def __str__(self):
        return f"{self.path}: {self.reason}" if self.path is not None else self.reason


class InputFileError(PathMixin, QuantizeError, ValueError):
    """An input file cannot be used (see :class:`PathMixin` for ``path`` and ``reason``)."""


class ImageError(InputFileError):
    """An input image cannot be read: missing, not an image, empty, truncated or corrupt."""


class PaletteError(InputFileError):
    """A palette file cannot be read: missing, malformed, or with no valid colour."""


class ImageTooLargeError(ImageError):
    """The image has more pixels than the decompression-bomb limit allows."""


class OutputError(PathMixin, QuantizeError, OSError):
    """An output cannot be written (exists already, unwritable folder, unsupported format)."""


class ClusterError(QuantizeError, ConnectionError):
    """A Dask cluster cannot be reached, or lost what it held for the whole batch."""


class BuildError(QuantizeError, ImportError):
    """quantize's compiled kernels are missing, or were built from other sources."""


class NotFittedError(QuantizeError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (as scikit-learn's NotFittedError)."""


class TargetNotMetError(QuantizeError):
    """No palette of the allowed size reaches the quality target (``--quality``,
    ``--max-delta-e``).  ``reached`` holds the values the largest palette gives, and
    ``result`` that palette's whole result (a QuantizeResult, its report noting the
    miss), for callers that want it anyway: nothing needs computing again."""

    def __init__(self, message: str, reached: float | None = None, result: object = None) -> None:
        super().__init__(message)
        self.reached = reached
        self.result = result


class QuantizeWarning(UserWarning):
    """Root of every warning issued by quantize."""


class FewDistinctPointsWarning(QuantizeWarning):
    """The data has fewer distinct points than clusters were asked for."""


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived: SIGINT (Ctrl-C) or SIGTERM, handled alike.  ``signum``
    says which; a KeyboardInterrupt, so code that cleans up on Ctrl-C cleans up on
    SIGTERM too."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum
