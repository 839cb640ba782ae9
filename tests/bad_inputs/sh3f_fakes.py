"""Tiny Sweet Home 3D libraries (.sh3f zips) with one thing wrong each, for the real-asset tests
and the battery (tests/bad_inputs/battery.py): a square with a texture, pieces numbered from 1.

``library(path, pieces, files)`` writes a .sh3f whose catalogue lists ``pieces`` (``piece(...)``
texts) and whose zip holds ``square/square.obj`` plus ``files``.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image

SQUARE_OBJ = ("mtllib square.mtl\nv -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
              "usemtl paint\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n")
# An L-shaped piece: its bounding box tells a mirror image (x flipped) from the original.
ASYMMETRIC_OBJ = "v 0 0 0\nv 3 0 0\nv 3 1 0\nv 0 1 0\nv 0 2 0\nf 1 2 3\nf 1 3 4\nf 1 4 5\n"


def textured_mtl(texture: str) -> str:
    return f"newmtl paint\nKd 0.8 0.2 0.1\nmap_Kd {texture}\n"


def piece(number: int, name: str = "box", model: str | None = "/square/square.obj", rotation: str | None = None) -> str:
    text = f"id#{number}=Fake#p{number}\nname#{number}={name}\ncategory#{number}=Kitchen\ncreator#{number}=Ann\n"
    if model:
        text += f"model#{number}={model}\n"
    if rotation:
        text += f"modelRotation#{number}={rotation}\n"
    return text


def library(path: Path, pieces: list[str], files: dict[str, bytes | str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PluginFurnitureCatalog.properties", "id=Fake#Library\nname=Fake\n" + "".join(pieces))
        archive.writestr("LICENSE.TXT", "Creative Commons Zero: http://creativecommons.org/publicdomain/zero/1.0/")
        archive.writestr("square/square.obj", SQUARE_OBJ)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def png_bytes(size: int = 8, colour=(40, 160, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width x height (a 15000x15000 texture) with one row of data: what
    Pillow reads first, without anyone holding 675 MB here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def corrupt_catalogue(path: Path) -> Path:
    """Garble the deflated catalogue inside a library (its CRC then fails): an unreadable library."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("PluginFurnitureCatalog.properties")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size - 1, 20)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path
