"""A batch's folders: which files of a folder it reads, the output path of each,
and the checks of the folders themselves (local or object-store URLs)."""

import fnmatch
import stat
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from PIL import Image

from ..errors import InputFileError, OutputError
from .read import not_regular, sniff_format, stat_failure
from .remote import RemotePath, as_location, sniff_remote
from .write import check_output_path, check_outputs


def _image_extensions():
    """Extensions of every format Pillow can read."""
    return {ext for ext, name in Image.registered_extensions().items() if name in Image.OPEN}


def _sniffs_as_image(path):
    try:
        with open(path, "rb") as handle:
            return sniff_format(handle.read(16)) is not None
    except OSError:
        return False


def _matches(relative, patterns):
    name = relative.rpartition("/")[2]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _hidden(relative):
    """Whether a relative name has a hidden part (".x"); an object key's "." and ".."
    parts are names of their own, not hidden ones."""
    return any(part.startswith(".") and part not in (".", "..") for part in relative.split("/"))


def _mirrored(relative):
    """Whether a relative name can be mirrored as a local path: no empty, "." or ".."
    part (object keys can have them; a local path with them would land elsewhere)."""
    return all(part not in ("", ".", "..") for part in relative.split("/"))


def find_images(
    folder: str | Path | RemotePath,
    *,
    recursive: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    skip: Sequence[Path | RemotePath] = (),
    unreadable: list[tuple[Path | RemotePath, str]] | None = None,
) -> list[Path | RemotePath]:
    """Image files in ``folder``, sorted: those with an image extension (they are
    processed even if they turn out not to be images, and fail with a reason) and
    those whose first bytes are an image signature, whatever their name.

    ``include`` and ``exclude`` are glob patterns matched against the path relative to
    ``folder`` and against the file name.  Hidden files and folders (among them the
    ``.<name>.<random>.part`` files of interrupted writes), and the folders in
    ``skip`` (an output folder inside the input), are left out.  Entries that are not
    regular files or folders (FIFOs, devices, sockets, symbolic-link loops, broken
    links) are never read: when ``unreadable`` is a list, (path, reason) pairs are
    appended to it for those that the patterns select.
    """
    if isinstance(folder, RemotePath):
        return _find_remote(folder, recursive=recursive, include=include, exclude=exclude, skip=skip)
    folder = Path(str(folder))
    skip = [Path(str(s)).resolve() for s in skip]
    extensions = _image_extensions()
    found: list[Path | RemotePath] = []
    for path in sorted(folder.rglob("*") if recursive else folder.glob("*")):
        name = path.relative_to(folder).as_posix()
        if _hidden(name):
            continue
        if (include and not _matches(name, include)) or _matches(name, exclude):
            continue
        try:
            mode = path.stat().st_mode
        except OSError as e:
            if unreadable is not None:
                unreadable.append((path, stat_failure(path, e)))
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            if unreadable is not None:
                unreadable.append((path, not_regular(mode)))
            continue
        resolved = path.resolve()
        if any(s == resolved or s in resolved.parents for s in skip):
            continue
        if path.suffix.lower() in extensions or _sniffs_as_image(path):
            found.append(path)
    return found


def _find_remote(folder, *, recursive, include, exclude, skip):
    """find_images on an object store: its listing has only files (no FIFOs or links)."""
    extensions = _image_extensions()
    skip = [str(s) + "/" for s in skip]
    found = []
    for path in folder.files(recursive=recursive):
        name = path.relative_to(folder)  # the key below the folder, as it is
        if _hidden(name) or any(str(path).startswith(s) for s in skip):
            continue
        if (include and not _matches(name, include)) or _matches(name, exclude):
            continue
        if path.suffix.lower() in extensions or sniff_remote(path, sniff_format) is not None:
            found.append(path)
    return found


