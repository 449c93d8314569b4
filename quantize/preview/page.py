"""The preview's page: one HTML document with its style and script inline (no CDN, no
network): the image fitted to the window with a before/after divider in the middle
(dragged with the mouse or a finger, or moved with the arrow keys), zoom and pan, the
controls, the figures, each format's size and saving (a file that grows is marked),
the palette and the button that writes the file in the chosen format."""

import html
import json

from ..color.spaces import CLUSTER_SPACES
from ..quantization.dither import METHODS as DITHERS
from ..quantization.search import EFFORTS
from ..quantization.settings import MAX_PALETTE
from .session import FORMATS, Setting

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>quantize preview: __NAME__</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; display: flex; height: 100vh; }
#side { width: 320px; flex: none; padding: 12px 16px; overflow-y: auto; border-right: 1px solid #ddd;
  box-sizing: border-box; }
#side h3 { margin: 4px 0 8px; overflow-wrap: anywhere; }
#side label { display: block; margin: 10px 0 2px; font-weight: 600; }
#side select, #side input[type=range] { width: 100%; }
#view { flex: 1; position: relative; overflow: hidden; cursor: grab; touch-action: none;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; }
#view.panning { cursor: grabbing; }
#layers { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#layers img { position: absolute; left: 0; top: 0; image-rendering: pixelated; user-select: none;
  -webkit-user-drag: none; }
#after { clip-path: inset(0 0 0 50%); visibility: hidden; }
#handle { position: absolute; top: 0; bottom: 0; width: 24px; margin-left: -12px; cursor: ew-resize;
  outline: none; }
#handle::before { content: ""; position: absolute; left: 11px; top: 0; bottom: 0; width: 2px; background: #fff;
  box-shadow: 0 0 3px #000; }
#handle::after { content: "\\2194"; position: absolute; left: 0; top: 50%; width: 24px; height: 24px;
  margin-top: -12px; border-radius: 50%; background: #fff; box-shadow: 0 0 3px #000; text-align: center;
  line-height: 24px; font-size: 14px; }
#handle:focus-visible::after { box-shadow: 0 0 0 3px #1a73e8; }
.tag { position: absolute; top: 8px; padding: 2px 8px; border-radius: 4px; background: #000a; color: #fff;
  font-size: 12px; pointer-events: none; }
