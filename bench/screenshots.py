"""Screenshots of the preview and of a batch report in headless Chromium (Playwright
driving Debian's chromium), for docs/screenshots/ and for looking at by eye.

    python bench/screenshots.py --tag after [--images ../shared/images]

Writes docs/screenshots/<tag>-preview.png (a 2560-px photo, 1400x900 window) and
<tag>-report-<width>.png for windows 1024, 1400 and 390 px wide, and prints the
page-level horizontal overflow of each report (scrollWidth - clientWidth, in px).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import quantize
from quantize.preview import PreviewServer, PreviewSession

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", required=True)
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "images")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        photo = Path(tmp) / "Garden.jpg"
        shutil.copy(args.images / "Garden.jpg", photo)
        server = PreviewServer(PreviewSession(quantize.load_image(photo))).start()
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.url)
            page.wait_for_timeout(8000)
            page.screenshot(path=args.out / f"{args.tag}-preview.png")
        finally:
            server.stop()
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for name in ("Dune.jpg", "Storm.jpg", "Stripes.png", "Arc-Colors-Transparent-Wallpaper.png"):
            shutil.copy(args.images / name, photos / name)
        report = Path(tmp) / "report.html"
        command = [sys.executable, str(ROOT / "cli.py"), "batch", str(photos), "-k", "64"]
        command += ["--dither", "floyd-steinberg", "--report", str(report)]
        subprocess.run(command, check=False)
        for width in (1024, 1400, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(report.as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            print(f"report at {width} px: page overflow {overflow} px")
            page.screenshot(path=args.out / f"{args.tag}-report-{width}.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
