"""One self-contained HTML page for a batch: totals, then every file with its
before/after thumbnails (on a checkerboard, so transparency shows), a 1:1 crop of each
where they differ most, the palette, PSNR, CIEDE2000 (mean and 95th percentile),
colours used and bytes; outputs LARGER than their input flagged; failures first;
columns sortable by a click.

Pictures are data URIs, style and script inline: the page renders from a single file
with no network access.  Its size is bounded: about 20 KB of pictures a file, and
pictures for the first :data:`MAX_PICTURED` rows only.
"""

import html
import math

from .._units import human_bytes
from .pictures import CROP_SIZE
from .report import grew

#: Rows with pictures at most; the rest of a larger batch is listed without them.
MAX_PICTURED = 500

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 1em; max-width: 1600px; color: #222; }
h1 { font-size: 1.4em; overflow-wrap: anywhere; }
p, dd { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0 0 1em; }
dl.facts div { display: flex; gap: 6px; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: middle; }
th { background: #f4f4f4; }
th[data-sort] { cursor: pointer; user-select: none; }
th[data-sort]::after { content: " \\2195"; color: #999; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.file { min-width: 10em; max-width: 16em; overflow-wrap: anywhere; }
td.status { max-width: 12em; }
img.pic, img.crop { background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
img.pic { display: block; max-width: 120px; max-height: 120px; }
figure { display: inline-block; margin: 0 4px 0 0; text-align: center; font-size: 11px; color: #555; }
img.crop { display: block; width: 72px; height: 72px; image-rendering: pixelated; }
td.crops { white-space: nowrap; }
.failed, .larger { color: #a00; }
tr.larger { background: #fff0f0; }
.badge { font-weight: bold; font-size: 12px; }
.strip { display: grid; grid-template-columns: repeat(var(--columns), 10px); gap: 1px; }
.strip span { width: 10px; height: 10px; box-shadow: inset 0 0 0 1px #0002; }
"""

# Clicking a header sorts the rows by that column (numbers as numbers), again to reverse.
_SCRIPT = """
document.querySelectorAll("#files th[data-sort]").forEach(function (th, _) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.sort === "number", up = th.dataset.dir !== "up";
    th.dataset.dir = up ? "up" : "down";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value, y = b.cells[column].dataset.value;
      if (numeric) { x = x === "" ? Infinity : parseFloat(x); y = y === "" ? Infinity : parseFloat(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""

#: (header, sort kind) of the files table's columns.
_COLUMNS = [
    ("file", "text"),
    ("status", "text"),
    ("before", None),
    ("after", None),
    ("1:1 crop", None),
    ("palette", None),
    ("PSNR dB", "number"),
    ("ΔE00 mean", "number"),
    ("ΔE00 p95", "number"),
    ("colours", "number"),
    ("size before", "number"),
    ("size after", "number"),
    ("ratio", "number"),
]


def _number(value, pattern="{:,}"):
    if value is None:
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "lossless"
    return pattern.format(value)


def _name(path, folder):
    """``path`` as seen from ``folder`` (the whole path in its tooltip): short enough to read."""
    prefix = folder.rstrip("/") + "/"
    shown = path[len(prefix) :] if path.startswith(prefix) else path
    return f'<span title="{html.escape(path, quote=True)}">{html.escape(shown)}</span>'


def _size(count):
    return "" if count is None else f'<span title="{count:,} B">{human_bytes(count)}</span>'


def _cell(text, value=None, css=None):
    """A table cell with its sort value (and a class)."""
    value = text if value is None else value
    attribute = html.escape("" if value is None else str(value), quote=True)
    return f'<td{f" class={css}" if css else ""} data-value="{attribute}">{text}</td>'


def strip_columns(n, widest=16):
    """Columns of a palette strip of ``n`` swatches: as few rows as ``widest`` allows,
    filled evenly (64 -> 16 x 4, 17 -> 9 + 8, never one lone swatch)."""
    rows = max(1, -(-n // widest))
    return max(1, -(-n // rows))


def _order(files):
    """Failures and unfinished files first, then the rest, each in input order."""
    return sorted(files, key=lambda f: f.status == "done" or f.status == "skipped")


def _row(f, pictured, input_dir, output_dir):
    e = html.escape
    r = f.report or {}
    larger = grew(r)
    status = e(str(f.status)) + (f": {e(f.reason)}" if f.reason else "")
    if larger:
        status += ' <span class="badge larger">LARGER</span>'
    pics = f.thumbnails if pictured else None
    if pics is not None:
        before = f'<img class="pic" src="{pics.before}" alt="before: {e(f.input)}">'
        after = f'<img class="pic" src="{pics.after}" alt="after: {e(f.input)}">'
        crop = (
            f'<figure><img class="crop" src="{pics.crop_before}" alt="1:1 before" '
            f'title="before, 1:1 at (top {pics.crop_at[0]}, left {pics.crop_at[1]})">'
            "<figcaption>before</figcaption></figure>"
            f'<figure><img class="crop" src="{pics.crop_after}" alt="1:1 after" '
            f'title="after, 1:1"><figcaption>after</figcaption></figure>'
        )
        strip = (
            f'<div class="strip" style="--columns: {strip_columns(len(pics.palette))}">'
            + "".join(f'<span style="background:{code}" title="{code}"></span>' for code in pics.palette)
            + "</div>"
        )
    else:
        before = after = crop = strip = ""
    psnr = r.get("psnr")
    cells = [
        _cell(
            _name(f.input, input_dir) + (f"<br>&rarr; {_name(f.output, output_dir)}" if f.output else ""),
            f.input,
            "file",
        ),
        _cell(status, f.status, "status"),
        _cell(before, ""),
        _cell(after, ""),
        _cell(crop, "", "crops"),
        _cell(strip, ""),
        _cell(
            "" if not r else ("lossless" if psnr is None else f"{psnr:.2f}"),
            "" if not r else (1e9 if psnr is None else psnr),
            "num",
        ),
        _cell(_number(r.get("delta_e"), "{:.2f}"), r.get("delta_e"), "num"),
        _cell(_number(r.get("delta_e_p95"), "{:.2f}"), r.get("delta_e_p95"), "num"),
        _cell(_number(r.get("colors_used")), r.get("colors_used"), "num"),
        _cell(_size(r.get("input_bytes")), r.get("input_bytes"), "num"),
        _cell(_size(r.get("output_bytes")), r.get("output_bytes"), "num"),
        _cell(_number(r.get("compression_ratio"), "{:.2f}x"), r.get("compression_ratio"), "num"),
    ]
    classes = " ".join(c for c, on in (("larger", larger), ("failed", f.status in ("failed", "not run"))) if on)
    return f'<tr class="{classes}">' + "".join(cells) + "</tr>"


def _facts(pairs, id):
    """A wrapping list of (name, value) pairs: it narrows with the window, never overflows."""
    items = "".join(f"<div><dt>{html.escape(name)}</dt><dd>{value}</dd></div>" for name, value in pairs)
    return f'<dl class="facts" id="{id}">{items}</dl>'


def _setting(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return "none" if value is None else str(value) or '""'


def render(report):
    """The page for a :class:`quantize.batch.BatchReport` (made with thumbnails)."""
    e = html.escape
    totals = report.totals()
    files = _order(report.files)
    change = report.output_bytes / report.input_bytes - 1 if report.input_bytes and report.output_bytes else None
    saving = "n/a" if change is None else f"{-change:.0%} smaller" if change <= 0 else f"{change:.0%} LARGER"
    counts = [
        ("files", totals["files"]),
        ("done", totals["done"]),
        ("skipped", totals["skipped"]),
        ("failed", totals["failed"]),
        ("not run", totals["not_run"]),
        ("larger than their input", len(report.larger)),
        ("written: bytes in", f"{report.input_bytes:,}"),
        ("bytes out", f"{report.output_bytes:,}"),
        ("size", saving),
        ("time", f"{report.seconds:.1f} s"),
    ]
    settings = [(name.replace("_", " "), e(_setting(value))) for name, value in report.parameters.items()]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>quantize batch: {e(report.input_dir)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>quantize batch: {e(report.input_dir)}</h1>",
        f"<p>Output folder: {e(report.output_dir)}. Started {e(report.started)}, finished {e(report.finished)}.</p>",
        _facts(counts, "totals"),
        "<h2>Settings</h2>",
        _facts(settings, "settings"),
        "<p>Thumbnails are on a checkerboard where the image is transparent; the crops show "
        f"the {CROP_SIZE}x{CROP_SIZE} pixels where the output differs most from the input, at 1:1 (before, "
        "then after). Click a header to sort; the table scrolls sideways on a narrow screen.</p>",
    ]
    if len(files) > MAX_PICTURED:
        parts.append(
            f"<p>Pictures are shown for the first {MAX_PICTURED} of {len(files)} rows, to keep this page small.</p>"
        )
    headers = "".join(f'<th data-sort="{kind}">{name}</th>' if kind else f"<th>{name}</th>" for name, kind in _COLUMNS)
    parts.append(f'<div class="scroll"><table id="files"><thead><tr>{headers}</tr></thead><tbody>')
    parts += [_row(f, i < MAX_PICTURED, report.input_dir, report.output_dir) for i, f in enumerate(files)]
    parts.append(f"</tbody></table></div><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
