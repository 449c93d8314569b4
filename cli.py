#!/usr/bin/env python3
"""Run quantize from a checkout without installing it: ``python cli.py compress photo.jpg``."""

from quantize.cli.launch import run

if __name__ == "__main__":
    run()
