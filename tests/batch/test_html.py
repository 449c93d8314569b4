import base64
import io
from html.parser import HTMLParser

from PIL import Image

from quantize.batch import quantize_folder
from quantize.batch.html import render

from ..conftest import IMAGES


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self.links = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in ("link", "script") or (tag == "a" and "href" in attrs):
            self.links.append(attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_report_embeds_every_thumbnail_and_lists_failures(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("chelsea.png", "rocket.jpg"):
        (folder / name).write_bytes((IMAGES / name).read_bytes())
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    report = quantize_folder(folder, tmp_path / "out", jobs=1, thumbnails=True)
    page = render(report)
    parser = _Collect()
    parser.feed(page)
    assert len(parser.images) == 4  # before and after of the two good files
    for source in parser.images:
        assert source.startswith("data:image/png;base64,")  # nothing to fetch
        thumbnail = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
        assert max(thumbnail.size) <= 192
    assert parser.links == []  # no external style sheet, script or link
    text = " ".join(parser.text)
    assert f"{folder / 'broken.png'}: truncated or corrupt image" in text
    assert f"{report.input_bytes:,}" in text and f"{report.output_bytes:,}" in text
