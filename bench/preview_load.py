"""The preview server under an attack and a flood: idle connections, many settings at
once, and whether a normal request is still answered.

    python bench/preview_load.py [--idle 1000] [--settings 200] [--image PATH]

Starts `quantize preview` on a 0.24-megapixel image (a shared photo resized to 600x400,
or --image) in its own process, then: opens --idle connections that send nothing
(slow-loris), asks for --settings distinct settings at once (k 2..201, each on its
own connection), and times a normal page request meanwhile and after.  Reports the
server's peak memory (VmHWM), how the settings were answered (200 computed, 409
superseded) and the latencies.  Writes bench/results/preview_load.md.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "images"


def _peak_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _get(url, timeout=60):
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            reply.read()
            status = reply.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError as e:
        status = type(e).__name__
    return status, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--settings", type=int, default=200)
    parser.add_argument("--image", type=Path, default=SHARED / "Garden.jpg")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "preview_load.md")
    args = parser.parse_args()
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "photo.png"
        Image.open(args.image).convert("RGB").resize((600, 400)).save(image)
        server = subprocess.Popen(
            [sys.executable, "-m", "quantize", "preview", str(image), "--no-browser", "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
        )
        url = server.stdout.readline().split(": ", 1)[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        base_rss = _peak_mib(server.pid)
        _, first = _get(url)

        idle = []
        for _ in range(args.idle):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
            idle.append(connection)
        time.sleep(0.5)
        during_idle = _get(url)

        answers = Counter()
        latencies = []

        def ask(k):
            status, seconds = _get(url.replace("/?", "/result.json?") + f"&k={k}")
            answers[status] += 1
            latencies.append(seconds)

        threads = [threading.Thread(target=ask, args=(k,)) for k in range(2, 2 + args.settings)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        during_flood = _get(url)
        for thread in threads:
            thread.join()
        flood_seconds = time.perf_counter() - start
        after = _get(url)
        peak = _peak_mib(server.pid)
        for connection in idle:
            connection.close()
        server.send_signal(2)
        _, stderr = server.communicate(timeout=60)

    lines = [
        "# The preview server under idle connections and a flood of settings",
        "",
        f"`python bench/preview_load.py --idle {args.idle} --settings {args.settings}` on {os.cpu_count()} cores: "
        f"`quantize preview` of {args.image.name} resized to 600x400 (0.24 MP) in its own process.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| server memory after start-up | {base_rss:.0f} MiB |",
        f"| server peak memory (VmHWM) over the whole run | {peak:.0f} MiB |",
        f"| page request, quiet | {first * 1000:.0f} ms |",
        f"| page request with {args.idle} idle connections open | {during_idle[0]}, {during_idle[1] * 1000:.0f} ms |",
        f"| page request during the flood of {args.settings} settings | {during_flood[0]}, "
        f"{during_flood[1] * 1000:.0f} ms |",
        f"| page request after | {after[0]}, {after[1] * 1000:.0f} ms |",
        f"| settings answered | {', '.join(f'{v} x {k}' for k, v in sorted(answers.items(), key=str))} |",
        f"| the flood, from first request to last answer | {flood_seconds:.1f} s |",
        f"| slowest setting answer | {max(latencies):.1f} s |",
        f"| server exit on Ctrl-C, stderr | {server.returncode}, {stderr!r} |",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
