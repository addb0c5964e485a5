#!/usr/bin/env python3
"""Draws the extension's icon, icon.png (128x128): a tag's `#` in the assumption
colour on a dark rounded square, with a check mark for the gate. Python's standard
library only; run it again after changing a colour or a shape:

    python3 editors/vscode/images/make-icon.py
"""

import os
import struct
import zlib

SIZE = 128
SCALE = 4  # supersampling, for smooth edges
BACKGROUND = (30, 41, 59)
HASH = (212, 160, 23)  # tagAssumption's default colour
CHECK = (46, 160, 67)  # tagDecision's default colour


def inside_rounded(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def inside_bar(x, y, ax, ay, bx, by, half_width):
    """Whether (x, y) is within half_width of the segment a-b."""
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= half_width * half_width


# In 0..128 coordinates: the four strokes of a slanted `#`, and a check mark.
HASH_BARS = [
    (50, 22, 40, 88),
    (78, 22, 68, 88),
    (26, 42, 92, 42),
    (22, 68, 88, 68),
]
CHECK_BARS = [(72, 96, 84, 108), (84, 108, 108, 80)]


def colour_at(x, y):
    """The colour of the point (x, y), or None outside the icon."""
    if not inside_rounded(x, y, 4, 4, 124, 124, 22):
        return None
    for bar in CHECK_BARS:
        if inside_bar(x, y, *bar, 7):
            return CHECK
    for bar in HASH_BARS:
        if inside_bar(x, y, *bar, 6.5):
            return HASH
    return BACKGROUND


def pixels():
    rows = []
    n = SCALE * SCALE
    for py in range(SIZE):
        row = bytearray([0])  # PNG filter: none
        for px in range(SIZE):
            r = g = b = a = 0
            for sy in range(SCALE):
                for sx in range(SCALE):
                    c = colour_at(px + (sx + 0.5) / SCALE, py + (sy + 0.5) / SCALE)
                    if c:
                        r, g, b, a = r + c[0], g + c[1], b + c[2], a + 1
            if a:
                row += bytes([r // a, g // a, b // a, 255 * a // n])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def main():
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(pixels(), 9)) + chunk(b"IEND", b"")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")
    with open(out, "wb") as f:
        f.write(png)
    print(f"wrote {out} ({len(png)} bytes)")


if __name__ == "__main__":
    main()
