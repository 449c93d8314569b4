"""One self-contained HTML page for a batch: totals, before/after pairs, failures.

Thumbnails are embedded as data URIs and the style is inline, so the page renders
from a single file with no network access.
"""

import html
import math


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: middle; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 192px; max-height: 192px; image-rendering: auto; }
.failed { color: #a00; }
"""


def _number(value, pattern="{:,}"):
    if value is None:
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "lossless"
    return pattern.format(value)


def render(report):
    """The page for a :class:`quantize.batch.BatchReport` (made with thumbnails)."""
    e = html.escape
    totals = report.totals()
    ratio = _number(report.ratio, "{:.2f}x") or "n/a"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>quantize batch: {e(report.input_dir)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>quantize batch: {e(report.input_dir)}</h1>",
        f"<p>Output folder: {e(report.output_dir)}. Started {e(report.started)}, "
        f"finished {e(report.finished)} ({report.seconds:.1f} s).</p>",
        '<table id="totals"><tr><th>done</th><th>skipped</th><th>failed</th><th>not run</th>'
        "<th>input bytes</th><th>output bytes</th><th>overall ratio</th></tr>",
        f'<tr><td class="num">{totals["done"]}</td><td class="num">{totals["skipped"]}</td>'
        f'<td class="num">{totals["failed"]}</td><td class="num">{totals["not_run"]}</td>'
        f'<td class="num">{report.input_bytes:,}</td><td class="num">{report.output_bytes:,}</td>'
        f'<td class="num">{ratio}</td></tr></table>',
    ]
    failures = [f for f in report.files if f.status in ("failed", "not run")]
    if failures:
        parts.append('<h2>Failures</h2><ul id="failures">')
        parts += [f'<li class="failed">{e(f.input)}: {e(f.reason or f.status)}</li>' for f in failures]
        parts.append("</ul>")
    parts.append('<h2>Files</h2><table id="files"><tr><th>file</th><th>before</th><th>after</th>'
                 "<th>PSNR dB</th><th>bytes before</th><th>bytes after</th><th>ratio</th></tr>")
    for f in report.files:
        if f.status != "done":
            parts.append(f"<tr><td>{e(f.input)}</td><td colspan=6>{e(f.status)}: {e(f.reason or '')}</td></tr>")
            continue
        r = f.report
        before, after = (
            (f'<img src="{t}" alt="{label} {e(f.input)}">' for t, label in zip(f.thumbnails, ("before", "after")))
            if f.thumbnails else ("", "")
        )
        psnr = "lossless" if r["psnr"] is None else f"{r['psnr']:.2f}"
        parts.append(
            f"<tr><td>{e(f.input)}<br>&rarr; {e(f.output)}</td><td>{before}</td><td>{after}</td>"
            f'<td class="num">{psnr}</td><td class="num">{_number(r["input_bytes"])}</td>'
            f'<td class="num">{_number(r["output_bytes"])}</td>'
            f'<td class="num">{_number(r["compression_ratio"], "{:.2f}x")}</td></tr>'
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
