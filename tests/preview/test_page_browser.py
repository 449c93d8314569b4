"""The preview page in a real browser (headless Chromium)."""

import shutil

import pytest

from quantize.files.read import load_image
from quantize.preview import PreviewServer, PreviewSession

from ..conftest import IMAGES

pytestmark = pytest.mark.slow  # a real cluster, S3 server or browser: the full run only


@pytest.fixture
def server(tmp_path):
    image = tmp_path / "cat.png"
    shutil.copy(IMAGES / "chelsea.png", image)
    server = PreviewServer(PreviewSession(load_image(image))).start()
    yield server
    server.stop()


def test_preview_page_in_chromium(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(server.url.split("?")[0]) else None,
    )
    page.goto(server.url)
    page.wait_for_function("document.getElementById('after').naturalWidth > 0")
    assert page.eval_on_selector("#before", "i => [i.naturalWidth, i.naturalHeight]") == [451, 300]
    assert page.locator("#palette > div").count() == 16  # k = 16 by default
    first_image = page.get_attribute("#after", "src")
    # move the k slider: a new image and a new palette
    page.eval_on_selector("#k", "k => { k.value = 5; k.dispatchEvent(new Event('input')); }")
    page.wait_for_function("document.querySelectorAll('#palette > div').length === 5")
    page.wait_for_function(
        f"document.getElementById('after').src !== {first_image!r} && document.getElementById('after').complete"
    )
    assert "k=5" in page.get_attribute("#after", "src")
    assert "PSNR" in page.inner_text("#figures") and "estimated size" in page.inner_text("#figures")
    assert "quantize compress" in page.inner_text("#status") and "-k 5" in page.inner_text("#status")
    # the token is required: the same request without it is refused
    base = server.url.split("?")[0]
    assert page.request.get(base + "result.json?k=5").status == 403
    assert page.request.get(server.url).status == 200
    # write the file
    page.click("#write")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('wrote')")
    written = tmp_path / "cat-q5.png"
    assert written.exists() and str(written) in page.inner_text("#status")
    page.click("#write")  # never over an existing file
    page.wait_for_function("document.getElementById('status').textContent.includes('file exists')")
    assert outside == []  # nothing but our server (no CDN, no network)
    page.close()
