"""Tiny mesh files the source tests write: a textured square in OBJ text.

One definition, so the tests of folders, ShapeNet layouts and Sweet Home 3D libraries agree on
which way the square faces and how its UVs run.
"""

from __future__ import annotations

_FACES = {
    "+z": "f 1/1 2/2 3/3\nf 1/1 3/3 4/4\n",  # counter-clockwise seen from +z: novelview's front
    "-z": "f 1/1 3/3 2/2\nf 1/1 4/4 3/3\n",  # counter-clockwise seen from -z: ShapeNet's front
}


def square_obj(mtllib: str, material: str, facing: str = "+z") -> str:
    """A 2x2 square at z=0, UVs (0,0) bottom-left to (1,1) top-right, one material, facing +z or -z."""
    return (
        f"mtllib {mtllib}\n"
        "v -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        f"usemtl {material}\n" + _FACES[facing]
    )
