"""The benchmarks' images: the photos of ../shared/images (else images/), and their
768x512 downscales, the size of the standard colour-quantisation test images."""

from pathlib import Path

import numpy as np
from PIL import Image

from quantize import load_image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"
SMALL = (768, 512)


def default_images():
    folder = SHARED if SHARED.is_dir() else ROOT / "images"
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def downscale(pixels, size=SMALL):
    """The centre 3:2 crop of an image, resized to ``size`` (Lanczos)."""
    height, width = pixels.shape[:2]
    if width * size[1] > height * size[0]:
        crop = height * size[0] // size[1]
        pixels = pixels[:, (width - crop) // 2 : (width - crop) // 2 + crop]
    else:
        crop = width * size[1] // size[0]
        pixels = pixels[(height - crop) // 2 : (height - crop) // 2 + crop]
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


def cases(paths, small, folder):
    """(label, pixels, a file holding them) for every image, and its 768x512
    downscale (written to ``folder`` as a fast PNG) after it when ``small``."""
    for path in paths:
        pixels = load_image(path, max_pixels=None).pixels
        alpha = ", alpha" if pixels.shape[2] == 4 else ""
        yield f"{path.name} ({pixels.shape[1]}x{pixels.shape[0]}{alpha})", pixels, path
        if small:
            reduced = downscale(pixels)
            png = Path(folder) / f"{path.stem}-768.png"
            Image.fromarray(reduced).save(png, compress_level=1)
            yield f"{path.name} (768x512{alpha})", reduced, png
