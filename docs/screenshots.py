"""Screenshots of the preview page and of a batch report, for the documentation and
for comparing the pages before and after a change.

    python docs/screenshots.py [--tag after]

Needs Playwright's Python package and Debian's chromium (as the browser tests do).
Uses photos from ../shared/images when they are there, else images/.  Writes
docs/preview.png and docs/batch-report.png; with --tag, also docs/screenshots/
<tag>-preview.png (a 2560-px photo in a 1400x900 window, as it opens),
<tag>-preview-grown.png (a small JPEG whose files grow) and <tag>-report-<width>.png
for windows 1024, 1400 and 390 px wide, printing each report's page-level horizontal
overflow (scrollWidth - clientWidth, px).
"""

import argparse
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
SHOTS = ROOT / "docs" / "screenshots"


def sources():
    folder = SHARED if SHARED.is_dir() else ROOT / "images"
    return [p for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".png")]


def garden():
    return next((p for p in sources() if "Garden" in p.name), sources()[0])


def preview(browser, photo, path, size, k=None):
    """A screenshot of the preview of ``photo`` as it opens (or with ``k`` colours)."""
    server = PreviewServer(PreviewSession(load_image(photo))).start()
    try:
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(server.url)
        if k is not None:
            page.eval_on_selector("#k", f"k => {{ k.value = {k}; k.dispatchEvent(new Event('input')); }}")
        page.wait_for_function(f"document.querySelectorAll('#palette > div').length === {k or 16}")
        page.wait_for_function("getComputedStyle(document.getElementById('after')).visibility === 'visible'")
        page.screenshot(path=str(path))
    finally:
        server.stop()


def report(browser, folder, tmp, widths):
    """Screenshots of the batch report of ``folder`` at each of ``widths`` (path, width)."""
    page_file = tmp / "report.html"
    quantize_folder(folder, tmp / "out", jobs=2, html_report=page_file, random_state=0, n_colors=64)
    for path, width in widths:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(page_file.as_uri())
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        print(f"report at {width} px: page overflow {overflow} px")
        page.screenshot(path=str(path))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", help="also write docs/screenshots/<tag>-*.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        tmp = Path(tmp)
        photo = tmp / "garden.jpg"  # the documentation's: a photo, 12 colours
        image = Image.open(garden())
        image.thumbnail((1000, 1000))
        image.convert("RGB").save(photo, quality=92)
        preview(browser, photo, ROOT / "docs" / "preview.png", (1280, 720), k=12)
        folder = tmp / "photos"  # the shared photos, small, one of them with transparency
        folder.mkdir()
        for source in sources():
            picture = Image.open(source)
            picture.thumbnail((800, 800))
            picture.save(folder / (source.stem + ".png"))
        shutil.copy(ROOT / "images" / "rocket-vignette.png", folder / "rocket-vignette.png")
        widths = [(ROOT / "docs" / "batch-report.png", 1400)]
        if args.tag:
            SHOTS.mkdir(exist_ok=True)
            big = tmp / garden().name
            shutil.copy(garden(), big)
            preview(browser, big, SHOTS / f"{args.tag}-preview.png", (1400, 900))
            tiny = tmp / "tiny.jpg"
            Image.open(garden()).convert("RGB").resize((640, 400)).save(tiny, quality=20)
            preview(browser, tiny, SHOTS / f"{args.tag}-preview-grown.png", (1400, 900))
            widths += [(SHOTS / f"{args.tag}-report-{w}.png", w) for w in (1024, 1400, 390)]
        report(browser, folder, tmp, widths)
        browser.close()


if __name__ == "__main__":
    main()
