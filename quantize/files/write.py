"""Writing files safely: every output is checked before any work (never a file that is
read, never two outputs on one path, never an existing file without ``overwrite``),
then written atomically (a temporary file in the target folder, fsync, then a link or
rename), so that it appears whole or not at all."""

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from ..errors import OutputError

#: Suffix of the temporary files of atomic writes.
PART_SUFFIX = ".part"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _publish(tmp, path, overwrite):
    """Move the finished temporary file into place; without ``overwrite`` never clobber."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and fails if path exists
    except FileExistsError:
        raise OutputError("file exists (use --force to overwrite it)", path) from None
    except OSError:  # file systems without hard links
        if path.exists():
            raise OutputError("file exists (use --force to overwrite it)", path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def check_output_path(path: str | Path, *, overwrite: bool = False, protect: str | Path | None = None) -> None:
    """Fail early, before any work, if ``path`` cannot be an output.

    Raises OutputError when ``path`` is the file ``protect`` (the input), a folder, or
    an existing file while ``overwrite`` is false (:func:`check_outputs` for one path).
    """
    check_outputs([(path, "the output")], reads=[(protect, "the input file")], overwrite=overwrite)


def _check_writable(path, overwrite):
    if path.is_dir():
        raise OutputError("is a folder", path)
    if not overwrite and path.exists():
        raise OutputError("file exists (use --force to overwrite it)", path)


def _identity(path):
    """What names one file: its device and inode when it exists (hard and symbolic
    links included), else its resolved path."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return ("path", os.path.normcase(os.path.realpath(path)))
    return ("file", info.st_dev, info.st_ino)


def check_plan(outputs, *, reads=()):
    """Check that no output is a file that is read and no two outputs are one file,
    whatever may be overwritten: the plan of a whole command, before anything is
    written.

    Parameters
    ----------
    outputs : sequence of (str or Path, str)
        Each output path and what it is ("the output of a.png"...), for the errors.
    reads : sequence of (str or Path, str)
        Each file read and what it is ("the input image", "the palette file"...);
        None and remote files (a RemotePath is never a local file) are skipped.

    Raises
    ------
    OutputError
        Naming the output and the file it would replace.
    """
    read = {}
    for source, what in reads:
        if isinstance(source, (str, os.PathLike)):
            read.setdefault(_identity(source), what)
    planned = {}
    for path, role in outputs:
        key = _identity(path)
        if key in read:
            raise OutputError(f"{role} would overwrite {read[key]} (outputs never replace a file that is read)", path)
        if key in planned:
            raise OutputError(f"{role} is also {planned[key]}: two outputs cannot share a path", path)
        planned[key] = role


def check_outputs(
    outputs: Iterable[tuple[str | Path, str]], *, reads: Iterable[tuple[object, str]] = (), overwrite: bool = False
) -> None:
    """Check, before any work, every output a command will write.

    No output may be a file the command reads (``reads``: the input image, a palette
    file...), whatever ``overwrite`` says; no two outputs may be one path
    (:func:`check_plan`); and each must be a writable path: not a folder, and not an
    existing file unless ``overwrite``.

    Parameters
    ----------
    outputs : sequence of (str or Path, str)
        Each output path and what it is ("output", "--save-palette"...), for the errors.
    reads : sequence of (str or Path, str)
        Each file read and what it is ("the input image", "the palette file"...).

    Raises
    ------
    OutputError
        Naming the output and the problem.
    """
    outputs = [(Path(path), role) for path, role in outputs]
    check_plan(outputs, reads=reads)
    for path, _ in outputs:
        _check_writable(path, overwrite)


def disk_error(error: BaseException) -> bool:
    """Whether ``error`` is the disk's (full, read-only, a quota...), not an OutputError of ours."""
    return isinstance(error, OSError) and not isinstance(error, OutputError)


def write_failure(error: OSError, path: Path) -> OutputError:
    """An OSError of the disk (full, read-only, quota...) as one OutputError line."""
    reason = "no space left on device" if error.errno == errno.ENOSPC else (error.strerror or str(error)).lower()
    return OutputError(f"cannot write: {reason}", path)


def _temporary_file(path):
    """A new ``.<name>.<random>.part`` beside ``path``, open for writing.  Created with
    mode 0666 so that the kernel applies the process's umask as it is now (the umask
    is never read: reading it means setting it, a race with other threads)."""
    directory = path.parent
    for _ in range(100):
        tmp = directory / f".{path.name}.{secrets.token_hex(4)}{PART_SUFFIX}"
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise OutputError(f"folder {directory} does not exist", path) from None
        except OSError as e:
            raise OutputError(f"cannot write in folder {directory}: {e.strerror}", path) from e
    raise OutputError(f"cannot create a temporary file in folder {directory}", path)


