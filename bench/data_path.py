"""How straight compress's data path is: the modules of the package that one
quantize_image call enters, how often each is entered from another module, and how
many returns go back to a module already left (issue 27's measure).

    python bench/data_path.py [image] [-k 16]
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

from quantize import load_image, quantize_image

ROOT = Path(__file__).resolve().parents[1]


def trace(function):
    """Run ``function`` with a profiler that follows the package's Python frames."""
    stack, entered, returns, left = [], Counter(), 0, set()

    def module_of(frame):
        name = frame.f_globals.get("__name__", "")
        return name if name.startswith("quantize.") else None

    def profile(frame, event, arg):
        nonlocal returns
        if event not in ("call", "return"):
            return
        module = module_of(frame)
        if module is None:
            return
        if event == "call":
            caller = stack[-1] if stack else None
            if caller != module:
                entered[module] += 1
                if caller is not None:
                    left.add(caller)
            stack.append(module)
        elif stack:
            stack.pop()
            back = stack[-1] if stack else None
            if back is not None and back != module and back in left:
                returns += 1

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return entered, returns


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image", nargs="?", default=str(ROOT / "images" / "chelsea.png"))
    parser.add_argument("-k", type=int, default=16)
    args = parser.parse_args()
    image = load_image(args.image)
    quantize_image(image, args.k)  # imports and first calls out of the way
    entered, returns = trace(lambda: quantize_image(image, args.k))
    print(f"{len(entered)} modules entered, {returns} returns to a module already left")
    for module, count in entered.most_common():
        print(f"{count:4d}  {module}")


if __name__ == "__main__":
    main()
