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


class ImageError(QuantizeError, ValueError):
    """An input image cannot be read: missing, not an image, empty, truncated or corrupt.

    ``path`` names the offending file when there is one.
    """

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        message = super().__str__()
        return f"{self.path}: {message}" if self.path is not None else message


class ImageTooLargeError(ImageError):
    """The image has more pixels than the decompression-bomb limit allows."""


class OutputError(QuantizeError, OSError):
    """An output cannot be written (exists already, unwritable folder, unsupported format)."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        message = self.args[0] if self.args else ""
        return f"{self.path}: {message}" if self.path is not None else message


class QuantizeWarning(UserWarning):
    """Root of every warning issued by quantize."""


class FewDistinctPointsWarning(QuantizeWarning):
    """The data has fewer distinct points than clusters were asked for."""