#tag-before { left: 8px; } #tag-after { right: 8px; }
#figures td { padding: 2px 10px 2px 0; font-variant-numeric: tabular-nums; }
#formats { border-collapse: collapse; margin-top: 6px; width: 100%; }
#formats td { padding: 3px 6px 3px 0; font-variant-numeric: tabular-nums; white-space: nowrap; }
#formats td.num { text-align: right; }
#formats label { display: inline; margin: 0; font-weight: normal; }
.grew { color: #b00; font-weight: 700; }
.saved { color: #176b2c; font-weight: 700; }
#palette div { display: flex; align-items: center; gap: 6px; font: 12px monospace; }
#palette span.swatch { width: 18px; height: 18px; border: 1px solid #0003; flex: none; }
#status { margin-top: 8px; min-height: 1.4em; font-size: 12px; color: #555; }
#command { margin: 4px 0 0; padding: 6px; background: #f4f4f4; font-size: 12px; white-space: normal;
  word-break: normal; overflow-wrap: normal; overflow-x: auto; }
#command span { white-space: nowrap; }
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
  <div><button id="fit">fit</button><button id="one">1:1</button></div>
  <table id="figures"></table>
  <table id="formats"></table>
  <div><button id="write">Write the file</button></div>
  <div id="status" role="status"></div>
  <pre id="command"></pre>
  <div id="palette"></div>
</div>
<div id="view"><div id="layers"><img id="before" alt="" src="original.png?token=__TOKEN__">
<img id="after" alt=""></div>
<div id="handle" role="slider" tabindex="0" aria-label="divider between before and after" aria-valuemin="0"
  aria-valuemax="100" aria-valuenow="50"></div>
<span class="tag" id="tag-before">before</span><span class="tag" id="tag-after">after</span></div>
<script>
"use strict";
const token = __TOKEN_JSON__, formats = __FORMATS_JSON__;
const $ = (id) => document.getElementById(id);
let zoom = 1, x = 0, y = 0, split = 50, fitted = false, figures = null, chosen = "PNG", asking = null;
function setting() {
  return new URLSearchParams({token: token, k: $("k").value, colorspace: $("colorspace").value,
    dither: $("dither").value, strength: $("strength").value, effort: $("effort").value}).toString();
}
function place() {
  $("layers").style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
  $("after").style.clipPath = `inset(0 0 0 ${split}%)`;
  const width = $("before").naturalWidth * zoom;
  $("handle").style.left = (x + width * split / 100) + "px";
  $("handle").setAttribute("aria-valuenow", Math.round(split));
}
function fit() {  // the whole image in the view, centred
  const view = $("view").getBoundingClientRect(), image = $("before");
  if (!image.naturalWidth) return;
  zoom = Math.min(view.width / image.naturalWidth, view.height / image.naturalHeight, 1);
  x = (view.width - image.naturalWidth * zoom) / 2; y = (view.height - image.naturalHeight * zoom) / 2;
  place();
}
function size(n) {  // as quantize._units.human_bytes: three significant digits, SI units
  if (n < 1000) return n + " B";
  for (const [scale, unit] of [[1e3, "kB"], [1e6, "MB"], [1e9, "GB"]]) {
    const value = parseFloat((n / scale).toPrecision(3));
    if (value < 1000 || unit === "GB") return value + " " + unit;
  }
}
function change(bytes) {  // the saving against the input, or how much the file grew
  if (!figures.input_bytes) return ["", ""];
  const ratio = bytes / figures.input_bytes - 1;
  if (ratio <= 0) return [`${Math.round(-ratio * 100)}% smaller`, "saved"];
  return [`\\u25B2 ${Math.round(ratio * 100)}% LARGER`, "grew"];
}
function showFormats() {
  const table = $("formats");
  table.innerHTML = "";
  for (const entry of figures.formats) {
    const row = table.insertRow(), [text, css] = change(entry.bytes);
    const pick = document.createElement("input");
    pick.type = "radio"; pick.name = "format"; pick.value = entry.format; pick.checked = entry.format === chosen;
    pick.id = "format-" + entry.format; pick.onchange = () => { chosen = entry.format; showCommand(); };
    const label = document.createElement("label");
    label.htmlFor = pick.id; label.textContent = " " + formats[entry.format];
    const first = row.insertCell(); first.append(pick, label);
    const bytes = row.insertCell(); bytes.className = "num"; bytes.textContent = size(entry.bytes);
    const note = row.insertCell(); note.className = css; note.textContent = text;
    if (css === "grew") note.title = "this file would be larger than the input";
    row.dataset.format = entry.format;
  }
  const input = table.insertRow();
  input.insertCell().textContent = "input"; input.cells[0].style.paddingLeft = "20px";
  const inputSize = input.insertCell(); inputSize.className = "num";
  inputSize.textContent = figures.input_bytes ? size(figures.input_bytes) : "n/a";
  input.insertCell();
  showCommand();
}
function showCommand() {
  const entry = figures.formats.find((f) => f.format === chosen);
  // Each word of the command whole on a line (a path never cut at a "-" or "/"); a word
  // wider than the box scrolls it.
  $("command").replaceChildren(...(entry && entry.command ? entry.command.split(" ") : []).flatMap((word, i) => {
    const span = document.createElement("span");
    span.textContent = word;
    return i ? [" ", span] : [span];
  }));
}
async function update() {
  $("k-value").textContent = $("k").value;
  $("strength-value").textContent = $("strength").value;
  if (asking) asking.abort();  // the server gives up on it too: a newer setting cancels it
  const mine = asking = new AbortController(), query = setting();
  $("status").textContent = "computing\\u2026";
  let answer, reply;
  try {
    answer = await fetch("result.json?" + query, {signal: mine.signal});
    reply = await answer.json();
  } catch (error) { return; }  // aborted: a newer setting is on its way
  if (mine !== asking) return;
  if (!answer.ok) { $("status").textContent = reply.error; return; }
  const picture = new Image();  // the new picture replaces the old once decoded: nothing flashes
  picture.src = "result.png?" + query;
  try { await picture.decode(); } catch (error) { return; }
  if (mine !== asking) return;
  figures = reply;
  $("after").src = picture.src;
  $("after").style.visibility = "visible";
  $("figures").innerHTML = "";
  for (const [name, value] of [["colours used", figures.colors_used],
      ["PSNR", figures.psnr === null ? "lossless" : figures.psnr + " dB"],
      ["mean \\u0394E2000", figures.delta_e]]) {
    const row = $("figures").insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = value;
  }
  showFormats();
  $("palette").innerHTML = "";
  for (const entry of figures.palette) {
    const line = document.createElement("div"), swatch = document.createElement("span");
    swatch.className = "swatch"; swatch.style.background = entry.hex;
    line.append(swatch, `${entry.hex} ${(entry.share * 100).toFixed(1)}% ${entry.name}`);
    $("palette").append(line);
  }
  $("status").textContent = "";
}
let timer = null;
function soon() { clearTimeout(timer); timer = setTimeout(update, 120); }
for (const id of ["k", "colorspace", "dither", "strength", "effort"]) $(id).addEventListener("input", soon);
$("one").onclick = () => { const view = $("view").getBoundingClientRect(), image = $("before");
  zoom = 1; x = (view.width - image.naturalWidth) / 2; y = (view.height - image.naturalHeight) / 2; place(); };
$("fit").onclick = fit;
$("view").addEventListener("wheel", (event) => {
  event.preventDefault();
  const factor = event.deltaY < 0 ? 1.25 : 0.8, box = $("view").getBoundingClientRect();
  const px = event.clientX - box.left, py = event.clientY - box.top;
  x = px - (px - x) * factor; y = py - (py - y) * factor; zoom *= factor; place();
}, {passive: false});
// Dragging the handle moves the divider; dragging anywhere else pans (mouse, pen and touch alike).
let drag = null;
function moveSplit(clientX) {
  const box = $("view").getBoundingClientRect(), width = $("before").naturalWidth * zoom;
  split = Math.max(0, Math.min(100, (clientX - box.left - x) / width * 100));
  place();
}
$("view").addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  $("view").setPointerCapture(event.pointerId);
  if (event.target === $("handle")) { drag = {split: true}; $("handle").focus(); }
  else { drag = {dx: event.clientX - x, dy: event.clientY - y}; $("view").classList.add("panning"); }
  event.preventDefault();
});
$("view").addEventListener("pointermove", (event) => {
  if (!drag) return;
  if (drag.split) moveSplit(event.clientX);
  else { x = event.clientX - drag.dx; y = event.clientY - drag.dy; place(); }
});
for (const kind of ["pointerup", "pointercancel"]) {
  $("view").addEventListener(kind, () => { drag = null; $("view").classList.remove("panning"); });
}
$("handle").addEventListener("keydown", (event) => {
  const step = event.shiftKey ? 10 : 1;
  const keys = {ArrowLeft: split - step, ArrowDown: split - step, ArrowRight: split + step, ArrowUp: split + step,
    Home: 0, End: 100, PageDown: split - 10, PageUp: split + 10};
  if (!(event.key in keys)) return;
  split = Math.max(0, Math.min(100, keys[event.key])); place(); event.preventDefault();
});
window.addEventListener("resize", () => { if (fitted) fit(); });
$("write").onclick = async () => {
  const answer = await fetch("write?" + setting() + "&format=" + chosen, {method: "POST"});
  const reply = await answer.json();
  $("status").textContent = answer.ok ? `wrote ${reply.written}` : reply.error;
};
$("before").addEventListener("load", () => { fit(); fitted = true; });
$("view").addEventListener("wheel", () => { fitted = false; });
$("view").addEventListener("pointerdown", (event) => { if (event.target !== $("handle")) fitted = false; });
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
        "__FORMATS_JSON__": json.dumps({f: f.replace("WEBP", "WebP") for f in FORMATS}),
        "__TOKEN__": html.escape(token),
    }
    page = _PAGE
    for key, value in replacements.items():
        page = page.replace(key, value)
    return page
