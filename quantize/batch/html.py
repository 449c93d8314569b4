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

#: Rows with pictures at most; the rest of a larger batch is listed without them.
MAX_PICTURED = 500

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: middle; }
th { background: #f4f4f4; }
th[data-sort] { cursor: pointer; user-select: none; }
th[data-sort]::after { content: " \\2195"; color: #999; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.pic { display: block; max-width: 160px; max-height: 160px;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
img.crop { display: inline-block; width: 96px; height: 96px; image-rendering: pixelated;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
td.crops { white-space: nowrap; }
.failed, .larger { color: #a00; }
tr.larger { background: #fff0f0; }
.badge { font-weight: bold; font-size: 12px; }
.strip { display: flex; flex-wrap: wrap; max-width: 200px; }
.strip span { width: 12px; height: 12px; border: 1px solid #0002; }
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
    ("bytes before", "number"),
    ("bytes after", "number"),
    ("ratio", "number"),
]


def _number(value, pattern="{:,}"):
    if value is None:
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "lossless"
    return pattern.format(value)


def _cell(text, value=None, css=None):
    """A table cell with its sort value (and a class)."""
    value = text if value is None else value
    attribute = html.escape("" if value is None else str(value), quote=True)
    return f'<td{f" class={css}" if css else ""} data-value="{attribute}">{text}</td>'


def _order(files):
    """Failures and unfinished files first, then the rest, each in input order."""
    return sorted(files, key=lambda f: f.status == "done" or f.status == "skipped")


def _row(f, pictured):
    e = html.escape
    r = f.report or {}
    larger = bool(r) and r.get("output_bytes") is not None and r["output_bytes"] > r["input_bytes"]
    status = e(str(f.status)) + (f": {e(f.reason)}" if f.reason else "")
    if larger:
        status += ' <span class="badge larger">LARGER</span>'
    pics = f.thumbnails if pictured else None
    if pics is not None:
        before = f'<img class="pic" src="{pics.before}" alt="before: {e(f.input)}">'
        after = f'<img class="pic" src="{pics.after}" alt="after: {e(f.input)}">'
        crop = (
            f'<img class="crop" src="{pics.crop_before}" alt="1:1 before" title="at {pics.crop_at}">'
            f'<img class="crop" src="{pics.crop_after}" alt="1:1 after">'
        )
        strip = (
            '<div class="strip">'
            + "".join(f'<span style="background:{code}" title="{code}"></span>' for code in pics.palette)
            + "</div>"
        )
    else:
        before = after = crop = strip = ""
    psnr = r.get("psnr")
    cells = [
        _cell(e(f.input) + (f"<br>&rarr; {e(f.output)}" if f.output else ""), f.input),
        _cell(status, f.status),
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
        _cell(_number(r.get("input_bytes")), r.get("input_bytes"), "num"),
        _cell(_number(r.get("output_bytes")), r.get("output_bytes"), "num"),
        _cell(_number(r.get("compression_ratio"), "{:.2f}x"), r.get("compression_ratio"), "num"),
    ]
    classes = " ".join(c for c, on in (("larger", larger), ("failed", f.status in ("failed", "not run"))) if on)
    return f'<tr class="{classes}">' + "".join(cells) + "</tr>"


def render(report):
    """The page for a :class:`quantize.batch.BatchReport` (made with thumbnails)."""
    e = html.escape
    totals = report.totals()
    ratio = _number(report.ratio, "{:.2f}x") or "n/a"
    files = _order(report.files)
    larger = len(report.larger)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>quantize batch: {e(report.input_dir)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>quantize batch: {e(report.input_dir)}</h1>",
        f"<p>Output folder: {e(report.output_dir)}. Started {e(report.started)}, "
        f"finished {e(report.finished)} ({report.seconds:.1f} s).</p>",
        '<table id="totals"><tr><th>done</th><th>skipped</th><th>failed</th><th>not run</th>'
        "<th>larger than their input</th><th>input bytes</th><th>output bytes</th><th>overall ratio</th></tr>",
        f'<tr><td class="num">{totals["done"]}</td><td class="num">{totals["skipped"]}</td>'
        f'<td class="num">{totals["failed"]}</td><td class="num">{totals["not_run"]}</td>'
        f'<td class="num">{larger}</td>'
        f'<td class="num">{report.input_bytes:,}</td><td class="num">{report.output_bytes:,}</td>'
        f'<td class="num">{ratio}</td></tr></table>',
        "<p>Thumbnails are on a checkerboard where the image is transparent; the crops show "
        "the 96x96 pixels where the output differs most from the input, at 1:1. Click a "
        "header to sort.</p>",
    ]
    if len(files) > MAX_PICTURED:
        parts.append(
            f"<p>Pictures are shown for the first {MAX_PICTURED} of {len(files)} rows, to keep this page small.</p>"
        )
    headers = "".join(f'<th data-sort="{kind}">{name}</th>' if kind else f"<th>{name}</th>" for name, kind in _COLUMNS)
    parts.append(f'<table id="files"><thead><tr>{headers}</tr></thead><tbody>')
    parts += [_row(f, i < MAX_PICTURED) for i, f in enumerate(files)]
    parts.append(f"</tbody></table><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
