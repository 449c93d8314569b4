"""The default call on a quiet machine and beside one CPU-bound process (issue 25's
target: at most 2.5 times the quiet time on 2 cores).

    python bench/busy.py

Garden (4 MP), Kleiber (20 MP) and Garden's 768x512 downscale at k = 16 and 256,
median of 5 calls each way; the busy process is ``python -c "while True: pass"``.
"""

import statistics
import subprocess
import sys
import time

from _images import SHARED, downscale

from quantize import load_image, quantize_image


def median_seconds(function, runs=5):
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main():
    images = {
        name: load_image(SHARED / name, max_pixels=None).pixels
        for name in ("Garden.jpg", "Kleiber_by_Lukas_Baubkus.jpg")
    }
    images["Garden.jpg (768x512)"] = downscale(images["Garden.jpg"])
    print("| image | k | quiet s | busy s | busy ÷ quiet |")
    print("|---|---|---|---|---|")
    for label, pixels in images.items():
        for k in (16, 256):
            quiet = median_seconds(lambda: quantize_image(pixels, k, random_state=0))
            burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.5)
                busy = median_seconds(lambda: quantize_image(pixels, k, random_state=0))
            finally:
                burner.kill()
                burner.wait()
            print(f"| {label} | {k} | {quiet:.3f} | {busy:.3f} | {busy / quiet:.2f} |", flush=True)


if __name__ == "__main__":
    main()
