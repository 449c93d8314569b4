"""What the progress bars draw: a command run in a pseudo-terminal of a given width,
each redraw of its stderr printed with the time it came.

    python bench/bars.py --columns 40 -- compress ../shared/images/Kleiber_by_Lukas_Baubkus.jpg -k 64 -o /tmp/k.png
"""

import argparse
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, default=80)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    words = args.args[1:] if args.args[:1] == ["--"] else args.args
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, args.columns, 0, 0))
    env = dict(os.environ, COLUMNS=str(args.columns))
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *words], stderr=follower, env=env)
    os.close(follower)
    text = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        now = time.perf_counter() - start
        for frame in re.split(rb"[\r\n]", chunk):
            frame = re.sub(rb"\x1b\[[?0-9;]*[A-Za-z]", b"", frame)
            if frame.strip():
                print(f"{now:6.2f} s |{frame.decode(errors='replace')}| ({len(frame.decode(errors='replace'))})")
        text += chunk
    process.wait()
    print(f"exit {process.returncode} after {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
