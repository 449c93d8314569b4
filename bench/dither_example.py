"""Make docs/dither-crop.png, the README's dithering example: a crop of images/chelsea.png
at k = 8, undithered, Floyd–Steinberg and ordered, enlarged 3 times (nearest neighbour).

    python bench/dither_example.py
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from quantize import quantize_image

ROOT = Path(__file__).resolve().parent.parent


def main():
    photo = np.asarray(Image.open(ROOT / "images" / "chelsea.png").convert("RGB"))
    crop = (slice(80, 180), slice(150, 270))  # the eye and the fur around it
    panels = [("input", photo[crop])]
    for method in ("none", "floyd-steinberg", "ordered"):
        result = quantize_image(photo, 8, random_state=0, dither=method)
        panels.append((f"k = 8, {method}", result.image[crop]))
    height, width = panels[0][1].shape[:2]
    scale, caption = 3, 18
    sheet = Image.new("RGB", (len(panels) * width * scale, height * scale + caption), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (title, pixels) in enumerate(panels):
        tile = Image.fromarray(pixels).resize((width * scale, height * scale), Image.Resampling.NEAREST)
        sheet.paste(tile, (i * width * scale, caption))
        draw.text((i * width * scale + 4, 3), title, fill="black")
    (ROOT / "docs").mkdir(exist_ok=True)
    sheet.save(ROOT / "docs" / "dither-crop.png", optimize=True)


if __name__ == "__main__":
    main()
