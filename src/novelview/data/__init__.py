"""Data: meshes -> rendered views on disk -> training pairs.

- ``surface``: the renderer's input, a triangle mesh with colours / textures.
- ``procedural``: the built-in cars, chairs and mugs.
- ``sources``: finds models in ShapeNet, a folder of meshes, Sweet Home 3D libraries, or the
  procedural set, and turns them upright and front-facing.
- ``render``: ray-cast shading of a surface from a ring of cameras.
- ``store``: the data set folder (views.npy, meta.json, split.json), resumable and shardable.
- ``pairs``: the torch Dataset of (source view, target view, rotation).
"""
