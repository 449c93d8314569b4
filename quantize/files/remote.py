"""Files on object stores and other fsspec file systems (``s3://bucket/key``,
``gs://``, ``az://``, ``memory://``...): the few operations a batch needs, each one
request, with the store's failures turned into the package's errors.

fsspec and the store's own package (s3fs, gcsfs, adlfs) are optional: local paths never
import them.  Credentials and endpoints come from the store's usual configuration (for
S3: the AWS environment variables and files, ``AWS_ENDPOINT_URL`` included) or fsspec's
(``FSSPEC_S3_...`` variables).  A write is one PUT of the finished bytes, so no reader
ever sees part of an object at its final key.
"""

import os
from pathlib import Path, PurePosixPath

from ..errors import InputFileError, InvalidParameterError, OutputError
from .read import DEFAULT_MAX_PIXELS, load_image, load_image_bytes

#: What ``pip install`` brings each protocol's file system, for the error that says so.
_PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}


def is_url(location):
    """Whether ``location`` names a file system other than the local one."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def as_location(location: "str | os.PathLike[str] | RemotePath") -> "Path | RemotePath":
    """A :class:`RemotePath` for a URL, a :class:`pathlib.Path` otherwise."""
    if isinstance(location, RemotePath):
        return location
    if isinstance(location, str) and is_url(location):
        return RemotePath(location)
    text = str(location)
    return Path(text[len("file://") :] if text.startswith("file://") else text)


def _file_system(protocol):
    """fsspec's (cached) file system for ``protocol``, or an error naming what to install."""
    try:
        import fsspec
    except ImportError as e:
        raise InvalidParameterError(
            f'{protocol}:// folders need fsspec and the store\'s package: pip install "quantize-images[remote]"'
        ) from e
    try:
        return fsspec.filesystem(protocol)
    except (ImportError, ValueError) as e:
        package = _PACKAGES.get(protocol)
        hint = f": pip install {package}" if package else ""
        raise InvalidParameterError(f"{protocol}:// is not available ({e}){hint}") from e


def _reason(error):
    """One line for a store's failure."""
    if isinstance(error, FileNotFoundError):
        return "no such file, folder or bucket"
    if isinstance(error, PermissionError):
        return f"access refused ({error})" if str(error) else "access refused"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


