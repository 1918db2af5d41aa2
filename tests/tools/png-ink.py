#!/usr/bin/env python3
"""Print a PNG's size, then how many "ink" pixels (text: every channel below 100)
each rectangle holds, for the picture tests (confmat --png, stats --png-dir).

Usage: png-ink.py FILE [X Y W H]...
Reads 8-bit gray or RGB, non-interlaced PNGs (what lib/png_image writes), with
the standard library only: zlib, and the five row filters undone by hand.
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("png-ink.py: %s: not a PNG" % path)
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (0, 2) or interlace:
                sys.exit("png-ink.py: %s: only 8-bit gray or RGB, not interlaced" % path)
            bpp = 3 if colour == 2 else 1
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    path, nums = sys.argv[1], [int(v) for v in sys.argv[2:]]
    w, h, bpp, rows = decode(path)
    print(w, h)
    for x0, y0, rw, rh in zip(*[iter(nums)] * 4):
        ink = 0
        for y in range(max(y0, 0), min(y0 + rh, h)):
            for x in range(max(x0, 0), min(x0 + rw, w)):
                ink += max(rows[y][x * bpp:(x + 1) * bpp]) < 100
        print(ink)


main()
