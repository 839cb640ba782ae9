"""Colours for the OBJ files of Sweet Home 3D's own jar, which name materials but ship no MTL.

The application's models (``com/eteks/sweethome3d/io/resources/*.obj``) say ``usemtl white``,
``usemtl flblonde`` or ``usemtl silver`` without an ``mtllib``: Sweet Home 3D's loader knows a
built-in list of such names (the Wavefront tradition). Without it every piece would be flat grey.
``NamedMaterialFiles`` hands the mesh reader the OBJ with a material library of our own: one
colour per name, read from the name (``fl`` is flat, ``dk`` dark, ``lt`` light); names not in the
table keep the default grey. The values are our own approximations, not Sweet Home 3D's.
"""

from __future__ import annotations

import posixpath
import re

LIBRARY_NAME = "novelview_named_colours.mtl"

# name -> diffuse colour (sRGB, 0..1); what the name says, by eye
NAMED_COLOURS: dict[str, tuple[float, float, float]] = {
    "white": (0.92, 0.92, 0.92), "flwhite": (0.95, 0.95, 0.95), "flwhite1": (0.95, 0.95, 0.93),
    "archwhite": (0.93, 0.91, 0.86), "archwhite2": (0.9, 0.88, 0.83), "offwhite.warm": (0.94, 0.9, 0.82),
    "bone": (0.89, 0.86, 0.76), "bone2": (0.86, 0.82, 0.7),
    "black": (0.06, 0.06, 0.06), "flblack": (0.06, 0.06, 0.06),
    "grey": (0.5, 0.5, 0.5), "flgrey": (0.5, 0.5, 0.5), "ltgrey": (0.74, 0.74, 0.74), "flltgrey": (0.74, 0.74, 0.74),
    "dkgrey": (0.3, 0.3, 0.3), "fldkgrey": (0.3, 0.3, 0.3), "dkdkgrey": (0.16, 0.16, 0.16),
    "fldkdkgrey": (0.16, 0.16, 0.16), "silver": (0.76, 0.77, 0.8), "bluegrey": (0.45, 0.5, 0.6),
    "flblonde": (0.86, 0.72, 0.48), "fltan": (0.8, 0.68, 0.5), "tan": (0.8, 0.68, 0.5),
    "lighttan": (0.88, 0.8, 0.63), "lighttan2": (0.86, 0.78, 0.6), "lighttannew": (0.88, 0.8, 0.63),
    "flbrown": (0.5, 0.33, 0.18), "brown": (0.45, 0.29, 0.15), "flltbrown": (0.66, 0.47, 0.29),
    "redwood": (0.55, 0.26, 0.15), "amber": (0.82, 0.55, 0.16), "sand_stone": (0.84, 0.76, 0.6),
    "flyellow": (0.95, 0.85, 0.35), "yellow": (0.95, 0.88, 0.2), "yellowbrt": (1.0, 0.93, 0.3),
    "yellow_green": (0.6, 0.78, 0.2), "florange": (0.95, 0.55, 0.15),
    "red": (0.8, 0.1, 0.1), "dkred": (0.45, 0.06, 0.06), "ruby": (0.62, 0.06, 0.12),
    "iris": (0.36, 0.32, 0.62), "lavendar": (0.7, 0.6, 0.85), "dkblue": (0.1, 0.15, 0.45),
    "sky_blue": (0.55, 0.75, 0.95), "bluteal": (0.1, 0.5, 0.6),
    "flesh": (0.9, 0.72, 0.6), "brzskin": (0.62, 0.42, 0.3),
}
_USEMTL = re.compile(rb"^[ \t]*usemtl[ \t]+(\S+)", re.M)
_MTLLIB = re.compile(rb"^[ \t]*mtllib[ \t]", re.M)


def colour_library(names: set[str]) -> bytes:
    """An MTL giving each known name its colour (unknown names stay out: the reader's grey)."""
    blocks = [f"newmtl {name}\nKd {r:.3f} {g:.3f} {b:.3f}\n" for name in sorted(names)
              if (colour := NAMED_COLOURS.get(name.lower())) for r, g, b in [colour]]
    return "\n".join(blocks).encode()


class NamedMaterialFiles:
    """The files of a zip, with an OBJ that names materials but no library given one of ours."""

    def __init__(self, files, mesh_name: str):
        self.files, self.label = files, files.label
        self.mesh_name = mesh_name
        self.library_path = posixpath.join(posixpath.dirname(mesh_name), LIBRARY_NAME)
        self._library = b""

    def read(self, name: str) -> bytes | None:
        if name == self.library_path and self._library:
            return self._library
        data = self.files.read(name)
        if name != self.mesh_name or data is None or _MTLLIB.search(data):
            return data
        names = {m.decode("latin-1") for m in _USEMTL.findall(data)}
        self._library = colour_library(names)
        return f"mtllib {LIBRARY_NAME}\n".encode() + data if self._library else data
