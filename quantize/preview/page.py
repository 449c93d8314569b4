"""The preview's page: one HTML document with its style and script inline (no CDN, no
network): a before/after slider over the image at 1:1 with zoom and pan, the controls,
the palette, the figures and the button that writes the file."""

import html
import json

from ..color.spaces import CLUSTER_SPACES
from ..quantization.dither import METHODS as DITHERS
from ..quantization.search import EFFORTS
from ..quantization.settings import MAX_PALETTE
from .session import Setting

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>quantize preview: __NAME__</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; display: flex; height: 100vh; }
#side { width: 300px; padding: 12px 16px; overflow-y: auto; border-right: 1px solid #ddd; box-sizing: border-box; }
#side label { display: block; margin: 10px 0 2px; font-weight: 600; }
#side select, #side input[type=range] { width: 100%; }
#view { flex: 1; position: relative; overflow: hidden; cursor: grab;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
#layers { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#layers img { position: absolute; left: 0; top: 0; image-rendering: pixelated; user-select: none; }
#after { clip-path: inset(0 0 0 50%); }
#handle { position: absolute; top: 0; bottom: 0; width: 2px; background: #fff; box-shadow: 0 0 3px #000;
  pointer-events: none; }
#figures td { padding: 2px 8px 2px 0; }
#palette div { display: flex; align-items: center; gap: 6px; font: 12px monospace; }
#palette span.swatch { width: 18px; height: 18px; border: 1px solid #0003; flex: none; }
#status { margin-top: 8px; font-size: 12px; word-break: break-all; }
button { margin: 4px 4px 0 0; }
</style></head><body>
<div id="side">
  <h3>__NAME__</h3>
  <label for="k">colours: <output id="k-value">__K__</output></label>
  <input id="k" type="range" min="1" max="__MAXK__" value="__K__">
  <label for="colorspace">colour space</label><select id="colorspace">__SPACES__</select>
  <label for="dither">dithering</label><select id="dither">__DITHERS__</select>
  <label for="strength">dither strength: <output id="strength-value">1</output></label>
  <input id="strength" type="range" min="0" max="1" step="0.05" value="1">
  <label for="effort">effort</label><select id="effort">__EFFORTS__</select>
  <label for="split">before | after</label><input id="split" type="range" min="0" max="100" value="50">
  <div><button id="one">1:1</button><button id="fit">fit</button><button id="write">Write the file</button></div>
  <table id="figures"></table>
  <div id="palette"></div>
  <div id="status"></div>
</div>
<div id="view"><div id="layers"><img id="before" alt="before" src="original.png?token=__TOKEN__">
<img id="after" alt="after"></div><div id="handle"></div></div>
<script>
"use strict";
const token = __TOKEN_JSON__;
const $ = (id) => document.getElementById(id);
let zoom = 1, x = 0, y = 0, asked = 0;
function setting() {
  const q = new URLSearchParams({token: token, k: $("k").value, colorspace: $("colorspace").value,
    dither: $("dither").value, strength: $("strength").value, effort: $("effort").value});
  return q.toString();
}
function place() {
  $("layers").style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
  const split = $("split").value;
  $("after").style.clipPath = `inset(0 0 0 ${split}%)`;
  const width = $("before").naturalWidth * zoom;
  $("handle").style.left = (x + width * split / 100) + "px";
}
async function update() {
  $("k-value").textContent = $("k").value;
  $("strength-value").textContent = $("strength").value;
  const query = setting(), mine = ++asked;
  $("status").textContent = "computing\\u2026";
  const answer = await fetch("result.json?" + query);
  const figures = await answer.json();
  if (mine !== asked) return;  // a newer setting was asked for meanwhile
  if (!answer.ok) { $("status").textContent = figures.error; return; }
  $("after").src = "result.png?" + query;
  const size = (n) => n.toLocaleString() + " B";
  $("figures").innerHTML = "";
  for (const [name, value] of [["colours used", figures.colors_used],
      ["PSNR", figures.psnr === null ? "lossless" : figures.psnr + " dB"],
      ["mean \\u0394E2000", figures.delta_e], ["estimated size", size(figures.bytes)],
      ["input", size(figures.input_bytes)]]) {
    const row = $("figures").insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = value;
  }
  $("palette").innerHTML = "";
  for (const entry of figures.palette) {
    const line = document.createElement("div");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = entry.hex;
    line.append(swatch, `${entry.hex} ${(entry.share * 100).toFixed(1)}% ${entry.name}`);
    $("palette").append(line);
  }
  $("status").textContent = figures.command || "";
}
let timer = null;
function soon() { clearTimeout(timer); timer = setTimeout(update, 150); }
for (const id of ["k", "colorspace", "dither", "strength", "effort"]) $(id).addEventListener("input", soon);
$("split").addEventListener("input", place);
$("one").onclick = () => { zoom = 1; x = 0; y = 0; place(); };
$("fit").onclick = () => {
  const view = $("view").getBoundingClientRect(), image = $("before");
  zoom = Math.min(view.width / image.naturalWidth, view.height / image.naturalHeight);
  x = 0; y = 0; place();
};
$("view").addEventListener("wheel", (event) => {
  event.preventDefault();
  const factor = event.deltaY < 0 ? 1.25 : 0.8, box = $("view").getBoundingClientRect();
  const px = event.clientX - box.left, py = event.clientY - box.top;
  x = px - (px - x) * factor; y = py - (py - y) * factor; zoom *= factor; place();
}, {passive: false});
let drag = null;
$("view").addEventListener("mousedown", (event) => { drag = [event.clientX - x, event.clientY - y]; });
window.addEventListener("mouseup", () => { drag = null; });
window.addEventListener("mousemove", (event) => {
  if (drag) { x = event.clientX - drag[0]; y = event.clientY - drag[1]; place(); }
});
$("write").onclick = async () => {
  const answer = await fetch("write?" + setting(), {method: "POST"});
  const reply = await answer.json();
  $("status").textContent = answer.ok ? `wrote ${reply.written}\\n${reply.command}` : reply.error;
};
$("before").addEventListener("load", place);
update();
</script></body></html>
"""


def _options(choices, selected):
    return "".join(f"<option{' selected' if c == selected else ''}>{html.escape(c)}</option>" for c in choices)


def render_page(session, token):
    """The page for ``session``, its requests carrying ``token``."""
    default = Setting()
    name = session.path.name if session.path else "image"
    replacements = {
        "__NAME__": html.escape(name),
        "__K__": str(default.k),
        "__MAXK__": str(MAX_PALETTE),
        "__SPACES__": _options(CLUSTER_SPACES, default.colorspace),
        "__DITHERS__": _options(DITHERS, default.dither),
        "__EFFORTS__": _options(EFFORTS, default.effort),
        "__TOKEN_JSON__": json.dumps(token),
        "__TOKEN__": html.escape(token),
    }
    page = _PAGE
    for key, value in replacements.items():
        page = page.replace(key, value)
    return page
