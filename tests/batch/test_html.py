import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from quantize.batch import html as page_module
from quantize.batch import quantize_folder
from quantize.batch.html import render, strip_columns
from quantize.batch.pictures import CROP_SIZE, THUMBNAIL_SIZE, crop_origin


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self.links, self.rows, self.scripts = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "tr":
            self.rows.append(attrs.get("class", ""))
        if tag == "script":
            self.scripts += 1
            if "src" in attrs:
                self.links.append(attrs)
        if tag == "link" or (tag == "a" and "href" in attrs):
            self.links.append(attrs)

    def handle_data(self, data):
        self.text.append(data)


def decode(source):
    assert source.startswith("data:image/webp;base64,")  # nothing to fetch
    return Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))


@pytest.fixture
def batch(report_folder, tmp_path):
    report = quantize_folder(report_folder, tmp_path / "out", jobs=1, thumbnails=True, random_state=0)
    return report, report_folder


def test_report_embeds_every_picture_and_lists_failures_first(batch):
    report, folder = batch
    parser = _Collect()
    parser.feed(render(report))
    pictures = [a for a in parser.images if a["class"] == "pic"]
    crops = [a for a in parser.images if a["class"] == "crop"]
    assert len(pictures) == len(crops) == 8  # before and after of the four good files
    for attrs in pictures:
        assert max(decode(attrs["src"]).size) <= THUMBNAIL_SIZE
    for attrs in crops:
        assert max(decode(attrs["src"]).size) <= CROP_SIZE
    assert parser.links == [] and parser.scripts == 1  # no external sheet, script or link; one inline script
    text = " ".join(parser.text)
    assert "broken.png" in text and "truncated or corrupt image" in text
    assert f'title="{folder / "broken.png"}"' in render(report)  # the whole path in the name's tooltip
    assert f"{report.input_bytes:,}" in text and f"{report.output_bytes:,}" in text
    rows = parser.rows[1:]  # the header first
    assert rows[0] == "failed" and "failed" not in rows[1:]  # the failure first


def test_transparent_thumbnails_keep_their_alpha_and_sit_on_a_checkerboard(batch):
    report, folder = batch
    vignette = next(f for f in report.files if f.input.endswith("rocket-vignette.png"))
    thumbnail = decode(vignette.thumbnails.after)
    assert thumbnail.mode == "RGBA" and np.asarray(thumbnail)[..., 3].min() == 0
    page = render(report)
    assert re.search(r"img\.pic, img\.crop \{[^}]*repeating-conic-gradient", page)  # a checkerboard under each


def test_larger_outputs_are_flagged_and_delta_e_columns_shown(batch):
    report, _ = batch
    tiny = next(f for f in report.files if f.input.endswith("tiny.jpg"))
    assert tiny.report["output_bytes"] > tiny.report["input_bytes"]
    page = render(report)
    row = next(line for line in page.splitlines() if "tiny.jpg" in line and "<tr" in line)
    assert row.startswith('<tr class="larger">') and "LARGER" in row
    assert sum("LARGER" in line for line in page.splitlines() if line.startswith("<tr")) == 1
    assert "ΔE00 mean" in page and "ΔE00 p95" in page and "colours" in page
    cat = next(f for f in report.files if f.input.endswith("chelsea.png"))
    assert f'data-value="{cat.report["delta_e"]}"' in page and f'data-value="{cat.report["delta_e_p95"]}"' in page
    assert len(cat.thumbnails.palette) == cat.report["colors_used"]
    assert all(f"background:{code}" in page for code in cat.thumbnails.palette)  # the palette strip


def test_crop_is_where_the_output_differs_most():
    before = np.zeros((300, 400, 3), np.uint8)
    after = before.copy()
    after[200:260, 300:360] = 90  # the only difference
    top, left = crop_origin(before, after)
    assert top <= 200 and top + CROP_SIZE >= 260 and left <= 300 and left + CROP_SIZE >= 360
    assert crop_origin(before[:50, :60], after[:50, :60]) == (0, 0)  # smaller than a crop
    assert crop_origin(before[:40], after[:40])[0] == 0  # one row of windows


def test_page_size_is_bounded(batch, monkeypatch):
    report, _ = batch
    full = render(report)
    monkeypatch.setattr(page_module, "MAX_PICTURED", 2)  # the failure and one good file
    page = render(report)
    assert page.count('class="pic"') == 2 and "Pictures are shown for the first 2 of 5 rows" in page
    per_file = (len(full.encode()) - len(page.encode())) / 3
    assert per_file < 40_000  # about 20 KB of pictures a file


@pytest.mark.parametrize(("n", "columns"), [(1, 1), (11, 11), (16, 16), (17, 9), (33, 11), (64, 16), (256, 16)])
def test_palette_strips_fill_their_rows_evenly(n, columns):
    assert strip_columns(n) == columns
    rows = -(-n // columns)
    assert n - (rows - 1) * columns > columns // 2 or rows == 1 or n % columns == 0  # no lone swatch


def test_report_records_every_setting_and_labels_the_crops(batch):
    report, _ = batch
    page = render(report)
    settings = page.split('id="settings">')[1].split("</dl>")[0]
    for name in report.parameters:
        assert f"<dt>{name.replace('_', ' ')}</dt>" in settings
    assert "<dt>n colors</dt><dd>16</dd>" in settings and "<dt>dither</dt><dd>none</dd>" in settings
    assert page.count("<figcaption>before</figcaption>") == page.count("<figcaption>after</figcaption>") == 4
    assert '<div class="strip" style="--columns: 16">' in page
