#!/usr/bin/env python3
"""Draws Flatline's tray and app icons.

    pip install pillow==12.0.0 && python3 icons/generate.py

The PNGs are committed (the desktop shell embeds them at compile time); this script
exists so that they can be redrawn and reviewed, not fetched from somewhere.

Each tray state differs by outline *and* glyph, not only by colour, so the icon
still reads for colour-blind users and on a monochrome panel:

    ok           green circle, check mark
    maintenance  blue rounded square, wrench
    degraded     amber triangle, exclamation mark
    down         red octagon, cross
    unknown      grey circle, question mark (also offline)
    snoozed      slate circle, crescent moon
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent

# Everything is drawn at SCALE times the final size and then downsampled, which is
# Pillow's way to get anti-aliased edges.
SCALE = 8
TRAY_SIZE = 64

WHITE = (255, 255, 255, 255)
INK = (33, 29, 18, 255)  # the glyph on amber: white on amber fails contrast
GREEN = (22, 135, 75, 255)
BLUE = (37, 99, 196, 255)
AMBER = (240, 166, 20, 255)
RED = (200, 36, 44, 255)
GREY = (112, 119, 129, 255)
SLATE = (71, 85, 120, 255)
TEAL = (14, 92, 99, 255)


def canvas(size):
    big = size * SCALE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img), big


def finish(img, size):
    return img.resize((size, size), Image.LANCZOS)


def edge(color):
    """A darker rim so light shapes keep their outline on a light panel."""
    return tuple(int(c * 0.72) for c in color[:3]) + (255,)


def polygon(cx, cy, radius, sides, rotation):
    return [
        (
            cx + radius * math.cos(rotation + 2 * math.pi * i / sides),
            cy + radius * math.sin(rotation + 2 * math.pi * i / sides),
        )
        for i in range(sides)
    ]


def rounded_line(draw, points, width, fill):
    draw.line(points, fill=fill, width=width, joint="curve")
    r = width / 2
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def body_circle(draw, s, color):
    m = s * 0.04
    draw.ellipse((m, m, s - m, s - m), fill=color, outline=edge(color), width=int(s * 0.03))


def tray_ok():
    img, d, s = canvas(TRAY_SIZE)
    body_circle(d, s, GREEN)
    rounded_line(d, [(s * 0.28, s * 0.52), (s * 0.43, s * 0.67), (s * 0.73, s * 0.35)], int(s * 0.11), WHITE)
    return img


def tray_maintenance():
    img, d, s = canvas(TRAY_SIZE)
    m = s * 0.06
    d.rounded_rectangle((m, m, s - m, s - m), radius=s * 0.2, fill=BLUE, outline=edge(BLUE), width=int(s * 0.03))
    # A wrench at 45°: a handle and an open ring at the top-right end.
    rounded_line(d, [(s * 0.3, s * 0.7), (s * 0.56, s * 0.44)], int(s * 0.11), WHITE)
    hx, hy, hr = s * 0.63, s * 0.37, s * 0.17
    d.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=WHITE)
    jaw = s * 0.08
    d.polygon(
        [(hx, hy), (hx + hr * 1.3, hy - hr * 0.2), (hx + hr * 0.2, hy - hr * 1.3)],
        fill=BLUE,
    )
    d.ellipse((hx - jaw / 2, hy - jaw / 2, hx + jaw / 2, hy + jaw / 2), fill=BLUE)
    return img


def tray_degraded():
    img, d, s = canvas(TRAY_SIZE)
    pts = [(s * 0.5, s * 0.06), (s * 0.96, s * 0.9), (s * 0.04, s * 0.9)]
    d.polygon(pts, fill=AMBER)
    d.line(pts + [pts[0]], fill=edge(AMBER), width=int(s * 0.04), joint="curve")
    rounded_line(d, [(s * 0.5, s * 0.36), (s * 0.5, s * 0.6)], int(s * 0.1), INK)
    r = s * 0.06
    d.ellipse((s * 0.5 - r, s * 0.76 - r, s * 0.5 + r, s * 0.76 + r), fill=INK)
    return img


def tray_down():
    img, d, s = canvas(TRAY_SIZE)
    pts = polygon(s / 2, s / 2, s * 0.47, 8, math.pi / 8)
    d.polygon(pts, fill=RED)
    d.line(pts + [pts[0]], fill=edge(RED), width=int(s * 0.03), joint="curve")
    w = int(s * 0.11)
    rounded_line(d, [(s * 0.33, s * 0.33), (s * 0.67, s * 0.67)], w, WHITE)
    rounded_line(d, [(s * 0.67, s * 0.33), (s * 0.33, s * 0.67)], w, WHITE)
    return img


def tray_unknown():
    img, d, s = canvas(TRAY_SIZE)
    body_circle(d, s, GREY)
    w = int(s * 0.1)
    # The hook of the question mark: an arc, then a short stem down the middle.
    box = (s * 0.35, s * 0.2, s * 0.65, s * 0.5)
    d.arc(box, start=180, end=405, fill=WHITE, width=w)
    end = (s * 0.5 + s * 0.15 * math.cos(math.radians(45)), s * 0.35 + s * 0.15 * math.sin(math.radians(45)))
    rounded_line(d, [end, (s * 0.5, s * 0.56), (s * 0.5, s * 0.6)], w, WHITE)
    r = s * 0.06
    d.ellipse((s * 0.5 - r, s * 0.76 - r, s * 0.5 + r, s * 0.76 + r), fill=WHITE)
    return img


def tray_snoozed():
    img, d, s = canvas(TRAY_SIZE)
    body_circle(d, s, SLATE)
    r = s * 0.25
    cx, cy = s * 0.47, s * 0.53
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    ox, oy = cx + r * 0.5, cy - r * 0.4
    d.ellipse((ox - r * 0.85, oy - r * 0.85, ox + r * 0.85, oy + r * 0.85), fill=SLATE)
    return img


def app_icon(size):
    """A teal tile with a signal that pulses once and then goes flat."""
    img, d, s = canvas(size)
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s * 0.22, fill=TEAL)
    y = s * 0.56
    trace = [
        (s * 0.14, y),
        (s * 0.32, y),
        (s * 0.4, s * 0.3),
        (s * 0.5, s * 0.76),
        (s * 0.58, y),
        (s * 0.86, y),
    ]
    rounded_line(d, trace, int(s * 0.07), WHITE)
    r = s * 0.055
    d.ellipse((s * 0.86 - r, y - r, s * 0.86 + r, y + r), fill=AMBER)
    return finish(img, size)


def main():
    tray = {
        "ok": tray_ok,
        "maintenance": tray_maintenance,
        "degraded": tray_degraded,
        "down": tray_down,
        "unknown": tray_unknown,
        "snoozed": tray_snoozed,
    }
    for name, draw in tray.items():
        finish(draw(), TRAY_SIZE).save(HERE / f"tray-{name}.png", optimize=True)

    for name, size in {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}.items():
        app_icon(size).save(HERE / name, optimize=True)
    big = app_icon(512)
    big.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(HERE / "icon.icns")


if __name__ == "__main__":
    main()
