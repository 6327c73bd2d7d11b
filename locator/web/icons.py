"""The app's icons (home screen, tab, install prompt), drawn in code as PNG: a white map pin
on the love stations' red, at any size a manifest asks for. No image library is needed:
numpy draws the shapes and zlib writes the PNG."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

import numpy as np

RED = (0xD6, 0x27, 0x28)
WHITE = (0xFF, 0xFF, 0xFF)
SIZES = (192, 512)


def _png(rgb: np.ndarray) -> bytes:
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@lru_cache(maxsize=8)
def icon_png(size: int) -> bytes:
    """A ``size`` x ``size`` icon; the pin stays inside the central 80 % (maskable)."""
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.empty((size, size, 3))
    img[:] = RED
    # the pin: a disc and a point under it, with a red hole in the disc
    cx, cy, r = 0.5, 0.42, 0.2
    disc = (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    tip = (y >= cy) & (y <= 0.78) & (np.abs(x - cx) <= r * (0.78 - y) / (0.78 - cy))
    hole = (x - cx) ** 2 + (y - cy) ** 2 <= (r * 0.42) ** 2
    img[(disc | tip) & ~hole] = WHITE
    return _png(img)
