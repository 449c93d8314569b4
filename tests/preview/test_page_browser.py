"""The preview page in a real browser (headless Chromium): what a user sees first,
the divider under mouse, finger and keys, the sizes and savings of each format, the
write, and nothing fetched from anywhere else."""

import shutil

import pytest
from PIL import Image

from quantize.files.read import load_image
from quantize.preview import PreviewServer, PreviewSession

from ..conftest import IMAGES

pytestmark = pytest.mark.slow  # a real cluster, S3 server or browser: the full run only


def _serve(path):
    return PreviewServer(PreviewSession(load_image(path))).start()


@pytest.fixture
def server(tmp_path):
    image = tmp_path / "cat.png"
    shutil.copy(IMAGES / "chelsea.png", image)
    server = _serve(image)
    yield server
    server.stop()


def _open(browser, server, width=1200, height=700, **context):
    page = browser.new_context(viewport={"width": width, "height": height}, **context).new_page()
    page.goto(server.url)
    page.wait_for_function("document.querySelectorAll('#formats tr').length > 0")
    return page


def _box(page, selector):
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
    )


def _split(page):
    return int(page.get_attribute("#handle", "aria-valuenow"))


def test_first_view_is_fitted_with_the_divider_in_the_middle(browser, tmp_path):
    big = tmp_path / "wide.png"  # wider and taller than the window: it must be fitted
    Image.open(IMAGES / "chelsea.png").resize((2560, 1700)).save(big)
    server = _serve(big)
    try:
        page = _open(browser, server, 1200, 700)
        view, image = _box(page, "#view"), _box(page, "#before")
        assert image[0] >= view[0] - 1 and image[0] + image[2] <= view[0] + view[2] + 1  # whole width in view
        assert image[1] >= view[1] - 1 and image[1] + image[3] <= view[1] + view[3] + 1  # whole height in view
        assert max(image[2] / view[2], image[3] / view[3]) > 0.98  # and as large as the view allows
        handle = _box(page, "#handle")
        assert abs(handle[0] + handle[2] / 2 - (image[0] + image[2] / 2)) < 2 and _split(page) == 50
        assert page.eval_on_selector("#after", "e => getComputedStyle(e).visibility") == "visible"
        assert page.inner_text("#tag-before") == "before" and page.inner_text("#tag-after") == "after"
        page.screenshot(path=tmp_path / "first.png")
        shot = Image.open(tmp_path / "first.png").convert("RGB")
        left = shot.crop((int(image[0]) + 20, 300, int(image[0] + image[2] / 2) - 20, 400))
        right = shot.crop((int(image[0] + image[2] / 2) + 20, 300, int(image[0] + image[2]) - 20, 400))
        assert len(left.getcolors(1 << 16) or []) > len(right.getcolors(1 << 16) or [])  # before | 16 colours
    finally:
        server.stop()