def plan_outputs(
    inputs: Sequence[Path | RemotePath],
    input_dir: Path | RemotePath,
    output_dir: Path | RemotePath,
    suffix: str = "",
) -> list[Path | RemotePath | None]:
    """One distinct output path per input: ``<stem><suffix>.png`` in the mirrored folder;
    inputs of one folder that share a stem (a.jpg, a.png) keep their whole name
    (a.jpg.png, a.png.png).  Folders are Paths or RemotePaths.  An object whose key
    cannot be mirrored in a local output folder (a "..", "." or empty part) gets
    None: it has no output."""
    input_dir, output_dir = as_location(input_dir), as_location(output_dir)
    relatives = [_relative(as_location(p), input_dir) for p in inputs]
    split = [r.rpartition("/") for r in relatives]  # (parent, "/" or "", name)
    stems = Counter((parent, _stem(name).lower()) for parent, _, name in split)
    local = not isinstance(output_dir, RemotePath)
    outputs: list[Path | RemotePath | None] = []
    taken = set()
    for relative, (parent, below, name) in zip(relatives, split):
        if local and not _mirrored(relative):
            outputs.append(None)
            continue
        base = _stem(name) if stems[(parent, _stem(name).lower())] == 1 else name
        folder = output_dir / parent if below else output_dir
        output = folder / f"{base}{suffix}.png"
        number = 1
        while str(output).lower() in taken:  # only for names built to collide
            number += 1
            output = folder / f"{base}{suffix}-{number}.png"
        taken.add(str(output).lower())
        outputs.append(output)
    return outputs


def _relative(path, folder):
    relative = path.relative_to(folder)
    return relative if isinstance(relative, str) else relative.as_posix()


def _stem(name):
    """The name without its extension, as pathlib has it ("a.b.png" -> "a.b"); an
    object key's "." and ".." parts stay as they are."""
    return PurePosixPath(name).stem if name not in ("", ".", "..") else name


def batch_folders(
    input_dir: str | Path | RemotePath, output_dir: str | Path | RemotePath | None = None
) -> tuple[Path | RemotePath, Path | RemotePath]:
    """The input folder and the output folder of a batch (by default
    ``<input_dir>-quantized`` beside it), as locations, checked before any file is
    read: InputFileError when the input is not a folder, OutputError when an object
    store's bucket does not exist."""
    input_dir = as_location(input_dir)
    if not input_dir.is_dir():
        missing = "no such folder or bucket" if isinstance(input_dir, RemotePath) else "no such folder"
        raise InputFileError(missing if not input_dir.exists() else "is not a folder", input_dir)
    output_dir = (
        as_location(output_dir) if output_dir is not None else input_dir.with_name(f"{input_dir.name}-quantized")
    )
    if isinstance(output_dir, RemotePath) and output_dir.bucket and not output_dir.bucket.is_dir():
        raise OutputError("no such bucket", output_dir.bucket)
    return input_dir, output_dir


def existing(locations):
    """The set of ``locations`` (paths or URLs; None skipped) that exist now."""
    return {location for location in locations if location is not None and location.exists()}


def check_report_path(input_dir, output_dir, inputs, outputs, html_report, overwrite):
    """The HTML report may not be a file of the input folder, an output or a manifest."""
    if html_report is None:
        return
    html_report = Path(html_report)
    if isinstance(input_dir, RemotePath) or isinstance(output_dir, RemotePath):
        # a local report cannot be a remote input, output or manifest
        check_output_path(html_report, overwrite=overwrite)
        return
    resolved = html_report.resolve()
    if (
        html_report.exists()
        and input_dir.resolve() in resolved.parents
        and (output_dir.resolve() not in resolved.parents)
    ):
        raise OutputError("the HTML report would replace a file of the input folder", html_report)
    check_outputs(
        [
            (output_dir / "manifest.json", "the manifest"),
            (output_dir / "manifest.csv", "the manifest"),
            (html_report, "the HTML report"),
        ],
        reads=[(p, "an input image") for p in inputs] + [(p, "an output image") for p in outputs if p is not None],
        overwrite=True,
    )
    check_output_path(html_report, overwrite=overwrite)
