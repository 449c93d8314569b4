"""The batch report in a real browser (headless Chromium)."""

import pytest
from PIL import Image

from quantize.batch import quantize_folder

pytestmark = pytest.mark.slow  # a real cluster, S3 server or browser: the full run only


@pytest.fixture
def page_file(report_folder, tmp_path):
    page = tmp_path / "report.html"
    report = quantize_folder(report_folder, tmp_path / "out", jobs=1, html_report=page, random_state=0)
    assert report.count("done") == 4
    return page


def test_report_page_in_chromium(browser, page_file):
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []  # no network
    # every picture decodes
    sizes = page.eval_on_selector_all("img", "images => images.map(i => [i.complete, i.naturalWidth])")
    assert len(sizes) == 16 and all(done and width > 0 for done, width in sizes)
    # a transparent thumbnail shows the checkerboard through it: grey and white squares
    vignette = page.locator("tr", has_text="rocket-vignette.png").locator("img.pic").nth(1)
    shot = vignette.screenshot()
    from io import BytesIO

    import numpy as np

    pixels = np.asarray(Image.open(BytesIO(shot)).convert("RGB"))
    corner = pixels[:16, :16].reshape(-1, 3)  # the vignette's corner is fully transparent
    assert {tuple(int(v) for v in p) for p in corner} >= {(204, 204, 204), (255, 255, 255)}, pixels[:16, :16, 0]
    # the LARGER row is flagged, and the failure comes first
    larger = page.locator("tr.larger")
    assert larger.count() == 1 and "tiny.jpg" in larger.inner_text() and "LARGER" in larger.inner_text()
    first = page.locator("#files tbody tr").first.inner_text()
    assert "broken.png" in first
    # sorting by a column orders the rows by its numbers, and back
    header = page.locator("#files th", has_text="size before")

    def column():
        return page.eval_on_selector_all(
            "#files tbody tr", "rows => rows.map(r => r.cells[10].dataset.value).filter(v => v !== '').map(Number)"
        )

    header.click()
    ascending = column()
    assert ascending == sorted(ascending) and len(ascending) == 4
    header.click()
    assert column() == sorted(ascending, reverse=True)
    page.close()


@pytest.mark.parametrize("width", [1024, 1400, 1600, 390])
def test_report_fits_the_window_without_page_scrolling(browser, page_file, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(page_file.as_uri())
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # the page itself never scrolls sideways
    table = page.eval_on_selector("#files", "t => [t.getBoundingClientRect().right, t.parentElement.clientWidth]")
    scroller = page.eval_on_selector(".scroll", "s => [s.scrollWidth, s.clientWidth]")
    if width >= 1400:
        assert scroller[0] <= scroller[1], (table, scroller)  # the whole table is in view, every column
    else:
        assert scroller[1] <= width  # a narrow window scrolls the table inside its box
    page.close()