def test_the_divider_follows_the_mouse_a_finger_and_the_keys(browser, server):
    page = _open(browser, server, has_touch=True)
    image, handle = _box(page, "#before"), _box(page, "#handle")
    x, y = handle[0] + handle[2] / 2, handle[1] + handle[3] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - image[2] * 0.3, y, steps=5)
    page.mouse.up()
    assert 18 <= _split(page) <= 22
    clip = page.eval_on_selector("#after", "e => e.style.clipPath")
    assert clip.startswith("inset(0px 0px 0px 2") or clip.startswith("inset(0 0 0 2"), clip
    # a finger: touch events, as a phone sends them
    handle = _box(page, "#handle")
    x = handle[0] + handle[2] / 2
    cdp = page.context.new_cdp_session(page)
    for kind, at in (("touchStart", x), ("touchMove", x + image[2] * 0.4), ("touchEnd", None)):
        points = [] if at is None else [{"x": at, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
    assert 58 <= _split(page) <= 62
    # the keys: the handle is a focusable slider
    page.focus("#handle")
    before = _split(page)
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert _split(page) == before - 5
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("End")
    assert _split(page) == 100
    # dragging elsewhere pans the image, the divider stays where it was on the image
    start = _box(page, "#before")
    page.mouse.move(start[0] + 50, start[1] + 50)
    page.mouse.down()
    page.mouse.move(start[0] + 150, start[1] + 90, steps=4)
    page.mouse.up()
    moved = _box(page, "#before")
    assert abs(moved[0] - start[0] - 100) < 2 and abs(moved[1] - start[1] - 40) < 2 and _split(page) == 100


def test_each_format_shows_its_size_and_saving_and_writes_that_file(browser, server, tmp_path):
    page = _open(browser, server)
    figures = page.evaluate("figures")
    rows = page.eval_on_selector_all("#formats tr[data-format]", "rows => rows.map(r => r.innerText)")
    assert [row.split()[0] for row in rows] == ["PNG", "WebP", "GIF"]
    for row, entry in zip(rows, figures["formats"]):
        change = 1 - entry["bytes"] / figures["input_bytes"]
        assert f"{round(change * 100)}% smaller" in row  # this PNG input shrinks in every format
    assert page.locator("#formats .grew").count() == 0 and page.locator("#formats .saved").count() == 3
    page.check("#format-WEBP")
    webp = figures["formats"][1]
    assert page.inner_text("#command") == webp["command"] and webp["command"].endswith("cat-q16.webp")
    spans = "s => s.map(w => [w.textContent, getComputedStyle(w).whiteSpace, w.getClientRects().length])"
    words = page.eval_on_selector_all("#command span", spans)
    assert [w for w, _, _ in words] == webp["command"].split(" ")
    # no word is cut at a "-" or "/": each sits whole on one line (the box scrolls instead)
    assert {(space, lines) for _, space, lines in words} == {("nowrap", 1)}
    page.click("#write")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('wrote')")
    written = tmp_path / "cat-q16.webp"
    assert written.stat().st_size == webp["bytes"] and Image.open(written).format == "WEBP"
    page.click("#write")  # never over an existing file
    page.wait_for_function("document.getElementById('status').textContent.includes('file exists')")


def test_a_file_that_grows_is_marked(browser, tmp_path):
    tiny = tmp_path / "tiny.jpg"  # a small JPEG: its 16-colour files are larger
    Image.open(IMAGES / "chelsea.png").convert("RGB").save(tiny, quality=15)
    server = _serve(tiny)
    try:
        page = _open(browser, server)
        grew = page.eval_on_selector_all("#formats .grew", "cells => cells.map(c => c.innerText)")
        assert grew and all(text.startswith("\u25b2 ") and text.endswith("% LARGER") for text in grew)
        titles = page.eval_on_selector_all("#formats .grew", "cells => cells.map(c => c.title)")
        assert set(titles) == {"this file would be larger than the input"}
        assert page.evaluate(
            "document.getElementById('side').scrollWidth <= document.getElementById('side').clientWidth"
        )
        color = page.eval_on_selector("#formats .grew", "e => getComputedStyle(e).color")
        assert color == "rgb(187, 0, 0)"
    finally:
        server.stop()


def test_nothing_flashes_while_a_setting_loads(browser, server):
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    held = []
    page.route("**/result.png*", lambda route: held.append(route))
    page.goto(server.url)
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    page.wait_for_timeout(300)
    assert held  # the first picture is on its way, held back
    assert page.eval_on_selector("#after", "e => [getComputedStyle(e).visibility, e.alt]") == ["hidden", ""]
    held[0].continue_()
    page.wait_for_function("getComputedStyle(document.getElementById('after')).visibility === 'visible'")
    page.unroute("**/result.png*")


def test_preview_page_asks_only_its_own_server(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    outside = []
    base = server.url.split("?")[0]
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(base) else None)
    page.goto(server.url)
    page.wait_for_function("document.querySelectorAll('#palette > div').length === 16")
    page.eval_on_selector("#k", "k => { k.value = 5; k.dispatchEvent(new Event('input')); }")
    page.wait_for_function("document.querySelectorAll('#palette > div').length === 5")
    assert "k=5" in page.get_attribute("#after", "src")
    assert "PSNR" in page.inner_text("#figures") and "-k 5" in page.inner_text("#command")
    assert page.request.get(base + "result.json?k=5").status == 403  # the token is required
    assert outside == []  # nothing but our server (no CDN, no network)
