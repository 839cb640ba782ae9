"""Photos in: read any picture, cut the object out of its backdrop, frame it as the renders do.

``prepare_photo(path_or_array)`` is the one entry point that generate, serve and the Python API share.
"""

from novelview.photo.prepare import PreparedPhoto, prepare_photo, save_prepared
from novelview.photo.read import Picture, read_picture

__all__ = ["PreparedPhoto", "Picture", "prepare_photo", "read_picture", "save_prepared"]
