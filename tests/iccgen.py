"""A minimal ICC v2 RGB matrix/TRC display profile, built byte by byte for the tests
(no non-sRGB profile ships with the machine or the repository)."""

import struct


def _s15(value):
    return struct.pack(">i", round(value * 65536))


def _xyz(x, y, z):
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def rgb_profile(primaries, gamma=2.2, name="test RGB"):
    """Profile bytes for RGB whose red, green and blue are the given PCS XYZ (D50)."""
    text = name.encode("ascii") + b"\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">I", 1) + struct.pack(">H", round(gamma * 256)) + bytes(2)
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*primaries[0])),
        (b"gXYZ", _xyz(*primaries[1])),
        (b"bXYZ", _xyz(*primaries[2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + bytes(4) + b"none\0\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(4)
        + bytes(4)
        + bytes(4)
        + bytes(4)
        + bytes(8)
        + bytes(4)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(4)
        + bytes(16)
        + bytes(28)
    )
    assert len(header) == 128
    return header + table + data


#: sRGB's primaries (D50-adapted) with red and green exchanged: a conversion to sRGB
#: must turn the stored red into green and the stored green into red.
SWAPPED = rgb_profile(
    [(0.3851, 0.7169, 0.0971), (0.4361, 0.2225, 0.0139), (0.1431, 0.0606, 0.7141)], name="swapped red and green"
)
