"""A batch's records on disk: manifest.json, manifest.csv and the HTML report
written as far as the disk allows, and the reports of an earlier run read back
(``--skip-existing`` resumes keep them).  What the records say is the batch's
(``quantize.batch.report``); this writes and reads them."""

import json
from pathlib import Path

from ..errors import OutputError
from .remote import RemotePath, as_location
from .write import make_folder, save_text


def write_records(output_dir, errors, *, manifest, table, html_report=None, html=None, overwrite=False):
    """manifest.json, manifest.csv and the HTML report, each as far as the disk allows.

    ``manifest`` (a dict), ``table`` and ``html`` (texts) are callables, each called
    when its file is written, after the failures of the writes before it are in
    ``errors``: a failure is appended there ("path: reason"), not raised, so that the
    outcome of the work done is never lost to the last write.
    """
    writes = [
        (output_dir / "manifest.json", lambda: json.dumps(manifest(), indent=1) + "\n", True),
        (output_dir / "manifest.csv", table, True),
    ]
    if html_report is not None:
        writes.append((Path(html_report), html, overwrite))
    for path, text, replace in writes:
        try:
            if isinstance(path, RemotePath):
                path.write_text(text(), overwrite=replace)
            else:
                make_folder(path.parent)
                save_text(path, text(), overwrite=replace)
        except OutputError as e:
            errors.append(f"{path}: {e.reason}")


def earlier_reports(output_dir, *, overwrite=False):
    """(input, output) → file entry of the manifest an earlier run left in
    ``output_dir`` (empty when there is none).

    Raises OutputError when manifest.json exists and is not a quantize manifest, or
    when manifest.csv exists without a manifest.json beside it and ``overwrite`` is
    false: they are someone else's files, and the batch would replace them.
    """
    folder = as_location(output_dir)
    path = folder / "manifest.json"
    if not path.is_file():
        table = folder / "manifest.csv"
        if not overwrite and table.exists():
            raise OutputError(
                "exists without a manifest.json beside it: not a quantize batch's record, and the "
                "batch would replace it (move it, choose another output folder, or use --force)",
                table,
            )
        return {}
    try:
        manifest = json.loads(path.read_bytes())
        if not {"files", "parameters", "totals"} <= manifest.keys():
            raise KeyError("files, parameters, totals")
        return {(f["input"], f["output"]): f for f in manifest["files"] if isinstance(f, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:  # InputFileError is a ValueError
        raise OutputError(
            "exists and is not a quantize batch manifest; the batch would replace it "
            "(move it, or choose another output folder)",
            path,
        ) from e