class RemotePath:
    """A file or folder on an fsspec file system, with the pathlib operations a batch
    uses.  It pickles as its URL, so worker processes reach the same store.

    Object keys are strings, not paths: a key is kept exactly as the store lists it
    (``a/../b.png``, ``a//b.png`` and ``./b.png`` are objects of their own, never
    normalised into another's name); only the URL a user gives loses its leading and
    trailing slashes.

    Parameters
    ----------
    url : str
        ``protocol://path``.
    """

    def __init__(self, url):
        protocol, _, path = str(url).partition("://")
        self.protocol = protocol.lower()
        self.path = path.strip("/")

    @classmethod
    def key(cls, protocol, path):
        """The object ``path`` of ``protocol``, exactly as given (a listing's key)."""
        location = cls.__new__(cls)
        location.protocol, location.path = protocol, path
        return location

    # -- names -------------------------------------------------------------------
    def __str__(self):
        return f"{self.protocol}://{self.path}"

    def __repr__(self):
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, RemotePath) and str(self) == str(other)

    def __lt__(self, other):
        return str(self) < str(other)

    def __hash__(self):
        return hash(str(self))

    def __reduce__(self):
        return RemotePath.key, (self.protocol, self.path)

    def __truediv__(self, part):
        """The key ``part`` below this one, joined by one "/" (``part`` as it is, an
        empty one too: "a" / "" / "b" is "a//b")."""
        return RemotePath.key(self.protocol, f"{self.path}/{part}" if self.path else str(part))

    @property
    def name(self):
        return self.path.rpartition("/")[2]

    @property
    def suffix(self):
        return PurePosixPath(self.name).suffix if self.name not in ("", ".", "..") else ""

    @property
    def stem(self):
        return self.name[: len(self.name) - len(self.suffix)] if self.suffix else self.name

    @property
    def parent(self):
        return RemotePath.key(self.protocol, self.path.rpartition("/")[0])

    @property
    def parents(self):
        parents, current = [], self
        while current.path:
            current = current.parent
            parents.append(current)
        return parents

    @property
    def bucket(self):
        """The first component: an object store's bucket (or container), or None on a
        file system without buckets (memory://, say)."""
        if self.protocol not in _PACKAGES:
            return None
        return RemotePath.key(self.protocol, self.path.split("/")[0])

    def with_name(self, name):
        return self.parent / name

    def with_suffix(self, suffix):
        return self.with_name(self.stem + suffix)

    def relative_to(self, other):
        """The key below ``other``, as a string (ValueError if it is not below it)."""
        prefix = f"{other.path}/" if other.path else ""
        if self.protocol != other.protocol or not self.path.startswith(prefix) or self.path == other.path:
            raise ValueError(f"{self} is not below {other}")
        return self.path[len(prefix) :]

    def resolve(self):
        return self

    # -- the store ---------------------------------------------------------------
    @property
    def fs(self):
        return _file_system(self.protocol)

    def _ask(self, request, error=InputFileError):
        """``request(fs, path)``, with the store's failures raised as ``error`` naming
        this path (a missing package stays its own error: the file system is made
        first)."""
        fs = self.fs
        try:
            return request(fs, self.path)
        except (OSError, ValueError) as e:
            raise error(_reason(e), self) from e

    def exists(self):
        return bool(self._ask(lambda fs, path: fs.exists(path)))

    def is_dir(self):
        """Whether this is a folder (a bucket or a prefix with objects below it)."""
        return bool(self._ask(lambda fs, path: fs.isdir(path)))

    def is_file(self):
        return bool(self._ask(lambda fs, path: fs.isfile(path)))

    def files(self, *, recursive=False):
        """Every file below this folder (one level unless ``recursive``), sorted, with
        their keys as the store lists them."""

        def find(fs, path):
            fs.invalidate_cache(path)
            marker = getattr(fs, "root_marker", "")  # memory:// lists "/x/a.png" for x/a.png
            found = fs.find(path, maxdepth=None if recursive else 1, withdirs=False)
            return [p[len(marker) :] if marker and p.startswith(marker) else p for p in found]

        # a key that ends in "/" is a folder marker, and the folder itself (a store
        # can list an object under the folder's own name) is not below it
        return sorted(
            RemotePath.key(self.protocol, p) for p in self._ask(find) if not p.endswith("/") and p != self.path
        )

    def read_bytes(self, start=None, end=None):
        return self._ask(lambda fs, path: fs.cat_file(path, start=start, end=end))

    def write_bytes(self, data, *, overwrite=False):
        """Store ``data`` in one PUT; refuse an existing object unless ``overwrite``.
        Returns the number of bytes written."""
        if not overwrite and self.exists():
            raise OutputError("file exists (use --force to overwrite it)", self)

        def put(fs, path):
            fs.pipe_file(path, bytes(data))
            fs.invalidate_cache(self.parent.path)

        self._ask(put, OutputError)
        return len(data)

    def write_text(self, text, *, overwrite=False):
        return self.write_bytes(text.encode("utf-8"), overwrite=overwrite)


def load_image_at(location, *, max_pixels=DEFAULT_MAX_PIXELS, keep_icc=False):
    """:func:`~quantize.files.read.load_image` of a local path or a RemotePath (read in
    one request); the image's ``path`` names the URL for a remote one."""
    if not isinstance(location, RemotePath):
        return load_image(location, max_pixels=max_pixels, keep_icc=keep_icc)
    return load_image_bytes(location.read_bytes(), name=str(location), max_pixels=max_pixels, keep_icc=keep_icc)


def sniff_remote(location, sniff):
    """``sniff`` of the first 16 bytes of a remote file, None when it cannot be read."""
    try:
        return sniff(location.read_bytes(0, 16))
    except InputFileError:
        return None