def atomic_write(
    path: str | Path,
    write: Callable[[BinaryIO], object],
    *,
    overwrite: bool = False,
    protect: str | Path | None = None,
) -> int:
    """Write a file through ``write(file_object)`` so it appears whole or not at all.

    The path is checked first (:func:`check_output_path`: never ``protect``, the file
    a command reads, whatever ``overwrite`` says).  On any failure (a full disk, an
    encoder error, an interruption) the temporary file is removed and nothing appears
    at ``path``.  Returns the number of bytes written.

    Raises
    ------
    OutputError
        The path cannot be an output, its folder is missing or unwritable, or the
        disk refused the data ("cannot write: no space left on device").
    """
    path = Path(path)
    check_output_path(path, overwrite=overwrite, protect=protect)
    fd, tmp = _temporary_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        size = os.path.getsize(tmp)
        _publish(tmp, path, overwrite)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise write_failure(e, path) from e
        raise
    return size


def leftover_parts(folder: str | Path) -> list[Path]:
    """Temporary files of :func:`atomic_write` in ``folder`` (``.<name>.<random>.part``):
    what a process killed outright (SIGKILL, a power cut) leaves behind.  They are
    never read as inputs (hidden files) and are removed only by the user.  None in a
    folder that does not exist."""
    folder = Path(folder)
    return sorted(folder.glob(f".*{PART_SUFFIX}")) if folder.is_dir() else []


def save_png(
    path: str | Path,
    array: np.ndarray,
    *,
    palette: np.ndarray | None = None,
    overwrite: bool = False,
    compress_level: int = 6,
) -> int:
    """Write an array as a lossless PNG, atomically.

    Parameters
    ----------
    path : str or Path
    array : (H, W) ndarray of bool, uint8 or uint16, or (H, W, 3|4) ndarray of uint8
        Written as a 1-bit, 8-bit or 16-bit greyscale, RGB or RGBA PNG; with
        ``palette``, (H, W) uint8 indices into it.
    palette : (n <= 256, 3|4) ndarray of uint8, optional, keyword-only
        Writes a palette PNG (alpha, if any, in its tRNS chunk).
    overwrite : bool, keyword-only
    compress_level : int, keyword-only
        zlib level, 0..9: lower is faster and larger.

    Returns
    -------
    int
        Bytes written.
    """
    path = Path(path)
    image = Image.fromarray(array)  # mode from the dtype and shape: 1, L, I;16, RGB, RGBA
    if palette is not None:
        image.putpalette(np.ascontiguousarray(palette[:, :3]).tobytes())  # "L" becomes "P"
        if palette.shape[1] == 4:
            image.info["transparency"] = palette[:, 3].tobytes()

    def write(handle):
        try:
            image.save(handle, format="PNG", compress_level=compress_level)
        except OSError as e:
            if e.errno is not None:  # the disk's failure, not the encoder's
                raise
            raise OutputError(f"cannot encode as PNG: {e}", path) from e
        except ValueError as e:
            raise OutputError(f"cannot encode as PNG: {e}", path) from e

    return atomic_write(path, write, overwrite=overwrite)


def save_text(path: str | Path, text: str, *, overwrite: bool = False) -> int:
    """Write UTF-8 text atomically; returns the number of bytes written."""
    return atomic_write(Path(path), lambda handle: handle.write(text.encode("utf-8")), overwrite=overwrite)


def check_folder(path):
    """OutputError when ``path`` exists and is not a folder (an output folder to be)."""
    if Path(path).exists() and not Path(path).is_dir():
        raise OutputError("exists and is not a folder", path)


@contextlib.contextmanager
def folder_of_outputs(
    folder: str | Path, names: list[str], *, overwrite: bool = False, reads: Iterable[tuple[object, str]] = ()
) -> Iterator[Path]:
    """The output ``folder`` of a command that writes the files ``names`` into it: each
    checked first (:func:`check_outputs`, never one of ``reads``), the folder created if
    needed; when the block fails, the files it created are removed, and the folder if
    it created it (files that were there before stay, replaced or not)."""
    folder = Path(folder)
    created = not folder.exists()
    check_outputs([(folder / name, "output") for name in names], reads=reads, overwrite=overwrite)
    existed = {name for name in names if (folder / name).exists()}
    make_folder(folder)
    try:
        yield folder
    except BaseException:
        for name in names:
            if name not in existed:
                (folder / name).unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def make_folder(path: str | Path) -> Path:
    """Create an output folder (and its parents) if needed; OutputError if it cannot be."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError("exists and is not a folder", path) from None
    except OSError as e:
        raise OutputError(f"cannot create folder: {e.strerror}", path) from e
    return path
