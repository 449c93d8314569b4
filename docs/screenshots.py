"""Screenshots of the preview page and of a batch report, for the documentation.

    python docs/screenshots.py

Needs Playwright's Python package and Debian's chromium (as the browser tests do).
Uses photos from ../shared/images when they are there, else images/.  Writes
docs/preview.png and docs/batch-report.png.
"""

import shutil
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from quantize.batch import quantize_folder
from quantize.files.read import load_image
from quantize.preview import PreviewServer, PreviewSession

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"


def sources():
    folder = SHARED if SHARED.is_dir() else ROOT / "images"
    return [p for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".png")]


def main():
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        tmp = Path(tmp)
        # the preview of a photo, 12 colours, the slider in the middle
        photo = tmp / "garden.jpg"
        image = Image.open(next((p for p in sources() if "Garden" in p.name), sources()[0]))
        image.thumbnail((1000, 1000))
        image.convert("RGB").save(photo, quality=92)
        server = PreviewServer(PreviewSession(load_image(photo))).start()
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(server.url)
        page.eval_on_selector("#k", "k => { k.value = 12; k.dispatchEvent(new Event('input')); }")
        page.wait_for_function("document.querySelectorAll('#palette > div').length === 12")
        page.wait_for_function("document.getElementById('after').complete")
        page.screenshot(path=str(ROOT / "docs" / "preview.png"))
        server.stop()
        # a batch report: the shared photos, small, one of them with transparency
        folder = tmp / "photos"
        folder.mkdir()
        for source in sources():
            picture = Image.open(source)
            picture.thumbnail((800, 800))
            picture.save(folder / (source.stem + ".png"))
        shutil.copy(ROOT / "images" / "rocket-vignette.png", folder / "rocket-vignette.png")
        report = tmp / "report.html"
        quantize_folder(folder, tmp / "out", jobs=2, html_report=report, random_state=0)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(report.as_uri())
        page.screenshot(path=str(ROOT / "docs" / "batch-report.png"))
        browser.close()


if __name__ == "__main__":
    main()
